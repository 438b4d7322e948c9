/**
 * The invoicing transaction's reads and writes of orders: the companies' open (not yet invoiced) orders
 * with their items, read with the locks that serialise runs, and the marking of the orders invoiced.
 */
import type { Knex } from 'knex';
import type { EligibleOrder } from '../domain/build-invoices.js';
import type { OrderFacts } from '../domain/eligibility.js';
import { groupBy } from '../domain/group-by.js';
import { valueById } from './bulk-insert.js';
import { batchSizeFor, chunk, dialectOf } from './connect.js';
import { toPricedItem, type OrderItemRow, type OrderRow } from './order-rows.js';

/** An order not yet invoiced: what eligibility decides on and what the engine invoices (items in position order) */
export interface OpenOrder extends EligibleOrder, OrderFacts {
  companyId: number;
}

const OPEN_ORDER_COLUMNS = [
  'company_id',
  'id',
  'number',
  'status',
  'on_hold',
  'has_errors',
  'created_at',
  'currency',
  'shipping_minor',
  'unique_invoice',
  'relating_to',
] as const satisfies ReadonlyArray<keyof OrderRow>;
type OpenOrderRow = Pick<OrderRow, (typeof OPEN_ORDER_COLUMNS)[number]>;

/**
 * Locks the companies' rows in id order, so that runs of one company serialise (the second then finds
 * nothing left) and batches cannot deadlock. MySQL locks with a locking read; SQLite, which has one writer,
 * takes the database's write lock with a write.
 */
export async function lockCompaniesForInvoicing(trx: Knex.Transaction, companyIds: readonly number[], onStatement: () => void): Promise<void> {
  const ids = [...companyIds].sort((a, b) => a - b);
  onStatement();
  if (dialectOf(trx) === 'mysql') await trx('companies').whereIn('id', ids).select('id').orderBy('id').forUpdate();
  else await trx('companies').whereIn('id', ids).increment('run_count', 1);
}

/**
 * The companies' open orders as of `asOf`, with their items, in a fixed number of queries whatever their
 * number. With `lock` (MySQL, inside the invoicing transaction, after lockCompaniesForInvoicing), the orders
 * are read exclusively and their items shared, so they are read as last committed and held until the
 * transaction ends. Neither read asks the database for an order: sorting 100,000 orders there costs more
 * than the read, and the engine orders them itself (here, only each order's items by position).
 */
export async function selectOpenOrders(
  q: Knex | Knex.Transaction,
  companyIds: readonly number[],
  asOf: number,
  lock: boolean,
  onStatement: () => void = () => undefined,
): Promise<OpenOrder[]> {
  const forCompanies = <T extends Knex.QueryBuilder>(query: T, column: string): T =>
    (companyIds.length === 1 ? query.where(column, companyIds[0]) : query.whereIn(column, [...companyIds])) as T;
  // Locking reads lock every row they scan: they are held to the (company, invoice, created) index, so
  // that a plan scanning more could never lock (and wait for) other companies' orders
  const ordersTable = (alias: string) =>
    lock ? q.raw(`\`orders\` AS \`${alias}\` FORCE INDEX (\`orders_company_id_invoice_id_created_at_index\`)`) : `orders as ${alias}`;
  const orders = forCompanies(
    q.queryBuilder().from(ordersTable('orders')).whereNull('invoice_id').where('created_at', '<=', asOf).select<OpenOrderRow[]>(OPEN_ORDER_COLUMNS),
    'company_id',
  );
  if (lock) orders.forUpdate();
  onStatement();
  const orderRows = await orders;
  if (orderRows.length === 0) return [];

  const items = forCompanies(
    q
      .queryBuilder()
      .from(ordersTable('o'))
      .join('order_items as oi', 'oi.order_id', 'o.id')
      .whereNull('o.invoice_id')
      .where('o.created_at', '<=', asOf)
      .select<OrderItemRow[]>('oi.order_id', 'oi.position', 'oi.sku', 'oi.description', 'oi.quantity', 'oi.unit_cost_price_e4', 'oi.tax_rate_bp'),
    'o.company_id',
  );
  if (lock) items.forShare();
  onStatement();
  const itemsByOrder = groupBy(await items, (item) => Number(item.order_id));
  return orderRows.map((r) => {
    const list = itemsByOrder.get(Number(r.id)) ?? [];
    if (list.length > 1) list.sort((a, b) => Number(a.position) - Number(b.position));
    return {
      id: Number(r.id),
      companyId: Number(r.company_id),
      number: r.number,
      status: r.status,
      onHold: Boolean(r.on_hold),
      hasErrors: Boolean(r.has_errors),
      createdAt: Number(r.created_at),
      currency: r.currency,
      shippingMinor: Number(r.shipping_minor),
      uniqueInvoice: Boolean(r.unique_invoice),
      relatingTo: r.relating_to ?? null,
      items: list.map(toPricedItem),
    };
  });
}

/** Pairs per `UPDATE … SET invoice_id = CASE id …` (the CASE is evaluated per row, so it stays short) */
const CASE_PAIRS = 500;

/**
 * Sets each order's invoice, only where it is still uninvoiced; false if any was not (the caller rolls
 * back). An invoice with many orders gets `SET invoice_id = ? WHERE id IN (…)` statements; invoices with
 * few are written together through a short CASE.
 */
export async function markOrdersInvoiced(
  trx: Knex.Transaction,
  invoices: ReadonlyArray<{ invoiceId: number; orderIds: readonly number[] }>,
  now: number,
  onStatement: () => void,
): Promise<boolean> {
  let pairs: Array<[number, number]> = [];
  const flushPairs = async (): Promise<boolean> => {
    if (pairs.length === 0) return true;
    const part = pairs;
    pairs = [];
    onStatement();
    const changed = await trx('orders')
      .whereIn(
        'id',
        part.map(([orderId]) => orderId),
      )
      .whereNull('invoice_id')
      .update({ invoice_id: valueById(trx, part), updated_at: now });
    return changed === part.length;
  };
  for (const inv of invoices) {
    if (inv.orderIds.length >= CASE_PAIRS) {
      for (const part of chunk(inv.orderIds, batchSizeFor(trx, 1))) {
        onStatement();
        const changed = await trx('orders').whereIn('id', part).whereNull('invoice_id').update({ invoice_id: inv.invoiceId, updated_at: now });
        if (changed !== part.length) return false;
      }
      continue;
    }
    if (pairs.length + inv.orderIds.length > CASE_PAIRS && !(await flushPairs())) return false;
    for (const orderId of inv.orderIds) pairs.push([orderId, inv.invoiceId]);
  }
  return flushPairs();
}
