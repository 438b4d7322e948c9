/**
 * Accounting integrations as stored (SPEC §4).
 */
import type { Knex } from 'knex';
import { firstRunAt, formatSchedule, parseSchedule } from '../domain/schedule.js';

import type { IntegrationType } from '../../integrations/contract.js';
import type { PdfEmailerSettings } from '../../integrations/pdf-emailer/pdf-emailer-driver.js';
import type { XmlSftpSettings } from '../../integrations/xml-sftp/xml-sftp-driver.js';

export type { IntegrationType, PdfEmailerSettings, XmlSftpSettings };

export interface IntegrationRecord {
  id: number;
  companyId: number;
  companyCode: string;
  timezone: string;
  type: IntegrationType;
  enabled: boolean;
  includeOrdersWithErrors: boolean;
  startingFrom: string | null;
  schedule: string | null;
  nextInvoiceAt: number | null;
  settings: PdfEmailerSettings | XmlSftpSettings;
  lastRunAt: number | null;
  lastResult: unknown;
}

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function toIntegrationRecord(r: Row): IntegrationRecord {
  return {
    id: Number(r.id),
    companyId: Number(r.company_id),
    companyCode: r.company_code as string,
    timezone: r.timezone as string,
    type: r.type as IntegrationType,
    enabled: Boolean(r.enabled),
    includeOrdersWithErrors: Boolean(r.include_orders_with_errors),
    startingFrom: (r.starting_from as string | null) ?? null,
    schedule: (r.schedule as string | null) ?? null,
    nextInvoiceAt: num(r.next_invoice_at),
    settings: JSON.parse(r.settings as string) as PdfEmailerSettings | XmlSftpSettings,
    lastRunAt: num(r.last_run_at),
    lastResult: r.last_result ? (JSON.parse(r.last_result as string) as unknown) : null,
  };
}

export function integrationsQuery(db: Knex): Knex.QueryBuilder {
  return db('integrations as g')
    .join('companies as c', 'c.id', 'g.company_id')
    .select('g.*', 'c.code as company_code', 'c.timezone as timezone')
    .orderBy([
      { column: 'c.code', order: 'asc' },
      { column: 'g.type', order: 'asc' },
    ]);
}

export async function listIntegrations(db: Knex, filter: { companyCode?: string; enabledOnly?: boolean } = {}): Promise<IntegrationRecord[]> {
  const q = integrationsQuery(db);
  if (filter.companyCode !== undefined) q.where('c.code', filter.companyCode);
  if (filter.enabledOnly) q.where('g.enabled', true);
  return ((await q) as Row[]).map(toIntegrationRecord);
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
