/**
 * One scheduler tick as of `at`:
 *  1. integrations enabled with no nextInvoiceAt get their first run: the next full local hour (seed 004);
 *  2. every due integration is claimed with a lease (a conditional UPDATE, so among any number of
 *     workers sharing the database exactly one wins), run by the run orchestrator
 *     (src/pipeline/run-integrations.ts), given its next run time, and released. Due integrations go in
 *     batches of up to OMS_WORKER_BATCH companies sharing a sequence owner (plan-batches.ts);
 *  3. failed deliveries whose back-off has passed, and deliveries whose sender died, are retried.
 *
 * `at` decides what is due (it is the scheduler's notion of now, `--at` in tests); leases use the real
 * clock, since they guard against real processes dying.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { claimIntegrations, releaseIntegrations, renewIntegrationLeases } from '../db/integration-leases.js';
import { listDueIntegrations, listIntegrationsAwaitingFirstRun, setFirstRunAt } from '../db/integrations-repo.js';
import { renewEvery } from '../db/leases.js';
import type { RunParties } from '../domain/company.js';
import { emptySkipCounts, type SkipCounts } from '../domain/eligibility.js';
import { AppError } from '../domain/errors.js';
import { firstRunAt, nextRunAfterRun, parseSchedule } from '../domain/schedule.js';
import { createAutoPartiesResolver } from '../pipeline/resolve-parties.js';
import { runIntegrations, type MemberOutcome, type RunDeps } from '../pipeline/run-integrations.js';
import { runLogSummary } from '../pipeline/run-report.js';
import { BATCH_COMPANIES, batchSizeForTick, planBatches, type Batch } from './plan-batches.js';

export interface TickDeps extends RunDeps {
  workerId: string;
  leaseSeconds: number;
  concurrency: number;
  /** Most companies per batch (OMS_WORKER_BATCH) */
  batch?: number;
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
  skipped: SkipCounts;
  deliveries: { sent: number; failed: number };
  nextInvoiceAt: string;
  ms: number;
  /** The run failed: why (nothing was delivered; the run is tried again) */
  error?: string;
  /** Some deliveries failed: the first one's reason (each is retried on its own back-off) */
  deliveryError?: string;
}

