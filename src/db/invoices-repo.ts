/**
 * Reading invoices and credit notes for people: `invoices list|show`, `credit-notes list`, the API and the
 * admin page. Both kinds live in the `invoices` table (see migrations/003-credit-notes.ts); every query here
 * names the kind it wants.
 */
import type { Knex } from 'knex';
import { formatAmount, formatTaxRate, formatUnitPrice } from '../domain/money.js';
import type { InvoiceStatus } from './credit-notes-repo.js';

export interface DeliveryItem {
  id: number;
  integration: string;
  status: string;
  attempts: number;
  error: string | null;
  nextAttemptAt: string | null;
  receipt: string | null;
}

export interface InvoiceListItem {
  number: string;
  company: string;
  seller: string;
  issueDate: string;
  dueDate: string;
  currency: string;
  net: string;
  tax: string;
  total: string;
  orders: string[];
  deliveries: DeliveryItem[];
  status: InvoiceStatus;
  /** The sum of its credit notes' totals */
  credited: string;
}

export interface InvoiceLineItem {
  position: number;
  order: string;
  sku: string;
  description: string;
  quantity: number;
  unitPrice: string;
  /** Includes the shipping folded into the line */
  net: string;
  taxRate: string;
  creditedQuantity: number;
  creditedNet: string;
}

export interface InvoiceDetail extends InvoiceListItem {
  lines: InvoiceLineItem[];
  creditNotes: string[];
}

export interface CreditNoteListItem {
  number: string;
  invoice: string;
  company: string;
  seller: string;
  issueDate: string;
  currency: string;
  net: string;
  tax: string;
  total: string;
  reason: string;
  deliveries: DeliveryItem[];
}

type Row = Record<string, unknown>;
const iso = (ms: unknown): string | null => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

export interface InvoiceFilter {
  company?: string;
  /** Only invoices of these companies, by id (an API token's scope) */
  companyIds?: readonly number[];
  status?: InvoiceStatus;
  /** Only those with at least one failed delivery */
  deliveryFailed?: boolean;
}

export interface ListOrder {
  /** Newest first (the admin page) rather than in the order they were issued */
  newestFirst?: boolean;
}

export interface CreditNoteFilter {
  company?: string;
  companyIds?: readonly number[];
  /** Only credit notes of this invoice (by number) */
  invoice?: string;
}

function invoicesQuery(db: Knex, filter: InvoiceFilter): Knex.QueryBuilder {
  const q = db('invoices as i').join('companies as c', 'c.id', 'i.company_id').where('i.kind', 'invoice');
  if (filter.company !== undefined) q.where('c.code', filter.company);
  if (filter.companyIds !== undefined) q.whereIn('i.company_id', [...filter.companyIds]);
  if (filter.status !== undefined) q.where('i.status', filter.status);
  if (filter.deliveryFailed) q.whereExists(db('deliveries as fd').whereRaw('fd.invoice_id = i.id').where('fd.status', 'failed'));
  return q;
}

function creditNotesQuery(db: Knex, filter: CreditNoteFilter): Knex.QueryBuilder {
  const q = db('invoices as i')
    .join('companies as c', 'c.id', 'i.company_id')
    .join('invoices as ci', 'ci.id', 'i.credits_invoice_id')
    .where('i.kind', 'credit_note');
  if (filter.company !== undefined) q.where('c.code', filter.company);
  if (filter.companyIds !== undefined) q.whereIn('i.company_id', [...filter.companyIds]);
  if (filter.invoice !== undefined) q.where('ci.number', filter.invoice);
  return q;
}

const countOf = async (q: Knex.QueryBuilder): Promise<number> => Number(((await q.count({ n: '*' }).first()) as { n: number | string } | undefined)?.n ?? 0);

