/**
 * Admin page sessions. Signing in with an API token opens a session: a random id in an HttpOnly,
 * SameSite=Strict cookie, and its SHA-256 in the database with the token it was opened with. Each request
 * checks the token again exactly as the API does (scopeOfToken), so a revoked token signs its sessions out
 * at once and a company token's scope follows the company tree as it changes.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { deleteAdminSession, deleteExpiredAdminSessions, findAdminSession, insertAdminSession } from '../../db/admin-sessions-repo.js';
import { findApiTokenByHash } from '../../db/api-tokens-repo.js';
import { hashApiToken } from '../../domain/api-token.js';
import { AppError } from '../../domain/errors.js';
import { scopeOfToken, type Scope } from '../http/auth.js';

export const SESSION_COOKIE = 'oms_admin_session';
/** A session ends this long after sign-in, or earlier on Sign out or when its token is revoked */
export const SESSION_MS = 8 * 3600 * 1000;

const hashSessionId = (id: string) => createHash('sha256').update(id, 'utf8').digest('hex');
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface AdminSession {
  scope: Scope;
  expiresAt: number;
}

/** The token's scope as the API computes it; null when the API would refuse the token (unknown, expired). */
async function acceptedScope(db: Knex, sha256: string, now: number): Promise<Scope | null> {
  try {
    return await scopeOfToken(db, sha256, now);
  } catch (err) {
    if (err instanceof AppError && err.code === 'UNAUTHORIZED') return null;
    throw err;
  }
}

/** Opens a session for this token; null when the token is not one the API would accept. */
export async function openSession(db: Knex, tokenText: string, now: number): Promise<{ id: string; expiresAt: number } | null> {
  const token = tokenText.trim();
  if (token === '' || token.length > 512) return null;
  const sha256 = hashApiToken(token);
  const scope = await acceptedScope(db, sha256, now);
  const record = scope ? await findApiTokenByHash(db, sha256) : null;
  if (!record || !scope) return null;
  await deleteExpiredAdminSessions(db, now);
  const id = randomBytes(32).toString('base64url');
  const expiresAt = now + SESSION_MS;
  await insertAdminSession(db, { sha256: hashSessionId(id), tokenId: record.id, now, expiresAt });
  return { id, expiresAt };
}

/** The session this cookie names, if it is still open and its token still valid. */
export async function resumeSession(db: Knex, cookie: string | undefined, now: number): Promise<AdminSession | null> {
  if (cookie === undefined || !SESSION_ID.test(cookie)) return null;
  const session = await findAdminSession(db, hashSessionId(cookie), now);
  if (!session) return null;
  const scope = await acceptedScope(db, session.tokenSha256, now);
  return scope ? { scope, expiresAt: session.expiresAt } : null;
}

export async function endSession(db: Knex, cookie: string | undefined): Promise<void> {
  if (cookie !== undefined && SESSION_ID.test(cookie)) await deleteAdminSession(db, hashSessionId(cookie));
}
