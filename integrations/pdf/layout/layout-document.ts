import type { BillingDocument, InvoiceLine, InvoiceOrder } from '../../../src/domain/invoice-document.js';
import type { DocumentWording } from './document-wording.js';
import { drawDocumentHeader, type LogoPlacement } from './draw-document-header.js';
import { FlowingTable, type Column, type PreparedRow, type TableRow } from './draw-table.js';
import { drawLines, layoutLines, lineHeight, type TextStyle } from './draw-text.js';
import { drawTotals } from './draw-totals.js';
import type { PageFlow } from './page-flow.js';
import { CELL_PADDING_X, CONTENT_WIDTH, GRAY, PAGE, TYPE } from './theme.js';

const NET_WIDTH = 64;
const HEADING: TextStyle = { weight: 'bold', size: TYPE.heading, gray: GRAY.text };
const META: TextStyle = { weight: 'regular', size: TYPE.body, gray: GRAY.muted };
const SUBTOTAL: TextStyle = { weight: 'bold', size: TYPE.body, gray: GRAY.text };

/**
 * Draws the whole document into `flow`: header, lines in the buyer's layout, totals. An invoice and a
 * credit note are laid out alike; `wording` holds what they say differently. A credit note's lines are
 * the credited ones, each under its position on the invoice.
 */
export function layoutDocument(flow: PageFlow, doc: BillingDocument, wording: DocumentWording, logo: LogoPlacement | null): void {
  drawDocumentHeader(flow, doc, wording, logo);
  if (doc.layout === 'individual') layoutIndividual(flow, doc, wording);
  else layoutCombined(flow, doc);
  drawTotals(flow, doc, wording);
}

/** Combined: one table; a strong rule where each order starts. */
function layoutCombined(flow: PageFlow, doc: BillingDocument): void {
  const columns = lineColumns(doc.currency, true, positionColumnWidth(flow, doc));
  const table = new FlowingTable(flow, columns);
  const descriptionColumn = 3;
  ensureTableStart(flow, table, firstRowOf(table, doc.orders[0], true, descriptionColumn));
  table.begin();
  for (const order of doc.orders) {
    order.lines.forEach((line, i) => {
      table.draw(table.prepare(lineRow(line, order, true, descriptionColumn, i === 0)));
    });
  }
  table.end();
}

/** Individual: every order on a new page with its own subtotal, then a summary of all orders. */
function layoutIndividual(flow: PageFlow, doc: BillingDocument, wording: DocumentWording): void {
  const columns = lineColumns(doc.currency, false, positionColumnWidth(flow, doc));
  const descriptionColumn = 2;
  doc.orders.forEach((order, index) => {
    if (index > 0) flow.breakPage();
    const table = new FlowingTable(flow, columns);
    const firstRow = firstRowOf(table, order, false, descriptionColumn);
    drawOrderHeading(flow, order, table.headerHeight() + (firstRow?.height ?? 0));
    table.begin(() => drawContinuedCaption(flow, order));
    for (const line of order.lines) table.draw(table.prepare(lineRow(line, order, false, descriptionColumn, false)));
    table.end();
    drawSubtotal(flow, `Subtotal order ${order.number} (net)`, `${order.net} ${doc.currency}`);
  });
  drawOrderSummary(flow, doc, wording);
}

/** The line table's columns; `positionWidth` fits the largest line number (it grows with the invoice). */
export function lineColumns(currency: string, withOrder: boolean, positionWidth: number): Column[] {
  const columns: Column[] = [{ title: '#', width: positionWidth, align: 'right', maxLines: 1, numeric: true }];
  if (withOrder) columns.push({ title: 'Order', width: 56, align: 'left', maxLines: 2 });
  columns.push({ title: 'SKU', width: withOrder ? 72 : 84, align: 'left', maxLines: 2 });
  const fixed = columns.reduce((sum, column) => sum + column.width, 0) + 30 + 54 + 32 + NET_WIDTH;
  columns.push(
    { title: 'Description', width: CONTENT_WIDTH - fixed, align: 'left', maxLines: 4 },
    { title: 'Qty', width: 30, align: 'right', maxLines: 1, numeric: true },
    { title: 'Unit price', width: 54, align: 'right', maxLines: 1, numeric: true },
    { title: 'Tax', width: 32, align: 'right', maxLines: 1, numeric: true },
    { title: `Net ${currency}`, width: NET_WIDTH, align: 'right', maxLines: 1, numeric: true },
  );
  return columns;
}

export function positionColumnWidth(flow: PageFlow, doc: BillingDocument): number {
  const ts = flow.tools.typesetter;
  let last = 0;
  for (const order of doc.orders) for (const line of order.lines) if (line.position > last) last = line.position;
  const widest = ts.widthOf(ts.shape('0'.repeat(String(last).length), 'regular'), TYPE.body);
  return Math.max(22, Math.ceil(widest + 2 * CELL_PADDING_X + 1));
}

function lineRow(line: InvoiceLine, order: InvoiceOrder, withOrder: boolean, descriptionColumn: number, startsOrder: boolean): TableRow {
  const cells = [String(line.position)];
  if (withOrder) cells.push(order.number);
  cells.push(line.sku, line.description, String(line.quantity), line.unitPrice, `${line.taxRate}%`, line.net);
  const row: TableRow = { cells, strongTop: startsOrder };
  if (line.shipping !== null) row.note = { column: descriptionColumn, text: `incl. shipping ${line.shipping}` };
  return row;
}

