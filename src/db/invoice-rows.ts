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
    const rows = (await trx('invoices').whereIn('number', part).select('id', 'number')) as Array<{ id: number | string; number: string }>;
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

type Row = Record<string, unknown>;

const toInvoiceRow = (r: Row): InvoiceRow => ({
  id: Number(r.id),
  kind: r.kind as DocumentKind,
  credits:
    r.kind === 'credit_note'
      ? {
          invoiceId: Number(r.credits_invoice_id),
          invoiceNumber: r.credited_number as string,
          invoiceIssueDate: r.credited_issue_date as string,
          reason: r.reason as string,
          issuedByUserId: r.issued_by_user_id === null ? null : Number(r.issued_by_user_id),
          reinvoiced: JSON.parse((r.reinvoiced as string | null) ?? '[]') as string[],
        }
      : null,
  number: r.number as string,
  companyId: Number(r.company_id),
  sellerId: Number(r.seller_id),
  sequenceOwnerId: Number(r.sequence_owner_id),
  runId: r.run_id === null ? null : Number(r.run_id),
  mode: r.mode as InvoiceRow['mode'],
  currency: r.currency as string,
  layout: r.layout as InvoiceLayout,
  issueDate: r.issue_date as string,
  dueDate: r.due_date as string,
  netMinor: Number(r.net_minor),
  taxMinor: Number(r.tax_minor),
  totalMinor: Number(r.total_minor),
  lineCount: Number(r.line_count),
  orderCount: Number(r.order_count),
  snapshot: JSON.parse(r.snapshot as string) as InvoiceSnapshot,
  createdAt: Number(r.created_at),
});

export const toLineRow = (r: Row): InvoiceLineRow => ({
  invoiceId: Number(r.invoice_id),
  position: Number(r.position),
  orderId: Number(r.order_id),
  orderNumber: r.order_number as string,
  sku: r.sku as string,
  description: r.description as string,
  quantity: Number(r.quantity),
  unitPriceE4: Number(r.unit_price_e4),
  taxRateBp: Number(r.tax_rate_bp),
  shippingMinor: r.shipping_minor === null ? null : Number(r.shipping_minor),
  netMinor: Number(r.net_minor),
});

/** The stored rows of these invoices. */
export async function readInvoiceRows(db: Knex, ids: readonly number[]): Promise<InvoiceRows> {
  if (ids.length === 0) return { invoices: [], lines: [], taxGroups: [], orders: [] };
  const invoices = (
    (await db('invoices as i')
      .leftJoin('invoices as ci', 'ci.id', 'i.credits_invoice_id')
      .whereIn('i.id', [...ids])
      .select('i.*', 'ci.number as credited_number', 'ci.issue_date as credited_issue_date')) as Row[]
  ).map(toInvoiceRow);
  const lines = (
    (await db('invoice_lines')
      .whereIn('invoice_id', [...ids])
      .orderBy(['invoice_id', 'position'])
      .select('*')) as Row[]
  ).map(toLineRow);
  const taxGroups = (
    (await db('invoice_tax_groups')
      .whereIn('invoice_id', [...ids])
      .select('*')) as Row[]
  ).map((g) => ({
    invoiceId: Number(g.invoice_id),
    rateBp: Number(g.tax_rate_bp),
    netMinor: Number(g.net_minor),
    taxMinor: Number(g.tax_minor),
  }));
  // By the lines' orders, not by orders.invoice_id: a credit note's orders point to the invoice, and an
  // order reopened by a credit note points to none (or to its next invoice)
  const orderRows: Row[] = [];
  for (const part of chunk([...new Set(lines.map((l) => l.orderId))], 1000)) {
    for (const o of (await db('orders').whereIn('id', part).select('id', 'number', 'relating_to', 'created_at')) as Row[]) orderRows.push(o);
  }
  const orders = orderRows.map((o) => ({
    id: Number(o.id),
    number: o.number as string,
    relatingTo: (o.relating_to as string | null) ?? null,
    createdAt: Number(o.created_at),
  }));
  return { invoices, lines, taxGroups, orders };
}

/** The invoice (or credit note, with `kind`) with this number: its id, or null. */
export async function findDocumentIdByNumber(db: Knex, number: string, kind: DocumentKind): Promise<number | null> {
  const row = (await db('invoices').where({ number, kind }).first('id')) as { id: number | string } | undefined;
  return row ? Number(row.id) : null;
}

/** Logos by content hash: immutable, so kept for the life of the process. */
const logoCache = new WeakMap<Knex, Map<string, InvoiceLogo>>();

export async function findLogos(db: Knex, shas: readonly string[]): Promise<Map<string, InvoiceLogo>> {
  let cache = logoCache.get(db);
  if (!cache) logoCache.set(db, (cache = new Map()));
  const missing = shas.filter((s) => !cache.has(s));
  if (missing.length > 0) {
    for (const b of (await db('blobs').whereIn('sha256', missing).select('*')) as Row[]) {
      cache.set(b.sha256 as string, { mime: b.mime as InvoiceLogo['mime'], data: new Uint8Array(Buffer.from(b.data_base64 as string, 'base64')) });
    }
  }
  return cache;
}