export const countInvoices = (db: Knex, filter: InvoiceFilter = {}): Promise<number> => countOf(invoicesQuery(db, filter));
export const countCreditNotes = (db: Knex, filter: CreditNoteFilter = {}): Promise<number> => countOf(creditNotesQuery(db, filter));

/** The invoice with this number and the company it was raised against, or null. */
export async function findInvoiceByNumber(db: Knex, number: string): Promise<{ id: number; companyId: number; company: string } | null> {
  const row = (await invoicesQuery(db, {}).where('i.number', number).first('i.id', 'i.company_id', 'c.code')) as Row | undefined;
  return row ? { id: Number(row.id), companyId: Number(row.company_id), company: row.code as string } : null;
}

/** The credit note with this number and its company, or null. */
export async function findCreditNoteByNumber(db: Knex, number: string): Promise<{ id: number; companyId: number; company: string } | null> {
  const row = (await creditNotesQuery(db, {}).where('i.number', number).first('i.id', 'i.company_id', 'c.code')) as Row | undefined;
  return row ? { id: Number(row.id), companyId: Number(row.company_id), company: row.code as string } : null;
}

function groupBy<T>(rows: readonly T[], key: (row: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of rows) {
    const list = out.get(key(r));
    if (list) list.push(r);
    else out.set(key(r), [r]);
  }
  return out;
}

/** Each document's deliveries, by document id. */
async function deliveriesOf(db: Knex, ids: readonly number[]): Promise<Map<number, DeliveryItem[]>> {
  const out = new Map<number, DeliveryItem[]>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = (await db('deliveries as d')
      .join('integrations as g', 'g.id', 'd.integration_id')
      .whereIn('d.invoice_id', ids.slice(i, i + 500))
      .orderBy(['d.invoice_id', 'g.type'])
      .select('d.id', 'd.invoice_id', 'g.type', 'd.status', 'd.attempts', 'd.last_error', 'd.next_attempt_at', 'd.receipt')) as Row[];
    for (const [id, list] of groupBy(rows, (d) => Number(d.invoice_id))) {
      out.set(
        id,
        list.map((d) => ({
          id: Number(d.id),
          integration: d.type as string,
          status: d.status as string,
          attempts: Number(d.attempts),
          error: (d.last_error as string | null) ?? null,
          nextAttemptAt: d.status === 'failed' ? iso(d.next_attempt_at) : null,
          receipt: (d.receipt as string | null) ?? null,
        })),
      );
    }
  }
  return out;
}

/** Each invoice's orders, in invoice order (from its lines: an order reopened by a credit note stays listed). */
async function ordersOf(db: Knex, ids: readonly number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = (await db('invoice_lines')
      .whereIn('invoice_id', ids.slice(i, i + 500))
      .groupBy('invoice_id', 'order_number')
      .select('invoice_id', 'order_number')
      .min({ first: 'position' })) as Row[];
    for (const [id, list] of groupBy(rows, (r) => Number(r.invoice_id))) {
      out.set(
        id,
        list.sort((a, b) => Number(a.first) - Number(b.first)).map((r) => r.order_number as string),
      );
    }
  }
  return out;
}

const INVOICE_FIELDS = [
  'i.id',
  'i.number',
  'c.code as company',
  's.code as seller',
  'i.issue_date',
  'i.due_date',
  'i.currency',
  'i.net_minor',
  'i.tax_minor',
  'i.total_minor',
  'i.status',
  'i.credited_minor',
];

async function toInvoiceItems(db: Knex, rows: readonly Row[]): Promise<InvoiceListItem[]> {
  const ids = rows.map((r) => Number(r.id));
  const [orders, deliveries] = await Promise.all([ordersOf(db, ids), deliveriesOf(db, ids)]);
  return rows.map((r) => ({
    number: r.number as string,
    company: r.company as string,
    seller: r.seller as string,
    issueDate: r.issue_date as string,
    dueDate: r.due_date as string,
    currency: r.currency as string,
    net: formatAmount(Number(r.net_minor)),
    tax: formatAmount(Number(r.tax_minor)),
    total: formatAmount(Number(r.total_minor)),
    orders: orders.get(Number(r.id)) ?? [],
    deliveries: deliveries.get(Number(r.id)) ?? [],
    status: r.status as InvoiceStatus,
    credited: formatAmount(Number(r.credited_minor)),
  }));
}

