/**
 * One run for one company (SPEC §4):
 *  - an integration run invoices under that integration's filters, queues deliveries for every enabled
 *    integration, then delivers all of that integration's pending deliveries;
 *  - a manual run (`--as`) invoices with its own options and delivers through every enabled integration.
 * Each run is recorded in the run log with its report.
 */
import type { Knex } from 'knex';
import type { Clock } from '../domain/clock.js';
import { startingFromInstant, type SkipCounts } from '../domain/eligibility.js';
import { inputError } from '../domain/errors.js';
import { isValidDate, parseInstant } from '../domain/text-rules.js';
import { listIntegrations, type IntegrationRecord, type IntegrationType } from '../db/integrations-repo.js';
import type { DeliveryFilter } from './deliver-pending.js';
import { invoiceCompany, type IssuedInvoice } from './invoice-company.js';
import { resolveParties, type RunParties } from './resolve-parties.js';

export interface DeliveryOutcome {
  deliveryId: number;
  invoice: string;
  integration: IntegrationType;
  status: 'pending' | 'sending' | 'sent' | 'failed';
  error: string | null;
  /** Characters of the invoice that no configured font could draw in its PDF */
  missingCharacters?: string[];
}

/** The distinct characters missing from any rendered PDF, for the run report; undefined when none. */
export function missingCharactersOf(outcomes: DeliveryOutcome[]): string[] | undefined {
  const all = new Set(outcomes.flatMap((o) => o.missingCharacters ?? []));
  return all.size > 0 ? [...all].sort() : undefined;
}

/** The outbox, seen from a run: deliver what is pending (and due) for these integrations or invoices. */
export interface Deliverer {
  deliverPending(filter: DeliveryFilter): Promise<DeliveryOutcome[]>;
}

export interface RunDeps {
  db: Knex;
  clock: Clock;
  deliverer: Deliverer;
}

export interface RunReport {
  company: string;
  mode: 'auto' | 'manual';
  dryRun: boolean;
  invoices: Array<Omit<IssuedInvoice, 'id'>>;
  skipped: SkipCounts;
  deliveries: Array<{ invoice: string; integration: IntegrationType; status: string; error: string | null }>;
  /** Auto runs: each integration that ran */
  integrations?: Array<{ type: IntegrationType; invoices: string[]; skipped: SkipCounts }>;
  /** Characters no configured font could draw, when a PDF was rendered */
  missingCharacters?: string[];
}

export interface ManualRunOptions {
  companyCode: string;
  userEmail: string;
  dryRun: boolean;
  includeErrors: boolean;
  from: string | null;
}

export interface IntegrationsRunOptions {
  companyCode: string;
  dryRun: boolean;
  /** Overrides: include orders with errors / use this startingFrom, whatever the integration says */
  includeErrors?: boolean;
  from?: string | null;
}

function parseFrom(from: string | null, timezone: string): number | null {
  if (from === null) return null;
  if (!isValidDate(from) && parseInstant(from) === null) {
    throw inputError([{ path: '--from', message: `must be a date like 2026-01-01 or a date-time with a time zone, got "${from}"` }]);
  }
  return startingFromInstant(from, timezone);
}

async function startRun(db: Knex, parties: RunParties, mode: 'auto' | 'manual', integrationId: number | null, asOf: number, now: number): Promise<number> {
  const [id] = await db('runs').insert({
    company_id: parties.buyer.id,
    integration_id: integrationId,
    mode,
    user_id: parties.user?.id ?? null,
    status: 'running',
    as_of: asOf,
    started_at: now,
  });
  return Number(id);
}

async function finishRun(db: Knex, runId: number, status: 'ok' | 'failed', report: unknown, error: string | null, now: number): Promise<void> {
  await db('runs').where('id', runId).update({ status, finished_at: now, report: JSON.stringify(report), error });
}

const publicInvoice = ({ id: _id, ...rest }: IssuedInvoice) => rest;
const publicDeliveries = (outcomes: DeliveryOutcome[]) =>
  outcomes.map((d) => ({ invoice: d.invoice, integration: d.integration, status: d.status, error: d.error }));

export async function runManual(deps: RunDeps, o: ManualRunOptions): Promise<RunReport> {
  const { db, clock } = deps;
  const parties = await resolveParties(db, o.companyCode, o.userEmail);
  const asOf = clock.now();
  const rules = { includeErrors: o.includeErrors, startingFrom: parseFrom(o.from, parties.buyer.timezone) };
  if (o.dryRun) {
    const preview = await invoiceCompany(db, { parties, mode: 'manual', asOf, rules, dryRun: true, runId: null, now: asOf });
    return { company: parties.buyer.code, mode: 'manual', dryRun: true, invoices: preview.invoices.map(publicInvoice), skipped: preview.skipped, deliveries: [] };
  }
  const runId = await startRun(db, parties, 'manual', null, asOf, clock.now());
  try {
    const result = await invoiceCompany(db, { parties, mode: 'manual', asOf, rules, dryRun: false, runId, now: clock.now() });
    const ids = result.invoices.map((i) => i.id!);
    const outcomes = ids.length > 0 ? await deps.deliverer.deliverPending({ invoiceIds: ids, ...(result.rows ? { known: result.rows() } : {}) }) : [];
    const report: RunReport = {
      company: parties.buyer.code,
      mode: 'manual',
      dryRun: false,
      invoices: result.invoices.map(publicInvoice),
      skipped: result.skipped,
      deliveries: publicDeliveries(outcomes),
      ...(missingCharactersOf(outcomes) ? { missingCharacters: missingCharactersOf(outcomes)! } : {}),
    };
    await finishRun(db, runId, 'ok', report, null, clock.now());
    return report;
  } catch (err) {
    await finishRun(db, runId, 'failed', null, err instanceof Error ? err.message : String(err), clock.now());
    throw err;
  }
}