function firstRowOf(table: FlowingTable, order: InvoiceOrder | undefined, withOrder: boolean, descriptionColumn: number): PreparedRow | undefined {
  const line = order?.lines[0];
  return line && order ? table.prepare(lineRow(line, order, withOrder, descriptionColumn, false)) : undefined;
}

/** Keeps the table header from being the last thing on a page. */
function ensureTableStart(flow: PageFlow, table: FlowingTable, firstRow: { height: number } | undefined): void {
  flow.ensure(table.headerHeight() + (firstRow?.height ?? 0));
}

function drawOrderHeading(flow: PageFlow, order: InvoiceOrder, keepWithNext: number): void {
  const ts = flow.tools.typesetter;
  const box = { x: PAGE.left, width: CONTENT_WIDTH, align: 'left' } as const;
  const title = layoutLines(ts, `Order ${order.number}`, HEADING, CONTENT_WIDTH, 2);
  const facts = [`created ${order.createdAt.slice(0, 10)}`];
  if (order.relatingTo) facts.push(`relating to ${order.relatingTo}`);
  facts.push(order.lines.length === 1 ? '1 item' : `${order.lines.length} items`);
  const meta = layoutLines(ts, facts.join(' \u00b7 '), META, CONTENT_WIDTH, 2);
  const height = title.length * lineHeight(HEADING) + meta.length * lineHeight(META) + 8;
  flow.ensure(height + keepWithNext);
  let y = flow.y;
  y -= drawLines(flow.canvas, ts, title, HEADING, box, y);
  y -= drawLines(flow.canvas, ts, meta, META, box, y);
  flow.y = y - 8;
}

function drawContinuedCaption(flow: PageFlow, order: InvoiceOrder): void {
  const ts = flow.tools.typesetter;
  const lines = layoutLines(ts, `Order ${order.number} (continued)`, HEADING, CONTENT_WIDTH, 1);
  const box = { x: PAGE.left, width: CONTENT_WIDTH, align: 'left' } as const;
  flow.y -= drawLines(flow.canvas, ts, lines, HEADING, box, flow.y) + 6;
}

/** A bold "label … amount" line closing an order, the amount under the Net column. */
function drawSubtotal(flow: PageFlow, label: string, amount: string): void {
  const ts = flow.tools.typesetter;
  const amountLines = layoutLines(ts, amount, SUBTOTAL, CONTENT_WIDTH / 2, 1);
  const amountWidth = Math.max(NET_WIDTH - 2 * CELL_PADDING_X, ts.widthOf(amountLines[0]!, SUBTOTAL.size));
  const labelWidth = CONTENT_WIDTH - amountWidth - 2 * CELL_PADDING_X - 16;
  const labelLines = layoutLines(ts, label, SUBTOTAL, labelWidth, 1);
  const height = lineHeight(SUBTOTAL) + 8;
  flow.ensure(height);
  const top = flow.y;
  flow.canvas.line(PAGE.left, top, PAGE.right, top, 0.8, GRAY.strongRule);
  drawLines(flow.canvas, ts, labelLines, SUBTOTAL, { x: PAGE.left, width: labelWidth, align: 'right' }, top - 4);
  const amountBox = { x: PAGE.right - CELL_PADDING_X - amountWidth, width: amountWidth, align: 'right' } as const;
  drawLines(flow.canvas, ts, amountLines, SUBTOTAL, amountBox, top - 4);
  flow.y = top - height;
}

/** After the orders of an individual invoice or credit note: one line per order, before the totals. */
function drawOrderSummary(flow: PageFlow, doc: BillingDocument, wording: DocumentWording): void {
  const columns: Column[] = [
    { title: 'Order', width: 130, align: 'left', maxLines: 2 },
    { title: 'Created', width: 80, align: 'left', maxLines: 1 },
    { title: 'Relating to', width: 130, align: 'left', maxLines: 2 },
    { title: 'Items', width: 50, align: 'right', maxLines: 1, numeric: true },
    { title: `Net ${doc.currency}`, width: CONTENT_WIDTH - 390, align: 'right', maxLines: 1, numeric: true },
  ];
  const table = new FlowingTable(flow, columns);
  const rows = doc.orders.map((order) =>
    table.prepare({
      cells: [order.number, order.createdAt.slice(0, 10), order.relatingTo ?? '', String(order.lines.length), order.net],
    }),
  );
  const ts = flow.tools.typesetter;
  const title = layoutLines(ts, `${wording.name} summary`, HEADING, CONTENT_WIDTH, 1);
  const count = doc.orders.length === 1 ? '1 order' : `${doc.orders.length} orders`;
  const meta = layoutLines(ts, `${count} on ${wording.name.toLowerCase()} ${doc.number}`, META, CONTENT_WIDTH, 1);
  const headingHeight = lineHeight(HEADING) + lineHeight(META) + 8;
  flow.y -= 18;
  flow.ensure(headingHeight + table.headerHeight() + (rows[0]?.height ?? 0));
  const box = { x: PAGE.left, width: CONTENT_WIDTH, align: 'left' } as const;
  let y = flow.y;
  y -= drawLines(flow.canvas, ts, title, HEADING, box, y);
  y -= drawLines(flow.canvas, ts, meta, META, box, y);
  flow.y = y - 8;
  table.begin();
  for (const row of rows) table.draw(row);
  table.end();
}
