/**
 * The outbox: delivers what the invoicing transaction queued. A pass claims due deliveries (a short
 * transaction: `sending`, with a deadline), performs them outside any transaction through the
 * integrations' drivers, and records each `sent` (with the server's answer) or `failed` (with the reason,
 * and a back-off while attempts remain and the failure is transient). A process that dies mid-delivery
 * leaves `sending` rows whose claim expires; the next pass takes them again (at-least-once: see
 * docs/delivery.md). SQL is in src/db/deliveries-repo.ts.
 */
import type { Knex } from 'knex';
import pLimit from 'p-limit';
import type { DeliveryArtefacts, DeliverySession, IntegrationDriver } from '../../integrations/contract.js';
import {
  claimDeliveries,
  recordDeliveriesSent,
  recordDeliveryFailed,
  renewDeliveryClaims,
  type ClaimedDelivery,
  type DeliveryFilter,
  type DeliveryStatus,
} from '../db/deliveries-repo.js';
import type { InvoiceRows } from '../db/invoice-rows.js';
import { renewEvery, type Renewal } from '../db/leases.js';
import type { Clock } from '../domain/clock.js';
import type { IntegrationType, SettingsOf } from '../domain/integration-settings.js';
import type { BillingDocument } from '../domain/invoice-document.js';
import { loadBillingDocuments, toBillingDocuments } from './invoice-documents.js';

export type { DeliveryFilter };

export interface DeliveryPolicy {
  maxAttempts: number;
  /** First back-off; doubled per attempt, with ±20 % jitter */
  backoffSeconds: number;
  /** How long a claim lasts before another worker may take the delivery again */
  claimSeconds: number;
  /** Sessions open at once, and deliveries in flight per session */
  concurrency: number;
}

export interface ArtefactRenderer {
  /** The PDF, and the characters no configured font could draw (drawn as U+FFFD) */
  pdf(doc: BillingDocument): Promise<{ bytes: Uint8Array; missingCharacters: string[] }>;
  xml(doc: BillingDocument): string;
}

export type Drivers = { [T in IntegrationType]: IntegrationDriver<SettingsOf[T]> };

export interface OutboxDeps {
  db: Knex;
  clock: Clock;
  drivers: Drivers;
  render: ArtefactRenderer;
  policy: DeliveryPolicy;
  random?: () => number;
  /** Told when a claim could not be renewed, or a delivery that was sent could not be recorded */
  warn: (err: unknown, message: string) => void;
}

/** What became of one delivery in a pass. */
export interface DeliveryOutcome {
  deliveryId: number;
  invoice: string;
  integrationId: number;
  integration: IntegrationType;
  status: DeliveryStatus;
  error: string | null;
  /** Characters of the invoice that no configured font could draw in its PDF */
  missingCharacters?: string[];
}

export interface DeliveryRequest extends DeliveryFilter {
  /** Invoices the caller has just written, so they need not be read back */
  known?: InvoiceRows;
}

/** The outbox, as runs and commands see it: deliver what is pending (and due) for these integrations or invoices. */
export interface Deliverer {
  deliverPending(request: DeliveryRequest): Promise<DeliveryOutcome[]>;
}

/** Deliveries claimed per batch of a pass */
const CLAIM_BATCH = 500;

/** The wait before attempt `attempts + 1`: the back-off doubles per attempt, at most a day, with ±20 % jitter. */
export function nextAttemptDelayMs(attempts: number, policy: Pick<DeliveryPolicy, 'backoffSeconds'>, random: () => number): number {
  const base = policy.backoffSeconds * 1000 * 2 ** Math.max(0, attempts - 1);
  return Math.round(Math.min(base, 24 * 3600 * 1000) * (0.8 + 0.4 * random()));
}

