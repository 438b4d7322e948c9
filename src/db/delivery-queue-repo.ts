/**
 * Deliveries as people look at them: an invoice's deliveries, and the failed ones across companies.
 */
import type { Knex } from 'knex';

export interface DeliveryView {
  id: number;
  invoice: string;
  company: string;
  integration: string;
  status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  error: string | null;
  /** failed: when the outbox tries again by itself; null when it has given up */
  nextAttemptAt: number | null;
  receipt: string | null;
  sentAt: number | null;
  updatedAt: number;
}

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const deliveriesQuery = (db: Knex) =>
  db('deliveries as d')
    .join('invoices as i', 'i.id', 'd.invoice_id')
    .join('integrations as g', 'g.id', 'd.integration_id')
    .join('companies as c', 'c.id', 'i.company_id')
    .select('d.*', 'i.number as invoice', 'g.type as integration', 'c.code as company');

const toView = (r: Row): DeliveryView => ({
  id: Number(r.id),
  invoice: r.invoice as string,
  company: r.company as string,
  integration: r.integration as string,
  status: r.status as DeliveryView['status'],
  attempts: Number(r.attempts),
  error: (r.last_error as string | null) ?? null,
  nextAttemptAt: r.status === 'failed' ? num(r.next_attempt_at) : null,
  receipt: (r.receipt as string | null) ?? null,
  sentAt: num(r.sent_at),
  updatedAt: Number(r.updated_at),
});

/** An invoice's deliveries, by integration type. */
export async function listInvoiceDeliveries(db: Knex, invoiceId: number): Promise<DeliveryView[]> {
  return ((await deliveriesQuery(db).where('d.invoice_id', invoiceId).orderBy('g.type')) as Row[]).map(toView);
}

/** Failed deliveries across companies (within `companyIds` when given), the most recently failed first. */
export async function listFailedDeliveries(
  db: Knex,
  q: { companyIds?: readonly number[]; limit: number; offset: number },
): Promise<{ items: DeliveryView[]; count: number }> {
  const base = db('deliveries as d').join('invoices as i', 'i.id', 'd.invoice_id').where('d.status', 'failed');
  if (q.companyIds !== undefined) base.whereIn('i.company_id', [...q.companyIds]);
  const countRow = (await base.clone().count({ n: '*' }).first()) as { n: number | string } | undefined;
  const page = deliveriesQuery(db)
    .where('d.status', 'failed')
    .orderBy([
      { column: 'd.updated_at', order: 'desc' },
      { column: 'd.id', order: 'desc' },
    ])
    .limit(q.limit)
    .offset(q.offset);
  if (q.companyIds !== undefined) page.whereIn('i.company_id', [...q.companyIds]);
  return { count: Number(countRow?.n ?? 0), items: ((await page) as Row[]).map(toView) };
}

/** One delivery, with the company its invoice was raised against (for scope checks); null when unknown. */
export async function findDelivery(db: Knex, id: number): Promise<(DeliveryView & { companyId: number }) | null> {
  const row = (await deliveriesQuery(db).select('i.company_id').where('d.id', id).first()) as Row | undefined;
  return row ? { ...toView(row), companyId: Number(row.company_id) } : null;
}
