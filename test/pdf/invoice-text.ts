import type { BillingDocument } from '../../src/domain/invoice-document.js';

/** Reading invoice and credit note lines back out of `pdftotext -layout` output. */

export interface ParsedRow {
  position: number;
  orderNumber: string | null;
  sku: string;
  descriptionStart: string;
  quantity: number;
  unitPrice: string;
  taxRate: string;
  net: string;
}

const COMBINED_ROW = /^\s*(\d+)\s+(\S+)\s+(\S+)\s+(.*?)\s+(\d+)\s+(\d+\.\d{2,4})\s+(\d+(?:\.\d+)?)%\s+(\d+\.\d{2})\s*$/;
const INDIVIDUAL_ROW = /^\s*(\d+)\s+(\S+)\s+(.*?)\s+(\d+)\s+(\d+\.\d{2,4})\s+(\d+(?:\.\d+)?)%\s+(\d+\.\d{2})\s*$/;

/** Every table row (the first text line of each invoice line), in page order. */
export function parseLineRows(text: string, layout: BillingDocument['layout']): ParsedRow[] {
  const rows: ParsedRow[] = [];
  for (const line of text.split('\n')) {
    if (layout === 'combined') {
      const m = COMBINED_ROW.exec(line);
      if (m) {
        rows.push({
          position: Number(m[1]),
          orderNumber: m[2]!,
          sku: m[3]!,
          descriptionStart: m[4]!,
          quantity: Number(m[5]),
          unitPrice: m[6]!,
          taxRate: m[7]!,
          net: m[8]!,
        });
      }
    } else {
      const m = INDIVIDUAL_ROW.exec(line);
      if (m) {
        rows.push({
          position: Number(m[1]),
          orderNumber: null,
          sku: m[2]!,
          descriptionStart: m[3]!,
          quantity: Number(m[4]),
          unitPrice: m[5]!,
          taxRate: m[6]!,
          net: m[7]!,
        });
      }
    }
  }
  return rows;
}

/** What the rows of `doc` should read as. */
export function expectedRows(doc: BillingDocument): ParsedRow[] {
  return doc.orders.flatMap((order) =>
    order.lines.map((line) => ({
      position: line.position,
      orderNumber: doc.layout === 'combined' ? order.number : null,
      sku: line.sku,
      descriptionStart: line.description,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      taxRate: line.taxRate,
      net: line.net,
    })),
  );
}

/** Collapses runs of spaces, as pdftotext -layout pads columns with them. */
export function squeeze(text: string): string {
  return text.replace(/[ \t]+/g, ' ');
}
