/**
 * An issued invoice as stored: its row, its lines, its tax groups and the orders it invoiced. One typed
 * definition serves both ways: the invoicing transaction inserts these rows and hands the same objects to
 * the outbox (so a run need not read back what it has just written), and a later read returns them equal.
 */
import type { Knex } from 'knex';
import type { DraftLine } from '../domain/build-invoices.js';
import type { InvoiceLayout } from '../domain/invoice-document.js';
import type { InvoiceLogo } from '../domain/invoice-document.js';
import type { InvoiceSnapshot } from '../domain/invoice-snapshot.js';
import { bulkInsert, idsAreDerivable, insertReturningIds } from './bulk-insert.js';
import { batchSizeFor, chunk } from './connect.js';
import type { OrderRow } from './order-rows.js';
import { numberOrNull } from './read-rows.js';

/** Invoices and credit notes share the table (a credit note is `kind = 'credit_note'`) */
export type DocumentKind = 'invoice' | 'credit_note';

/** What a credit note credits, and why */
export interface CreditReference {
  invoiceId: number;
  invoiceNumber: string;
  invoiceIssueDate: string;
  reason: string;
  issuedByUserId: number | null;
  /** Orders this credit note reopened to be invoiced again */
  reinvoiced: string[];
}

export interface InvoiceRow {
  id: number;
  kind: DocumentKind;
  /** A credit note's reference to its invoice; null for an invoice */
  credits: CreditReference | null;
  number: string;
  companyId: number;
  sellerId: number;
  sequenceOwnerId: number;
  runId: number | null;
  mode: 'auto' | 'manual';
  currency: string;
  layout: InvoiceLayout;
  issueDate: string;
  dueDate: string;
  netMinor: number;
  taxMinor: number;
  totalMinor: number;
  lineCount: number;
  orderCount: number;
  snapshot: InvoiceSnapshot;
  createdAt: number;
}

/** A line as the engine built it (src/domain/build-invoices.ts), on its invoice */
export type InvoiceLineRow = DraftLine & { invoiceId: number };

export interface InvoiceTaxGroupRow {
  invoiceId: number;
  rateBp: number;
  netMinor: number;
  taxMinor: number;
}

export interface InvoicedOrderRow {
  id: number;
  number: string;
  relatingTo: string | null;
  createdAt: number;
}

/** Invoices with everything their documents are made of (lines ordered by invoice, then position). */
export interface InvoiceRows {
  invoices: InvoiceRow[];
  lines: InvoiceLineRow[];
  taxGroups: InvoiceTaxGroupRow[];
  orders: InvoicedOrderRow[];
}

const INVOICE_COLUMNS = [
  'number',
  'company_id',
  'seller_id',
  'sequence_owner_id',
  'run_id',
  'mode',
  'currency',
  'layout',
  'issue_date',
  'due_date',
  'net_minor',
  'tax_minor',
  'total_minor',
  'line_count',
  'order_count',
  'snapshot',
  'created_at',
  'kind',
  'credits_invoice_id',
  'reason',
  'issued_by_user_id',
  'reinvoiced',
] as const;

const LINE_COLUMNS = [
  'invoice_id',
  'position',
  'order_id',
  'order_number',
  'sku',
  'description',
  'quantity',
  'unit_price_e4',
  'tax_rate_bp',
  'shipping_minor',
  'net_minor',
] as const;

const GROUP_COLUMNS = ['invoice_id', 'tax_rate_bp', 'net_minor', 'tax_minor'] as const;

const invoiceValues = (i: Omit<InvoiceRow, 'id'>) => [
  i.number,
  i.companyId,
  i.sellerId,
  i.sequenceOwnerId,
  i.runId,
  i.mode,
  i.currency,
  i.layout,
  i.issueDate,
  i.dueDate,
  i.netMinor,
  i.taxMinor,
  i.totalMinor,
  i.lineCount,
  i.orderCount,
  JSON.stringify(i.snapshot),
  i.createdAt,
  i.kind,
  i.credits?.invoiceId ?? null,
  i.credits?.reason ?? null,
  i.credits?.issuedByUserId ?? null,
  i.credits ? JSON.stringify(i.credits.reinvoiced) : null,
];

