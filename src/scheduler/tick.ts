/**
 * One scheduler tick as of `at`:
 *  1. integrations enabled with no nextInvoiceAt get their first run: the next full local hour (seed 004);
 *  2. every due integration is claimed with a lease (a conditional UPDATE, so among any number of
 *     workers sharing the database exactly one wins), run, given its next run time, and released;
 *  3. failed deliveries whose back-off has passed, and deliveries whose sender died, are retried.
 *
 * `at` decides what is due (it is the scheduler's notion of now, `--at` in tests); leases use the real
 * clock, since they guard against real processes dying.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { AppError } from '../domain/errors.js';
import { firstRunAt, nextRunAfterRun, parseSchedule } from '../domain/schedule.js';
import { integrationsQuery, toIntegrationRecord, type IntegrationRecord } from '../db/integrations-repo.js';
import { createAutoPartiesResolver } from '../pipeline/resolve-parties.js';
import { lastResultOf, runIntegration, type RunDeps, type IntegrationRunResult } from '../pipeline/run-company.js';

type PartiesResolver = ReturnType<typeof createAutoPartiesResolver>;

export interface TickDeps extends RunDeps {
  workerId: string;
  leaseSeconds: number;
  concurrency: number;
  log: Logger;
  /** Set when the worker is stopping: integrations not yet started are left for the next tick */
  stopping?: () => boolean;
  /** Retries due failed deliveries; included in a tick by default */
  retryDeliveries?: () => Promise<number>;
  /** Ends the delivery sessions the tick's runs shared (see shared-sessions.ts) */
  closeSessions?: () => Promise<void>;
}

export interface TickRunSummary {
  company: string;
  type: string;
  dueAt: string;
  invoices: string[];
  skipped: IntegrationRunResult['skipped'];
  deliveries: { sent: number; failed: number };
  nextInvoiceAt: string;
  ms: number;
  error?: string;
}

export interface TickReport {
  at: string;
  ran: TickRunSummary[];
  initialised: number;
  deliveriesRetried: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

async function initialiseFirstRuns(deps: TickDeps, at: number): Promise<number> {
  const rows = (await deps
    .db('integrations as g')
    .join('companies as c', 'c.id', 'g.company_id')
    .where('g.enabled', true)
    .whereNull('g.next_invoice_at')
    .select('g.id', 'c.timezone')) as Array<{ id: number; timezone: string }>;
  for (const r of rows) {
    await deps
      .db('integrations')
      .where('id', r.id)
      .whereNull('next_invoice_at')
      .update({ next_invoice_at: firstRunAt(r.timezone, at), updated_at: deps.clock.now() });
  }
  return rows.length;
}

async function claim(deps: TickDeps, id: number, at: number, token: string): Promise<boolean> {
  const now = deps.clock.now();
  const changed = await deps
    .db('integrations')
    .where('id', id)
    .where('enabled', true)
    .where('next_invoice_at', '<=', at)
    .where((w) => w.whereNull('lease_until').orWhere('lease_until', '<', now))
    .update({ lease_owner: token, lease_until: now + deps.leaseSeconds * 1000 });
  return changed === 1;
}

async function runClaimed(deps: TickDeps, integration: IntegrationRecord, at: number, token: string, partiesOf: PartiesResolver): Promise<TickRunSummary> {
  const started = deps.clock.now();
  const dueAt = integration.nextInvoiceAt ?? at;
  let summary: TickRunSummary;
  let lastResult: Record<string, unknown>;
  // Until the schedule is known (a bad stored schedule or time zone throws), a failed run retries in an hour
  let nextInvoiceAt = Math.max(at, dueAt) + 3600_000;
  try {
    // The late run happens once; the next is the first slot after max(this run, the slot it was due for)
    const next = nextRunAfterRun(parseSchedule(integration.schedule), integration.timezone, at, dueAt);
    nextInvoiceAt = next;
    const result = await runIntegration(deps, integration, at, { parties: await partiesOf(integration.companyCode) });
    lastResult = lastResultOf(result);
    summary = {
      company: integration.companyCode,
      type: integration.type,
      dueAt: iso(dueAt),
      invoices: result.invoices.map((i) => i.number),
      skipped: result.skipped,
      deliveries: { sent: result.deliveries.filter((d) => d.status === 'sent').length, failed: result.deliveries.filter((d) => d.status === 'failed').length },
      nextInvoiceAt: iso(next),
      ms: deps.clock.now() - started,
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // A configuration problem waits for the next slot; anything else is tried again on the next tick
    const isConfig = err instanceof AppError && (err.code === 'INPUT' || err.code === 'NOT_FOUND');
    if (!isConfig) nextInvoiceAt = dueAt;
    lastResult = { status: 'error', error: message };
    summary = {
      company: integration.companyCode,
      type: integration.type,
      dueAt: iso(dueAt),
      invoices: [],
      skipped: { onHold: 0, withErrors: 0, beforeStartingFrom: 0, cancelled: 0, notDispatched: 0 },
      deliveries: { sent: 0, failed: 0 },
      nextInvoiceAt: iso(nextInvoiceAt),
      ms: deps.clock.now() - started,
      error: message,
    };
  }
  await deps
    .db('integrations')
    .where({ id: integration.id, lease_owner: token })
    .update({
      next_invoice_at: nextInvoiceAt,
      last_run_at: at,
      last_result: JSON.stringify(lastResult),
      lease_owner: null,
      lease_until: null,
      updated_at: deps.clock.now(),
    });
  const log = summary.error ? deps.log.error.bind(deps.log) : deps.log.info.bind(deps.log);
  log({ event: 'integration-run', integration: integration.type, integrationId: integration.id, ...summary }, summary.error ? 'integration run failed' : 'integration ran');
  return summary;
}

export async function runTick(deps: TickDeps, at: number): Promise<TickReport> {
  const initialised = await initialiseFirstRuns(deps, at);
  // The due integrations, read whole: a run uses this record once its claim (which re-checks that the
  // integration is still enabled and due) succeeds
  const due = ((await integrationsQuery(deps.db)
    .where('g.enabled', true)
    .where('g.next_invoice_at', '<=', at)
    .where((w) => w.whereNull('g.lease_until').orWhere('g.lease_until', '<', deps.clock.now()))
    .clearOrder()
    .orderBy(['g.next_invoice_at', 'g.id'])) as Array<Record<string, unknown>>).map(toIntegrationRecord);
  const limit = pLimit(deps.concurrency);
  // Sellers and admins are read once per tick, not once per run
  const partiesOf = createAutoPartiesResolver(deps.db);
  try {
    const ran = (
      await Promise.all(
        due.map((integration) =>
          limit(async () => {
            if (deps.stopping?.()) return null;
            const token = `${deps.workerId}:${randomUUID()}`;
            if (!(await claim(deps, integration.id, at, token))) return null;
            return runClaimed(deps, integration, at, token, partiesOf);
          }),
        ),
      )
    ).filter((r): r is TickRunSummary => r !== null);
    const deliveriesRetried = deps.stopping?.() ? 0 : ((await deps.retryDeliveries?.()) ?? 0);
    return { at: iso(at), ran, initialised, deliveriesRetried };
  } finally {
    await deps.closeSessions?.();
  }
}
