/**
 * The outbox. A delivery row moves pending|failed(due)|sending(expired) → sending (claimed, with a
 * deadline) → sent (with the server's answer) or failed (with the reason, the attempt count and, while
 * attempts remain and the failure is transient, the next attempt time).
 *
 * Claiming is a short transaction of its own; sending happens outside any transaction; recording is
 * one UPDATE per failure, and one per group of deliveries that were sent while the previous group was
 * being written. A process that dies mid-delivery leaves `sending` rows whose claim expires; the next
 * pass takes them again (at-least-once: see docs/delivery.md).
 */
import type { Knex } from 'knex';
import pLimit from 'p-limit';
import type { DeliveryArtefacts, DeliverySession, IntegrationDriver } from '../../integrations/contract.js';
import { valueById } from '../db/bulk-insert.js';
import { insertDeliveryAttempts } from '../db/delivery-attempts-repo.js';
import { chunk, dialectOf, inTransaction, retryOnConflict } from '../db/connect.js';
import { renewEvery, type Renewal } from '../db/leases.js';
import type { PdfEmailerSettings, XmlSftpSettings, IntegrationType } from '../db/integrations-repo.js';
import type { Clock } from '../domain/clock.js';
import type { InvoiceDocument } from '../domain/invoice-document.js';
import { assembleInvoiceDocuments, loadInvoiceDocuments, type InvoiceRows } from './load-invoice-document.js';
import type { Deliverer, DeliveryOutcome } from './run-company.js';

export interface DeliveryPolicy {
  maxAttempts: number;
  /** First back-off; doubled per attempt, with ±20 % jitter */
  backoffSeconds: number;
  /** How long a claim lasts before another worker may take the delivery again */
  claimSeconds: number;
  /** Deliveries in flight at once */
  concurrency: number;
}

export interface ArtefactRenderer {
  /** The PDF, and the characters no configured font could draw (drawn as U+FFFD) */
  pdf(doc: InvoiceDocument): Promise<{ bytes: Uint8Array; missingCharacters: string[] }>;
  xml(doc: InvoiceDocument): string;
}

export interface OutboxDeps {
  db: Knex;
  clock: Clock;
  drivers: { 'pdf-emailer': IntegrationDriver<PdfEmailerSettings>; 'xml-sftp': IntegrationDriver<XmlSftpSettings> };
  render: ArtefactRenderer;
  policy: DeliveryPolicy;
  random?: () => number;
  /** Told when a claim could not be renewed, or a delivery that was sent could not be recorded */
  warn: (err: unknown, message: string) => void;
}

interface Claimed {
  id: number;
  invoiceId: number;
  integrationId: number;
  type: IntegrationType;
  settings: string;
  attempts: number;
}

const CLAIM_BATCH = 500;

export function nextAttemptDelayMs(attempts: number, policy: DeliveryPolicy, random: () => number): number {
  const base = policy.backoffSeconds * 1000 * 2 ** Math.max(0, attempts - 1);
  return Math.round(Math.min(base, 24 * 3600 * 1000) * (0.8 + 0.4 * random()));
}

export interface DeliveryFilter {
  integrationIds?: number[];
  invoiceIds?: number[];
  /** Only failed deliveries whose back-off has passed and deliveries whose sender died (the tick's retry pass) */
  retriesOnly?: boolean;
  /** Invoices the caller has just written, so they need not be read back (see InvoiceRows) */
  known?: InvoiceRows;
}

/**
 * Claims up to CLAIM_BATCH deliveries that are due as of `asOf` (the start of the pass: see deliverPending).
 * The claim itself (its deadline) runs on the clock's current time.
 */
