/**
 * Reading invoices and credit notes for people: `invoices list|show`, `credit-notes list`, the API and the
 * admin page. Both kinds live in the `invoices` table (see migrations/003-credit-notes.ts); every query here
 * names the kind it wants.
 */
import type { Knex } from 'knex';
import { groupBy } from '../domain/group-by.js';
import { formatAmount, formatTaxRate, formatUnitPrice } from '../domain/money.js';
import { chunk } from './connect.js';
import type { InvoiceStatus } from './credit-notes-repo.js';
import type { InvoiceLineTableRow } from './invoice-rows.js';
import { countRows, isoOrNull, type DbRow } from './read-rows.js';

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

export interface Page {
  limit?: number;
  offset?: number;
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

export const countInvoices = (db: Knex, filter: InvoiceFilter = {}): Promise<number> => countRows(invoicesQuery(db, filter));
export const countCreditNotes = (db: Knex, filter: CreditNoteFilter = {}): Promise<number> => countRows(creditNotesQuery(db, filter));

interface DocumentKey {
  id: number;
  companyId: number;
  company: string;
}

async function findDocumentKey(documents: Knex.QueryBuilder, number: string): Promise<DocumentKey | null> {
  const row = await documents
    .where('i.number', number)
    .first<{ id: number | string; company_id: number | string; code: string } | undefined>('i.id', 'i.company_id', 'c.code');
  return row ? { id: Number(row.id), companyId: Number(row.company_id), company: row.code } : null;
}

/** The invoice with this number and the company it was raised against, or null. */
export const findInvoiceByNumber = (db: Knex, number: string): Promise<DocumentKey | null> => findDocumentKey(invoicesQuery(db, {}), number);

/** The credit note with this number and its company, or null. */
export const findCreditNoteByNumber = (db: Knex, number: string): Promise<DocumentKey | null> => findDocumentKey(creditNotesQuery(db, {}), number);

/** Each document's deliveries, by document id. */
async function deliveriesOf(db: Knex, ids: readonly number[]): Promise<Map<number, DeliveryItem[]>> {
  const out = new Map<number, DeliveryItem[]>();
  for (const part of chunk(ids, 500)) {
    const rows = await db('deliveries as d')
      .join('integrations as g', 'g.id', 'd.integration_id')
      .whereIn('d.invoice_id', part)
      .orderBy(['d.invoice_id', 'g.type'])
      .select<DbRow[]>('d.id', 'd.invoice_id', 'g.type', 'd.status', 'd.attempts', 'd.last_error', 'd.next_attempt_at', 'd.receipt');
    for (const [id, list] of groupBy(rows, (d) => Number(d.invoice_id))) {
      out.set(
        id,
        list.map((d) => ({
          id: Number(d.id),
          integration: d.type as string,
          status: d.status as string,
          attempts: Number(d.attempts),
          error: (d.last_error as string | null) ?? null,
          nextAttemptAt: d.status === 'failed' ? isoOrNull(d.next_attempt_at) : null,
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
  for (const part of chunk(ids, 500)) {
    const rows = await db('invoice_lines')
      .whereIn('invoice_id', part)
      .groupBy('invoice_id', 'order_number')
      .select('invoice_id', 'order_number')
      .min<Array<{ invoice_id: number | string; order_number: string; first: number | string }>>({ first: 'position' });
    for (const [id, list] of groupBy(rows, (r) => Number(r.invoice_id))) {
      out.set(
        id,
        list.sort((a, b) => Number(a.first) - Number(b.first)).map((r) => r.order_number),
      );
    }
  }
  return out;
}

/** What the listings of invoices and of credit notes both read */
interface DocumentListRow {
  id: number | string;
  number: string;
  company: string;
  seller: string;
  issue_date: string;
  currency: string;
  net_minor: number | string;
  tax_minor: number | string;
  total_minor: number | string;
}

const DOCUMENT_FIELDS = [
  'i.id',
  'i.number',
  'c.code as company',
  's.code as seller',
  'i.issue_date',
  'i.currency',
  'i.net_minor',
  'i.tax_minor',
  'i.total_minor',
];

interface InvoiceListRow extends DocumentListRow {
  due_date: string;
  status: InvoiceStatus;
  credited_minor: number | string;
}

const INVOICE_FIELDS = [...DOCUMENT_FIELDS, 'i.due_date', 'i.status', 'i.credited_minor'];

interface CreditNoteListRow extends DocumentListRow {
  invoice: string;
  reason: string;
}

const CREDIT_NOTE_FIELDS = [...DOCUMENT_FIELDS, 'ci.number as invoice', 'i.reason'];

const withSeller = (documents: Knex.QueryBuilder) => documents.join('companies as s', 's.id', 'i.seller_id');

/** One page of a listing, in id order (or newest first) */
function listed(documents: Knex.QueryBuilder, page: Page & ListOrder): Knex.QueryBuilder {
  const q = withSeller(documents).orderBy('i.id', page.newestFirst ? 'desc' : 'asc');
  if (page.limit !== undefined) q.limit(page.limit);
  if (page.offset !== undefined) q.offset(page.offset);
  return q;
}

/** A document's net, tax and total as decimal strings */
const amountsOf = (r: DocumentListRow) => ({
  net: formatAmount(Number(r.net_minor)),
  tax: formatAmount(Number(r.tax_minor)),
  total: formatAmount(Number(r.total_minor)),
});

async function toInvoiceItems(db: Knex, rows: readonly InvoiceListRow[]): Promise<InvoiceListItem[]> {
  const ids = rows.map((r) => Number(r.id));
  const [orders, deliveries] = await Promise.all([ordersOf(db, ids), deliveriesOf(db, ids)]);
  return rows.map((r) => ({
    number: r.number,
    company: r.company,
    seller: r.seller,
    issueDate: r.issue_date,
    dueDate: r.due_date,
    currency: r.currency,
    ...amountsOf(r),
    orders: orders.get(Number(r.id)) ?? [],
    deliveries: deliveries.get(Number(r.id)) ?? [],
    status: r.status,
    credited: formatAmount(Number(r.credited_minor)),
  }));
}

/** Invoices in the order they were issued (or newest first). */
export async function listInvoices(db: Knex, filter: InvoiceFilter & ListOrder & Page = {}): Promise<InvoiceListItem[]> {
  return toInvoiceItems(db, await listed(invoicesQuery(db, filter), filter).select<InvoiceListRow[]>(INVOICE_FIELDS));
}

/** One invoice with its lines (what is credited of each) and its credit notes (`invoices show`), or null. */
export async function showInvoice(db: Knex, number: string, filter: Pick<InvoiceFilter, 'companyIds'> = {}): Promise<InvoiceDetail | null> {
  const row = await withSeller(invoicesQuery(db, filter))
    .where('i.number', number)
    .first<InvoiceListRow | undefined>(...INVOICE_FIELDS);
  if (!row) return null;
  const [item] = await toInvoiceItems(db, [row]);
  const lines = await db('invoice_lines').where('invoice_id', Number(row.id)).orderBy('position').select<InvoiceLineTableRow[]>('*');
  const notes = await db('invoices')
    .where({ kind: 'credit_note', credits_invoice_id: Number(row.id) })
    .orderBy('id')
    .select<Array<{ number: string }>>('number');
  return {
    ...item!,
    lines: lines.map((l) => ({
      position: Number(l.position),
      order: l.order_number,
      sku: l.sku,
      description: l.description,
      quantity: Number(l.quantity),
      unitPrice: formatUnitPrice(Number(l.unit_price_e4)),
      net: formatAmount(Number(l.net_minor)),
      taxRate: formatTaxRate(Number(l.tax_rate_bp)),
      creditedQuantity: Number(l.credited_quantity),
      creditedNet: formatAmount(Number(l.credited_net_minor)),
    })),
    creditNotes: notes.map((n) => n.number),
  };
}

/** Credit notes in the order they were issued. */
export async function listCreditNotes(db: Knex, filter: CreditNoteFilter & Page = {}): Promise<CreditNoteListItem[]> {
  const rows = await listed(creditNotesQuery(db, filter), filter).select<CreditNoteListRow[]>(CREDIT_NOTE_FIELDS);
  const deliveries = await deliveriesOf(
    db,
    rows.map((r) => Number(r.id)),
  );
  return rows.map((r) => ({
    number: r.number,
    invoice: r.invoice,
    company: r.company,
    seller: r.seller,
    issueDate: r.issue_date,
    currency: r.currency,
    ...amountsOf(r),
    reason: r.reason,
    deliveries: deliveries.get(Number(r.id)) ?? [],
  }));
}
