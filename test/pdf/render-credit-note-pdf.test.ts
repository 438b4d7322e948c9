import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CreditNoteDocument } from '../../src/domain/invoice-document.js';
import { createPdfRenderer, type PdfRenderer } from '../../integrations/pdf/render-invoice-pdf.js';
import {
  buildSampleCreditNote,
  goldenCombinedCreditNote,
  goldenIndividualCreditNote,
  invoiceWithLargeOrder,
  invoiceWithLines,
} from '../../bench/sample-documents.js';
import { expectedRows, parseLineRows, squeeze } from './invoice-text.js';
import { pdfInfo, pdfPageTexts, pdfText, renderPng, requirePoppler, writeTempPdf } from './poppler.js';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');

let renderer: PdfRenderer;

async function renderToFile(doc: CreditNoteDocument): Promise<{ file: string; pageCount: number }> {
  const pdf = await renderer.render(doc);
  return { file: writeTempPdf(pdf.bytes), pageCount: pdf.pageCount };
}

beforeAll(async () => {
  requirePoppler('pdftotext');
  renderer = await createPdfRenderer();
});

describe('credit note PDF', () => {
  it('says it is a credit note, what it credits and why, and asks for no payment', async () => {
    const doc = goldenCombinedCreditNote();
    const { file } = await renderToFile(doc);
    const text = squeeze(pdfText(file));
    expect(text).toContain('CREDIT NOTE');
    expect(text).toContain(`Credit note ${doc.number}`);
    expect(text).toContain(`For invoice ${doc.invoice.number}`);
    expect(text).toContain(`Invoice date ${doc.invoice.issueDate}`);
    expect(text).toContain(`Issue date ${doc.issueDate}`);
    expect(text).toContain(doc.reason);
    // the sentence wraps beside the tax breakdown
    expect(text).toContain(`This credit note credits ${doc.total} EUR on invoice ${doc.invoice.number} of`);
    for (const group of doc.taxGroups) expect(text).toContain(`${group.rate}% ${group.net} ${group.tax}`);
    expect(text).toContain(`Net total ${doc.net} EUR`);
    expect(text).toContain(`Tax total ${doc.tax} EUR`);
    expect(text).toContain(`Total credited ${doc.total} EUR`);
    for (const invoiceOnly of ['INVOICE', 'Due date', 'due ', 'Payment terms', 'Please pay', 'Total due', 'PAYMENT', 'IBAN', 'BILL TO']) {
      expect(text).not.toContain(invoiceOnly);
    }
    expect(pdfInfo(file).Title).toBe(`Credit note ${doc.number}`);
    expect(pdfInfo(file).Subject).toBe(`Credit note ${doc.number} for invoice ${doc.invoice.number} from ${doc.seller.name} to ${doc.buyer.name}`);
  });

  it('prints only the credited lines, each under its position on the invoice, with the credited quantity and net', async () => {
    const invoice = invoiceWithLines(40, 'combined', 7);
    const doc = buildSampleCreditNote(invoice, {
      lines: [{ position: 3, quantity: 1 }, { position: 8 }, { position: 29, quantity: 2, net: '19.76' }, { position: 40 }],
    });
    const { file } = await renderToFile(doc);
    const rows = parseLineRows(pdfText(file), 'combined');
    expect(rows.map((row) => row.position)).toEqual([3, 8, 29, 40]);
    expect(rows.map(({ descriptionStart: _row, ...rest }) => rest)).toEqual(expectedRows(doc).map(({ descriptionStart: _expected, ...rest }) => rest));
    expect(rows[2]).toMatchObject({ quantity: 2, net: '19.76' }); // a cent over round(2 × 9.8765), as cumulative rounding may give
    // line 8 starts order B-1002: credited in full, with that order's shipping
    expect(squeeze(pdfText(file))).toContain(`incl. shipping ${invoice.orders[1]!.lines[0]!.shipping}`);
  });

  it('starts each order of an individual credit note on its own page with its subtotal, then a summary and the totals', async () => {
    const invoice = invoiceWithLargeOrder();
    const [small, large, last] = invoice.orders;
    const doc = buildSampleCreditNote(invoice, {
      reason: 'Price corrected',
      lines: [
        ...small!.lines.map((line) => ({ position: line.position })),
        ...large!.lines.slice(0, 200).map((line) => ({ position: line.position, quantity: 1 })),
        { position: last!.lines[1]!.position },
      ],
    });
    const { file, pageCount } = await renderToFile(doc);
    const pages = pdfPageTexts(file).map(squeeze);
    expect(pages).toHaveLength(pageCount);
    const firstPageOf = doc.orders.map((order) => pages.findIndex((page) => new RegExp(`Order ${order.number}\\b(?! \\(continued\\))`).test(page)));
    expect(firstPageOf[0]).toBe(0);
    for (let i = 1; i < firstPageOf.length; i++) {
      expect(firstPageOf[i]).toBeGreaterThan(firstPageOf[i - 1]!);
      // nothing of the previous order on the page where the next one starts
      expect(pages[firstPageOf[i]!]).not.toContain(`Subtotal order ${doc.orders[i - 1]!.number}`);
    }
    for (const order of doc.orders) expect(pages.join('\n')).toContain(`Subtotal order ${order.number} (net) ${order.net} EUR`);
    expect(pages.filter((page) => page.includes(`Order ${large!.number} (continued)`)).length).toBeGreaterThanOrEqual(3);
    pages.forEach((page, i) => {
      expect(page).toContain(`Page ${i + 1} of ${pageCount}`);
      expect(page).toContain(`Credit note ${doc.number} · issued ${doc.issueDate} · for invoice ${invoice.number}`);
      if (i > 0) expect(page).toContain(`Credit note ${doc.number} · ${doc.issueDate}`);
    });
    expect(parseLineRows(pdfText(file), 'individual').map((row) => row.position)).toEqual(expectedRows(doc).map((row) => row.position));
    expect(pages.at(-1)).toContain('Credit note summary');
    expect(pages.at(-1)).toContain(`3 orders on credit note ${doc.number}`);
    expect(pages.at(-1)).toContain(`Total credited ${doc.total} EUR`);
  });

  it('prints a reason with Unicode and markup characters as written', async () => {
    const reason = 'Zwrot — Łódź; возврат Жарков; 東京 <b>&amp; "quoted" \'single\'</b>';
    const doc = buildSampleCreditNote(invoiceWithLines(3), { reason });
    const noto = await createPdfRenderer({ fontFiles: ['/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'] });
    const pdf = await noto.render(doc);
    expect(pdf.missingCharacters).toEqual([]);
    expect(pdfText(writeTempPdf(pdf.bytes))).toContain(reason);
  });

  it('gives the same bytes for the same credit note, and other bytes than its invoice', async () => {
    const invoice = invoiceWithLines(12);
    const doc = buildSampleCreditNote(invoice);
    const first = await renderer.render(doc);
    const fresh = await (await createPdfRenderer()).render(buildSampleCreditNote(invoiceWithLines(12)));
    expect(Buffer.compare(first.bytes, fresh.bytes)).toBe(0);
    expect(Buffer.compare(first.bytes, (await renderer.render(invoice)).bytes)).not.toBe(0);
  });

  it('renders pages to PNG for a person to look at (test-artifacts/)', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const combined = await renderToFile(goldenCombinedCreditNote());
    const individual = await renderToFile(goldenIndividualCreditNote());
    expect(renderPng(combined.file, path.join(ARTIFACTS, 'pdf-credit-note-combined'), { first: 1, last: 1 })).toBe('');
    expect(renderPng(individual.file, path.join(ARTIFACTS, 'pdf-credit-note-individual'), { first: 1, last: individual.pageCount })).toBe('');
    for (const png of ['pdf-credit-note-combined-1.png', 'pdf-credit-note-individual-1.png', 'pdf-credit-note-individual-2.png']) {
      expect(statSync(path.join(ARTIFACTS, png)).size).toBeGreaterThan(5_000);
    }
  });
});