async function claim(deps: OutboxDeps, filter: DeliveryFilter, asOf: number): Promise<{ claimed: Claimed[]; until: number }> {
  const { db, clock, policy } = deps;
  const now = clock.now();
  const until = now + policy.claimSeconds * 1000;
  return inTransaction(db, async (trx) => {
    const q = trx('deliveries as d')
      .join('integrations as g', 'g.id', 'd.integration_id')
      .where('g.enabled', true)
      .where((w) =>
        (filter.retriesOnly
          ? // A manual run delivers its own invoices at once; if its process died first, nobody else would
            // (they belong to no scheduled run), so the retry pass takes them once a claim could have expired
            w.where((x) =>
              x
                .where('d.status', 'pending')
                .where('d.created_at', '<', asOf - policy.claimSeconds * 1000)
                .whereExists(trx('invoices as i').whereRaw('i.id = d.invoice_id').where('i.mode', 'manual')),
            )
          : w.where('d.status', 'pending')
        )
          .orWhere((x) => x.where('d.status', 'failed').whereNotNull('d.next_attempt_at').where('d.next_attempt_at', '<=', asOf))
          .orWhere((x) => x.where('d.status', 'sending').where('d.claimed_until', '<', asOf)),
      )
      .orderBy('d.id')
      .limit(CLAIM_BATCH)
      .select('d.id', 'd.invoice_id', 'd.integration_id', 'd.attempts', 'g.type', 'g.settings');
    if (filter.integrationIds) q.whereIn('d.integration_id', filter.integrationIds);
    if (filter.invoiceIds) q.whereIn('d.invoice_id', filter.invoiceIds);
    if (dialectOf(trx) === 'mysql') {
      // Passes over the whole outbox (the workers' retry passes) claim at once: each skips rows another
      // has locked. A run claiming its own deliveries waits instead: another pass's scan locks rows it only
      // looks at, and skipping them would leave the run's deliveries pending until its next scheduled run.
      const targeted = !filter.retriesOnly && (filter.integrationIds !== undefined || filter.invoiceIds !== undefined);
      if (targeted) q.forUpdate('d');
      else q.forUpdate('d').skipLocked();
    }
    const rows = (await q) as Array<Record<string, unknown>>;
    const claimed = rows.map((r) => ({
      id: Number(r.id),
      invoiceId: Number(r.invoice_id),
      integrationId: Number(r.integration_id),
      type: r.type as IntegrationType,
      settings: r.settings as string,
      attempts: Number(r.attempts) + 1,
    }));
    for (const ids of chunk(
      claimed.map((c) => c.id),
      500,
    )) {
      await trx('deliveries')
        .whereIn('id', ids)
        .update({ status: 'sending', claimed_until: until, attempts: trx.raw('attempts + 1'), updated_at: now });
    }
    return { claimed, until };
  });
}

/** How long a delivery that was sent waits for others to be recorded with it (one UPDATE for all) */
const RECORD_GROUP_MS = 20;

/**
 * Records deliveries as `sent`, several in one UPDATE: the deliveries that finish within RECORD_GROUP_MS
 * of each other, or while the previous write is in flight, are written together (group commit). Each
 * call resolves once its row is written. (A crash in between leaves the row `sending`: it is sent again
 * once its claim expires, as after any crash between the server's answer and the record.)
 */
function createSentRecorder(deps: OutboxDeps): (c: Claimed, receipt: string) => Promise<void> {
  let queue: Array<{ id: number; attempt: number; receipt: string; resolve: () => void; reject: (err: unknown) => void }> = [];
  let writing = false;
  let timer: NodeJS.Timeout | null = null;
  const writeQueued = async () => {
    timer = null;
    writing = true;
    while (queue.length > 0) {
      const items = queue.slice(0, 500);
      queue = queue.slice(items.length);
      const now = deps.clock.now();
      try {
        await inTransaction(deps.db, async (trx) => {
          await trx('deliveries')
            .whereIn(
              'id',
              items.map((i) => i.id),
            )
            .update({
              status: 'sent',
              receipt: valueById(
                trx,
                items.map((i) => [i.id, i.receipt] as const),
              ),
              last_error: null,
              sent_at: now,
              claimed_until: null,
              next_attempt_at: null,
              updated_at: now,
            });
          await insertDeliveryAttempts(
            trx,
            items.map((i) => ({ deliveryId: i.id, attempt: i.attempt, status: 'sent', detail: i.receipt, finishedAt: now })),
          );
        });
        for (const i of items) i.resolve();
      } catch (err) {
        for (const i of items) i.reject(err);
      }
    }
    writing = false;
  };
  return (c, receipt) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ id: c.id, attempt: c.attempts, receipt, resolve, reject });
      if (!writing && !timer) timer = setTimeout(() => void writeQueued(), RECORD_GROUP_MS);
    });
}