/** Invoices in the order they were issued (or newest first). */
export async function listInvoices(db: Knex, filter: InvoiceFilter & ListOrder & { limit?: number; offset?: number } = {}): Promise<InvoiceListItem[]> {
  const q = invoicesQuery(db, filter)
    .join('companies as s', 's.id', 'i.seller_id')
    .select(...INVOICE_FIELDS)
    .orderBy('i.id', filter.newestFirst ? 'desc' : 'asc');
  if (filter.limit !== undefined) q.limit(filter.limit);
  if (filter.offset !== undefined) q.offset(filter.offset);
  return toInvoiceItems(db, (await q) as Row[]);
}

/** One invoice with its lines (what is credited of each) and its credit notes (`invoices show`), or null. */
export async function showInvoice(db: Knex, number: string, filter: Pick<InvoiceFilter, 'companyIds'> = {}): Promise<InvoiceDetail | null> {
  const row = (await invoicesQuery(db, filter)
    .join('companies as s', 's.id', 'i.seller_id')
    .where('i.number', number)
    .first(...INVOICE_FIELDS)) as Row | undefined;
  if (!row) return null;
  const [item] = await toInvoiceItems(db, [row]);
  const lines = (await db('invoice_lines').where('invoice_id', Number(row.id)).orderBy('position').select('*')) as Row[];
  const notes = (await db('invoices')
    .where({ kind: 'credit_note', credits_invoice_id: Number(row.id) })
    .orderBy('id')
    .select('number')) as Row[];
  return {
    ...item!,
    lines: lines.map((l) => ({
      position: Number(l.position),
      order: l.order_number as string,
      sku: l.sku as string,
      description: l.description as string,
      quantity: Number(l.quantity),
      unitPrice: formatUnitPrice(Number(l.unit_price_e4)),
      net: formatAmount(Number(l.net_minor)),
      taxRate: formatTaxRate(Number(l.tax_rate_bp)),
      creditedQuantity: Number(l.credited_quantity),
      creditedNet: formatAmount(Number(l.credited_net_minor)),
    })),
    creditNotes: notes.map((n) => n.number as string),
  };
}

/** Credit notes in the order they were issued. */
export async function listCreditNotes(db: Knex, filter: CreditNoteFilter & { limit?: number; offset?: number } = {}): Promise<CreditNoteListItem[]> {
  const q = creditNotesQuery(db, filter)
    .join('companies as s', 's.id', 'i.seller_id')
    .select(
      'i.id',
      'i.number',
      'ci.number as invoice',
      'c.code as company',
      's.code as seller',
      'i.issue_date',
      'i.currency',
      'i.net_minor',
      'i.tax_minor',
      'i.total_minor',
      'i.reason',
    )
    .orderBy('i.id', 'asc');
  if (filter.limit !== undefined) q.limit(filter.limit);
  if (filter.offset !== undefined) q.offset(filter.offset);
  const rows = (await q) as Row[];
  const deliveries = await deliveriesOf(
    db,
    rows.map((r) => Number(r.id)),
  );
  return rows.map((r) => ({
    number: r.number as string,
    invoice: r.invoice as string,
    company: r.company as string,
    seller: r.seller as string,
    issueDate: r.issue_date as string,
    currency: r.currency as string,
    net: formatAmount(Number(r.net_minor)),
    tax: formatAmount(Number(r.tax_minor)),
    total: formatAmount(Number(r.total_minor)),
    reason: r.reason as string,
    deliveries: deliveries.get(Number(r.id)) ?? [],
  }));
}
