/**
 * The outbox. A delivery row moves pending|failed(due)|sending(expired) → sending (claimed, with a
 * deadline) → sent (with the server's answer) or failed (with the reason, the attempt count and, while
 * attempts remain and the failure is transient, the next attempt time).
 *
 * Claiming is a short transaction of its own; sending happens outside any transaction; recording is
 * one UPDATE per delivery. A process that dies mid-delivery leaves `sending` rows whose claim expires;
 * the next pass takes them again (at-least-once: see docs/delivery.md).
 */
import type { Knex } from 'knex';
import pLimit from 'p-limit';
import type { DeliveryArtefacts, DeliverySession, IntegrationDriver } from '../../integrations/contract.js';
import { chunk, dialectOf, inTransaction } from '../db/connect.js';
import type { PdfEmailerSettings, XmlSftpSettings, IntegrationType } from '../db/integrations-repo.js';
import type { Clock } from '../domain/clock.js';
import type { InvoiceDocument } from '../domain/invoice-document.js';
import { loadInvoiceDocuments } from './load-invoice-document.js';
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
  pdf(doc: InvoiceDocument): Promise<Uint8Array>;
  xml(doc: InvoiceDocument): string;
}

export interface OutboxDeps {
  db: Knex;
  clock: Clock;
  drivers: { 'pdf-emailer': IntegrationDriver<PdfEmailerSettings>; 'xml-sftp': IntegrationDriver<XmlSftpSettings> };
  render: ArtefactRenderer;
  policy: DeliveryPolicy;
  random?: () => number;
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
}

async function claim(deps: OutboxDeps, filter: DeliveryFilter): Promise<Claimed[]> {
  const { db, clock, policy } = deps;
  const now = clock.now();
  return inTransaction(db, async (trx) => {
    const q = trx('deliveries as d')
      .join('integrations as g', 'g.id', 'd.integration_id')
      .where('g.enabled', true)
      .where((w) =>
        (filter.retriesOnly ? w.whereRaw('1 = 0') : w.where('d.status', 'pending'))
          .orWhere((x) => x.where('d.status', 'failed').whereNotNull('d.next_attempt_at').where('d.next_attempt_at', '<=', now))
          .orWhere((x) => x.where('d.status', 'sending').where('d.claimed_until', '<', now)),
      )
      .orderBy('d.id')
      .limit(CLAIM_BATCH)
      .select('d.id', 'd.invoice_id', 'd.integration_id', 'd.attempts', 'g.type', 'g.settings');
    if (filter.integrationIds) q.whereIn('d.integration_id', filter.integrationIds);
    if (filter.invoiceIds) q.whereIn('d.invoice_id', filter.invoiceIds);
    // Several workers claim at once on MySQL: each skips rows another has locked
    if (dialectOf(trx) === 'mysql') q.forUpdate('d').skipLocked();
    const rows = (await q) as Array<Record<string, unknown>>;
    const claimed = rows.map((r) => ({
      id: Number(r.id),
      invoiceId: Number(r.invoice_id),
      integrationId: Number(r.integration_id),
      type: r.type as IntegrationType,
      settings: r.settings as string,
      attempts: Number(r.attempts) + 1,
    }));
    for (const ids of chunk(claimed.map((c) => c.id), 500)) {
      await trx('deliveries')
        .whereIn('id', ids)
        .update({ status: 'sending', claimed_until: now + policy.claimSeconds * 1000, attempts: trx.raw('attempts + 1'), updated_at: now });
    }
    return claimed;
  });
}

async function record(deps: OutboxDeps, c: Claimed, outcome: { ok: true; receipt: string } | { ok: false; error: string; retryable: boolean }): Promise<DeliveryOutcome['status']> {
  const now = deps.clock.now();
  if (outcome.ok) {
    await deps.db('deliveries').where('id', c.id).update({ status: 'sent', receipt: outcome.receipt, last_error: null, sent_at: now, claimed_until: null, next_attempt_at: null, updated_at: now });
    return 'sent';
  }
  const again = outcome.retryable && c.attempts < deps.policy.maxAttempts;
  await deps.db('deliveries')
    .where('id', c.id)
    .update({
      status: 'failed',
      last_error: `${outcome.error}${again ? '' : outcome.retryable ? ` (gave up after ${c.attempts} attempts)` : ' (permanent failure: not retried)'}`,
      next_attempt_at: again ? now + nextAttemptDelayMs(c.attempts, deps.policy, deps.random ?? Math.random) : null,
      claimed_until: null,
      updated_at: now,
    });
  return 'failed';
}

