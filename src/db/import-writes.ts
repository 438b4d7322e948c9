/**
 * What `load` writes once an import has been checked: companies (with their logos), sequences,
 * integrations, users, products and orders, each upserted by natural key. Fields left undefined keep
 * their stored values.
 */
import type { Knex } from 'knex';
import type { PostalAddress } from '../domain/invoice-document.js';
import { bulkInsert, consecutiveIdsGuaranteed, insertReturningIds } from './bulk-insert.js';
import { chunk } from './connect.js';
import type { OrderContent } from './import-reads.js';

export interface Upserted {
  inserted: number;
  updated: number;
}

export interface LogoBlob {
  sha256: string;
  mime: string;
  data: Uint8Array;
}

/** A company as a load writes it: undefined leaves a stored column as it is, null clears it. */
export interface CompanyWrite {
  code: string;
  name: string;
  type: string;
  timezone?: string | undefined;
  email?: string | null | undefined;
  tradeTier?: string | null | undefined;
  vatNumber?: string | null | undefined;
  endpoint?: { scheme: string; id: string } | null | undefined;
  address?: PostalAddress | null | undefined;
  sharedSequence?: boolean | undefined;
  pricingStrategy?: string | undefined;
  invoicing?:
    | {
        currency?: string | undefined;
        paymentTermsDays?: number | undefined;
        paymentDetails?: string | null | undefined;
        iban?: string | null | undefined;
        bic?: string | null | undefined;
        layout?: string | undefined;
        logo?: LogoBlob | null | undefined;
      }
    | undefined;
  /** The parent's code; set once every company of the load has an id (a parent may come later in the file) */
  parent?: string | null | undefined;
}

/**
 * Inserts or updates each company; `storedIds` holds the ids of the stored companies the load names.
 * Returns those ids with the new companies' ids added.
 */
export async function writeCompanies(
  trx: Knex.Transaction,
  companies: readonly CompanyWrite[],
  storedIds: ReadonlyMap<string, number>,
  now: number,
): Promise<{ ids: Map<string, number>; counts: Upserted }> {
  const ids = new Map(storedIds);
  const counts: Upserted = { inserted: 0, updated: 0 };
  for (const c of companies) {
    const logo = c.invoicing?.logo;
    if (logo) {
      await trx('blobs')
        .insert({ sha256: logo.sha256, mime: logo.mime, data_base64: Buffer.from(logo.data).toString('base64') })
        .onConflict('sha256')
        .ignore();
    }
    const row: Record<string, unknown> = { code: c.code, name: c.name, type: c.type, updated_at: now };
    const set = (column: string, value: unknown) => {
      if (value !== undefined) row[column] = value;
    };
    set('timezone', c.timezone);
    set('email', c.email);
    set('trade_tier', c.tradeTier);
    set('vat_number', c.vatNumber);
    if (c.endpoint !== undefined) {
      row.endpoint_scheme = c.endpoint?.scheme ?? null;
      row.endpoint_id = c.endpoint?.id ?? null;
    }
    if (c.address !== undefined) row.address = c.address === null ? null : JSON.stringify(c.address);
    set('shared_sequence', c.sharedSequence);
    set('pricing_strategy', c.pricingStrategy);
    if (c.invoicing) {
      set('inv_currency', c.invoicing.currency);
      set('payment_terms_days', c.invoicing.paymentTermsDays);
      set('payment_details', c.invoicing.paymentDetails);
      set('iban', c.invoicing.iban);
      set('bic', c.invoicing.bic);
      set('layout', c.invoicing.layout);
      set('logo_sha256', logo === null ? null : logo?.sha256);
    }
    const existingId = ids.get(c.code);
    if (existingId !== undefined) {
      await trx('companies').where('id', existingId).update(row);
      counts.updated++;
    } else {
      // Both drivers answer an INSERT with the generated id
      const [id] = await trx('companies').insert<Array<number | string>>({ ...row, created_at: now });
      ids.set(c.code, Number(id));
      counts.inserted++;
    }
  }
  for (const c of companies) {
    if (c.parent === undefined) continue;
    await trx('companies')
      .where('id', ids.get(c.code)!)
      .update({ parent_id: c.parent === null ? null : ids.get(c.parent)! });
  }
  return { ids, counts };
}

/**
 * A sequence as a load writes it, every value resolved. `numbering` is absent once the sequence has issued
 * invoice numbers, and `creditNotePrefix` once it has issued credit notes (neither may change then).
 */
export interface SequenceWrite {
  ownerCode: string;
  /** Whether the owner already has a sequence row (updated) or not (inserted) */
  stored: boolean;
  numbering?: { prefix: string; padding: number; nextValue: number };
  /** null: the default prefix */
  creditNotePrefix?: string | null;
}

