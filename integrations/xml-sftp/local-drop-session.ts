/** The file:// FileDropper: a local (or mounted) directory. */
import { readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DeliveryError } from '../../src/domain/errors.js';
import type { DropSession } from './drop-session.js';
import { isTempFileName, safeFileName } from './file-names.js';
import { staleTempFiles } from './stale-temp-files.js';
import { writeFileAtomically } from './write-file-atomically.js';

/**
 * Errors that a retry cannot fix. Everything else is retryable: ENOSPC and EDQUOT (a full disk or
 * quota) included, since space can be freed and the retry then succeeds; EIO and the like too.
 */
const PERMANENT_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EROFS']);

export async function openLocalDropSession(directory: string): Promise<DropSession> {
  const info = await stat(directory).catch((error: unknown) => {
    throw errnoOf(error) === 'ENOENT'
      ? new DeliveryError(`local directory ${directory} does not exist`, false, error)
      : classifyLocalError(error, `cannot read local directory ${directory}`);
  });
  if (!info.isDirectory()) throw new DeliveryError(`local path ${directory} is not a directory`, false);

  let lastPlaced: string | null = null;
  /** True when the file is gone */
  const remove = (path: string) =>
    rm(path, { force: true }).then(
      () => true,
      () => false,
    );

  return {
    connected: true,
    // writeFileAtomically removes its temp file itself; one it cannot remove is left to a later sweep
    leftovers: [],
    async upload(name, bytes) {
      const fileName = safeFileName(name);
      const placed = await writeFileAtomically(directory, fileName, bytes).catch((error: unknown) => {
        throw classifyLocalError(error, `cannot write ${fileName} to ${directory}`);
      });
      lastPlaced = fileName;
      return placed;
    },
    async removeTempFiles(paths) {
      const mine = paths.filter((path) => dirname(path) === directory && isTempFileName(basename(path)));
      const gone = await Promise.all(mine.map(remove));
      return mine.filter((_, i) => !gone[i]);
    },
    async sweepTempFiles(olderThanSeconds) {
      const names = await readdir(directory);
      const mtimeOf = (name: string) =>
        stat(join(directory, name)).then(
          (s) => s.mtimeMs,
          () => undefined,
        );
      const candidates = names.filter(isTempFileName);
      const [dirMtime, placedMtime, ...mtimes] = await Promise.all([
        stat(directory).then((s) => s.mtimeMs),
        lastPlaced === null ? undefined : mtimeOf(lastPlaced),
        ...candidates.map(mtimeOf),
      ]);
      const files = candidates.map((name, i) => ({ name, mtimeMs: mtimes[i] }));
      const stale = staleTempFiles(files, [dirMtime, placedMtime], olderThanSeconds * 1000);
      const gone = await Promise.all(stale.map((name) => remove(join(directory, name))));
      return stale.filter((_, i) => gone[i]);
    },
    async close() {},
  };
}

function classifyLocalError(error: unknown, what: string): DeliveryError {
  const code = errnoOf(error);
  const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : error instanceof Error ? error.message : String(error);
  return new DeliveryError(`${what}: ${reason}`, !PERMANENT_CODES.has(code ?? ''), error);
}

function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
