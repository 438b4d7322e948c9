import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tempFileName } from './file-names.js';

/**
 * Writes `directory/name` so that readers see either the old file or the whole new one, even across a
 * crash: temp file in the same directory, fsync, rename over the final name, fsync the directory.
 * `name` must already be a plain file name.
 */
export async function writeFileAtomically(directory: string, name: string, bytes: Uint8Array): Promise<string> {
  const finalPath = join(directory, name);
  const tempPath = join(directory, tempFileName(name));
  const file = await open(tempPath, 'wx', 0o644);
  try {
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tempPath, finalPath);
  } catch (error) {
    // the write's own error is the one to report; a temp file that cannot be removed now is swept later
    await rm(tempPath, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
  return finalPath;
}

async function syncDirectory(directory: string): Promise<void> {
  const dir = await open(directory, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
