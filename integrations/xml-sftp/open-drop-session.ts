import type { DropOptions, DropSession } from './drop-session.js';
import { parseDropTarget } from './drop-target.js';
import { openLocalDropSession } from './local-drop-session.js';
import { openSftpDropSession } from './sftp-drop-session.js';

/** Opens a session on the target: checks credentials, host key and that the directory exists. */
export async function openDropSession(options: DropOptions): Promise<DropSession> {
  const target = parseDropTarget(options.target);
  return target.protocol === 'file' ? openLocalDropSession(target.directory) : openSftpDropSession(target, options);
}
