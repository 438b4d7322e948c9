import { randomBytes } from 'node:crypto';
import { safeFileStem } from '../contract.js';

/**
 * A file name no reader can mistake for a path, a hidden file or a temp file: the extension (if short and
 * alphanumeric) is kept, the rest goes through `safeFileStem` ("INV/../7.xml" → "INV____7-<hash>.xml").
 */
export function safeFileName(name: string): string {
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(name);
  return ext ? `${safeFileStem(name.slice(0, ext.index))}.${ext[1]}` : safeFileStem(name);
}

/**
 * Where a file is written before it is renamed into place: same directory (rename must not cross file
 * systems), a leading "." so importers that skip dotfiles ignore it, a random suffix so that two writers
 * never share one.
 */
export function tempFileName(finalName: string): string {
  return `.${finalName}.part-${randomBytes(6).toString('hex')}`;
}

/** Exactly the names `tempFileName(safeFileName(…))` makes: the only files this program ever removes */
const TEMP_FILE_NAME = /^\.[A-Za-z0-9_-]{1,111}(\.[A-Za-z0-9]{1,8})?\.part-[0-9a-f]{12}$/;

export function isTempFileName(name: string): boolean {
  return TEMP_FILE_NAME.test(name);
}