export interface TickReport {
  at: string;
  ran: TickRunSummary[];
  initialised: number;
  deliveriesRetried: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

async function initialiseFirstRuns(deps: TickDeps, at: number): Promise<number> {
  const waiting = await listIntegrationsAwaitingFirstRun(deps.db);
  for (const g of waiting) await setFirstRunAt(deps.db, g.id, firstRunAt(g.timezone, at), deps.clock.now());
  return waiting.length;
}

/** The next run time of (schedule, time zone, slot due) as of the tick's time: pure, so computed once per tick. */
type NextRun = (schedule: string | null, timezone: string, dueAt: number) => number;

function nextRunMemo(at: number): NextRun {
  const memo = new Map<string, number>();
  return (schedule, timezone, dueAt) => {
    const key = JSON.stringify([schedule, timezone, dueAt]);
    let next = memo.get(key);
    if (next === undefined) memo.set(key, (next = nextRunAfterRun(parseSchedule(schedule), timezone, at, dueAt)));
    return next;
  };
}

// A configuration problem waits for the next slot; anything else is tried again on the next tick
const isConfigError = (err: Error) => err instanceof AppError && (err.code === 'INPUT' || err.code === 'NOT_FOUND');

/**
 * When an integration runs next: the first slot after max(this run, the slot it was due for) — a late run
 * happens once —; the slot it was due for again if the run failed for a reason that may pass; an hour on
 * if its stored schedule cannot be read.
 */
function nextInvoiceAt(outcome: MemberOutcome, dueAt: number, next: number | Error, at: number): number {
  if (outcome.status === 'failed' && !isConfigError(outcome.error)) return dueAt;
  return next instanceof Error ? Math.max(at, dueAt) + 3600_000 : next;
}

function summarise(deps: TickDeps, outcome: MemberOutcome, dueAt: number, next: number, ms: number): TickRunSummary {
  const integration = outcome.member.trigger.kind === 'integration' ? outcome.member.trigger.integration : null;
  const summary: TickRunSummary = {
    company: outcome.member.companyCode,
    type: integration?.type ?? 'manual',
    dueAt: iso(dueAt),
    ...(outcome.status === 'ok' ? runLogSummary(outcome) : { invoices: [], skipped: emptySkipCounts(), deliveries: { sent: 0, failed: 0 } }),
    nextInvoiceAt: iso(next),
    ms,
    ...(outcome.status === 'failed' ? { error: outcome.error.message } : {}),
  };
  const failedDelivery = outcome.status === 'ok' ? outcome.deliveries.find((d) => d.status === 'failed') : undefined;
  if (failedDelivery) summary.deliveryError = `${failedDelivery.invoice}: ${failedDelivery.error ?? 'failed'}`;
  const fields = { event: 'integration-run', integration: integration?.type, integrationId: integration?.id, ...summary };
  if (outcome.status === 'failed') deps.log.error(fields, 'integration run failed');
  else if (failedDelivery) deps.log.warn(fields, 'integration ran; some deliveries failed');
  else deps.log.info(fields, 'integration ran');
  return summary;
}

/**
 * One batch: claim its integrations; run the ones won through the orchestrator (one invoicing transaction,
 * one outbox pass, statements per batch); give each its next run time and release it.
 */
async function runBatch(deps: TickDeps, batch: Batch, at: number, nextRun: NextRun): Promise<Array<TickRunSummary & { order: number }>> {
  const { db, clock } = deps;
  const started = clock.now();
  const token = `${deps.workerId}:${randomUUID()}`;
  const leaseMs = deps.leaseSeconds * 1000;
  const won = await claimIntegrations(
    db,
    batch.members.map((m) => m.integration.id),
    at,
    token,
    clock.now(),
    leaseMs,
  );
  if (won.size === 0) return [];
  // The lease is renewed while the batch runs, so that a slow batch is never taken by another worker
  const renewal = renewEvery(leaseMs, () =>
    renewIntegrationLeases(db, [...won], token, clock.now() + leaseMs).catch((err: unknown) => deps.log.warn({ err }, 'could not renew a lease')),
  );
  try {
    const claimed = batch.members
      .filter((m) => won.has(m.integration.id))
      .map((m) => {
        const dueAt = m.integration.nextInvoiceAt ?? at;
        let next: number | Error;
        try {
          next = nextRun(m.integration.schedule, m.integration.timezone, dueAt);
        } catch (err) {
          // A bad stored schedule or time zone: the run fails with it
          next = err instanceof Error ? err : new Error(String(err));
        }
        return { ...m, dueAt, next };
      });
    const outcomes = await runIntegrations(deps, {
      asOf: at,
      leaseToken: token,
      members: claimed.map((c) => ({
        companyCode: c.integration.companyCode,
        parties: c.next instanceof Error ? c.next : c.parties,
        trigger: { kind: 'integration', integration: c.integration },
      })),
    });
    const nextTimes = outcomes.map((o, i) => nextInvoiceAt(o, claimed[i]!.dueAt, claimed[i]!.next, at));
    const released = await releaseIntegrations(
      db,
      token,
      claimed.map((c, i) => ({ integrationId: c.integration.id, nextInvoiceAt: nextTimes[i]! })),
      clock.now(),
    );
    if (released !== claimed.length) {
      // Not expected while the lease is renewed; if it happens, another worker has run these integrations
      deps.log.warn({ integrations: claimed.map((c) => c.integration.id), released }, 'some leases had been lost before their release');
    }
    const ms = clock.now() - started;
    return outcomes.map((o, i) => Object.assign(summarise(deps, o, claimed[i]!.dueAt, nextTimes[i]!, ms), { order: claimed[i]!.order }));
  } finally {
    renewal.stop();
  }
}

export async function runTick(deps: TickDeps, at: number): Promise<TickReport> {
  const initialised = await initialiseFirstRuns(deps, at);
  // The due integrations, read whole: a run uses this record once its claim (which re-checks that the
  // integration is still enabled and due) succeeds
  const due = await listDueIntegrations(deps.db, at, deps.clock.now());
  const limit = pLimit(deps.concurrency);
  // Buyers are read together, sellers and admins once per tick
  const parties: Map<string, RunParties | Error> =
    due.length > 0 ? await createAutoPartiesResolver(deps.db).many(due.map((i) => i.companyCode)) : new Map<string, RunParties | AppError>();
  const nextRun = nextRunMemo(at);
  try {
    const runOne = async (batch: Batch): Promise<Array<TickRunSummary & { order: number }>> => {
      if (deps.stopping?.()) return [];
      try {
        return await runBatch(deps, batch, at, nextRun);
      } catch (err) {
        // Its integrations stay leased until the lease expires, then run again
        deps.log.error({ err, integrations: batch.members.map((m) => m.integration.id) }, 'batch failed');
        return [];
      }
    };
    const batches = planBatches(due, parties, batchSizeForTick(due.length, deps.concurrency, deps.batch ?? BATCH_COMPANIES));
    const ran = (await Promise.all(batches.map((batch) => limit(() => runOne(batch)))))
      .flat()
      .sort((a, b) => a.order - b.order)
      .map(({ order: _order, ...summary }) => summary);
    const deliveriesRetried = deps.stopping?.() ? 0 : ((await deps.retryDeliveries?.()) ?? 0);
    return { at: iso(at), ran, initialised, deliveriesRetried };
  } finally {
    await deps.closeSessions?.();
  }
}
