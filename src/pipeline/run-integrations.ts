/**
 * THE run orchestrator (SPEC §4): runs these companies as of a time, each for one integration (an
 * automatic run: that integration's filters, then its pending deliveries) or for a person (a manual run:
 * their options, numbered from their primary company, delivered through every enabled integration). The
 * scheduler's batches, `run --company`, the API and the admin page all run through here.
 *
 * The phases return values, each taking what the previous one left standing:
 *   prepare  the eligibility rules of each member (a bad stored `startingFrom` fails that member)
 *   start    the run log entries (and, under a lease, closing those a dead process left running)
 *   invoice  one transaction for the batch; if it fails, each company alone, so that one company's
 *            problem is its own
 *   deliver  one outbox pass for the batch; if it fails, each member alone
 *   record   the run log entries finished, and each integration's last result
 * and every member ends as an outcome: ok (what it invoiced, skipped and delivered) or failed (why).
 */
import type { Knex } from 'knex';
import type { IntegrationRecord } from '../db/integrations-repo.js';
import { recordLastResults } from '../db/integrations-repo.js';
import { closeInterruptedRuns, finishRuns, startRuns, type RunFinish } from '../db/runs-repo.js';
import type { Clock } from '../domain/clock.js';
import type { RunParties } from '../domain/company.js';
import { startingFromInstant, type EligibilityRules, type SkipCounts } from '../domain/eligibility.js';
import { AppError, inputError } from '../domain/errors.js';
import { isValidDate, parseInstant } from '../domain/text-rules.js';
import type { InvoiceRows } from '../db/invoice-rows.js';
import { invoiceCompanies, type IssuedInvoice } from './invoice-companies.js';
import type { Deliverer, DeliveryOutcome } from './outbox.js';
import { lastResultOf, runLogSummary, runReportOf } from './run-report.js';

export interface RunDeps {
  db: Knex;
  clock: Clock;
  deliverer: Deliverer;
}

/** Why a company runs: one of its integrations (automatic), or a person (manual). */
export type RunTrigger = { kind: 'integration'; integration: IntegrationRecord } | { kind: 'manual'; user: { id: number; email: string } };

export interface RunMember {
  companyCode: string;
  /** The run's parties, or why this company cannot run (no supplier above it, a bad stored schedule, …) */
  parties: RunParties | Error;
  trigger: RunTrigger;
  /** The command line's `--include-errors` and `--from`, over an integration's own settings */
  overrides?: { includeErrors?: boolean; from?: string | null };
}

export interface RunRequest {
  /** The run's time: orders created after it are left; the issue date derives from it */
  asOf: number;
  /** Distinct companies sharing one sequence owner, all automatic or all manual */
  members: readonly RunMember[];
  /**
   * The scheduler's lease on the members' integrations: entries a dead holder left `running` are closed,
   * and last results are written only while the lease holds.
   */
  leaseToken?: string;
}

export type MemberOutcome =
  | { status: 'ok'; member: RunMember; runId: number; invoices: IssuedInvoice[]; skipped: SkipCounts; deliveries: DeliveryOutcome[] }
  | { status: 'failed'; member: RunMember; runId: number | null; error: Error };

interface Prepared {
  member: RunMember;
  parties: RunParties;
  rules: EligibilityRules;
}
type Started = Prepared & { runId: number };
type Invoiced = Started & { invoices: IssuedInvoice[]; skipped: SkipCounts };
type Failed = Extract<MemberOutcome, { status: 'failed' }>;

/** (a loop, not push(...from): a large company has more lines than a call takes arguments) */
function append<T>(into: T[], from: readonly T[]): void {
  for (const x of from) into.push(x);
}

const errorOf = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
const failed = (member: RunMember, runId: number | null, err: unknown): Failed => ({ status: 'failed', member, runId, error: errorOf(err) });

function parseFrom(from: string | null, timezone: string): number | null {
  if (from === null) return null;
  if (!isValidDate(from) && parseInstant(from) === null) {
    throw inputError([{ path: '--from', message: `must be a date like 2026-01-01 or a date-time with a time zone, got "${from}"` }]);
  }
  return startingFromInstant(from, timezone);
}

