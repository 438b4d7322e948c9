/**
 * Admin page sessions (table `admin_sessions`): the SHA-256 of each session id, the API token it was
 * opened with, and when it expires.
 */
import type { Knex } from 'knex';

export interface AdminSessionRecord {
  id: number;
  tokenId: number;
  /** The SHA-256 of the session's API token, to check the token as the API does */
  tokenSha256: string;
  expiresAt: number;
}

export async function insertAdminSession(db: Knex, s: { sha256: string; tokenId: number; now: number; expiresAt: number }): Promise<void> {
  await db('admin_sessions').insert({ session_sha256: s.sha256, token_id: s.tokenId, created_at: s.now, expires_at: s.expiresAt });
}

/** The unexpired session with this hash, with its token's hash; null when there is none (or its token is gone). */
export async function findAdminSession(db: Knex, sha256: string, now: number): Promise<AdminSessionRecord | null> {
  const row = (await db('admin_sessions as s')
    .join('api_tokens as t', 't.id', 's.token_id')
    .where('s.session_sha256', sha256)
    .where('s.expires_at', '>', now)
    .select('s.id', 's.token_id', 's.expires_at', 't.token_sha256')
    .first()) as Record<string, unknown> | undefined;
  return row ? { id: Number(row.id), tokenId: Number(row.token_id), tokenSha256: row.token_sha256 as string, expiresAt: Number(row.expires_at) } : null;
}

export async function deleteAdminSession(db: Knex, sha256: string): Promise<void> {
  await db('admin_sessions').where('session_sha256', sha256).delete();
}

/** Removes sessions that have expired (they are refused anyway; this keeps the table small). */
export async function deleteExpiredAdminSessions(db: Knex, now: number): Promise<number> {
  return db('admin_sessions').where('expires_at', '<=', now).delete();
}
