/**
 * Accounting integrations as stored (SPEC §4): their settings (parsed once, here), schedule state and
 * last result.
 */
import type { Knex } from 'knex';
import { parseIntegrationSettings, type IntegrationType, type TypedSettings } from '../domain/integration-settings.js';
import { firstRunAt, formatSchedule, parseSchedule } from '../domain/schedule.js';
import { valueById } from './bulk-insert.js';
import { retryOnConflict } from './connect.js';
import { numberOrNull, type DbRow } from './read-rows.js';

export type IntegrationRecord = TypedSettings & {
  id: number;
  companyId: number;
  companyCode: string;
  timezone: string;
  enabled: boolean;
  includeOrdersWithErrors: boolean;
  startingFrom: string | null;
  schedule: string | null;
  nextInvoiceAt: number | null;
  lastRunAt: number | null;
  lastResult: unknown;
};

export function toIntegrationRecord(r: DbRow): IntegrationRecord {
  return {
    ...parseIntegrationSettings(r.type as IntegrationType, r.settings as string),
    id: Number(r.id),
    companyId: Number(r.company_id),
    companyCode: r.company_code as string,
    timezone: r.timezone as string,
    enabled: Boolean(r.enabled),
    includeOrdersWithErrors: Boolean(r.include_orders_with_errors),
    startingFrom: (r.starting_from as string | null) ?? null,
    schedule: (r.schedule as string | null) ?? null,
    nextInvoiceAt: numberOrNull(r.next_invoice_at),
    lastRunAt: numberOrNull(r.last_run_at),
    lastResult: r.last_result ? (JSON.parse(r.last_result as string) as unknown) : null,
  };
}

const integrationsQuery = (db: Knex) => db('integrations as g').join('companies as c', 'c.id', 'g.company_id');
const INTEGRATION_COLUMNS = ['g.*', 'c.code as company_code', 'c.timezone as timezone'];

export async function listIntegrations(db: Knex, filter: { companyCode?: string; enabledOnly?: boolean } = {}): Promise<IntegrationRecord[]> {
  const q = integrationsQuery(db).orderBy([
    { column: 'c.code', order: 'asc' },
    { column: 'g.type', order: 'asc' },
  ]);
  if (filter.companyCode !== undefined) q.where('c.code', filter.companyCode);
  if (filter.enabledOnly) q.where('g.enabled', true);
  return (await q.select<DbRow[]>(INTEGRATION_COLUMNS)).map(toIntegrationRecord);
}

/** Enabled integrations due as of `at` whose lease is free or expired, most overdue first. */
export async function listDueIntegrations(db: Knex, at: number, now: number): Promise<IntegrationRecord[]> {
  const rows = await integrationsQuery(db)
    .where('g.enabled', true)
    .where('g.next_invoice_at', '<=', at)
    .where((w) => w.whereNull('g.lease_until').orWhere('g.lease_until', '<', now))
    .orderBy(['g.next_invoice_at', 'g.id'])
    .select<DbRow[]>(INTEGRATION_COLUMNS);
  return rows.map(toIntegrationRecord);
}

/** Enabled integrations that have no next run yet (newly enabled), with their company's time zone. */
export async function listIntegrationsAwaitingFirstRun(db: Knex): Promise<Array<{ id: number; timezone: string }>> {
  const rows = await db('integrations as g')
    .join('companies as c', 'c.id', 'g.company_id')
    .where('g.enabled', true)
    .whereNull('g.next_invoice_at')
    .select<Array<{ id: number | string; timezone: string }>>('g.id', 'c.timezone');
  return rows.map((r) => ({ id: Number(r.id), timezone: r.timezone }));
}

/** Sets an integration's first run, unless a worker has set one meanwhile. */
export async function setFirstRunAt(db: Knex, id: number, at: number, now: number): Promise<void> {
  await retryOnConflict(() => db('integrations').where('id', id).whereNull('next_invoice_at').update({ next_invoice_at: at, updated_at: now }));
}

/**
 * Each integration's last run time and result, in one statement. With `leaseToken`, only integrations
 * this lease still holds are written: a run whose lease was taken over does not overwrite the new run's result.
 */
export async function recordLastResults(
  db: Knex,
  results: ReadonlyArray<{ integrationId: number; result: unknown }>,
  runAt: number,
  now: number,
  leaseToken?: string,
): Promise<void> {
  if (results.length === 0) return;
  await retryOnConflict(() => {
    const q = db('integrations')
      .whereIn(
        'id',
        results.map((r) => r.integrationId),
      )
      .update({
        last_run_at: runAt,
        last_result: valueById(
          db,
          results.map((r) => [r.integrationId, JSON.stringify(r.result)] as const),
        ),
        updated_at: now,
      });
    if (leaseToken !== undefined) q.where('lease_owner', leaseToken);
    return q;
  });
}

/**
 * The stored integration in the import format (SPEC §6), without `nextInvoiceAt`: what `load` and the
 * API accept, so a stored integration can be shown, patched and validated again.
 */
export function integrationAsImport(g: IntegrationRecord): Record<string, unknown> {
  return {
    type: g.type,
    enabled: g.enabled,
    includeOrdersWithErrors: g.includeOrdersWithErrors,
    startingFrom: g.startingFrom,
    schedule: g.schedule,
    ...g.settings,
  };
}

/**
 * When the integration runs next: its stored time, or — enabled but not yet picked up by a worker — the
 * next full local hour (seed 004); null when disabled.
 */
export function upcomingRunAt(g: IntegrationRecord, now: number): number | null {
  return g.enabled ? (g.nextInvoiceAt ?? firstRunAt(g.timezone, now)) : null;
}

/** The schedule as the scheduler reads it, in canonical form ("weekly" when unset). */
export const scheduleText = (g: IntegrationRecord): string => formatSchedule(parseSchedule(g.schedule));
