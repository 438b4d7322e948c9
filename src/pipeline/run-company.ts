/**
 * One run for one company (SPEC §4):
 *  - an integration run invoices under that integration's filters, queues deliveries for every enabled
 *    integration, then delivers all of that integration's pending deliveries;
 *  - a manual run (`--as`) invoices with its own options and delivers through every enabled integration.
 * Each run is recorded in the run log with its report.
 */
import type { Knex } from 'knex';
import type { Clock } from '../domain/clock.js';
import { emptySkipCounts, startingFromInstant, type EligibilityRules, type SkipCounts } from '../domain/eligibility.js';
import { insertReturningIds, valueById } from '../db/bulk-insert.js';
import { retryOnConflict } from '../db/connect.js';
import { inputError } from '../domain/errors.js';
import { isValidDate, parseInstant } from '../domain/text-rules.js';
import { listIntegrations, type IntegrationRecord, type IntegrationType } from '../db/integrations-repo.js';
import type { DeliveryFilter } from './deliver-pending.js';
import { idsAreDerivable, invoiceCompany, type IssuedInvoice } from './invoice-company.js';
import { resolveParties, type RunParties } from './resolve-parties.js';

export interface DeliveryOutcome {
  deliveryId: number;
  invoice: string;
  integrationId: number;
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
  await retryOnConflict(() =>
    db('runs')
      .where('id', runId)
      .update({ status, finished_at: now, report: JSON.stringify(report), error }),
  );
}

/** The run log entries of several automatic runs (the scheduler's batches), in one statement. */
export async function startAutoRuns(db: Knex, runs: Array<{ parties: RunParties; integrationId: number }>, asOf: number, now: number): Promise<number[]> {
  const rows = runs.map((r) => [r.parties.buyer.id, r.integrationId, 'auto', null, 'running', asOf, now]);
  const columns = ['company_id', 'integration_id', 'mode', 'user_id', 'status', 'as_of', 'started_at'];
  if (await idsAreDerivable(db)) return insertReturningIds(db, 'runs', columns, rows);
  const ids: number[] = [];
  for (const r of runs) ids.push(await startRun(db, r.parties, 'auto', r.integrationId, asOf, now));
  return ids;
}

/** Run log entries of these integrations left `running` by a process that died: failed, interrupted. */
export async function closeInterruptedRuns(db: Knex, integrationIds: number[], now: number): Promise<void> {
  if (integrationIds.length === 0) return;
  await retryOnConflict(() =>
    db('runs')
      .whereIn('integration_id', integrationIds)
      .where('status', 'running')
      .update({ status: 'failed', finished_at: now, error: 'interrupted: the process running it stopped before it finished; the next run redid its work' }),
  );
}

/** Finishes several runs in one statement. */
export async function finishRuns(
  db: Knex,
  runs: Array<{ runId: number; status: 'ok' | 'failed'; report: unknown; error: string | null }>,
  now: number,
): Promise<void> {
  if (runs.length === 0) return;
  const caseOf = (value: (r: (typeof runs)[number]) => unknown) =>
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

/** An integration's eligibility rules (its stored startingFrom may be bad: that is the run's input error). */
export function integrationRules(integration: IntegrationRecord, parties: RunParties): EligibilityRules {
  return { includeErrors: integration.includeOrdersWithErrors, startingFrom: parseFrom(integration.startingFrom, parties.buyer.timezone) };
}

/** What an integration run reports in the run log. */
export function runLogSummary(result: IntegrationRunResult): { invoices: string[]; skipped: SkipCounts; deliveries: { sent: number; failed: number } } {
  return {
    invoices: result.invoices.map((i) => i.number),
    skipped: result.skipped,
    deliveries: { sent: result.deliveries.filter((d) => d.status === 'sent').length, failed: result.deliveries.filter((d) => d.status === 'failed').length },
  };
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
    return {
      company: parties.buyer.code,
      mode: 'manual',
      dryRun: true,
      invoices: preview.invoices.map(publicInvoice),
      skipped: preview.skipped,
      deliveries: [],
    };
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
    await finishRun(db, runId, 'ok', runLogSummary({ invoices: result.invoices, skipped: result.skipped, deliveries }), null, clock.now());
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
    skipped: emptySkipCounts(),
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
      await retryOnConflict(() =>
        db('integrations')
          .where('id', integration.id)
          .update({ last_run_at: asOf, last_result: JSON.stringify(lastResultOf(result)), updated_at: clock.now() }),
      );
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
