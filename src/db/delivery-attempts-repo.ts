/**
 * Delivery attempts (table `delivery_attempts`): one row per finished attempt, sent (with the server's
 * answer) or failed (with the reason), so a delivery's history survives its row being updated.
 */
import type { Knex } from 'knex';
import { batchSizeFor, chunk } from './connect.js';

export interface DeliveryAttempt {
  deliveryId: number;
  /** The delivery's attempt count when it was made */
  attempt: number;
  status: 'sent' | 'failed';
  /** sent: the server's answer; failed: the reason */
  detail: string | null;
  finishedAt: number;
}

/** Records finished attempts; pass the transaction that records the deliveries' new state. */
export async function insertDeliveryAttempts(db: Knex, attempts: readonly DeliveryAttempt[]): Promise<void> {
  const rows = attempts.map((a) => ({ delivery_id: a.deliveryId, attempt: a.attempt, status: a.status, detail: a.detail, finished_at: a.finishedAt }));
  for (const part of chunk(rows, batchSizeFor(db, 5))) await db('delivery_attempts').insert(part);
}

/** The attempts of these deliveries, oldest first, by delivery id. */
export async function listDeliveryAttempts(db: Knex, deliveryIds: readonly number[]): Promise<Map<number, DeliveryAttempt[]>> {
  const out = new Map<number, DeliveryAttempt[]>();
  for (const part of chunk(deliveryIds, 500)) {
    const rows = (await db('delivery_attempts').whereIn('delivery_id', part).orderBy(['delivery_id', 'id']).select('*')) as Array<Record<string, unknown>>;
    for (const r of rows) {
      const id = Number(r.delivery_id);
      const list = out.get(id) ?? [];
      list.push({
        deliveryId: id,
        attempt: Number(r.attempt),
        status: r.status as DeliveryAttempt['status'],
        detail: (r.detail as string | null) ?? null,
        finishedAt: Number(r.finished_at),
      });
      out.set(id, list);
    }
  }
  return out;
}
