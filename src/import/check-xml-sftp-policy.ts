/**
 * The operator's rules for one xml-sftp integration's settings (SPEC §9): a `file://` target inside one of
 * `OMS_FILE_TARGET_DIRS`, a `privateKeyFile` inside one of `OMS_SFTP_KEY_DIRS`, a `passwordEnv` starting
 * with `OMS_SECRET_`. Paths are compared by what they really name: `..` and symbolic links are followed
 * first, so neither a `../..` nor a symlink inside an allowed folder can reach outside it. Checked when
 * settings are stored (`load`, the API) and again before every delivery, because folders and links can
 * change in between.
 *
 * A path that does not exist yet (a target folder the operator has still to create) is judged by its
 * nearest existing ancestor, resolved, plus the rest of the path as written; its delivery fails until the
 * folder exists, and is checked again then. A symbolic link that points nowhere is refused: where it
 * leads is not known until something is created at its end.
 */
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { OperatorPolicy } from '../../config/index.js';
import { parseDropTarget } from '../../integrations/xml-sftp/drop-target.js';
import type { Problem } from '../domain/errors.js';
import { isSingleLine } from '../domain/text-rules.js';

/** The settings that point the server at files and secrets */
export interface PolicySettings {
  target: string;
  privateKeyFile?: string | null | undefined;
  passwordEnv?: string | null | undefined;
}

class Unresolvable extends Error {}

const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

/** The real path `p` names (absolute, symbolic links and `..` resolved), as described above. */
export async function resolveRealPath(p: string): Promise<string> {
  const rest: string[] = [];
  let head = p;
  for (;;) {
    try {
      const real = await realpath(head);
      return rest.length === 0 ? real : path.join(real, ...rest.reverse());
    } catch (error) {
      const code = errnoOf(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new Unresolvable(`cannot be resolved (${code ?? String(error)})`);
    }
    // Missing: a dangling symbolic link is refused; anything else is judged by its parent
    const exists = await lstat(head).then(
      () => true,
      () => false,
    );
    if (exists) throw new Unresolvable('is or passes through a symbolic link to a path that does not exist');
    const cut = head.lastIndexOf('/');
    if (cut < 0 || head === '/') throw new Unresolvable('cannot be resolved');
    rest.push(head.slice(cut + 1));
    head = head.slice(0, cut) || '/';
  }
}

function isInside(folder: string, p: string, allowSame: boolean): boolean {
  const rel = path.relative(folder, p);
  if (rel === '') return allowSame;
  return rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** Whether `p` lies inside one of `folders` once both are resolved; a problem message when not. */
async function checkInside(p: string, folders: readonly string[], allowSame: boolean, what: string): Promise<string | null> {
  if (!path.isAbsolute(p)) return 'must be an absolute path';
  if (!isSingleLine(p)) return 'must not contain control characters';
  let real: string;
  try {
    real = await resolveRealPath(p);
  } catch (error) {
    if (error instanceof Unresolvable) return error.message;
    throw error;
  }
  for (const folder of folders) {
    const allowed = await resolveRealPath(folder).catch(() => null);
    if (allowed !== null && isInside(allowed, real, allowSame)) return null;
  }
  const resolved = real === p ? '' : ` (it resolves to ${real})`;
  return `is outside the folders the operator allows for ${what}${resolved}`;
}

/** The problems of one integration's settings, each with its field as path; none when they comply. */
export async function checkXmlSftpPolicy(policy: OperatorPolicy, settings: PolicySettings): Promise<Problem[]> {
  const problems: Problem[] = [];
  if (settings.target.startsWith('file:')) {
    let directory: string | null = null;
    try {
      const target = parseDropTarget(settings.target);
      if (target.protocol === 'file') directory = target.directory;
    } catch (error) {
      problems.push({ path: 'target', message: error instanceof Error ? error.message : String(error) });
    }
    const problem = directory === null ? null : await checkInside(directory, policy.fileTargetDirs, true, 'file:// targets (OMS_FILE_TARGET_DIRS)');
    if (problem) problems.push({ path: 'target', message: problem });
  }
  if (settings.privateKeyFile) {
    const problem = await checkInside(settings.privateKeyFile, policy.sftpKeyDirs, false, 'SFTP key files (OMS_SFTP_KEY_DIRS)');
    if (problem) problems.push({ path: 'privateKeyFile', message: problem });
  }
  if (settings.passwordEnv && !settings.passwordEnv.startsWith(policy.secretEnvPrefix)) {
    problems.push({ path: 'passwordEnv', message: `must name an environment variable starting with ${policy.secretEnvPrefix}` });
  }
  return problems;
}
