/**
 * The outbox's rows (table `deliveries`): one per invoice and integration. A delivery moves
 * pending|failed(due)|sending(expired) → sending (claimed, with a deadline) → sent (with the server's
 * answer) or failed (with the reason and, while attempts remain, the next attempt time). See
 * src/pipeline/outbox.ts for the state machine's driver.
 */
import type { Knex } from 'knex';
import { parseIntegrationSettings, type IntegrationType, type TypedSettings } from '../domain/integration-settings.js';
import { bulkInsert, valueById } from './bulk-insert.js';
import { chunk, dialectOf, inTransaction, retryOnConflict } from './connect.js';
import { insertDeliveryAttempts } from './delivery-attempts-repo.js';
import { numberOrNull, type DbRow } from './read-rows.js';

export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';

/** A claimed delivery, with its integration's settings (parsed) */
export type ClaimedDelivery = TypedSettings & {
  id: number;
  invoiceId: number;
  integrationId: number;
  /** The stored settings as written: deliveries with equal settings share a session */
  settingsKey: string;
  /** This attempt's number (1 for the first) */
  attempts: number;
};

export interface DeliveryFilter {
  integrationIds?: readonly number[];
  invoiceIds?: readonly number[];
  /** Only failed deliveries whose back-off has passed and deliveries whose sender died (the tick's retry pass) */
  retriesOnly?: boolean;
}

/**
 * Queues one pending delivery per enabled integration of each invoice's company (inside the invoicing
 * transaction, which reads the enabled integrations itself: a tick resolves its parties minutes before
 * some batches run).
 */
export async function queueDeliveries(
  trx: Knex.Transaction,
  invoices: ReadonlyArray<{ invoiceId: number; companyId: number }>,
  now: number,
  onStatement: () => void,
): Promise<void> {
  const companyIds = [...new Set(invoices.map((i) => i.companyId))];
  onStatement();
  const enabled = new Map<number, number[]>();
  const integrations = await trx('integrations')
    .whereIn('company_id', companyIds)
    .where('enabled', true)
    .orderBy('id')
    .select<Array<{ id: number | string; company_id: number | string }>>('id', 'company_id');
  for (const g of integrations) {
    const list = enabled.get(Number(g.company_id)) ?? [];
    list.push(Number(g.id));
    enabled.set(Number(g.company_id), list);
  }
  const rows = invoices.flatMap((i) => (enabled.get(i.companyId) ?? []).map((integrationId) => [i.invoiceId, integrationId, 'pending', 0, now, now, now]));
  await bulkInsert(trx, 'deliveries', ['invoice_id', 'integration_id', 'status', 'attempts', 'next_attempt_at', 'created_at', 'updated_at'], rows, onStatement);
}

/**
 * Claims up to `limit` deliveries due as of `asOf` matching the filter: marks them `sending` until `until`
 * and counts the attempt. A short transaction of its own.
 */
export async function claimDeliveries(
  db: Knex,
  filter: DeliveryFilter,
  o: { asOf: number; now: number; until: number; claimMs: number; limit: number },
): Promise<ClaimedDelivery[]> {
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
                .where('d.created_at', '<', o.asOf - o.claimMs)
                .whereExists(trx('invoices as i').whereRaw('i.id = d.invoice_id').where('i.mode', 'manual')),
            )
          : w.where('d.status', 'pending')
        )
          .orWhere((x) => x.where('d.status', 'failed').whereNotNull('d.next_attempt_at').where('d.next_attempt_at', '<=', o.asOf))
          .orWhere((x) => x.where('d.status', 'sending').where('d.claimed_until', '<', o.asOf)),
      )
      .orderBy('d.id')
      .limit(o.limit)
      .select<DbRow[]>('d.id', 'd.invoice_id', 'd.integration_id', 'd.attempts', 'g.type', 'g.settings');
    if (filter.integrationIds) q.whereIn('d.integration_id', [...filter.integrationIds]);
    if (filter.invoiceIds) q.whereIn('d.invoice_id', [...filter.invoiceIds]);
    if (dialectOf(trx) === 'mysql') {
      // Passes over the whole outbox (the workers' retry passes) claim at once: each skips rows another
      // has locked. A run claiming its own deliveries waits instead: another pass's scan locks rows it only
      // looks at, and skipping them would leave the run's deliveries pending until its next scheduled run.
      const targeted = !filter.retriesOnly && (filter.integrationIds !== undefined || filter.invoiceIds !== undefined);
      if (targeted) q.forUpdate('d');
      else q.forUpdate('d').skipLocked();
    }
    const rows = await q;
    const claimed = rows.map((r) => ({
      ...parseIntegrationSettings(r.type as IntegrationType, r.settings as string),
      id: Number(r.id),
      invoiceId: Number(r.invoice_id),
      integrationId: Number(r.integration_id),
      settingsKey: r.settings as string,
      attempts: Number(r.attempts) + 1,
    }));
    for (const ids of chunk(
      claimed.map((c) => c.id),
      500,
    )) {
      await trx('deliveries')
        .whereIn('id', ids)
        .update({ status: 'sending', claimed_until: o.until, attempts: trx.raw('attempts + 1'), updated_at: o.now });
    }
    return claimed;
  });
}