function describeError(err: unknown): { error: string; retryable: boolean } {
  const e = err as { message?: string; retryable?: boolean; name?: string };
  // Only DeliveryErrors say whether to retry; anything else is unexpected and retried with back-off
  return { error: e?.message ?? String(err), retryable: e?.name === 'DeliveryError' ? Boolean(e.retryable) : true };
}

export function createOutbox(deps: OutboxDeps): Deliverer {
  async function deliverBatch(claimed: Claimed[]): Promise<DeliveryOutcome[]> {
    const docs = await loadInvoiceDocuments(deps.db, [...new Set(claimed.map((c) => c.invoiceId))]);
    // Each invoice's PDF is rendered once, whichever integrations send it
    const pdfs = new Map<number, Promise<Uint8Array>>();
    const xmls = new Map<number, string>();
    const artefactsFor = (invoiceId: number, doc: InvoiceDocument): DeliveryArtefacts => ({
      pdf: () => {
        let p = pdfs.get(invoiceId);
        if (!p) pdfs.set(invoiceId, (p = deps.render.pdf(doc)));
        return p;
      },
      xml: () => {
        let x = xmls.get(invoiceId);
        if (x === undefined) xmls.set(invoiceId, (x = deps.render.xml(doc)));
        return x;
      },
    });
    // One session per distinct destination (same settings share an SMTP pool or an SFTP login)
    const sessions = new Map<string, Promise<DeliverySession>>();
    const serial = new Map<string, ReturnType<typeof pLimit>>();
    const sessionFor = (c: Claimed) => {
      const key = `${c.type}\u0000${c.settings}`;
      let s = sessions.get(key);
      if (!s) {
        const settings = JSON.parse(c.settings) as PdfEmailerSettings & XmlSftpSettings;
        s = (deps.drivers[c.type] as IntegrationDriver<PdfEmailerSettings & XmlSftpSettings>).open(settings);
        sessions.set(key, s);
        // Several uploads share one SFTP connection (the session multiplexes them); mail shares the pool
        serial.set(key, pLimit(deps.policy.concurrency));
      }
      return { session: s, limit: serial.get(key)! };
    };
    const limit = pLimit(deps.policy.concurrency);
    try {
      return await Promise.all(
        claimed.map((c) =>
          limit(async (): Promise<DeliveryOutcome> => {
            const doc = docs.get(c.invoiceId)!;
            const { session, limit: one } = sessionFor(c);
            let status: DeliveryOutcome['status'];
            let error: string | null = null;
            try {
              const receipt = await one(async () => (await session).deliver(doc, artefactsFor(c.invoiceId, doc)));
              status = await record(deps, c, { ok: true, receipt: receipt.detail });
            } catch (err) {
              const d = describeError(err);
              error = d.error;
              status = await record(deps, c, { ok: false, ...d });
            }
            return { deliveryId: c.id, invoice: doc.number, integration: c.type, status, error };
          }),
        ),
      );
    } finally {
      await Promise.all([...sessions.values()].map(async (s) => (await s.catch(() => null))?.close()));
    }
  }

  return {
    async deliverPending(filter) {
      const outcomes: DeliveryOutcome[] = [];
      const seen = new Set<number>();
      for (;;) {
        const claimed = (await claim(deps, filter)).filter((c) => !seen.has(c.id));
        if (claimed.length === 0) break;
        for (const c of claimed) seen.add(c.id);
        outcomes.push(...(await deliverBatch(claimed)));
        if (claimed.length < CLAIM_BATCH) break;
      }
      return outcomes;
    },
  };
}
