/**
 * Companies' open (not yet invoiced) orders, counted by the facts eligibility looks at, in one grouped
 * query rather than one row per order.
 */
import type { Knex } from 'knex';

export interface OpenOrderGroup {
  companyId: number;
  status: string;
  onHold: boolean;
  hasErrors: boolean;
  count: number;
}

export async function countOpenOrders(db: Knex, companyIds?: readonly number[]): Promise<OpenOrderGroup[]> {
  const q = db('orders')
    .whereNull('invoice_id')
    .count({ n: '*' })
    .groupBy('company_id', 'status', 'on_hold', 'has_errors')
    .select<Array<Record<string, unknown>>>('company_id', 'status', 'on_hold', 'has_errors');
  if (companyIds !== undefined) q.whereIn('company_id', [...companyIds]);
  return (await q).map((r) => ({
    companyId: Number(r.company_id),
    status: r.status as string,
    onHold: Boolean(r.on_hold),
    hasErrors: Boolean(r.has_errors),
    count: Number(r.n),
  }));
}
