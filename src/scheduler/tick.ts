/**
 * One scheduler tick as of `at`:
 *  1. integrations enabled with no nextInvoiceAt get their first run: the next full local hour (seed 004);
 *  2. every due integration is claimed with a lease (a conditional UPDATE, so among any number of
 *     workers sharing the database exactly one wins), run, given its next run time, and released. Due
 *     integrations go in batches of up to OMS_WORKER_BATCH companies sharing a sequence owner, invoiced
 *     in one transaction and delivered together: statements per batch, not per run;
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
import { valueById } from '../db/bulk-insert.js';
import { retryOnConflict } from '../db/connect.js';
import { renewEvery } from '../db/leases.js';
import { emptySkipCounts, type EligibilityRules } from '../domain/eligibility.js';
import { invoiceCompanies, type IssuedInvoice } from '../pipeline/invoice-company.js';
import type { InvoiceRows } from '../pipeline/load-invoice-document.js';
import { createAutoPartiesResolver, type RunParties } from '../pipeline/resolve-parties.js';
import {
  closeInterruptedRuns,
  finishRuns,
  integrationRules,
  lastResultOf,
  runLogSummary,
  startAutoRuns,
  type RunDeps,
  type IntegrationRunResult,
  type DeliveryOutcome,
} from '../pipeline/run-company.js';

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
  skipped: IntegrationRunResult['skipped'];
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
  const rows = (await deps
    .db('integrations as g')
    .join('companies as c', 'c.id', 'g.company_id')
    .where('g.enabled', true)
    .whereNull('g.next_invoice_at')
    .select('g.id', 'c.timezone')) as Array<{ id: number; timezone: string }>;
  for (const r of rows) {
    await retryOnConflict(() =>
      deps
        .db('integrations')
        .where('id', r.id)
        .whereNull('next_invoice_at')
        .update({ next_invoice_at: firstRunAt(r.timezone, at), updated_at: deps.clock.now() }),
    );
  }
  return rows.length;
}

/**
 * Claims the batch's integrations with one conditional UPDATE (still enabled, still due, lease free or
 * expired), so that among any number of workers sharing the database exactly one wins each; returns the
 * ids this worker won.
 */
async function claim(deps: TickDeps, ids: number[], at: number, token: string): Promise<Set<number>> {
  const now = deps.clock.now();
  const changed = await retryOnConflict(() =>
    deps
      .db('integrations')
      .whereIn('id', ids)
      .where('enabled', true)
      .where('next_invoice_at', '<=', at)
      .where((w) => w.whereNull('lease_until').orWhere('lease_until', '<', now))
      .update({ lease_owner: token, lease_until: now + deps.leaseSeconds * 1000 }),
  );
  if (changed === ids.length) return new Set(ids);
  if (changed === 0) return new Set();
  const won = (await deps.db('integrations').whereIn('id', ids).where('lease_owner', token).select('id')) as Array<{ id: number | string }>;
  return new Set(won.map((r) => Number(r.id)));
}

/** Integrations run together: due ones of distinct companies sharing a sequence owner (see invoiceCompanies). */
interface Batch {
  members: Array<{ integration: IntegrationRecord; parties: RunParties | AppError; order: number }>;
  companies: Set<string>;
}

/** Companies per batch by default: enough to make the statements per run few, and a transaction short */
export const BATCH_COMPANIES = 50;

/**
 * The batch size for this tick: at most `max`, and small enough that there are four batches per slot of
 * concurrency, so that several workers ticking together share a small tick, and a stopping worker has
 * little in flight.
 */
export function batchSizeForTick(due: number, concurrency: number, max: number): number {
  return Math.max(1, Math.min(max, Math.ceil(due / (4 * concurrency))));
}

/**
 * Groups the due integrations (in due order) into batches per sequence owner. A company with several due
 * integrations has them in successive batches, so that the first invoices and the others deliver. One
 * whose parties cannot be resolved (no supplier above it, …) runs alone and fails with that reason.
 */
function planBatches(due: IntegrationRecord[], parties: Map<string, RunParties | AppError>, size: number): Batch[] {
  const batches: Batch[] = [];
  const open = new Map<number, Batch[]>();
  due.forEach((integration, order) => {
    const p = parties.get(integration.companyCode)!;
    const member = { integration, parties: p, order };
    if (p instanceof AppError) {
      batches.push({ members: [member], companies: new Set([integration.companyCode]) });
      return;
    }
    const ownerBatches = open.get(p.sequenceOwner.id) ?? [];
    open.set(p.sequenceOwner.id, ownerBatches);
    let batch = ownerBatches.find((b) => b.members.length < size && !b.companies.has(integration.companyCode));
    if (!batch) {
      batch = { members: [], companies: new Set() };
      ownerBatches.push(batch);
      batches.push(batch);
    }
    batch.members.push(member);
    batch.companies.add(integration.companyCode);
  });
  return batches;
}

