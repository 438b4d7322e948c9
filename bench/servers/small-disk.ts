/**
 * A tiny file system (tmpfs) mounted on a directory, for testing what a full disk does: writes past its
 * size fail with ENOSPC, exactly as on a real disk that filled up. Needs root with CAP_SYS_ADMIN.
 */
import { execFile } from 'node:child_process';
import { chown, mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SmallDisk {
  path: string;
  /** Idempotent */
  unmount(): Promise<void>;
}

/** Creates `path` and mounts a `sizeBytes` tmpfs on it, its root owned by `owner` (default: root). */
export async function mountSmallDisk(path: string, sizeBytes: number, owner?: { uid: number; gid: number }): Promise<SmallDisk> {
  await mkdir(path, { recursive: true });
  await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', path]).catch((error: unknown) => {
    const reason = typeof error === 'object' && error !== null && 'stderr' in error ? String(error.stderr).trim() : String(error);
    throw new Error(
      `cannot mount a small tmpfs on ${path} (${reason}): the full-disk tests need root with CAP_SYS_ADMIN, e.g. a container started with --privileged or --cap-add SYS_ADMIN`,
    );
  });
  if (owner) await chown(path, owner.uid, owner.gid);
  let mounted = true;
  return {
    path,
    async unmount() {
      if (!mounted) return;
      mounted = false;
      // lazily: a session that still has a file open there must not keep the mount (and the test) alive
      await run('umount', ['-l', path]);
    },
  };
}
