/**
 * The run log (table `runs`): one row per run, with its report or error.
 */
import type { Knex } from 'knex';

export interface RunView {
  id: number;
  mode: string;
  /** The integration an automatic run ran for */
  integration: string | null;
  /** The user a manual run was triggered as */
  user: string | null;
  status: string;
  asOf: string;
  startedAt: string;
  finishedAt: string | null;
  report: unknown;
  error: string | null;
}

type Row = Record<string, unknown>;
const iso = (ms: unknown): string | null => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

/** A company's runs, newest first. */
export async function listRuns(db: Knex, q: { companyId: number; limit: number; offset: number }): Promise<{ items: RunView[]; count: number }> {
  const base = db('runs as r').where('r.company_id', q.companyId);
  const countRow = (await base.clone().count({ n: '*' }).first()) as { n: number | string } | undefined;
  const rows = (await base
    .clone()
    .leftJoin('integrations as g', 'g.id', 'r.integration_id')
    .leftJoin('users as u', 'u.id', 'r.user_id')
    .select('r.*', 'g.type as integration_type', 'u.email as user_email')
    .orderBy([
      { column: 'r.started_at', order: 'desc' },
      { column: 'r.id', order: 'desc' },
    ])
    .limit(q.limit)
    .offset(q.offset)) as Row[];
  return {
    count: Number(countRow?.n ?? 0),
    items: rows.map((r) => ({
      id: Number(r.id),
      mode: r.mode as string,
      integration: (r.integration_type as string | null) ?? null,
      user: (r.user_email as string | null) ?? null,
      status: r.status as string,
      asOf: iso(r.as_of)!,
      startedAt: iso(r.started_at)!,
      finishedAt: iso(r.finished_at),
      report: r.report ? (JSON.parse(r.report as string) as unknown) : null,
      error: (r.error as string | null) ?? null,
    })),
  };
}