interface MemberOutcome {
  integration: IntegrationRecord;
  order: number;
  dueAt: number;
  nextInvoiceAt: number;
  result: IntegrationRunResult | null;
  error: Error | null;
  runId: number | null;
}

const errorOf = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));
// A configuration problem waits for the next slot; anything else is tried again on the next tick
const isConfigError = (err: Error) => err instanceof AppError && (err.code === 'INPUT' || err.code === 'NOT_FOUND');

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

/**
 * One batch: claim; invoice the claimed companies in one transaction (alone, each, if that fails); deliver
 * the claimed integrations' pending deliveries; finish the run log; give each integration its next run
 * time and release it. Statements per batch, not per run.
 */
async function runBatch(deps: TickDeps, batch: Batch, at: number, nextRun: NextRun): Promise<Array<TickRunSummary & { order: number }>> {
  const { db, clock } = deps;
  const started = clock.now();
  const token = `${deps.workerId}:${randomUUID()}`;
  const won = await claim(
    deps,
    batch.members.map((m) => m.integration.id),
    at,
    token,
  );
  if (won.size === 0) return [];
  // The lease is renewed while the batch runs, so that a slow batch is never taken by another worker
  const renewal = renewEvery(deps.leaseSeconds * 1000, () =>
    retryOnConflict(() =>
      db('integrations')
        .whereIn('id', [...won])
        .where('lease_owner', token)
        .update({ lease_until: clock.now() + deps.leaseSeconds * 1000 }),
    ).then(
      () => undefined,
      (err: unknown) => deps.log.warn({ err }, 'could not renew a lease'),
    ),
  );
  try {
    return await runClaimedBatch(deps, batch, at, nextRun, token, won, started);
  } finally {
    renewal.stop();
  }
}

