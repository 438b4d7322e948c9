/**
 * What `load` reads before it checks an import: the stored companies, products, sequences and orders the
 * import names, and no others. Also the lock a load takes on the companies it changes.
 */
import type { Knex } from 'knex';
import type { EligibleItem } from '../domain/build-invoices.js';
import type { OrderHeader } from '../domain/order.js';
import type { PricedProduct } from '../domain/pricing.js';
import { chunk, dialectOf } from './connect.js';
import { toOrderHeader, toPricedItem, type OrderItemRow, type OrderRow } from './order-rows.js';
import type { SequenceRow } from './sequences-repo.js';

/**
 * MySQL: locks the stored companies a load names (its companies, and those its orders belong to) before
 * it reads or writes anything, in id order as the invoicing transaction locks them. A run of one of these
 * companies that is under way finishes first, so its orders are then seen invoiced and a change to them
 * is refused; no run starts on them until the load commits; and as both lock companies first and in the
 * same order, a load and a run cannot deadlock. SQLite has one writer at a time: nothing to do.
 */
export async function lockCompanies(trx: Knex.Transaction, codes: readonly string[]): Promise<void> {
  if (dialectOf(trx) !== 'mysql') return;
  const ids: number[] = [];
  for (const part of chunk([...new Set(codes)], 1000)) {
    for (const r of await trx('companies').whereIn('code', part).select<Array<{ id: number | string }>>('id')) ids.push(Number(r.id));
  }
  ids.sort((a, b) => a - b);
  for (const part of chunk(ids, 1000)) await trx('companies').whereIn('id', part).orderBy('id').select('id').forUpdate();
}

/** A stored company as the import's checks and pricing see it. */
export interface StoredCompany {
  id: number;
  code: string;
  type: string;
  parentCode: string | null;
  tradeTier: string | null;
  currency: string | null;
  pricingStrategy: string;
}

interface CompanyRow {
  id: number | string;
  code: string;
  type: string;
  parent_id: number | string | null;
  trade_tier: string | null;
  inv_currency: string | null;
  pricing_strategy: string;
}

const COMPANY_COLUMNS = ['id', 'code', 'type', 'parent_id', 'trade_tier', 'inv_currency', 'pricing_strategy'];

/**
 * The stored companies with these codes, and all their ancestors (parent, its parent, …): one query per
 * level of the tree, each by key. Codes that are not stored are left out.
 */
export async function readCompaniesWithAncestors(trx: Knex.Transaction, codes: readonly string[]): Promise<StoredCompany[]> {
  const rows = new Map<number, CompanyRow>();
  const read = async (column: 'code' | 'id', keys: ReadonlyArray<string | number>) => {
    for (const part of chunk(keys, 500)) {
      for (const r of await trx('companies').whereIn(column, part).select<CompanyRow[]>(COMPANY_COLUMNS)) rows.set(Number(r.id), r);
    }
  };
  await read('code', [...new Set(codes)]);
  // Ids asked for once are not asked for again (a parent id matching no row is impossible with the foreign key)
  const asked = new Set<number>();
  for (;;) {
    const parents = new Set<number>();
    for (const r of rows.values())
      if (r.parent_id !== null && !rows.has(Number(r.parent_id)) && !asked.has(Number(r.parent_id))) parents.add(Number(r.parent_id));
    if (parents.size === 0) break;
    for (const id of parents) asked.add(id);
    await read('id', [...parents]);
  }
  return [...rows.values()].map((r) => ({
    id: Number(r.id),
    code: r.code,
    type: r.type,
    parentCode: r.parent_id === null ? null : (rows.get(Number(r.parent_id))?.code ?? null),
    tradeTier: r.trade_tier,
    currency: r.inv_currency,
    pricingStrategy: r.pricing_strategy,
  }));
}

/** A stored product: what pricing needs, and the tax rate an item without one takes. */
export interface StoredProduct extends PricedProduct {
  taxRateBp: number;
}