async function recordFailure(deps: OutboxDeps, c: Claimed, outcome: { error: string; retryable: boolean }): Promise<DeliveryOutcome['status']> {
  const now = deps.clock.now();
  const again = outcome.retryable && c.attempts < deps.policy.maxAttempts;
  const nextAttemptAt = again ? now + nextAttemptDelayMs(c.attempts, deps.policy, deps.random ?? Math.random) : null;
  const lastError = `${outcome.error}${again ? '' : outcome.retryable ? ` (gave up after ${c.attempts} attempts)` : ' (permanent failure: not retried)'}`;
  await inTransaction(deps.db, async (trx) => {
    await trx('deliveries').where('id', c.id).update({
      status: 'failed',
      last_error: lastError,
      next_attempt_at: nextAttemptAt,
      claimed_until: null,
      updated_at: now,
    });
    await insertDeliveryAttempts(trx, [{ deliveryId: c.id, attempt: c.attempts, status: 'failed', detail: outcome.error, finishedAt: now }]);
  });
  return 'failed';
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
function renewWhileInFlight(deps: OutboxDeps, claimed: Claimed[], firstUntil: number): ClaimRenewal {
  const unfinished = new Set(claimed.map((c) => c.id));
  const ours = [firstUntil];
  const renewal = renewEvery(deps.policy.claimSeconds * 1000, async () => {
    if (unfinished.size === 0) return;
    const until = deps.clock.now() + deps.policy.claimSeconds * 1000;
    // Noted before it is written, so that rows a partly failed renewal did move are still recognised
    ours.push(until);
    try {
      for (const part of chunk([...unfinished], 500)) {
        await retryOnConflict(() =>
          deps.db('deliveries').whereIn('id', part).where('status', 'sending').whereIn('claimed_until', ours).update({ claimed_until: until }),
        );
      }
    } catch (err) {
      deps.warn(err, 'could not renew the claim on deliveries in flight; another worker may send them again once it runs out');
    }
  });
  return { ...renewal, done: (id) => unfinished.delete(id) };
}

/** The first rejection among settled promises, thrown once all of them have settled */
function throwFirstRejection(results: PromiseSettledResult<unknown>[]): void {
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function describeError(err: unknown): { error: string; retryable: boolean } {
  const e = err as { message?: string; retryable?: boolean; name?: string };
  // Only DeliveryErrors say whether to retry; anything else is unexpected and retried with back-off
  return { error: e?.message ?? String(err), retryable: e?.name === 'DeliveryError' ? Boolean(e.retryable) : true };
}

export function createOutbox(deps: OutboxDeps): Deliverer {
  async function deliverBatch(claimed: Claimed[], known: Map<number, InvoiceDocument>, renewal: ClaimRenewal): Promise<DeliveryOutcome[]> {
    const wanted = [...new Set(claimed.map((c) => c.invoiceId))];
    const docs = await loadInvoiceDocuments(
      deps.db,
      wanted.filter((id) => !known.has(id)),
    );
    for (const id of wanted) if (known.has(id)) docs.set(id, known.get(id)!);
    // Each invoice's PDF and XML are rendered once, whichever integrations send them, and dropped once
    // the last of its deliveries in this batch is done
    const pdfs = new Map<number, Promise<{ bytes: Uint8Array; missingCharacters: string[] }>>();
    // Kept for the run report after the PDF itself is dropped
    const missing = new Map<number, string[]>();
    const xmls = new Map<number, string>();
    const remaining = new Map<number, number>();
    for (const c of claimed) remaining.set(c.invoiceId, (remaining.get(c.invoiceId) ?? 0) + 1);
    const artefactsFor = (invoiceId: number, doc: InvoiceDocument): DeliveryArtefacts => ({
      pdf: () => {
        let p = pdfs.get(invoiceId);
        if (!p) {
          pdfs.set(invoiceId, (p = deps.render.pdf(doc)));
          void p.then(
            (r) => r.missingCharacters.length > 0 && missing.set(invoiceId, r.missingCharacters),
            () => undefined,
          );
        }
        return p.then((r) => r.bytes);
      },
      xml: () => {
        let x = xmls.get(invoiceId);
        if (x === undefined) xmls.set(invoiceId, (x = deps.render.xml(doc)));
        return x;
      },
    });
    const done = (invoiceId: number) => {
      const left = remaining.get(invoiceId)! - 1;
      remaining.set(invoiceId, left);
      if (left === 0) {
        pdfs.delete(invoiceId);
        xmls.delete(invoiceId);
      }
    };

    // One session per distinct destination (same type and settings: one SFTP login, or the SMTP pool),
    // opened when its first delivery starts and closed after its last. Each session carries up to
    // `concurrency` deliveries at once (uploads multiplexed over one SSH connection, messages queued on
    // the pool), and up to `concurrency` sessions are open at once.
    const groups = new Map<string, Claimed[]>();
    for (const c of claimed) {
      const key = `${c.type}\u0000${c.settings}`;
      const group = groups.get(key);
      if (group) group.push(c);
      else groups.set(key, [c]);
    }
    const outcomes = new Map<number, DeliveryOutcome>();
    const recordSent = createSentRecorder(deps);
    // Sending holds one of the session's slots; recording does not (it waits to be written with others)
    const send = async (c: Claimed, session: DeliverySession | { error: unknown }): Promise<{ ok: true; receipt: string } | { ok: false; error: unknown }> => {
      try {
        if ('error' in session) throw session.error;
        const doc = docs.get(c.invoiceId)!;
        return { ok: true, receipt: (await session.deliver(doc, artefactsFor(c.invoiceId, doc))).detail };
      } catch (error) {
        return { ok: false, error };
      } finally {
        done(c.invoiceId);
      }
    };
    const record = async (c: Claimed, sent: Awaited<ReturnType<typeof send>>): Promise<void> => {
      let status: DeliveryOutcome['status'];
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
        status = await recordFailure(deps, c, d);
      }
      renewal.done(c.id);
      const chars = missing.get(c.invoiceId);
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
    const sessionsAtOnce = pLimit(deps.policy.concurrency);
    // Every delivery is let finish (and its session closed after its last one) before a failure to record
    // one is passed on, so none is left in flight without its claim being renewed
    const groupResults = await Promise.allSettled(
      [...groups.values()].map((group) =>
        sessionsAtOnce(async () => {
          const first = group[0]!;
          const settings = JSON.parse(first.settings) as PdfEmailerSettings & XmlSftpSettings;
          // If the session cannot be opened (host key, login, missing folder), each delivery fails with that reason
          const session = await (deps.drivers[first.type] as IntegrationDriver<PdfEmailerSettings & XmlSftpSettings>)
            .open(settings)
            .catch((error: unknown) => ({ error }));
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
    async deliverPending(filter) {
      const outcomes: DeliveryOutcome[] = [];
      // One pass takes what is due as of its start. A delivery that fails during the pass gets a next
      // attempt after that instant, and one claimed during the pass a deadline after it, so no later
      // batch of the same pass can take it again (and the pass ends once nothing due is left).
      const asOf = deps.clock.now();
      const known = filter.known ? await assembleInvoiceDocuments(deps.db, filter.known) : new Map<number, InvoiceDocument>();
      for (;;) {
        const { claimed, until } = await claim(deps, filter, asOf);
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