/** Inserts invoices; returns their ids in the same order. */
export async function insertInvoices(
  trx: Knex.Transaction,
  db: Knex,
  invoices: ReadonlyArray<Omit<InvoiceRow, 'id'>>,
  onStatement: () => void,
): Promise<number[]> {
  const values = invoices.map(invoiceValues);
  if (await idsAreDerivable(db)) {
    onStatement();
    return insertReturningIds(trx, 'invoices', INVOICE_COLUMNS, values);
  }
  onStatement();
  await bulkInsert(trx, 'invoices', INVOICE_COLUMNS, values);
  const idByNumber = new Map<string, number>();
  for (const part of chunk(
    invoices.map((i) => i.number),
    batchSizeFor(trx, 1),
  )) {
    onStatement();
    const rows = await trx('invoices').whereIn('number', part).select<Array<{ id: number | string; number: string }>>('id', 'number');
    for (const r of rows) idByNumber.set(r.number, Number(r.id));
  }
  return invoices.map((i) => idByNumber.get(i.number)!);
}

export async function insertInvoiceLines(trx: Knex.Transaction, lines: readonly InvoiceLineRow[], onStatement: () => void): Promise<void> {
  const values = lines.map((l) => [
    l.invoiceId,
    l.position,
    l.orderId,
    l.orderNumber,
    l.sku,
    l.description,
    l.quantity,
    l.unitPriceE4,
    l.taxRateBp,
    l.shippingMinor,
    l.netMinor,
  ]);
  await bulkInsert(trx, 'invoice_lines', LINE_COLUMNS, values, onStatement);
}

export async function insertTaxGroups(trx: Knex.Transaction, groups: readonly InvoiceTaxGroupRow[], onStatement: () => void): Promise<void> {
  await bulkInsert(
    trx,
    'invoice_tax_groups',
    GROUP_COLUMNS,
    groups.map((g) => [g.invoiceId, g.rateBp, g.netMinor, g.taxMinor]),
    onStatement,
  );
}

/** An `invoices` row as the database returns it (numbers may come back as strings from MySQL) */
export interface InvoiceTableRow {
  id: number | string;
  kind: DocumentKind;
  number: string;
  company_id: number | string;
  seller_id: number | string;
  sequence_owner_id: number | string;
  run_id: number | string | null;
  mode: InvoiceRow['mode'];
  currency: string;
  layout: InvoiceLayout;
  issue_date: string;
  due_date: string;
  net_minor: number | string;
  tax_minor: number | string;
  total_minor: number | string;
  line_count: number | string;
  order_count: number | string;
  snapshot: string;
  created_at: number | string;
  credits_invoice_id: number | string | null;
  reason: string | null;
  issued_by_user_id: number | string | null;
  reinvoiced: string | null;
  status: string;
  credited_minor: number | string;
}

/** A credit note's row carries the number and date of the invoice it credits (joined) */
type DocumentRow = InvoiceTableRow & { credited_number?: string | null; credited_issue_date?: string | null };

export interface InvoiceLineTableRow {
  invoice_id: number | string;
  position: number | string;
  order_id: number | string;
  order_number: string;
  sku: string;
  description: string;
  quantity: number | string;
  unit_price_e4: number | string;
  tax_rate_bp: number | string;
  shipping_minor: number | string | null;
  net_minor: number | string;
  credited_quantity: number | string;
  credited_net_minor: number | string;
}

export interface InvoiceTaxGroupTableRow {
  invoice_id: number | string;
  tax_rate_bp: number | string;
  net_minor: number | string;
  tax_minor: number | string;
  credited_net_minor: number | string;
  credited_tax_minor: number | string;
}

export const toInvoiceRow = (r: DocumentRow): InvoiceRow => ({
  id: Number(r.id),
  kind: r.kind,
  credits:
    r.kind === 'credit_note'
      ? {
          invoiceId: Number(r.credits_invoice_id),
          invoiceNumber: r.credited_number!,
          invoiceIssueDate: r.credited_issue_date!,
          reason: r.reason!,
          issuedByUserId: numberOrNull(r.issued_by_user_id),
          reinvoiced: JSON.parse(r.reinvoiced ?? '[]') as string[],
        }
      : null,
  number: r.number,
  companyId: Number(r.company_id),
  sellerId: Number(r.seller_id),
  sequenceOwnerId: Number(r.sequence_owner_id),
  runId: numberOrNull(r.run_id),
  mode: r.mode,
  currency: r.currency,
  layout: r.layout,
  issueDate: r.issue_date,
  dueDate: r.due_date,
  netMinor: Number(r.net_minor),
  taxMinor: Number(r.tax_minor),
  totalMinor: Number(r.total_minor),
  lineCount: Number(r.line_count),
  orderCount: Number(r.order_count),
  snapshot: JSON.parse(r.snapshot) as InvoiceSnapshot,
  createdAt: Number(r.created_at),
});

