/**
 * The operator's allow-lists (SPEC §9): which folders `file://` targets and SFTP key files may lie in, and
 * which environment variables an integration may name as its SFTP password. Read from the environment once,
 * with the rest of the configuration; the comparisons themselves (after resolving `..` and symbolic links)
 * happen when settings are stored and again before each delivery (src/import/check-integration-policy.ts).
 */
import path from 'node:path';

/** `passwordEnv` must name a variable with this prefix, so no setting can read DATABASE_URL, HOME, … */
export const SECRET_ENV_PREFIX = 'OMS_SECRET_';

export interface OperatorPolicy {
  /** `file://` targets must lie inside one of these folders (absolute; empty: no file:// target is allowed) */
  fileTargetDirs: readonly string[];
  /** `privateKeyFile` must lie inside one of these folders (absolute; empty: no key file is allowed) */
  sftpKeyDirs: readonly string[];
  /** `passwordEnv` must start with this */
  secretEnvPrefix: string;
}

/** A folder list holds no control characters (a NUL would end the path early in the operating system). */
export const isFolderList = (value: string): boolean => [...value].every((c) => c.charCodeAt(0) >= 0x20 && c !== '\u007f');

/**
 * `OMS_FILE_TARGET_DIRS` and `OMS_SFTP_KEY_DIRS`: `:`-separated; unset means the default folder under the
 * data directory, set but empty means none. Relative entries are taken from `cwd`.
 */
export function readOperatorPolicy(env: { fileTargetDirs: string | undefined; sftpKeyDirs: string | undefined }, dataDir: string, cwd: string): OperatorPolicy {
  const folders = (value: string | undefined, fallback: string): string[] =>
    value === undefined
      ? [fallback]
      : value
          .split(path.delimiter)
          .filter((entry) => entry !== '')
          .map((entry) => path.resolve(cwd, entry));
  return {
    fileTargetDirs: folders(env.fileTargetDirs, path.join(dataDir, 'exports')),
    sftpKeyDirs: folders(env.sftpKeyDirs, path.join(dataDir, 'keys')),
    secretEnvPrefix: SECRET_ENV_PREFIX,
  };
}