export interface IntegrationRunResult {
  invoices: IssuedInvoice[];
  skipped: SkipCounts;
  deliveries: DeliveryOutcome[];
}

/** One integration's run as of `asOf` (the scheduler's tick or `run --company`). */
export async function runIntegration(
  deps: RunDeps,
  integration: IntegrationRecord,
  asOf: number,
  overrides: { includeErrors?: boolean; from?: string | null; dryRun?: boolean; parties?: RunParties } = {},
): Promise<IntegrationRunResult> {
  const { db, clock } = deps;
  const parties = overrides.parties ?? (await resolveParties(db, integration.companyCode, null));
  const from = overrides.from !== undefined && overrides.from !== null ? overrides.from : integration.startingFrom;
  const rules = {
    includeErrors: overrides.includeErrors === true || integration.includeOrdersWithErrors,
    startingFrom: parseFrom(from, parties.buyer.timezone),
  };
  if (overrides.dryRun) {
    const preview = await invoiceCompany(db, { parties, mode: 'auto', asOf, rules, dryRun: true, runId: null, now: asOf });
    return { invoices: preview.invoices, skipped: preview.skipped, deliveries: [] };
  }
  const runId = await startRun(db, parties, 'auto', integration.id, asOf, clock.now());
  try {
    const result = await invoiceCompany(db, { parties, mode: 'auto', asOf, rules, dryRun: false, runId, now: clock.now() });
    const deliveries = await deps.deliverer.deliverPending({ integrationIds: [integration.id], ...(result.rows ? { known: result.rows() } : {}) });
    const summary = {
      invoices: result.invoices.map((i) => i.number),
      skipped: result.skipped,
      deliveries: { sent: deliveries.filter((d) => d.status === 'sent').length, failed: deliveries.filter((d) => d.status === 'failed').length },
    };
    await finishRun(db, runId, 'ok', summary, null, clock.now());
    return { invoices: result.invoices, skipped: result.skipped, deliveries };
  } catch (err) {
    await finishRun(db, runId, 'failed', null, err instanceof Error ? err.message : String(err), clock.now());
    throw err;
  }
}

/** `run --company C` without `--as`: C's enabled integrations, one after another, as the scheduler would. */
export async function runCompanyIntegrations(deps: RunDeps, o: IntegrationsRunOptions): Promise<RunReport> {
  const { db, clock } = deps;
  const parties = await resolveParties(db, o.companyCode, null);
  const integrations = await listIntegrations(db, { companyCode: o.companyCode, enabledOnly: true });
  const report: RunReport = {
    company: parties.buyer.code,
    mode: 'auto',
    dryRun: o.dryRun,
    invoices: [],
    skipped: { onHold: 0, withErrors: 0, beforeStartingFrom: 0, cancelled: 0, notDispatched: 0 },
    deliveries: [],
    integrations: [],
  };
  for (const integration of integrations) {
    const asOf = clock.now();
    const result = await runIntegration(deps, integration, asOf, {
      parties,
      dryRun: o.dryRun,
      ...(o.includeErrors !== undefined ? { includeErrors: o.includeErrors } : {}),
      ...(o.from !== undefined ? { from: o.from } : {}),
    });
    report.invoices.push(...result.invoices.map(publicInvoice));
    // What is still left after the last integration's pass is what this run skipped
    report.skipped = result.skipped;
    report.deliveries.push(...publicDeliveries(result.deliveries));
    const missing = new Set([...(report.missingCharacters ?? []), ...(missingCharactersOf(result.deliveries) ?? [])]);
    if (missing.size > 0) report.missingCharacters = [...missing].sort();
    report.integrations!.push({ type: integration.type, invoices: result.invoices.map((i) => i.number), skipped: result.skipped });
    if (!o.dryRun) {
      await db('integrations')
        .where('id', integration.id)
        .update({ last_run_at: asOf, last_result: JSON.stringify(lastResultOf(result)), updated_at: clock.now() });
    }
  }
  return report;
}

export function lastResultOf(result: IntegrationRunResult): Record<string, unknown> {
  const failed = result.deliveries.filter((d) => d.status === 'failed');
  return {
    status: failed.length > 0 ? 'delivery_failed' : 'ok',
    invoices: result.invoices.map((i) => i.number),
    skipped: result.skipped,
    delivered: result.deliveries.filter((d) => d.status === 'sent').length,
    failed: failed.length,
    ...(failed.length > 0 ? { error: failed[0]!.error } : {}),
    ...(missingCharactersOf(result.deliveries) ? { missingCharacters: missingCharactersOf(result.deliveries) } : {}),
  };
}