export const toLineRow = (r: InvoiceLineTableRow): InvoiceLineRow => ({
  invoiceId: Number(r.invoice_id),
  position: Number(r.position),
  orderId: Number(r.order_id),
  orderNumber: r.order_number,
  sku: r.sku,
  description: r.description,
  quantity: Number(r.quantity),
  unitPriceE4: Number(r.unit_price_e4),
  taxRateBp: Number(r.tax_rate_bp),
  shippingMinor: numberOrNull(r.shipping_minor),
  netMinor: Number(r.net_minor),
});

/** The stored rows of these invoices. */
export async function readInvoiceRows(db: Knex, ids: readonly number[]): Promise<InvoiceRows> {
  if (ids.length === 0) return { invoices: [], lines: [], taxGroups: [], orders: [] };
  const invoices = await db('invoices as i')
    .leftJoin('invoices as ci', 'ci.id', 'i.credits_invoice_id')
    .whereIn('i.id', [...ids])
    .select<DocumentRow[]>('i.*', 'ci.number as credited_number', 'ci.issue_date as credited_issue_date');
  const lines = await db('invoice_lines')
    .whereIn('invoice_id', [...ids])
    .orderBy(['invoice_id', 'position'])
    .select<InvoiceLineTableRow[]>('*');
  const taxGroups = await db('invoice_tax_groups')
    .whereIn('invoice_id', [...ids])
    .select<InvoiceTaxGroupTableRow[]>('*');
  // By the lines' orders, not by orders.invoice_id: a credit note's orders point to the invoice, and an
  // order reopened by a credit note points to none (or to its next invoice)
  const orders: InvoicedOrderRow[] = [];
  for (const part of chunk([...new Set(lines.map((l) => Number(l.order_id)))], 1000)) {
    for (const o of await db('orders')
      .whereIn('id', part)
      .select<Array<Pick<OrderRow, 'id' | 'number' | 'relating_to' | 'created_at'>>>('id', 'number', 'relating_to', 'created_at')) {
      orders.push({ id: Number(o.id), number: o.number, relatingTo: o.relating_to ?? null, createdAt: Number(o.created_at) });
    }
  }
  return {
    invoices: invoices.map(toInvoiceRow),
    lines: lines.map(toLineRow),
    taxGroups: taxGroups.map((g) => ({
      invoiceId: Number(g.invoice_id),
      rateBp: Number(g.tax_rate_bp),
      netMinor: Number(g.net_minor),
      taxMinor: Number(g.tax_minor),
    })),
    orders,
  };
}

/** The invoice (or credit note, with `kind`) with this number: its id, or null. */
export async function findDocumentIdByNumber(db: Knex, number: string, kind: DocumentKind): Promise<number | null> {
  const row = await db('invoices').where({ number, kind }).first<{ id: number | string } | undefined>('id');
  return row ? Number(row.id) : null;
}

/** Logos by content hash: immutable, so kept for the life of the process. */
const logoCache = new WeakMap<Knex, Map<string, InvoiceLogo>>();

export async function findLogos(db: Knex, shas: readonly string[]): Promise<Map<string, InvoiceLogo>> {
  let cache = logoCache.get(db);
  if (!cache) logoCache.set(db, (cache = new Map<string, InvoiceLogo>()));
  const missing = shas.filter((s) => !cache.has(s));
  if (missing.length > 0) {
    const blobs = await db('blobs').whereIn('sha256', missing).select<Array<{ sha256: string; mime: InvoiceLogo['mime']; data_base64: string }>>('*');
    for (const b of blobs) cache.set(b.sha256, { mime: b.mime, data: new Uint8Array(Buffer.from(b.data_base64, 'base64')) });
  }
  return cache;
}
