/**
 * The figures `/metrics` exposes, counted in the database at scrape time, so they are the same whichever
 * process answers and include the work of every worker process.
 */
import type { Knex } from 'knex';
import { countRows, type DbRow } from './read-rows.js';
import { INTERRUPTED_RUN_ERROR } from './runs-repo.js';

export interface RunDurations {
  mode: string;
  /** Finished runs that took at most each bound (cumulative, in the order of the bounds) */
  atMost: number[];
  count: number;
  sumSeconds: number;
}

export interface StoredMetrics {
  runs: Array<{ mode: string; status: string; count: number }>;
  interruptedRuns: number;
  runDurations: RunDurations[];
  invoices: Array<{ mode: string; count: number }>;
  creditNotes: number;
  deliveries: Array<{ integration: string; status: string; count: number }>;
  attempts: Array<{ integration: string; status: string; count: number }>;
}

export async function readStoredMetrics(db: Knex, durationBoundsSeconds: readonly number[]): Promise<StoredMetrics> {
  const runs = await db('runs').count({ n: '*' }).groupBy('mode', 'status').select<DbRow[]>('mode', 'status');
  const interruptedRuns = await countRows(db('runs').where('status', 'failed').where('error', INTERRUPTED_RUN_ERROR));
  const elapsed = 'finished_at - started_at';
  const durations = await db('runs')
    .whereNotNull('finished_at')
    .count({ n: '*' })
    .groupBy('mode')
    .select<DbRow[]>(
      'mode',
      ...durationBoundsSeconds.map((b, i) => db.raw(`sum(case when ${elapsed} <= ? then 1 else 0 end) as b${i}`, [Math.round(b * 1000)])),
      db.raw(`sum(${elapsed}) as total_ms`),
    );
  const invoices = await db('invoices').where('kind', 'invoice').count({ n: '*' }).groupBy('mode').select<DbRow[]>('mode');
  const creditNotes = await countRows(db('invoices').where('kind', 'credit_note'));
  const deliveries = await db('deliveries as d')
    .join('integrations as g', 'g.id', 'd.integration_id')
    .count({ n: '*' })
    .groupBy('g.type', 'd.status')
    .select<DbRow[]>('g.type', 'd.status');
  const attempts = await db('delivery_attempts as a')
    .join('deliveries as d', 'd.id', 'a.delivery_id')
    .join('integrations as g', 'g.id', 'd.integration_id')
    .count({ n: '*' })
    .groupBy('g.type', 'a.status')
    .select<DbRow[]>('g.type', 'a.status');
  return {
    runs: runs.map((r) => ({ mode: r.mode as string, status: r.status as string, count: Number(r.n) })),
    interruptedRuns,
    runDurations: durations.map((r) => ({
      mode: r.mode as string,
      atMost: durationBoundsSeconds.map((_, i) => Number(r[`b${i}`] ?? 0)),
      count: Number(r.n),
      sumSeconds: Number(r.total_ms ?? 0) / 1000,
    })),
    invoices: invoices.map((r) => ({ mode: r.mode as string, count: Number(r.n) })),
    creditNotes,
    deliveries: deliveries.map((r) => ({ integration: r.type as string, status: r.status as string, count: Number(r.n) })),
    attempts: attempts.map((r) => ({ integration: r.type as string, status: r.status as string, count: Number(r.n) })),
  };
}
