/**
 * The FileDropper port: put files into a target directory so that a reader never sees half a file.
 * One session is one connection; upload many files through it, then close it.
 */
import { parseDropTarget } from './drop-target.js';
import { openLocalDropSession } from './local-drop-session.js';
import { openSftpDropSession } from './sftp-drop-session.js';

export { safeFileName } from './file-names.js';

export interface DropSession {
  /**
   * Writes `bytes` to the target directory as `name` (made safe, see `safeFileName`), replacing any file
   * of that name atomically; resolves with the final path once the file is in place. Calls may overlap.
   * Fails with a DeliveryError.
   */
  upload(name: string, bytes: Uint8Array): Promise<string>;
  /** Idempotent; never throws */
  close(): Promise<void>;
}

export interface DropOptions {
  /** sftp://user@host:port/abs/dir or file:///abs/dir */
  target: string;
  /** sftp: path of a private key file (OpenSSH or PEM format) */
  privateKeyFile?: string | null;
  /** sftp: the password itself (the caller resolves passwordEnv) */
  password?: string | null;
  /** sftp: required, "SHA256:…" as `ssh-keygen -lf` prints it */
  hostKeySha256?: string | null;
  /** sftp: TCP connect and SSH handshake limit each; default 10 s */
  connectTimeoutMs?: number;
}

/** Opens a session on the target: checks credentials, host key and that the directory exists. */
export async function openDropSession(options: DropOptions): Promise<DropSession> {
  const target = parseDropTarget(options.target);
  return target.protocol === 'file' ? openLocalDropSession(target.directory) : openSftpDropSession(target, options);
}