/** A member's eligibility rules: an integration's own, under the overrides; a manual run's options. */
export function rulesOf(member: RunMember, parties: RunParties): EligibilityRules {
  const o = member.overrides ?? {};
  if (member.trigger.kind === 'manual') return { includeErrors: o.includeErrors === true, startingFrom: parseFrom(o.from ?? null, parties.buyer.timezone) };
  const { integration } = member.trigger;
  return {
    includeErrors: o.includeErrors === true || integration.includeOrdersWithErrors,
    startingFrom: parseFrom(o.from ?? integration.startingFrom, parties.buyer.timezone),
  };
}

function prepare(members: readonly RunMember[]): { ready: Prepared[]; failed: Failed[] } {
  const ready: Prepared[] = [];
  const out: Failed[] = [];
  for (const member of members) {
    try {
      if (member.parties instanceof Error) throw member.parties;
      ready.push({ member, parties: member.parties, rules: rulesOf(member, member.parties) });
    } catch (err) {
      out.push(failed(member, null, err));
    }
  }
  return { ready, failed: out };
}

const integrationOf = (member: RunMember): IntegrationRecord | null => (member.trigger.kind === 'integration' ? member.trigger.integration : null);

async function start(deps: RunDeps, ready: readonly Prepared[], request: RunRequest): Promise<{ started: Started[]; failed: Failed[] }> {
  try {
    if (request.leaseToken !== undefined) {
      const integrationIds = ready.map((r) => integrationOf(r.member)?.id).filter((id): id is number => id !== undefined);
      await closeInterruptedRuns(deps.db, integrationIds, deps.clock.now());
    }
    const runIds = await startRuns(
      deps.db,
      ready.map((r) => ({
        companyId: r.parties.buyer.id,
        integrationId: integrationOf(r.member)?.id ?? null,
        mode: r.member.trigger.kind === 'manual' ? 'manual' : 'auto',
        userId: r.parties.user?.id ?? null,
        asOf: request.asOf,
      })),
      deps.clock.now(),
    );
    return { started: ready.map((r, i) => ({ ...r, runId: runIds[i]! })), failed: [] };
  } catch (err) {
    return { started: [], failed: ready.map((r) => failed(r.member, null, err)) };
  }
}

async function invoice(
  deps: RunDeps,
  started: readonly Started[],
  request: RunRequest,
): Promise<{ invoiced: Invoiced[]; failed: Failed[]; known: InvoiceRows }> {
  const known: InvoiceRows = { invoices: [], lines: [], taxGroups: [], orders: [] };
  const invoiced: Invoiced[] = [];
  const failedOnes: Failed[] = [];
  const mode = started[0]?.member.trigger.kind === 'manual' ? 'manual' : 'auto';
  const attempt = async (group: readonly Started[]) => {
    const result = await invoiceCompanies(deps.db, {
      mode,
      asOf: request.asOf,
      now: deps.clock.now(),
      members: group.map((s) => ({ parties: s.parties, rules: s.rules, runId: s.runId })),
    });
    group.forEach((s, i) => invoiced.push({ ...s, invoices: result.members[i]!.invoices, skipped: result.members[i]!.skipped }));
    append(known.invoices, result.rows.invoices);
    append(known.lines, result.rows.lines);
    append(known.taxGroups, result.rows.taxGroups);
    append(known.orders, result.rows.orders);
  };
  if (started.length === 0) return { invoiced, failed: failedOnes, known };
  try {
    await attempt(started);
  } catch (err) {
    // The batch rolled back whole: each company alone, so that one company's problem is its own
    if (started.length === 1) failedOnes.push(failed(started[0]!.member, started[0]!.runId, err));
    else {
      for (const s of started) {
        try {
          await attempt([s]);
        } catch (alone) {
          failedOnes.push(failed(s.member, s.runId, alone));
        }
      }
    }
  }
  return { invoiced, failed: failedOnes, known };
}