/** The distinct characters missing from any rendered PDF, for the run report; undefined when none. */
export function missingCharactersOf(outcomes: readonly DeliveryOutcome[]): string[] | undefined {
  const all = new Set(outcomes.flatMap((o) => o.missingCharacters ?? []));
  return all.size > 0 ? [...all].sort() : undefined;
}

/**
 * Records deliveries as `sent`, several in one UPDATE (group commit): a delivery sent while no record is
 * being written is written at once, with any others that were sent in the same turn of the event loop;
 * those sent while a write is in flight are written together as soon as it ends. Each call resolves once
 * its row is written.
 *
 * Nothing waits on purpose to make the groups larger: the time from the far side's answer (the SMTP 250,
 * the file renamed into place) to this record is the window in which a crash makes the delivery go out a
 * second time once its claim expires (at-least-once, see docs/delivery.md). A 20 ms wait to group more
 * records was most of that window (measured by the chaos suite, RELIABILITY.md); under load, writes are in
 * flight most of the time, so records still share UPDATEs.
 */
function createSentRecorder(deps: OutboxDeps): (c: ClaimedDelivery, receipt: string) => Promise<void> {
  let queue: Array<{ id: number; receipt: string; attempt: number; resolve: () => void; reject: (err: unknown) => void }> = [];
  let writing = false;
  const writeQueued = async () => {
    while (queue.length > 0) {
      const items = queue.slice(0, 500);
      queue = queue.slice(items.length);
      try {
        await recordDeliveriesSent(deps.db, items, deps.clock.now());
        for (const i of items) i.resolve();
      } catch (err) {
        for (const i of items) i.reject(err);
      }
    }
    writing = false;
  };
  return (c, receipt) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ id: c.id, receipt, attempt: c.attempts, resolve, reject });
      if (!writing) {
        writing = true;
        setImmediate(() => void writeQueued());
      }
    });
}

async function recordFailure(deps: OutboxDeps, c: ClaimedDelivery, outcome: { error: string; retryable: boolean }): Promise<void> {
  const now = deps.clock.now();
  const again = outcome.retryable && c.attempts < deps.policy.maxAttempts;
  const nextAttemptAt = again ? now + nextAttemptDelayMs(c.attempts, deps.policy, deps.random ?? Math.random) : null;
  const note = again ? '' : outcome.retryable ? ` (gave up after ${c.attempts} attempts)` : ' (permanent failure: not retried)';
  await recordDeliveryFailed(deps.db, { id: c.id, attempt: c.attempts, lastError: `${outcome.error}${note}`, nextAttemptAt }, now);
}

interface ClaimRenewal extends Renewal {
  /** The delivery is recorded (or left to expire): its claim is no longer renewed */
  done(id: number): void;
}

/**
 * Renews a batch's claim until stopped, as the scheduler's leases are (renewEvery), so that a batch that
 * takes longer than one claim (a slow server, a large batch) is not taken and sent again by another
 * worker. Only rows still `sending` under a deadline this batch wrote are moved: a claim that ran out
 * anyway (renewals failing, the process stalled) and was taken by another worker stays theirs.
 */
function renewWhileInFlight(deps: OutboxDeps, claimed: readonly ClaimedDelivery[], firstUntil: number): ClaimRenewal {
  const unfinished = new Set(claimed.map((c) => c.id));
  const ours = [firstUntil];
  const renewal = renewEvery(deps.policy.claimSeconds * 1000, async () => {
    if (unfinished.size === 0) return;
    const until = deps.clock.now() + deps.policy.claimSeconds * 1000;
    // Noted before it is written, so that rows a partly failed renewal did move are still recognised
    ours.push(until);
    try {
      await renewDeliveryClaims(deps.db, [...unfinished], ours, until);
    } catch (err) {
      deps.warn(err, 'could not renew the claim on deliveries in flight; another worker may send them again once it runs out');
    }
  });
  return { ...renewal, done: (id) => unfinished.delete(id) };
}