async function runClaimedBatch(
  deps: TickDeps,
  batch: Batch,
  at: number,
  nextRun: NextRun,
  token: string,
  won: Set<number>,
  started: number,
): Promise<Array<TickRunSummary & { order: number }>> {
  const { db, clock } = deps;
  const outcomes: MemberOutcome[] = [];
  const ready: Array<{ outcome: MemberOutcome; parties: RunParties; rules: EligibilityRules }> = [];
  for (const m of batch.members) {
    if (!won.has(m.integration.id)) continue;
    const { integration } = m;
    const dueAt = integration.nextInvoiceAt ?? at;
    // Until the schedule is known (a bad stored schedule or time zone throws), a failed run retries in an hour
    const outcome: MemberOutcome = {
      integration,
      order: m.order,
      dueAt,
      nextInvoiceAt: Math.max(at, dueAt) + 3600_000,
      result: null,
      error: null,
      runId: null,
    };
    outcomes.push(outcome);
    try {
      // The late run happens once; the next is the first slot after max(this run, the slot it was due for)
      outcome.nextInvoiceAt = nextRun(integration.schedule, integration.timezone, dueAt);
      if (m.parties instanceof AppError) throw m.parties;
      ready.push({ outcome, parties: m.parties, rules: integrationRules(integration, m.parties) });
    } catch (err) {
      outcome.error = errorOf(err);
    }
  }
  if (outcomes.length === 0) return [];

  try {
    // A run of these integrations still `running` in the log belongs to a process that died holding the
    // lease this batch now holds: it is closed as interrupted (this run redoes its work)
    await closeInterruptedRuns(
      db,
      outcomes.map((o) => o.integration.id),
      clock.now(),
    );
    if (ready.length > 0) {
      const runIds = await startAutoRuns(
        db,
        ready.map((r) => ({ parties: r.parties, integrationId: r.outcome.integration.id })),
        at,
        clock.now(),
      );
      ready.forEach((r, i) => (r.outcome.runId = runIds[i]!));
      const invoiced: Array<{ outcome: MemberOutcome; invoices: IssuedInvoice[]; skipped: IntegrationRunResult['skipped'] }> = [];
      const known: InvoiceRows = { invoices: [], lines: [], groups: [], orders: [] };
      // Throws only if the transaction failed (and so rolled back): what follows it cannot throw
      const invoice = async (group: typeof ready) => {
        const result = await invoiceCompanies(db, {
          mode: 'auto',
          asOf: at,
          now: clock.now(),
          members: group.map((r) => ({ parties: r.parties, rules: r.rules, runId: r.outcome.runId })),
        });
        return () => {
          group.forEach((r, i) => invoiced.push({ outcome: r.outcome, ...result.members[i]! }));
          if (result.members.some((m) => m.invoices.length > 0)) {
            const rows = result.rows();
            // (loops, not push(...rows): a large company has more lines than a call takes arguments)
            for (const key of ['invoices', 'lines', 'groups', 'orders'] as const) for (const row of rows[key]) known[key].push(row);
          }
        };
      };
      try {
        (await invoice(ready))();
      } catch (err) {
        // The batch rolled back: each company alone, so that one company's problem is its own
        if (ready.length === 1) ready[0]!.outcome.error = errorOf(err);
        else {
          for (const r of ready) {
            let record: () => void;
            try {
              record = await invoice([r]);
            } catch (alone) {
              r.outcome.error = errorOf(alone);
              continue;
            }
            record();
          }
        }
      }
      if (invoiced.length > 0) {
        const deliver = (ids: number[]) => deps.deliverer.deliverPending({ integrationIds: ids, ...(known.invoices.length > 0 ? { known } : {}) });
        let deliveries: DeliveryOutcome[] | null = null;
        try {
          deliveries = await deliver(invoiced.map((i) => i.outcome.integration.id));
        } catch (err) {
          // One integration's problem must not fail the others: each alone
          if (invoiced.length === 1) invoiced[0]!.outcome.error = errorOf(err);
        }
        for (const i of invoiced) {
          if (i.outcome.error) continue;
          let own = deliveries?.filter((d) => d.integrationId === i.outcome.integration.id);
          if (!own) {
            try {
              own = await deliver([i.outcome.integration.id]);
            } catch (alone) {
              i.outcome.error = errorOf(alone);
              continue;
            }
          }
          i.outcome.result = { invoices: i.invoices, skipped: i.skipped, deliveries: own };
        }
      }
      await finishRuns(
        db,
        ready.map(({ outcome: o }) =>
          o.error
            ? { runId: o.runId!, status: 'failed' as const, report: null, error: o.error.message }
            : { runId: o.runId!, status: 'ok' as const, report: runLogSummary(o.result!), error: null },
        ),
        clock.now(),
      );
    }
  } catch (err) {
    // The database failed outside the invoicing transaction (the run log, the outbox's own records): the
    // runs fail and are tried again on the next tick, which finds what was invoiced and delivers what is left
    for (const o of outcomes) o.error ??= errorOf(err);
  }

  for (const o of outcomes) if (o.error && !isConfigError(o.error)) o.nextInvoiceAt = o.dueAt;
  const lastResults = outcomes.map((o) => JSON.stringify(o.error ? { status: 'error', error: o.error.message } : lastResultOf(o.result!)));
  const caseOf = (values: unknown[]) =>
    valueById(
      db,
      outcomes.map((o, i) => [o.integration.id, values[i]] as const),
    );
  const released = await retryOnConflict(() =>
    db('integrations')
      .whereIn(
        'id',
        outcomes.map((o) => o.integration.id),
      )
      .where('lease_owner', token)
      .update({
        next_invoice_at: caseOf(outcomes.map((o) => o.nextInvoiceAt)),
        last_run_at: at,
        last_result: caseOf(lastResults),
        lease_owner: null,
        lease_until: null,
        updated_at: clock.now(),
      }),
  );

  if (released !== outcomes.length) {
    // Not expected while the lease is renewed; if it happens, another worker has run these integrations
    deps.log.warn({ integrations: outcomes.map((o) => o.integration.id), released }, 'some leases had been lost before their release');
  }

  const ms = clock.now() - started;
  return outcomes.map((o) => {
    const r = o.error ? null : o.result;
    const summary: TickRunSummary = {
      company: o.integration.companyCode,
      type: o.integration.type,
      dueAt: iso(o.dueAt),
      ...(r ? runLogSummary(r) : { invoices: [], skipped: emptySkipCounts(), deliveries: { sent: 0, failed: 0 } }),
      nextInvoiceAt: iso(o.nextInvoiceAt),
      ms,
      ...(o.error ? { error: o.error.message } : {}),
    };
    const failedDelivery = r?.deliveries.find((d) => d.status === 'failed');
    if (failedDelivery) summary.deliveryError = `${failedDelivery.invoice}: ${failedDelivery.error ?? 'failed'}`;
    const fields = { event: 'integration-run', integration: o.integration.type, integrationId: o.integration.id, ...summary };
    if (o.error) deps.log.error(fields, 'integration run failed');
    else if (failedDelivery) deps.log.warn(fields, 'integration ran; some deliveries failed');
    else deps.log.info(fields, 'integration ran');
    return Object.assign(summary, { order: o.order });
  });
}

export async function runTick(deps: TickDeps, at: number): Promise<TickReport> {
  const initialised = await initialiseFirstRuns(deps, at);
  // The due integrations, read whole: a run uses this record once its claim (which re-checks that the
  // integration is still enabled and due) succeeds
  const due = (
    (await integrationsQuery(deps.db)
      .where('g.enabled', true)
      .where('g.next_invoice_at', '<=', at)
      .where((w) => w.whereNull('g.lease_until').orWhere('g.lease_until', '<', deps.clock.now()))
      .clearOrder()
      .orderBy(['g.next_invoice_at', 'g.id'])) as Array<Record<string, unknown>>
  ).map(toIntegrationRecord);
  const limit = pLimit(deps.concurrency);
  // Buyers are read together, sellers and admins once per tick
  const parties = due.length > 0 ? await createAutoPartiesResolver(deps.db).many(due.map((i) => i.companyCode)) : new Map<string, RunParties | AppError>();
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