export async function writeSequences(trx: Knex.Transaction, sequences: readonly SequenceWrite[], ids: ReadonlyMap<string, number>, now: number): Promise<void> {
  for (const s of sequences) {
    const ownerId = ids.get(s.ownerCode)!;
    const row = {
      ...(s.numbering ? { prefix: s.numbering.prefix, padding: s.numbering.padding, next_value: s.numbering.nextValue } : {}),
      ...(s.creditNotePrefix !== undefined ? { credit_note_prefix: s.creditNotePrefix } : {}),
      updated_at: now,
    };
    if (s.stored) await trx('sequences').where('owner_company_id', ownerId).update(row);
    else await trx('sequences').insert({ ...row, owner_company_id: ownerId, issued: 0, created_at: now });
  }
}

export interface IntegrationWrite {
  companyCode: string;
  type: string;
  enabled: boolean;
  includeOrdersWithErrors: boolean;
  startingFrom: string | null;
  schedule: string | null;
  settings: Readonly<Record<string, unknown>>;
  /** An explicit next run; undefined keeps the one the scheduler computed */
  nextInvoiceAt?: number | undefined;
}

/** Inserts or updates each integration (one per company and type). */
export async function writeIntegrations(
  trx: Knex.Transaction,
  integrations: readonly IntegrationWrite[],
  ids: ReadonlyMap<string, number>,
  now: number,
): Promise<void> {
  // The stored integrations of these companies, read once
  const stored = new Map<string, number>();
  for (const part of chunk([...new Set(integrations.map((i) => ids.get(i.companyCode)!))], 500)) {
    const rows = await trx('integrations')
      .whereIn('company_id', part)
      .select<Array<{ id: number | string; company_id: number | string; type: string }>>('id', 'company_id', 'type');
    for (const r of rows) stored.set(`${Number(r.company_id)}\u0000${r.type}`, Number(r.id));
  }
  for (const i of integrations) {
    const companyId = ids.get(i.companyCode)!;
    const row: Record<string, unknown> = {
      enabled: i.enabled,
      include_orders_with_errors: i.includeOrdersWithErrors,
      starting_from: i.startingFrom,
      schedule: i.schedule,
      settings: JSON.stringify(i.settings),
      updated_at: now,
    };
    if (i.nextInvoiceAt !== undefined) row.next_invoice_at = i.nextInvoiceAt;
    const existingId = stored.get(`${companyId}\u0000${i.type}`);
    if (existingId !== undefined) await trx('integrations').where('id', existingId).update(row);
    else await trx('integrations').insert({ ...row, company_id: companyId, type: i.type, created_at: now });
  }
}

export interface UserWrite {
  email: string;
  name: string;
  /** A company code; undefined keeps the stored one */
  primaryCompany?: string | null | undefined;
}

/** Inserts or updates each user, matched by email whatever its case. */
export async function writeUsers(trx: Knex.Transaction, users: readonly UserWrite[], ids: ReadonlyMap<string, number>, now: number): Promise<Upserted> {
  const counts: Upserted = { inserted: 0, updated: 0 };
  for (const u of users) {
    const row: Record<string, unknown> = { email: u.email, name: u.name, updated_at: now };
    if (u.primaryCompany !== undefined) row.primary_company_id = u.primaryCompany === null ? null : ids.get(u.primaryCompany)!;
    const existing = await trx('users').whereRaw('lower(email) = ?', [u.email.toLowerCase()]).first<{ id: number } | undefined>('id');
    if (existing) {
      await trx('users').where('id', existing.id).update(row);
      counts.updated++;
    } else {
      await trx('users').insert({ ...row, created_at: now });
      counts.inserted++;
    }
  }
  return counts;
}

export interface ProductWrite {
  sku: string;
  name: string;
  taxRateBp: number;
  costPriceE4: number | null;
  /** Replaces every stored trade-tier price; undefined keeps them */
  tierPricesE4?: ReadonlyArray<readonly [tier: string, priceE4: number]> | undefined;
}

/** Inserts or updates each product, matched by SKU. */
export async function writeProducts(trx: Knex.Transaction, products: readonly ProductWrite[], now: number): Promise<Upserted> {
  const counts: Upserted = { inserted: 0, updated: 0 };
  for (const p of products) {
    const row = { sku: p.sku, name: p.name, tax_rate_bp: p.taxRateBp, cost_price_e4: p.costPriceE4, updated_at: now };
    const existing = await trx('products').where('sku', p.sku).first<{ id: number } | undefined>('id');
    let id: number;
    if (existing) {
      id = existing.id;
      await trx('products').where('id', id).update(row);
      counts.updated++;
    } else {
      await trx('products').insert({ ...row, created_at: now });
      id = (await trx('products').where('sku', p.sku).first<{ id: number }>('id')).id;
      counts.inserted++;
    }
    if (p.tierPricesE4 !== undefined) {
      await trx('product_tier_prices').where('product_id', id).delete();
      const tiers = p.tierPricesE4.map(([tier, price]) => ({ product_id: id, tier, price_e4: price }));
      if (tiers.length > 0) await trx('product_tier_prices').insert(tiers);
    }
  }
  return counts;
}

