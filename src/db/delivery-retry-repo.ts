/**
 * What `deliveries retry` (and the admin page's Retry) reads and writes: the deliveries a retry names, and
 * resetting the ones it may send again.
 */
import type { Knex } from 'knex';

export interface RetryCandidate {
  id: number;
  invoiceId: number;
  /** The invoiced company, for scope checks */
  companyId: number;
  status: string;
  claimedUntil: number | null;
  number: string;
  type: string;
  enabled: boolean;
}

/** One delivery by id, or every delivery of the invoice with this number. */
export async function findRetryCandidates(db: Knex, target: { deliveryId: number } | { invoiceNumber: string }): Promise<RetryCandidate[]> {
  const q = db('deliveries as d')
    .join('invoices as i', 'i.id', 'd.invoice_id')
    .join('integrations as g', 'g.id', 'd.integration_id')
    .orderBy('d.id')
    .select('d.id', 'd.invoice_id', 'i.company_id', 'd.status', 'd.claimed_until', 'i.number', 'g.type', 'g.enabled');
  if ('deliveryId' in target) q.where('d.id', target.deliveryId);
  else q.where('i.number', target.invoiceNumber);
  return ((await q) as Array<Record<string, unknown>>).map((r) => ({
    id: Number(r.id),
    invoiceId: Number(r.invoice_id),
    companyId: Number(r.company_id),
    status: r.status as string,
    claimedUntil: r.claimed_until === null ? null : Number(r.claimed_until),
    number: r.number as string,
    type: r.type as string,
    enabled: Boolean(r.enabled),
  }));
}

/**
 * A fresh set of attempts, starting now, for these deliveries. Only rows still in a state a retry may take
 * (failed, pending, or sending under an expired claim) are reset, so a delivery a worker has just claimed
 * is not sent twice at once.
 */
export async function resetDeliveriesForRetry(db: Knex, ids: readonly number[], now: number): Promise<void> {
  await db('deliveries')
    .whereIn('id', [...ids])
    .where((w) => {
      void w.whereIn('status', ['failed', 'pending']).orWhere((x) => {
        void x.where('status', 'sending').where('claimed_until', '<', now);
      });
    })
    .update({ status: 'pending', attempts: 0, next_attempt_at: now, claimed_until: null, updated_at: now });
}
