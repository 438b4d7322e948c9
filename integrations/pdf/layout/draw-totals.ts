import type { BillingDocument, CreditNoteDocument, InvoiceDocument } from '../../../src/domain/invoice-document.js';
import type { ShapedText, Typesetter } from '../fonts/typesetter.js';
import type { PageCanvas } from '../pdf/page-canvas.js';
import type { DocumentWording } from './document-wording.js';
import { drawLines, layoutLines, lineHeight, type TextStyle } from './draw-text.js';
import type { PageFlow } from './page-flow.js';
import { GRAY, PAGE, TYPE } from './theme.js';

const TOTALS_WIDTH = 236;
const PAYMENT_WIDTH = 250;
const LABEL: TextStyle = { weight: 'bold', size: TYPE.label, gray: GRAY.muted };
const BODY: TextStyle = { weight: 'regular', size: TYPE.body, gray: GRAY.text };
const MUTED: TextStyle = { ...BODY, gray: GRAY.muted };
const STRONG: TextStyle = { weight: 'bold', size: TYPE.total, gray: GRAY.text };

/** A block drawn at a given top: measured first so it can move to the next page whole. */
interface Block {
  height: number;
  draw(canvas: PageCanvas, top: number): void;
}

/**
 * The end of the document: on the left an invoice's payment instructions, or what a credit note credits;
 * on the right the tax breakdown by rate and the net, tax and total amounts. Kept together on one page.
 */
export function drawTotals(flow: PageFlow, doc: BillingDocument, wording: DocumentWording): void {
  const ts = flow.tools.typesetter;
  const totals = buildTotalsBlock(ts, doc, wording.totalLabel);
  const note = buildNoteBlock(ts, doc.kind === 'invoice' ? paymentParts(doc) : creditParts(doc));
  const height = Math.max(totals.height, note.height) + 14;
  flow.ensure(height);
  const top = flow.y - 14;
  note.draw(flow.canvas, top);
  totals.draw(flow.canvas, top);
  flow.y -= height;
}

function buildTotalsBlock(ts: Typesetter, doc: BillingDocument, totalLabel: string): Block {
  const x = PAGE.right - TOTALS_WIDTH;
  const rateWidth = 70;
  const amountWidth = (TOTALS_WIDTH - rateWidth) / 2;
  const one = (text: string, style: TextStyle, width: number): ShapedText[] => layoutLines(ts, text, style, width, 1);
  const rows = doc.taxGroups.map((group) => ({
    rate: one(`${group.rate}%`, BODY, rateWidth),
    net: one(group.net, BODY, amountWidth - 4),
    tax: one(group.tax, BODY, amountWidth - 4),
  }));
  const sums: [string, string, TextStyle][] = [
    ['Net total', `${doc.net} ${doc.currency}`, BODY],
    ['Tax total', `${doc.tax} ${doc.currency}`, BODY],
  ];
  const bodyLine = lineHeight(BODY);
  const height = 11 + rows.length * bodyLine + 6 + sums.length * bodyLine + 8 + lineHeight(STRONG);
  return {
    height,
    draw(canvas, top) {
      let y = top;
      const rateBox = { x, width: rateWidth, align: 'left' } as const;
      const netBox = { x: x + rateWidth, width: amountWidth, align: 'right' } as const;
      const taxBox = { x: x + rateWidth + amountWidth, width: amountWidth, align: 'right' } as const;
      const labelBox = { x, width: 100, align: 'left' } as const;
      const amountBox = { x: x + 100, width: TOTALS_WIDTH - 100, align: 'right' } as const;
      drawLines(canvas, ts, one('TAX RATE', LABEL, rateWidth), LABEL, rateBox, y);
      drawLines(canvas, ts, one('NET', LABEL, amountWidth), LABEL, netBox, y);
      drawLines(canvas, ts, one('TAX', LABEL, amountWidth), LABEL, taxBox, y);
      y -= 11;
      for (const row of rows) {
        drawLines(canvas, ts, row.rate, BODY, rateBox, y);
        drawLines(canvas, ts, row.net, BODY, netBox, y);
        drawLines(canvas, ts, row.tax, BODY, taxBox, y);
        y -= bodyLine;
      }
      y -= 3;
      canvas.line(x, y, PAGE.right, y, 0.5, GRAY.rule);
      y -= 3;
      for (const [label, amount, style] of sums) {
        drawLines(canvas, ts, one(label, MUTED, 100), MUTED, labelBox, y);
        drawLines(canvas, ts, one(amount, style, TOTALS_WIDTH - 100), style, amountBox, y);
        y -= bodyLine;
      }
      y -= 3;
      canvas.line(x, y, PAGE.right, y, 1, GRAY.strongRule);
      y -= 5;
      drawLines(canvas, ts, one(totalLabel, STRONG, 100), STRONG, labelBox, y);
      drawLines(canvas, ts, one(`${doc.total} ${doc.currency}`, STRONG, TOTALS_WIDTH - 100), STRONG, amountBox, y);
    },
  };
}

/** A paragraph of the note on the left: its text, style, line limit and the gap above it. */
type NotePart = [text: string, style: TextStyle, maxLines: number, gap: number];

function paymentParts(doc: InvoiceDocument): NotePart[] {
  const parts: NotePart[] = [
    ['PAYMENT', LABEL, 1, 0],
    [`Please pay ${doc.total} ${doc.currency} by ${doc.dueDate}, quoting invoice ${doc.number}.`, BODY, 3, 2],
  ];
  if (doc.payment.details) parts.push([doc.payment.details, BODY, 6, 3]);
  if (doc.payment.iban) parts.push([`IBAN ${doc.payment.iban}`, BODY, 2, doc.payment.details ? 3 : 0]);
  if (doc.payment.bic) parts.push([`BIC ${doc.payment.bic}`, BODY, 1, 0]);
  return parts;
}

function creditParts(doc: CreditNoteDocument): NotePart[] {
  return [
    ['CREDIT', LABEL, 1, 0],
    [`This credit note credits ${doc.total} ${doc.currency} on invoice ${doc.invoice.number} of ${doc.invoice.issueDate}.`, BODY, 3, 2],
  ];
}

function buildNoteBlock(ts: Typesetter, note: NotePart[]): Block {
  const x = PAGE.left;
  const width = PAYMENT_WIDTH;
  const box = { x, width, align: 'left' } as const;
  const parts: { lines: ShapedText[]; style: TextStyle; gap: number }[] = [];
  for (const [text, style, maxLines, gap] of note) {
    const lines = layoutLines(ts, text, style, width, maxLines);
    if (lines.length > 0) parts.push({ lines, style, gap });
  }
  const height = parts.reduce((sum, part) => sum + part.gap + part.lines.length * lineHeight(part.style), 0) + 2;
  return {
    height,
    draw(canvas, top) {
      let y = top;
      for (const part of parts) {
        y -= part.gap;
        y -= drawLines(canvas, ts, part.lines, part.style, box, y);
        if (part.style === LABEL) y -= 2;
      }
    },
  };
}
