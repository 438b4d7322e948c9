/**
 * The FileDropper port: put files into a target directory so that a reader never sees half a file.
 * One session is one connection; upload many files through it, then close it. `open-drop-session.ts`
 * opens one.
 */

export interface DropSession {
  /**
   * Writes `bytes` to the target directory as `name` (made safe, see `safeFileName`), replacing any file
   * of that name atomically; resolves with the final path once the file is in place. Calls may overlap.
   * Fails with a DeliveryError; a failed upload removes its temp file, unless the connection is gone
   * (then the temp file is listed in `leftovers`).
   */
  upload(name: string, bytes: Uint8Array): Promise<string>;
  /** False once the connection is lost: every later upload fails, and a new session is needed */
  readonly connected: boolean;
  /** Temp files of failed uploads that could not be removed because the connection was lost, by path */
  readonly leftovers: readonly string[];
  /**
   * Removes temp files another session of this target left behind (its `leftovers`); paths that are not
   * this program's temp file names are ignored. Never throws: resolves with the paths still there.
   */
  removeTempFiles(paths: readonly string[]): Promise<string[]>;
  /**
   * Removes this program's temp files (`.NAME.part-…`, nothing else) in the directory that nobody has
   * written to for `olderThanSeconds`, measured by the target's own clock; resolves with their names.
   * Call it after an upload succeeded: that upload gives the target's "now". One directory listing.
   */
  sweepTempFiles(olderThanSeconds: number): Promise<string[]>;
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