/** An order as a load writes it, with its items priced. */
export interface OrderWrite extends OrderContent {
  companyCode: string;
  /** The stored order it replaces (same company and number), or null for a new one */
  storedId: number | null;
}

/** The columns of a stored order, in the order the bulk inserts write them. */
export const ORDER_COLUMNS = [
  'company_id',
  'number',
  'source',
  'status',
  'on_hold',
  'has_errors',
  'error_text',
  'unique_invoice',
  'relating_to',
  'currency',
  'shipping_minor',
  'created_at',
  'dispatched_at',
  'updated_at',
] as const;
/** The columns of a stored order item, in the order the bulk insert writes them. */
export const ITEM_COLUMNS = ['order_id', 'position', 'sku', 'description', 'quantity', 'unit_cost_price_e4', 'tax_rate_bp'] as const;

/**
 * Writes orders in batches: new ones by bulk insert, replaced ones (not invoiced) by upsert with their
 * items deleted first; then every item of the batch in one bulk insert.
 */
export async function writeOrders(
  trx: Knex.Transaction,
  orders: readonly OrderWrite[],
  ids: ReadonlyMap<string, number>,
  now: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Upserted & { items: number }> {
  const counts = { inserted: 0, updated: 0, items: 0 };
  const orderBatch = 2000;
  let done = 0;
  const derivableIds = await consecutiveIdsGuaranteed(trx);
  onProgress?.(0, orders.length);
  for (const part of chunk(orders, orderBatch)) {
    const updatedIds: number[] = [];
    const rows = part.map((r) => {
      if (r.storedId !== null) updatedIds.push(r.storedId);
      return {
        company_id: ids.get(r.companyCode)!,
        number: r.number,
        source: r.source,
        status: r.status,
        on_hold: r.onHold,
        has_errors: r.hasErrors,
        error_text: r.errorText,
        unique_invoice: r.uniqueInvoice,
        relating_to: r.relatingTo,
        currency: r.currency,
        shipping_minor: r.shippingMinor,
        created_at: r.createdAt,
        dispatched_at: r.dispatchedAt,
        updated_at: now,
      };
    });
    counts.updated += updatedIds.length;
    counts.inserted += part.length - updatedIds.length;
    const idByKey = new Map<string, number>();
    if (updatedIds.length === 0 && derivableIds) {
      const newIds = await insertReturningIds(
        trx,
        'orders',
        ORDER_COLUMNS,
        rows.map((r) => ORDER_COLUMNS.map((c) => r[c])),
      );
      rows.forEach((row, i) => idByKey.set(`${row.company_id}\u0000${row.number}`, newIds[i]!));
    } else {
      if (updatedIds.length > 0) {
        await trx('order_items').whereIn('order_id', updatedIds).delete();
        await trx('orders')
          .insert(rows)
          .onConflict(['company_id', 'number'])
          .merge(ORDER_COLUMNS.filter((c) => c !== 'company_id' && c !== 'number'));
      } else {
        await bulkInsert(
          trx,
          'orders',
          ORDER_COLUMNS,
          rows.map((r) => ORDER_COLUMNS.map((c) => r[c])),
        );
      }
      // Read the ids back by natural key
      const byCompany = new Map<number, string[]>();
      for (const row of rows) {
        let list = byCompany.get(row.company_id);
        if (!list) byCompany.set(row.company_id, (list = []));
        list.push(row.number);
      }
      for (const [companyId, numbers] of byCompany) {
        const found = await trx('orders')
          .where('company_id', companyId)
          .whereIn('number', numbers)
          .select<Array<{ id: number | string; number: string }>>('id', 'number');
        for (const f of found) idByKey.set(`${companyId}\u0000${f.number}`, Number(f.id));
      }
    }
    const itemRows: unknown[][] = [];
    for (const r of part) {
      const orderId = idByKey.get(`${ids.get(r.companyCode)!}\u0000${r.number}`)!;
      r.items.forEach((it, position) => {
        itemRows.push([orderId, position, it.sku, it.description, it.quantity, it.unitPriceE4, it.taxRateBp]);
      });
    }
    await bulkInsert(trx, 'order_items', ITEM_COLUMNS, itemRows);
    counts.items += itemRows.length;
    done += part.length;
    onProgress?.(done, orders.length);
  }
  return counts;
}
