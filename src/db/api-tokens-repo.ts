/**
 * API tokens as stored: the SHA-256 of the token, a label, and the company it is scoped to (null: admin).
 */
import type { Knex } from 'knex';

export interface ApiTokenRecord {
  id: number;
  label: string;
  /** null: an admin token */
  companyId: number | null;
  companyCode: string | null;
  createdAt: string;
}

type Row = Record<string, unknown>;

const toRecord = (r: Row): ApiTokenRecord => ({
  id: Number(r.id),
  label: r.label as string,
  companyId: r.company_id === null ? null : Number(r.company_id),
  companyCode: (r.company_code as string | null) ?? null,
  createdAt: new Date(Number(r.created_at)).toISOString(),
});

const tokensQuery = (db: Knex) =>
  db('api_tokens as t').leftJoin('companies as c', 'c.id', 't.company_id').select('t.id', 't.label', 't.company_id', 't.created_at', 'c.code as company_code');

export async function insertApiToken(db: Knex, t: { sha256: string; label: string; companyId: number | null; now: number }): Promise<void> {
  await db('api_tokens').insert({ token_sha256: t.sha256, label: t.label, company_id: t.companyId, created_at: t.now });
}

export async function listApiTokens(db: Knex): Promise<ApiTokenRecord[]> {
  return ((await tokensQuery(db).orderBy('t.id')) as Row[]).map(toRecord);
}

export async function findApiTokenByHash(db: Knex, sha256: string): Promise<ApiTokenRecord | null> {
  const row = (await tokensQuery(db).where('t.token_sha256', sha256).first()) as Row | undefined;
  return row ? toRecord(row) : null;
}

/** Deletes a token; false when there was none with this id. */
export async function deleteApiToken(db: Knex, id: number): Promise<boolean> {
  return (await db('api_tokens').where('id', id).delete()) > 0;
}