/** The stored products with these SKUs, with their trade-tier prices. */
export async function readProducts(trx: Knex.Transaction, skus: readonly string[]): Promise<Map<string, StoredProduct>> {
  const out = new Map<string, StoredProduct>();
  for (const part of chunk(skus, 500)) {
    const rows = await trx('products')
      .whereIn('sku', part)
      .select<Array<{ id: number | string; sku: string; cost_price_e4: number | string | null; tax_rate_bp: number | string }>>(
        'id',
        'sku',
        'cost_price_e4',
        'tax_rate_bp',
      );
    if (rows.length === 0) continue;
    const tiers = await trx('product_tier_prices')
      .whereIn(
        'product_id',
        rows.map((r) => r.id),
      )
      .select<Array<{ product_id: number | string; tier: string; price_e4: number | string }>>('product_id', 'tier', 'price_e4');
    const tiersByProduct = new Map<number, Map<string, number>>();
    for (const t of tiers) {
      const prices = tiersByProduct.get(Number(t.product_id)) ?? new Map<string, number>();
      prices.set(t.tier, Number(t.price_e4));
      tiersByProduct.set(Number(t.product_id), prices);
    }
    for (const r of rows) {
      out.set(r.sku, {
        sku: r.sku,
        costPriceE4: r.cost_price_e4 === null ? null : Number(r.cost_price_e4),
        tierPricesE4: tiersByProduct.get(Number(r.id)) ?? new Map<string, number>(),
        taxRateBp: Number(r.tax_rate_bp),
      });
    }
  }
  return out;
}

export interface StoredSequence {
  prefix: string;
  padding: number;
  nextValue: number;
  issued: number;
  /** null: the default (the owner's code + "-CN-") */
  creditNotePrefix: string | null;
  creditNotesIssued: number;
}

/** The sequences these companies own, by owner id. */
export async function readSequences(trx: Knex.Transaction, ownerIds: readonly number[]): Promise<Map<number, StoredSequence>> {
  const out = new Map<number, StoredSequence>();
  for (const part of chunk(ownerIds, 500)) {
    const rows = await trx('sequences')
      .whereIn('owner_company_id', part)
      .select<Array<Omit<SequenceRow, 'credit_note_next'>>>(
        'owner_company_id',
        'prefix',
        'padding',
        'next_value',
        'issued',
        'credit_note_prefix',
        'credit_notes_issued',
      );
    for (const r of rows) {
      out.set(Number(r.owner_company_id), {
        prefix: r.prefix,
        padding: Number(r.padding),
        nextValue: Number(r.next_value),
        issued: Number(r.issued),
        creditNotePrefix: r.credit_note_prefix,
        creditNotesIssued: Number(r.credit_notes_issued),
      });
    }
  }
  return out;
}

/** A stored order's key and whether it has been invoiced. */
export interface StoredOrderKey {
  id: number;
  companyId: number;
  number: string;
  invoiced: boolean;
}

/** The stored orders with these numbers, per company id. */
export async function findStoredOrders(trx: Knex.Transaction, numbersByCompany: ReadonlyMap<number, readonly string[]>): Promise<StoredOrderKey[]> {
  // Which of these companies have any stored orders at all (a first load of their orders needs no look-up)
  const withOrders = new Set<number>();
  for (const part of chunk([...numbersByCompany.keys()], 500)) {
    const rows = await trx('orders').whereIn('company_id', part).distinct<Array<{ company_id: number | string }>>('company_id');
    for (const row of rows) withOrders.add(Number(row.company_id));
  }
  const found: StoredOrderKey[] = [];
  for (const [companyId, numbers] of numbersByCompany) {
    if (!withOrders.has(companyId)) continue;
    for (const part of chunk(numbers, 500)) {
      const rows = await trx('orders')
        .where('company_id', companyId)
        .whereIn('number', part)
        .select<Array<{ id: number | string; number: string; invoice_id: number | string | null }>>('id', 'number', 'invoice_id');
      for (const r of rows) found.push({ id: Number(r.id), companyId, number: r.number, invoiced: r.invoice_id !== null });
    }
  }
  return found;
}

/** An order's content as stored (items priced in integer units): what an invoiced order is compared on. */
export interface OrderContent extends OrderHeader {
  shippingMinor: number;
  createdAt: number;
  dispatchedAt: number | null;
  items: EligibleItem[];
}

/** The content of these stored orders, by id. */
export async function readOrderContents(trx: Knex.Transaction, ids: readonly number[]): Promise<Map<number, OrderContent>> {
  const out = new Map<number, OrderContent>();
  for (const part of chunk(ids, 500)) {
    const rows = await trx('orders').whereIn('id', part).select<OrderRow[]>('*');
    const items = await trx('order_items').whereIn('order_id', part).orderBy(['order_id', 'position']).select<OrderItemRow[]>('*');
    for (const r of rows) {
      out.set(Number(r.id), {
        ...toOrderHeader(r),
        shippingMinor: Number(r.shipping_minor),
        createdAt: Number(r.created_at),
        dispatchedAt: r.dispatched_at === null ? null : Number(r.dispatched_at),
        items: [],
      });
    }
    for (const it of items) out.get(Number(it.order_id))?.items.push(toPricedItem(it));
  }
  return out;
}
