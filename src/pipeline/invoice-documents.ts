/**
 * Issued invoices and credit notes as their artefacts see them (BillingDocument), made from what was
 * committed: the row, its lines and tax groups, and the parties' snapshot taken at issue time. Rendering
 * one again gives the same bytes as the delivered artefacts.
 */
import type { Knex } from 'knex';
import {
  findDocumentIdByNumber,
  findLogos,
  readInvoiceRows,
  type DocumentKind,
  type InvoiceLineRow,
  type InvoiceRows,
  type InvoiceTaxGroupRow,
} from '../db/invoice-rows.js';
import { AppError } from '../domain/errors.js';
import { groupBy } from '../domain/group-by.js';
import type { BillingDocument, InvoiceLogo, InvoiceOrder } from '../domain/invoice-document.js';
import { formatAmount, formatTaxRate, formatUnitPrice } from '../domain/money.js';

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

/** Documents from their rows (lines ordered by document, then position), by id. */
export async function toBillingDocuments(db: Knex, rows: InvoiceRows): Promise<Map<number, BillingDocument>> {
  const logoShas = [...new Set(rows.invoices.map((i) => i.snapshot.logoSha256).filter((s): s is string => s !== null))];
  const logos = logoShas.length > 0 ? await findLogos(db, logoShas) : new Map<string, InvoiceLogo>();
  const orderInfo = new Map(rows.orders.map((o) => [o.id, o]));
  const linesByInvoice = groupBy(rows.lines, (l) => l.invoiceId);
  const groupsByInvoice = groupBy(rows.taxGroups, (g) => g.invoiceId);
  const out = new Map<number, BillingDocument>();
  for (const row of rows.invoices) {
    const { snapshot } = row;
    const common = {
      number: row.number,
      issueDate: row.issueDate,
      currency: row.currency,
      layout: row.layout,
      seller: snapshot.seller,
      buyer: snapshot.buyer,
      payment: snapshot.payment,
      logo: snapshot.logoSha256 ? (logos.get(snapshot.logoSha256) ?? null) : null,
      orders: ordersOf(linesByInvoice.get(row.id) ?? [], orderInfo),
      taxGroups: taxGroupsOf(groupsByInvoice.get(row.id) ?? []),
      net: formatAmount(row.netMinor),
      tax: formatAmount(row.taxMinor),
      total: formatAmount(row.totalMinor),
    };
    out.set(
      row.id,
      row.credits === null
        ? { kind: 'invoice', dueDate: row.dueDate, ...common }
        : {
            kind: 'credit-note',
            invoice: { number: row.credits.invoiceNumber, issueDate: row.credits.invoiceIssueDate },
            reason: row.credits.reason,
            ...common,
          },
    );
  }
  return out;
}

export async function loadBillingDocuments(db: Knex, ids: readonly number[]): Promise<Map<number, BillingDocument>> {
  return ids.length === 0 ? new Map() : toBillingDocuments(db, await readInvoiceRows(db, ids));
}

const KIND_NAME: Record<DocumentKind, string> = { invoice: 'invoice', credit_note: 'credit note' };

/** The invoice or credit note with this number, as delivered; unknown: NOT_FOUND naming `path`. */
export async function loadBillingDocumentByNumber(
  db: Knex,
  number: string,
  kind: DocumentKind = 'invoice',
  path = 'NUMBER',
): Promise<{ id: number; doc: BillingDocument }> {
  const id = await findDocumentIdByNumber(db, number, kind);
  const message = `unknown ${KIND_NAME[kind]} "${number}"`;
  if (id === null) throw new AppError('NOT_FOUND', message, { problems: [{ path, message }] });
  const docs = await loadBillingDocuments(db, [id]);
  return { id, doc: docs.get(id)! };
}