/**
 * Records deliveries as sent, each with the server's answer, in one UPDATE, and each attempt in the
 * deliveries' history (`attempt`: the delivery's attempt count), in the same transaction.
 */
export async function recordDeliveriesSent(db: Knex, sent: ReadonlyArray<{ id: number; receipt: string; attempt: number }>, now: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx('deliveries')
      .whereIn(
        'id',
        sent.map((s) => s.id),
      )
      .update({
        status: 'sent',
        receipt: valueById(
          trx,
          sent.map((s) => [s.id, s.receipt] as const),
        ),
        last_error: null,
        sent_at: now,
        claimed_until: null,
        next_attempt_at: null,
        updated_at: now,
      });
    await insertDeliveryAttempts(
      trx,
      sent.map((s) => ({ deliveryId: s.id, attempt: s.attempt, status: 'sent', detail: s.receipt, finishedAt: now })),
    );
  });
}

/**
 * Records a failed attempt: the reason, and when to try again (null: not again without a person asking),
 * and the attempt in the delivery's history, in one transaction.
 */
export async function recordDeliveryFailed(
  db: Knex,
  failed: { id: number; attempt: number; lastError: string; nextAttemptAt: number | null },
  now: number,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx('deliveries')
      .where('id', failed.id)
      .update({ status: 'failed', last_error: failed.lastError, next_attempt_at: failed.nextAttemptAt, claimed_until: null, updated_at: now });
    await insertDeliveryAttempts(trx, [{ deliveryId: failed.id, attempt: failed.attempt, status: 'failed', detail: failed.lastError, finishedAt: now }]);
  });
}

/**
 * Extends the claim on deliveries still `sending` under one of the deadlines this claimant wrote (`ours`),
 * so that a claim another worker took after it ran out stays theirs.
 */
export async function renewDeliveryClaims(db: Knex, ids: readonly number[], ours: readonly number[], until: number): Promise<void> {
  for (const part of chunk(ids, 500)) {
    await retryOnConflict(() =>
      db('deliveries')
        .whereIn('id', part)
        .where('status', 'sending')
        .whereIn('claimed_until', [...ours])
        .update({ claimed_until: until }),
    );
  }
}

/** A delivery for people: `deliveries list` and the admin page. */
export interface DeliveryView {
  id: number;
  invoiceId: number;
  /** The number of what is delivered: an invoice or a credit note */
  invoice: string;
  /** The invoice it belongs to: itself, or the invoice a credit note credits */
  ofInvoice: string;
  company: string;
  integration: IntegrationType;
  integrationEnabled: boolean;
  status: DeliveryStatus;
  attempts: number;
  error: string | null;
  nextAttemptAt: number | null;
  claimedUntil: number | null;
  sentAt: number | null;
  receipt: string | null;
}

/** Deliveries, oldest first: all, or one by id, or an invoice's (by number), of a status, of a company. */
export async function listDeliveries(
  db: Knex,
  filter: { id?: number; invoiceNumber?: string; status?: DeliveryStatus; company?: string } = {},
): Promise<DeliveryView[]> {
  const q = db('deliveries as d')
    .join('invoices as i', 'i.id', 'd.invoice_id')
    .join('integrations as g', 'g.id', 'd.integration_id')
    .join('companies as c', 'c.id', 'i.company_id')
    .leftJoin('invoices as ci', 'ci.id', 'i.credits_invoice_id')
    .orderBy('d.id')
    .select<DbRow[]>(
      'd.*',
      'i.number as invoice',
      'ci.number as credited_invoice',
      'g.type as integration',
      'g.enabled as integration_enabled',
      'c.code as company',
    );
  if (filter.id !== undefined) q.where('d.id', filter.id);
  if (filter.invoiceNumber !== undefined) q.where('i.number', filter.invoiceNumber);
  if (filter.status !== undefined) q.where('d.status', filter.status);
  if (filter.company !== undefined) q.where('c.code', filter.company);
  return (await q).map((r) => ({
    id: Number(r.id),
    invoiceId: Number(r.invoice_id),
    invoice: r.invoice as string,
    ofInvoice: (r.credited_invoice as string | null) ?? (r.invoice as string),
    company: r.company as string,
    integration: r.integration as IntegrationType,
    integrationEnabled: Boolean(r.integration_enabled),
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    error: (r.last_error as string | null) ?? null,
    nextAttemptAt: numberOrNull(r.next_attempt_at),
    claimedUntil: numberOrNull(r.claimed_until),
    sentAt: numberOrNull(r.sent_at),
    receipt: (r.receipt as string | null) ?? null,
  }));
}

/**
 * Makes deliveries due now with a fresh set of attempts (a person asked for it). Only rows still failed or
 * pending, or sending under an expired claim, are reset, so a delivery a worker has just claimed is not
 * sent twice at once.
 */
export async function resetDeliveriesForRetry(db: Knex, ids: readonly number[], now: number): Promise<void> {
  await db('deliveries')
    .whereIn('id', [...ids])
    .where((w) => w.whereIn('status', ['failed', 'pending']).orWhere((x) => x.where('status', 'sending').where('claimed_until', '<', now)))
    .update({ status: 'pending', attempts: 0, next_attempt_at: now, claimed_until: null, updated_at: now });
}
