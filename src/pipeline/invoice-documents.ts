/**
 * Issued invoices as their artefacts see them (InvoiceDocument), made from what was committed: the
 * invoice row, its lines and tax groups, and the parties' snapshot taken at issue time. Rendering one again
 * gives the same bytes as the delivered artefacts.
 */
import type { Knex } from 'knex';
import { findInvoiceIdByNumber, findLogos, readInvoiceRows, type InvoiceLineRow, type InvoiceRows, type InvoiceTaxGroupRow } from '../db/invoice-rows.js';
import { AppError } from '../domain/errors.js';
import type { InvoiceDocument, InvoiceLogo, InvoiceOrder } from '../domain/invoice-document.js';
import { formatAmount, formatTaxRate, formatUnitPrice } from '../domain/money.js';

function groupBy<T>(items: readonly T[], key: (item: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const list = out.get(key(item));
    if (list) list.push(item);
    else out.set(key(item), [item]);
  }
  return out;
}

/** The invoice's orders with their lines, in position order (lines of one order are consecutive). */
function ordersOf(lines: readonly InvoiceLineRow[], orderInfo: Map<number, InvoiceRows['orders'][number]>): InvoiceOrder[] {
  const orders: InvoiceOrder[] = [];
  let current: InvoiceOrder | null = null;
  let currentOrderId = -1;
  let currentNet = 0;
  const close = () => {
    if (current) current.net = formatAmount(currentNet);
  };
  for (const l of lines) {
    if (l.orderId !== currentOrderId || !current) {
      close();
      const info = orderInfo.get(l.orderId);
      current = {
        number: l.orderNumber,
        relatingTo: info?.relatingTo ?? null,
        createdAt: new Date(info?.createdAt ?? 0).toISOString(),
        lines: [],
        net: '0.00',
      };
      orders.push(current);
      currentOrderId = l.orderId;
      currentNet = 0;
    }
    currentNet += l.netMinor;
    current.lines.push({
      position: l.position,
      orderNumber: l.orderNumber,
      sku: l.sku,
      description: l.description,
      quantity: l.quantity,
      unitPrice: formatUnitPrice(l.unitPriceE4),
      taxRate: formatTaxRate(l.taxRateBp),
      shipping: l.shippingMinor === null ? null : formatAmount(l.shippingMinor),
      net: formatAmount(l.netMinor),
    });
  }
  close();
  return orders;
}

const taxGroupsOf = (groups: readonly InvoiceTaxGroupRow[]) =>
  [...groups].sort((a, b) => b.rateBp - a.rateBp).map((g) => ({ rate: formatTaxRate(g.rateBp), net: formatAmount(g.netMinor), tax: formatAmount(g.taxMinor) }));

/** InvoiceDocuments from their rows (lines ordered by invoice, then position), by invoice id. */
export async function toInvoiceDocuments(db: Knex, rows: InvoiceRows): Promise<Map<number, InvoiceDocument>> {
  const logoShas = [...new Set(rows.invoices.map((i) => i.snapshot.logoSha256).filter((s): s is string => s !== null))];
  const logos = logoShas.length > 0 ? await findLogos(db, logoShas) : new Map<string, InvoiceLogo>();
  const orderInfo = new Map(rows.orders.map((o) => [o.id, o]));
  const linesByInvoice = groupBy(rows.lines, (l) => l.invoiceId);
  const groupsByInvoice = groupBy(rows.taxGroups, (g) => g.invoiceId);
  const out = new Map<number, InvoiceDocument>();
  for (const inv of rows.invoices) {
    const { snapshot } = inv;
    out.set(inv.id, {
      kind: 'invoice',
      number: inv.number,
      issueDate: inv.issueDate,
      dueDate: inv.dueDate,
      currency: inv.currency,
      layout: inv.layout,
      seller: snapshot.seller,
      buyer: snapshot.buyer,
      payment: snapshot.payment,
      logo: snapshot.logoSha256 ? (logos.get(snapshot.logoSha256) ?? null) : null,
      orders: ordersOf(linesByInvoice.get(inv.id) ?? [], orderInfo),
      taxGroups: taxGroupsOf(groupsByInvoice.get(inv.id) ?? []),
      net: formatAmount(inv.netMinor),
      tax: formatAmount(inv.taxMinor),
      total: formatAmount(inv.totalMinor),
    });
  }
  return out;
}

export async function loadInvoiceDocuments(db: Knex, ids: readonly number[]): Promise<Map<number, InvoiceDocument>> {
  return ids.length === 0 ? new Map() : toInvoiceDocuments(db, await readInvoiceRows(db, ids));
}

export async function loadInvoiceDocumentByNumber(db: Knex, number: string): Promise<{ id: number; doc: InvoiceDocument }> {
  const id = await findInvoiceIdByNumber(db, number);
  if (id === null) throw new AppError('NOT_FOUND', `unknown invoice "${number}"`, { problems: [{ path: 'NUMBER', message: `unknown invoice "${number}"` }] });
  const docs = await loadInvoiceDocuments(db, [id]);
  return { id, doc: docs.get(id)! };
}
