/**
 * An issued invoice as its artefacts see it (InvoiceDocument), read back from what was committed:
 * the invoice row, its lines and tax groups, and the parties' snapshot taken at issue time. Rendering
 * it again gives the same bytes as the delivered artefacts.
 */
import type { Knex } from 'knex';
import { AppError } from '../domain/errors.js';
import type { InvoiceDocument, InvoiceLayout, InvoiceLogo, InvoiceOrder } from '../domain/invoice-document.js';
import { formatAmount, formatTaxRate, formatUnitPrice } from '../domain/money.js';
import type { InvoiceSnapshot } from './invoice-company.js';

type Row = Record<string, unknown>;

/**
 * An issued invoice's rows as stored: what assembleInvoiceDocuments turns into documents. The invoicing
 * transaction builds the same rows from what it inserts, so a run hands its documents to the outbox
 * without reading them back, and they are identical to what a later read gives.
 */
export interface InvoiceRows {
  invoices: Row[];
  lines: Row[];
  groups: Row[];
  /** id, number, relating_to, created_at of the invoices' orders */
  orders: Row[];
}

/** Logos by content hash: immutable, so kept for the life of the process. */
const logoCache = new WeakMap<Knex, Map<string, InvoiceLogo>>();

async function logosFor(db: Knex, shas: string[]): Promise<Map<string, InvoiceLogo>> {
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

export async function loadInvoiceDocuments(db: Knex, ids: readonly number[]): Promise<Map<number, InvoiceDocument>> {
  if (ids.length === 0) return new Map();
  const invoices = (await db('invoices').whereIn('id', ids).select('*')) as Row[];
  const lines = (await db('invoice_lines').whereIn('invoice_id', ids).orderBy(['invoice_id', 'position']).select('*')) as Row[];
  const groups = (await db('invoice_tax_groups').whereIn('invoice_id', ids).select('*')) as Row[];
  const orders = (await db('orders').whereIn('invoice_id', ids).select('id', 'number', 'relating_to', 'created_at')) as Row[];
  return assembleInvoiceDocuments(db, { invoices, lines, groups, orders });
}

/** InvoiceDocuments from their rows (lines ordered by invoice, then position). */
export async function assembleInvoiceDocuments(db: Knex, rows: InvoiceRows): Promise<Map<number, InvoiceDocument>> {
  const { invoices, lines, groups, orders } = rows;
  const out = new Map<number, InvoiceDocument>();
  const snapshots = new Map(invoices.map((r) => [Number(r.id), JSON.parse(r.snapshot as string) as InvoiceSnapshot]));
  const logoShas = [...new Set([...snapshots.values()].map((s) => s.logoSha256).filter((s): s is string => s !== null))];
  const logos = logoShas.length > 0 ? await logosFor(db, logoShas) : new Map<string, InvoiceLogo>();
  const orderInfo = new Map(orders.map((o) => [Number(o.id), o]));
  const linesByInvoice = new Map<number, Row[]>();
  for (const l of lines) {
    const list = linesByInvoice.get(Number(l.invoice_id)) ?? [];
    list.push(l);
    linesByInvoice.set(Number(l.invoice_id), list);
  }
  const groupsByInvoice = new Map<number, Row[]>();
  for (const g of groups) {
    const list = groupsByInvoice.get(Number(g.invoice_id)) ?? [];
    list.push(g);
    groupsByInvoice.set(Number(g.invoice_id), list);
  }
  for (const inv of invoices) {
    const id = Number(inv.id);
    const snapshot = snapshots.get(id)!;
    const invOrders: InvoiceOrder[] = [];
    const netByOrder = new Map<InvoiceOrder, number>();
    let current: InvoiceOrder | null = null;
    let currentOrderId = -1;
    for (const l of linesByInvoice.get(id) ?? []) {
      const orderId = Number(l.order_id);
      if (orderId !== currentOrderId) {
        const info = orderInfo.get(orderId);
        current = {
          number: l.order_number as string,
          relatingTo: (info?.relating_to as string | null) ?? null,
          createdAt: new Date(Number(info?.created_at ?? 0)).toISOString(),
          lines: [],
          net: '0.00',
        };
        invOrders.push(current);
        netByOrder.set(current, 0);
        currentOrderId = orderId;
      }
      const net = Number(l.net_minor);
      netByOrder.set(current!, netByOrder.get(current!)! + net);
      current!.lines.push({
        position: Number(l.position),
        orderNumber: l.order_number as string,
        sku: l.sku as string,
        description: l.description as string,
        quantity: Number(l.quantity),
        unitPrice: formatUnitPrice(Number(l.unit_price_e4)),
        taxRate: formatTaxRate(Number(l.tax_rate_bp)),
        shipping: l.shipping_minor === null ? null : formatAmount(Number(l.shipping_minor)),
        net: formatAmount(net),
      });
    }
    for (const [order, net] of netByOrder) order.net = formatAmount(net);
    out.set(id, {
      kind: 'invoice',
      number: inv.number as string,
      issueDate: inv.issue_date as string,
      dueDate: inv.due_date as string,
      currency: inv.currency as string,
      layout: inv.layout as InvoiceLayout,
      seller: snapshot.seller,
      buyer: snapshot.buyer,
      payment: snapshot.payment,
      logo: snapshot.logoSha256 ? (logos.get(snapshot.logoSha256) ?? null) : null,
      orders: invOrders,
      taxGroups: (groupsByInvoice.get(id) ?? [])
        .sort((a, b) => Number(b.tax_rate_bp) - Number(a.tax_rate_bp))
        .map((g) => ({ rate: formatTaxRate(Number(g.tax_rate_bp)), net: formatAmount(Number(g.net_minor)), tax: formatAmount(Number(g.tax_minor)) })),
      net: formatAmount(Number(inv.net_minor)),
      tax: formatAmount(Number(inv.tax_minor)),
      total: formatAmount(Number(inv.total_minor)),
    });
  }
  return out;
}

export async function loadInvoiceDocumentByNumber(db: Knex, number: string): Promise<{ id: number; doc: InvoiceDocument }> {
  const row = (await db('invoices').where('number', number).first('id')) as { id: number } | undefined;
  if (!row) throw new AppError('NOT_FOUND', `unknown invoice "${number}"`, { problems: [{ path: 'NUMBER', message: `unknown invoice "${number}"` }] });
  const docs = await loadInvoiceDocuments(db, [Number(row.id)]);
  return { id: Number(row.id), doc: docs.get(Number(row.id))! };
}