/** What one pass delivers for these members: their integrations' pending deliveries, or a manual run's invoices. */
function deliverFor(deps: RunDeps, members: readonly Invoiced[], known: InvoiceRows): Promise<DeliveryOutcome[]> {
  const integrationIds = members.map((m) => integrationOf(m.member)?.id).filter((id): id is number => id !== undefined);
  if (integrationIds.length > 0) return deps.deliverer.deliverPending({ integrationIds, known });
  const invoiceIds = members.flatMap((m) => m.invoices.map((i) => i.id!));
  return invoiceIds.length > 0 ? deps.deliverer.deliverPending({ invoiceIds, known }) : Promise.resolve([]);
}

function ownDeliveries(m: Invoiced, all: readonly DeliveryOutcome[]): DeliveryOutcome[] {
  const integration = integrationOf(m.member);
  if (integration) return all.filter((d) => d.integrationId === integration.id);
  const numbers = new Set(m.invoices.map((i) => i.number));
  return all.filter((d) => numbers.has(d.invoice));
}

async function deliver(deps: RunDeps, invoiced: readonly Invoiced[], known: InvoiceRows): Promise<MemberOutcome[]> {
  const ok = (m: Invoiced, deliveries: DeliveryOutcome[]): MemberOutcome => ({
    status: 'ok',
    member: m.member,
    runId: m.runId,
    invoices: m.invoices,
    skipped: m.skipped,
    deliveries,
  });
  if (invoiced.length === 0) return [];
  try {
    const all = await deliverFor(deps, invoiced, known);
    return invoiced.map((m) => ok(m, ownDeliveries(m, all)));
  } catch (err) {
    // One member's problem (its integration's settings, …) must not fail the others: each alone
    if (invoiced.length === 1) return [failed(invoiced[0]!.member, invoiced[0]!.runId, err)];
    const out: MemberOutcome[] = [];
    for (const m of invoiced) {
      try {
        out.push(ok(m, await deliverFor(deps, [m], known)));
      } catch (alone) {
        out.push(failed(m.member, m.runId, alone));
      }
    }
    return out;
  }
}

/** The run log's report of a finished run: a manual run's full report, an automatic run's summary. */
function logReportOf(o: Extract<MemberOutcome, { status: 'ok' }>): unknown {
  return o.member.trigger.kind === 'manual' ? runReportOf(o.member.companyCode, 'manual', o) : runLogSummary(o);
}

async function record(deps: RunDeps, outcomes: MemberOutcome[], request: RunRequest): Promise<MemberOutcome[]> {
  // The database failing here (after what was invoiced committed): the runs fail, and are tried again on
  // the next tick, which finds what was invoiced and delivers what is left
  const failAll = (err: unknown) => outcomes.map((o) => (o.status === 'ok' ? failed(o.member, o.runId, err) : o));
  try {
    const finishes: RunFinish[] = outcomes
      .filter((o) => o.runId !== null)
      .map((o) =>
        o.status === 'ok'
          ? { runId: o.runId, status: 'ok', report: logReportOf(o), error: null }
          : { runId: o.runId!, status: 'failed', report: null, error: o.error.message },
      );
    await finishRuns(deps.db, finishes, deps.clock.now());
  } catch (err) {
    outcomes = failAll(err);
  }
  try {
    const results = outcomes.flatMap((o) => {
      const integration = integrationOf(o.member);
      return integration ? [{ integrationId: integration.id, result: lastResultOf(o.status === 'ok' ? o : { error: o.error }) }] : [];
    });
    await recordLastResults(deps.db, results, request.asOf, deps.clock.now(), request.leaseToken);
  } catch (err) {
    outcomes = failAll(err);
  }
  return outcomes;
}

export async function runIntegrations(deps: RunDeps, request: RunRequest): Promise<MemberOutcome[]> {
  if (new Set(request.members.map((m) => m.trigger.kind)).size > 1) throw new AppError('INTERNAL', 'a run request is all automatic or all manual');
  const prepared = prepare(request.members);
  const started = await start(deps, prepared.ready, request);
  const invoiced = await invoice(deps, started.started, request);
  const delivered = await deliver(deps, invoiced.invoiced, invoiced.known);
  const outcomes = await record(deps, [...prepared.failed, ...started.failed, ...invoiced.failed, ...delivered], request);
  // In the order of the members
  const order = new Map(request.members.map((m, i) => [m, i]));
  return outcomes.sort((a, b) => order.get(a.member)! - order.get(b.member)!);
}
