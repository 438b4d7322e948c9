import { isTempFileName } from './file-names.js';

export interface ListedFile {
  name: string;
  /** Last modification as the target reports it; undefined when it reports none */
  mtimeMs: number | undefined;
}

/**
 * The temp files of this program in a directory listing that nobody has written to for `olderThanMs`.
 *
 * "Now" is the target's clock, not ours: the newest of `clues`, times the target itself stamped (the
 * directory's mtime and that of a file just placed there, both moved by an upload that has just
 * succeeded). So a clock that is off between us and an SFTP server never makes a file look older than it
 * is, and these times are never later than the target's own now. Without a clue, nothing is stale.
 * A writer that is alive moves its temp file's mtime with every write (and a stalled SFTP connection is
 * dropped by its keepalive long before a claim runs out), so a temp file untouched for a whole claim
 * belongs to an upload that was killed.
 */
export function staleTempFiles(listing: readonly ListedFile[], clues: ReadonlyArray<number | undefined>, olderThanMs: number): string[] {
  const known = clues.filter((t): t is number => t !== undefined && Number.isFinite(t) && t > 0);
  if (known.length === 0) return [];
  const cutoff = Math.max(...known) - olderThanMs;
  return listing.filter((f) => isTempFileName(f.name) && f.mtimeMs !== undefined && f.mtimeMs < cutoff).map((f) => f.name);
}
