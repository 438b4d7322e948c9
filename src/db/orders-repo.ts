/**
 * Reading orders for people: the `orders list` command and the API.
 */
import type { Knex } from 'knex';
import { formatAmount, formatTaxRate, formatUnitPrice } from '../domain/money.js';

export interface OrderQuery {
  company?: string;
  invoiced?: boolean;
  search?: string;
  limit: number;
  offset: number;
}

export interface OrderView {
  id: number;
  company: string;
  number: string;
  source: string;
  status: string;
  onHold: boolean;
  hasErrors: boolean;
  errorText: string | null;
  uniqueInvoice: boolean;
  relatingTo: string | null;
  currency: string;
  shippingCost: string;
  createdAt: string;
  dispatchedAt: string | null;
  invoiced: boolean;
  invoice: string | null;
  items: Array<{ sku: string; description: string; quantity: number; unitCostPrice: string; taxRate: string }>;
}

const iso = (ms: number | string | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

/** Escapes LIKE wildcards so a search for "50%" finds "50%" literally. */
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;

export async function listOrders(db: Knex, q: OrderQuery): Promise<{ items: OrderView[]; count: number }> {
  const base = db('orders as o').join('companies as c', 'c.id', 'o.company_id').leftJoin('invoices as i', 'i.id', 'o.invoice_id');
  if (q.company !== undefined) base.where('c.code', q.company);
  if (q.invoiced === true) base.whereNotNull('o.invoice_id');
  if (q.invoiced === false) base.whereNull('o.invoice_id');
  if (q.search !== undefined && q.search !== '') {
    const pattern = likePattern(q.search);
    base.where((w) => {
      w.whereRaw("lower(o.number) like ? escape '!'", [pattern])
        .orWhereRaw("lower(coalesce(o.relating_to, '')) like ? escape '!'", [pattern])
        .orWhereRaw("lower(c.code) like ? escape '!'", [pattern])
        .orWhereRaw("lower(c.name) like ? escape '!'", [pattern])
        .orWhereRaw("lower(coalesce(i.number, '')) like ? escape '!'", [pattern])
        .orWhereExists(
          db('order_items as oi')
            .whereRaw('oi.order_id = o.id')
            .where((x) => x.whereRaw("lower(oi.sku) like ? escape '!'", [pattern]).orWhereRaw("lower(oi.description) like ? escape '!'", [pattern])),
        );
    });
  }
  const countRow = (await base.clone().count({ n: '*' }).first()) as { n: number | string } | undefined;
  const rows = await base
    .clone()
    .select('o.*', 'c.code as company_code', 'i.number as invoice_number')
    .orderBy([
      { column: 'o.created_at', order: 'desc' },
      { column: 'o.id', order: 'desc' },
    ])
    .limit(q.limit)
    .offset(q.offset);
  const ids = rows.map((r: { id: number }) => r.id);
  const items = ids.length === 0 ? [] : await db('order_items').whereIn('order_id', ids).orderBy(['order_id', 'position']).select('*');
  const itemsByOrder = new Map<number, OrderView['items']>();
  for (const it of items) {
    const list = itemsByOrder.get(Number(it.order_id)) ?? [];
    list.push({
      sku: it.sku,
      description: it.description,
      quantity: Number(it.quantity),
      unitCostPrice: formatUnitPrice(Number(it.unit_cost_price_e4)),
      taxRate: formatTaxRate(Number(it.tax_rate_bp)),
    });
    itemsByOrder.set(Number(it.order_id), list);
  }
  return {
    count: Number(countRow?.n ?? 0),
    items: rows.map((r) => ({
      id: Number(r.id),
      company: r.company_code,
      number: r.number,
      source: r.source,
      status: r.status,
      onHold: Boolean(r.on_hold),
      hasErrors: Boolean(r.has_errors),
      errorText: r.error_text,
      uniqueInvoice: Boolean(r.unique_invoice),
      relatingTo: r.relating_to,
      currency: r.currency,
      shippingCost: formatAmount(Number(r.shipping_minor)),
      createdAt: iso(r.created_at)!,
      dispatchedAt: iso(r.dispatched_at),
      invoiced: r.invoice_id !== null,
      invoice: r.invoice_number ?? null,
      items: itemsByOrder.get(Number(r.id)) ?? [],
    })),
  };
}
