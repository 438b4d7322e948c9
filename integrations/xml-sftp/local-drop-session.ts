/** The file:// FileDropper: a local (or mounted) directory. */
import { stat } from 'node:fs/promises';
import { DeliveryError } from '../../src/domain/errors.js';
import type { DropSession } from './drop-session.js';
import { safeFileName } from './file-names.js';
import { writeFileAtomically } from './write-file-atomically.js';

const PERMANENT_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EROFS']);

export async function openLocalDropSession(directory: string): Promise<DropSession> {
  const info = await stat(directory).catch((error: unknown) => {
    throw errnoOf(error) === 'ENOENT'
      ? new DeliveryError(`local directory ${directory} does not exist`, false, error)
      : classifyLocalError(error, `cannot read local directory ${directory}`);
  });
  if (!info.isDirectory()) throw new DeliveryError(`local path ${directory} is not a directory`, false);

  return {
    async upload(name, bytes) {
      const fileName = safeFileName(name);
      return writeFileAtomically(directory, fileName, bytes).catch((error: unknown) => {
        throw classifyLocalError(error, `cannot write ${fileName} to ${directory}`);
      });
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
