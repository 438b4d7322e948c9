/**
 * The run log (table `runs`): one row per run, with its report or error. A run is started `running` and
 * finished `ok` or `failed`; an entry left `running` by a process that died is closed as interrupted.
 */
import type { Knex } from 'knex';
import { idsAreDerivable, insertReturningIds, valueById } from './bulk-insert.js';
import { retryOnConflict } from './connect.js';
import { isoOrNull, readPage, type DbRow } from './read-rows.js';

export interface RunStart {
  companyId: number;
  integrationId: number | null;
  mode: 'auto' | 'manual';
  userId: number | null;
  asOf: number;
}

export interface RunFinish {
  runId: number;
  status: 'ok' | 'failed';
  /** Stored as JSON */
  report: unknown;
  error: string | null;
}

const RUN_COLUMNS = ['company_id', 'integration_id', 'mode', 'user_id', 'status', 'as_of', 'started_at'] as const;

/** Log entries for runs starting now, `running`; their ids in the same order. One statement where ids are derivable. */
export async function startRuns(db: Knex, runs: readonly RunStart[], now: number): Promise<number[]> {
  if (runs.length === 0) return [];
  const rows = runs.map((r) => [r.companyId, r.integrationId, r.mode, r.userId, 'running', r.asOf, now]);
  if (await idsAreDerivable(db)) return insertReturningIds(db, 'runs', RUN_COLUMNS, rows);
  const ids: number[] = [];
  for (const row of rows) {
    const [id] = await db('runs').insert(Object.fromEntries(RUN_COLUMNS.map((c, i) => [c, row[i]])));
    ids.push(Number(id));
  }
  return ids;
}

/** Finishes runs with their status and report or error, in one statement. */
export async function finishRuns(db: Knex, runs: readonly RunFinish[], now: number): Promise<void> {
  if (runs.length === 0) return;
  const caseOf = (value: (r: RunFinish) => unknown) =>
    valueById(
      db,
      runs.map((r) => [r.runId, value(r)] as const),
    );
  await retryOnConflict(() =>
    db('runs')
      .whereIn(
        'id',
        runs.map((r) => r.runId),
      )
      .update({
        status: caseOf((r) => r.status),
        finished_at: now,
        report: caseOf((r) => (r.report === null ? null : JSON.stringify(r.report))),
        error: caseOf((r) => r.error),
      }),
  );
}

/** The error of a run closed as interrupted (what `/metrics` counts as a lease takeover). */
export const INTERRUPTED_RUN_ERROR = 'interrupted: the process running it stopped before it finished; the next run redid its work';

/**
 * Entries of these integrations' runs still `running`: their process died holding the lease the caller now
 * holds, so they are closed as failed, interrupted (the caller's run redoes their work).
 */
export async function closeInterruptedRuns(db: Knex, integrationIds: readonly number[], now: number): Promise<void> {
  if (integrationIds.length === 0) return;
  await retryOnConflict(() =>
    db('runs')
      .whereIn('integration_id', [...integrationIds])
      .where('status', 'running')
      .update({ status: 'failed', finished_at: now, error: INTERRUPTED_RUN_ERROR }),
  );
}

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

/** A company's runs, newest first. */
export async function listRuns(db: Knex, q: { companyId: number; limit: number; offset: number }): Promise<{ items: RunView[]; count: number }> {
  const { rows, count } = await readPage(db('runs as r').where('r.company_id', q.companyId), q, (runs) =>
    runs
      .leftJoin('integrations as g', 'g.id', 'r.integration_id')
      .leftJoin('users as u', 'u.id', 'r.user_id')
      .orderBy([
        { column: 'r.started_at', order: 'desc' },
        { column: 'r.id', order: 'desc' },
      ])
      .select<DbRow[]>('r.*', 'g.type as integration_type', 'u.email as user_email'),
  );
  return {
    count,
    items: rows.map((r) => ({
      id: Number(r.id),
      mode: r.mode as string,
      integration: (r.integration_type as string | null) ?? null,
      user: (r.user_email as string | null) ?? null,
      status: r.status as string,
      asOf: isoOrNull(r.as_of)!,
      startedAt: isoOrNull(r.started_at)!,
      finishedAt: isoOrNull(r.finished_at),
      report: r.report ? (JSON.parse(r.report as string) as unknown) : null,
      error: (r.error as string | null) ?? null,
    })),
  };
}
