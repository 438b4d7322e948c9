/**
 * Reading orders for people: the `orders list` command and the API.
 */
import type { Knex } from 'knex';
import { formatAmount, formatTaxRate, formatUnitPrice } from '../domain/money.js';
import { dialectOf } from './connect.js';

export type OrderSortField = 'createdAt' | 'number';
export interface OrderSort {
  field: OrderSortField;
  direction: 'asc' | 'desc';
}

export interface OrderQuery {
  company?: string;
  /** Only orders of these companies, by id (an API token's scope) */
  companyIds?: readonly number[];
  invoiced?: boolean;
  search?: string;
  limit: number;
  offset: number;
  /** Default: newest first (createdAt descending) */
  orderBy?: readonly OrderSort[];
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

const SORT_COLUMNS: Record<OrderSortField, string> = { createdAt: 'o.created_at', number: 'o.number' };

const ordersQuery = (db: Knex) => db('orders as o').join('companies as c', 'c.id', 'o.company_id').leftJoin('invoices as i', 'i.id', 'o.invoice_id');

export async function listOrders(db: Knex, q: OrderQuery): Promise<{ items: OrderView[]; count: number }> {
  const base = ordersQuery(db);
  if (q.company !== undefined) base.where('c.code', q.company);
  if (q.companyIds !== undefined) base.whereIn('o.company_id', [...q.companyIds]);
  if (q.invoiced === true) base.whereNotNull('o.invoice_id');
  if (q.invoiced === false) base.whereNull('o.invoice_id');
  if (q.search !== undefined && q.search !== '') {
    const pattern = likePattern(q.search);
    // Case-insensitive in every script: SQLite's own lower() folds ASCII only (see connect.ts)
    const lower = dialectOf(db) === 'sqlite' ? 'unicode_lower' : 'lower';
    base.where((w) => {
      w.whereRaw(`${lower}(o.number) like ? escape '!'`, [pattern])
        .orWhereRaw(`${lower}(coalesce(o.relating_to, '')) like ? escape '!'`, [pattern])
        .orWhereRaw(`${lower}(c.code) like ? escape '!'`, [pattern])
        .orWhereRaw(`${lower}(c.name) like ? escape '!'`, [pattern])
        .orWhereRaw(`${lower}(coalesce(i.number, '')) like ? escape '!'`, [pattern])
        .orWhereExists(
          db('order_items as oi')
            .whereRaw('oi.order_id = o.id')
            .where((x) => x.whereRaw(`${lower}(oi.sku) like ? escape '!'`, [pattern]).orWhereRaw(`${lower}(oi.description) like ? escape '!'`, [pattern])),
        );
    });
  }
  const countRow = (await base.clone().count({ n: '*' }).first()) as { n: number | string } | undefined;
  const sort = q.orderBy && q.orderBy.length > 0 ? q.orderBy : [{ field: 'createdAt', direction: 'desc' } as const];
  const rows = (await base
    .clone()
    .select('o.*', 'c.code as company_code', 'i.number as invoice_number')
    .orderBy([
      ...sort.map((s) => ({ column: SORT_COLUMNS[s.field], order: s.direction })),
      // A stable page order when the sort keys tie
      { column: 'o.id', order: sort[sort.length - 1]!.direction },
    ])
    .limit(q.limit)
    .offset(q.offset)) as Row[];
  return { count: Number(countRow?.n ?? 0), items: await toOrderViews(db, rows) };
}

/** One order by id, or null. */
export async function findOrder(db: Knex, id: number): Promise<OrderView | null> {
  const rows = (await ordersQuery(db).where('o.id', id).select('o.*', 'c.code as company_code', 'i.number as invoice_number')) as Row[];
  const [view] = await toOrderViews(db, rows);
  return view ?? null;
}

/** One order by its natural key, or null. */
export async function findOrderByNumber(db: Knex, company: string, number: string): Promise<OrderView | null> {
  const rows = (await ordersQuery(db)
    .where('c.code', company)
    .where('o.number', number)
    .select('o.*', 'c.code as company_code', 'i.number as invoice_number')) as Row[];
  const [view] = await toOrderViews(db, rows);
  return view ?? null;
}

/**
 * Puts an order on hold or releases it. Only an order not yet invoiced changes (the condition is part of
 * the UPDATE, so a run invoicing it at the same moment cannot slip in between a check and the write).
 */
export async function setOrderOnHold(db: Knex, id: number, onHold: boolean, now: number): Promise<'updated' | 'invoiced' | 'missing'> {
  const changed = await db('orders').where('id', id).whereNull('invoice_id').update({ on_hold: onHold, updated_at: now });
  if (changed > 0) return 'updated';
  return (await db('orders').where('id', id).first('id')) ? 'invoiced' : 'missing';
}

type Row = Record<string, unknown>;

async function toOrderViews(db: Knex, rows: Row[]): Promise<OrderView[]> {
  const ids = rows.map((r) => Number(r.id));
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
  return rows.map((r) => ({
    id: Number(r.id),
    company: r.company_code as string,
    number: r.number as string,
    source: r.source as string,
    status: r.status as string,
    onHold: Boolean(r.on_hold),
    hasErrors: Boolean(r.has_errors),
    errorText: (r.error_text as string | null) ?? null,
    uniqueInvoice: Boolean(r.unique_invoice),
    relatingTo: (r.relating_to as string | null) ?? null,
    currency: r.currency as string,
    shippingCost: formatAmount(Number(r.shipping_minor)),
    createdAt: iso(r.created_at as number)!,
    dispatchedAt: iso(r.dispatched_at as number | null),
    invoiced: r.invoice_id !== null,
    invoice: (r.invoice_number as string | null) ?? null,
    items: itemsByOrder.get(Number(r.id)) ?? [],
  }));
}

/** An order_items row as the database returns it (numbers may come back as strings from MySQL). */
export interface OrderItemRow {
  order_id: number | string;
  sku: string;
  description: string;
  quantity: number | string;
  unit_cost_price_e4: number | string;
  tax_rate_bp: number | string;
}

/** A stored item with its price and rate in the integer units the engine computes with. */
export function toPricedItem(row: OrderItemRow): { sku: string; description: string; quantity: number; unitPriceE4: number; taxRateBp: number } {
  return {
    sku: row.sku,
    description: row.description,
    quantity: Number(row.quantity),
    unitPriceE4: Number(row.unit_cost_price_e4),
    taxRateBp: Number(row.tax_rate_bp),
  };
}
