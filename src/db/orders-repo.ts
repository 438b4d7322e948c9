/**
 * Reading orders for people: the `orders list` command and the API.
 */
import type { Knex } from 'knex';
import { groupBy } from '../domain/group-by.js';
import { formatAmount, formatTaxRate, formatUnitPrice } from '../domain/money.js';
import type { OrderHeader } from '../domain/order.js';
import { dialectOf } from './connect.js';
import { toOrderHeader, type OrderItemRow, type OrderRow } from './order-rows.js';
import { countRows, isoOrNull } from './read-rows.js';

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

export interface OrderView extends OrderHeader {
  id: number;
  company: string;
  shippingCost: string;
  createdAt: string;
  dispatchedAt: string | null;
  invoiced: boolean;
  invoice: string | null;
  items: Array<{ sku: string; description: string; quantity: number; unitCostPrice: string; taxRate: string }>;
}

/** Escapes LIKE wildcards so a search for "50%" finds "50%" literally. */
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;

const SORT_COLUMNS: Record<OrderSortField, string> = { createdAt: 'o.created_at', number: 'o.number' };

const ordersQuery = (db: Knex) => db('orders as o').join('companies as c', 'c.id', 'o.company_id').leftJoin('invoices as i', 'i.id', 'o.invoice_id');

/** An order with its company's code and its invoice's number */
type OrderViewRow = OrderRow & { company_code: string; invoice_number: string | null };
const VIEW_COLUMNS = ['o.*', 'c.code as company_code', 'i.number as invoice_number'];

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
  const count = await countRows(base);
  const sort = q.orderBy && q.orderBy.length > 0 ? q.orderBy : [{ field: 'createdAt', direction: 'desc' } as const];
  const rows = await base
    .clone()
    .select<OrderViewRow[]>(VIEW_COLUMNS)
    .orderBy([
      ...sort.map((s) => ({ column: SORT_COLUMNS[s.field], order: s.direction })),
      // A stable page order when the sort keys tie
      { column: 'o.id', order: sort[sort.length - 1]!.direction },
    ])
    .limit(q.limit)
    .offset(q.offset);
  return { count, items: await toOrderViews(db, rows) };
}

/** One order by id, or null. */
export async function findOrder(db: Knex, id: number): Promise<OrderView | null> {
  const rows = await ordersQuery(db).where('o.id', id).select<OrderViewRow[]>(VIEW_COLUMNS);
  const [view] = await toOrderViews(db, rows);
  return view ?? null;
}

/** One order by its natural key, or null. */
export async function findOrderByNumber(db: Knex, company: string, number: string): Promise<OrderView | null> {
  const rows = await ordersQuery(db).where('c.code', company).where('o.number', number).select<OrderViewRow[]>(VIEW_COLUMNS);
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

async function toOrderViews(db: Knex, rows: readonly OrderViewRow[]): Promise<OrderView[]> {
  const ids = rows.map((r) => Number(r.id));
  const items = ids.length === 0 ? [] : await db('order_items').whereIn('order_id', ids).orderBy(['order_id', 'position']).select<OrderItemRow[]>('*');
  const itemsByOrder = groupBy(items, (it) => Number(it.order_id));
  return rows.map((r) => ({
    id: Number(r.id),
    company: r.company_code,
    ...toOrderHeader(r),
    shippingCost: formatAmount(Number(r.shipping_minor)),
    createdAt: isoOrNull(r.created_at)!,
    dispatchedAt: isoOrNull(r.dispatched_at),
    invoiced: r.invoice_id !== null,
    invoice: r.invoice_number ?? null,
    items: (itemsByOrder.get(Number(r.id)) ?? []).map((it) => ({
      sku: it.sku,
      description: it.description,
      quantity: Number(it.quantity),
      unitCostPrice: formatUnitPrice(Number(it.unit_cost_price_e4)),
      taxRate: formatTaxRate(Number(it.tax_rate_bp)),
    })),
  }));
}
