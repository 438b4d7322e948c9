/**
 * API tokens as stored: the SHA-256 of the token, a label, the company it is scoped to (null: admin), the
 * user it was made for (null: none), when it expires (null: never) and when it was last used. Times are
 * epoch milliseconds.
 */
import type { Knex } from 'knex';
import { numberOrNull, type DbRow } from './read-rows.js';

export interface ApiTokenRecord {
  id: number;
  label: string;
  /** null: an admin token */
  companyId: number | null;
  companyCode: string | null;
  /** The user the token was made for: a manual run through the API is numbered from their primary company */
  userId: number | null;
  userEmail: string | null;
  createdAt: number;
  /** null: never expires */
  expiresAt: number | null;
  /** null: never used; recorded at most once a minute (see recordApiTokenUse) */
  lastUsedAt: number | null;
}

const toRecord = (r: DbRow): ApiTokenRecord => ({
  id: Number(r.id),
  label: r.label as string,
  companyId: numberOrNull(r.company_id),
  companyCode: (r.company_code as string | null) ?? null,
  userId: numberOrNull(r.user_id),
  userEmail: (r.user_email as string | null) ?? null,
  createdAt: Number(r.created_at),
  expiresAt: numberOrNull(r.expires_at),
  lastUsedAt: numberOrNull(r.last_used_at),
});

const tokensQuery = (db: Knex) =>
  db('api_tokens as t')
    .leftJoin('companies as c', 'c.id', 't.company_id')
    .leftJoin('users as u', 'u.id', 't.user_id')
    .select<DbRow[]>(
      't.id',
      't.label',
      't.company_id',
      't.user_id',
      't.created_at',
      't.expires_at',
      't.last_used_at',
      'c.code as company_code',
      'u.email as user_email',
    );

export async function insertApiToken(
  db: Knex,
  t: { sha256: string; label: string; companyId: number | null; userId: number | null; expiresAt: number | null; now: number },
): Promise<number> {
  await db('api_tokens').insert({
    token_sha256: t.sha256,
    label: t.label,
    company_id: t.companyId,
    user_id: t.userId,
    expires_at: t.expiresAt,
    created_at: t.now,
  });
  const row: DbRow | undefined = await db('api_tokens').where('token_sha256', t.sha256).first('id');
  return Number(row!.id);
}

export async function listApiTokens(db: Knex): Promise<ApiTokenRecord[]> {
  return (await tokensQuery(db).orderBy('t.id')).map(toRecord);
}

export async function findApiTokenByHash(db: Knex, sha256: string): Promise<ApiTokenRecord | null> {
  const row = await tokensQuery(db).where('t.token_sha256', sha256).first();
  return row ? toRecord(row) : null;
}

/**
 * Records that a token was used at `now`, unless that was already recorded less than `resolutionMs` ago
 * (also by another process: the condition is in the statement), so most requests write nothing.
 */
export async function recordApiTokenUse(db: Knex, id: number, now: number, resolutionMs: number): Promise<void> {
  await db('api_tokens')
    .where('id', id)
    .andWhereRaw('(last_used_at IS NULL OR last_used_at <= ?)', [now - resolutionMs])
    .update({ last_used_at: now });
}

/** Deletes a token; false when there was none with this id. */
export async function deleteApiToken(db: Knex, id: number): Promise<boolean> {
  return (await db('api_tokens').where('id', id).delete()) > 0;
}