/** The first rejection among settled promises, thrown once all of them have settled */
function throwFirstRejection(results: ReadonlyArray<PromiseSettledResult<unknown>>): void {
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function describeError(err: unknown): { error: string; retryable: boolean } {
  // Only DeliveryErrors say whether to retry; anything else is unexpected and retried with back-off
  if (err instanceof Error)
    return { error: err.message, retryable: err.name === 'DeliveryError' ? (err as Error & { retryable?: boolean }).retryable === true : true };
  return { error: String(err), retryable: true };
}

/** Opens the claimed delivery's session with the driver of its type (the settings narrow with the type). */
function openSession(drivers: Drivers, c: ClaimedDelivery): Promise<DeliverySession> {
  return c.type === 'pdf-emailer' ? drivers['pdf-emailer'].open(c.settings) : drivers['xml-sftp'].open(c.settings);
}

/**
 * Renders each invoice's PDF and XML once, whichever integrations send it, and drops them once the last of
 * its deliveries in the batch is done.
 */
function createArtefactCache(render: ArtefactRenderer, claimed: readonly ClaimedDelivery[]) {
  const pdfs = new Map<number, Promise<{ bytes: Uint8Array; missingCharacters: string[] }>>();
  // Kept for the run report after the PDF itself is dropped
  const missing = new Map<number, string[]>();
  const xmls = new Map<number, string>();
  const remaining = new Map<number, number>();
  for (const c of claimed) remaining.set(c.invoiceId, (remaining.get(c.invoiceId) ?? 0) + 1);
  return {
    artefactsFor(invoiceId: number, doc: BillingDocument): DeliveryArtefacts {
      return {
        pdf: () => {
          let p = pdfs.get(invoiceId);
          if (!p) {
            pdfs.set(invoiceId, (p = render.pdf(doc)));
            void p.then(
              (r) => r.missingCharacters.length > 0 && missing.set(invoiceId, r.missingCharacters),
              () => undefined,
            );
          }
          return p.then((r) => r.bytes);
        },
        xml: () => {
          let x = xmls.get(invoiceId);
          if (x === undefined) xmls.set(invoiceId, (x = render.xml(doc)));
          return x;
        },
      };
    },
    done(invoiceId: number): void {
      const left = remaining.get(invoiceId)! - 1;
      remaining.set(invoiceId, left);
      if (left === 0) {
        pdfs.delete(invoiceId);
        xmls.delete(invoiceId);
      }
    },
    missingCharacters: (invoiceId: number) => missing.get(invoiceId),
  };
}

/** Groups claimed deliveries by destination (same type and settings: one SFTP login, or the SMTP pool). */
function bySession(claimed: readonly ClaimedDelivery[]): ClaimedDelivery[][] {
  const groups = new Map<string, ClaimedDelivery[]>();
  for (const c of claimed) {
    const key = `${c.type}\u0000${c.settingsKey}`;
    const group = groups.get(key);
    if (group) group.push(c);
    else groups.set(key, [c]);
  }
  return [...groups.values()];
}

type SendResult = { ok: true; receipt: string } | { ok: false; error: unknown };

export function createOutbox(deps: OutboxDeps): Deliverer {
  async function deliverBatch(claimed: ClaimedDelivery[], known: Map<number, BillingDocument>, renewal: ClaimRenewal): Promise<DeliveryOutcome[]> {
    const wanted = [...new Set(claimed.map((c) => c.invoiceId))];
    const docs = await loadBillingDocuments(
      deps.db,
      wanted.filter((id) => !known.has(id)),
    );
    for (const id of wanted) if (known.has(id)) docs.set(id, known.get(id)!);
    const artefacts = createArtefactCache(deps.render, claimed);
    const outcomes = new Map<number, DeliveryOutcome>();
    const recordSent = createSentRecorder(deps);

    // Sending holds one of the session's slots; recording does not (it waits to be written with others)
    const send = async (c: ClaimedDelivery, session: DeliverySession | { error: unknown }): Promise<SendResult> => {
      try {
        if ('error' in session) throw session.error;
        const doc = docs.get(c.invoiceId)!;
        return { ok: true, receipt: (await session.deliver(doc, artefacts.artefactsFor(c.invoiceId, doc))).detail };
      } catch (error) {
        return { ok: false, error };
      } finally {
        artefacts.done(c.invoiceId);
      }
    };
    const record = async (c: ClaimedDelivery, sent: SendResult): Promise<void> => {
      let status: DeliveryStatus;
      let error: string | null = null;
      if (sent.ok) {
        try {
          await recordSent(c, sent.receipt);
          status = 'sent';
        } catch (err) {
          // Sent, but the database did not take the record: not a delivery failure to retry on a back-off.
          // The row stays claimed until its claim runs out, then it is sent again (at-least-once).
          deps.warn(err, `delivery ${c.id} was sent but could not be recorded as sent`);
          status = 'failed';
          error = `sent (${sent.receipt}), but recording it failed: ${describeError(err).error}; it will be sent again once its claim runs out`;
        }
      } else {
        const d = describeError(sent.error);
        error = d.error;
        await recordFailure(deps, c, d);
        status = 'failed';
      }
      renewal.done(c.id);
      const chars = artefacts.missingCharacters(c.invoiceId);
      outcomes.set(c.id, {
        deliveryId: c.id,
        invoice: docs.get(c.invoiceId)!.number,
        integrationId: c.integrationId,
        integration: c.type,
        status,
        error,
        ...(chars ? { missingCharacters: chars } : {}),
      });
    };

    // One session per destination, opened when its first delivery starts and closed after its last. Each
    // session carries up to `concurrency` deliveries at once (uploads multiplexed over one SSH connection,
    // messages queued on the pool), and up to `concurrency` sessions are open at once. Every delivery is let
    // finish (and its session closed) before a failure to record one is passed on, so none is left in
    // flight without its claim being renewed.
    const sessionsAtOnce = pLimit(deps.policy.concurrency);
    const groupResults = await Promise.allSettled(
      bySession(claimed).map((group) =>
        sessionsAtOnce(async () => {
          // If the session cannot be opened (host key, login, missing folder), each delivery fails with that reason
          const session = await openSession(deps.drivers, group[0]!).catch((error: unknown) => ({ error }));
          try {
            const inFlight = pLimit(deps.policy.concurrency);
            throwFirstRejection(await Promise.allSettled(group.map((c) => inFlight(() => send(c, session)).then((sent) => record(c, sent)))));
          } finally {
            if (!('error' in session)) await session.close();
          }
        }),
      ),
    );
    throwFirstRejection(groupResults);
    return claimed.map((c) => outcomes.get(c.id)!);
  }

  return {
    async deliverPending(request) {
      const outcomes: DeliveryOutcome[] = [];
      // One pass takes what is due as of its start. A delivery that fails during the pass gets a next
      // attempt after that instant, and one claimed during the pass a deadline after it, so no later
      // batch of the same pass can take it again (and the pass ends once nothing due is left).
      const asOf = deps.clock.now();
      const known = request.known ? await toBillingDocuments(deps.db, request.known) : new Map<number, BillingDocument>();
      const claimMs = deps.policy.claimSeconds * 1000;
      for (;;) {
        const now = deps.clock.now();
        const until = now + claimMs;
        const claimed = await claimDeliveries(deps.db, request, { asOf, now, until, claimMs, limit: CLAIM_BATCH });
        if (claimed.length === 0) break;
        const renewal = renewWhileInFlight(deps, claimed, until);
        try {
          outcomes.push(...(await deliverBatch(claimed, known, renewal)));
        } finally {
          renewal.stop();
        }
        if (claimed.length < CLAIM_BATCH) break;
      }
      return outcomes;
    },
  };
}
