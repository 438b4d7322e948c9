import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import type { InvoiceDocument } from '../../src/domain/invoice-document.js';
import { lineColumns } from '../../integrations/pdf/layout/layout-document.js';
import { PAGE } from '../../integrations/pdf/layout/theme.js';
import { createPdfRenderer, type PdfRenderer } from '../../integrations/pdf/render-invoice-pdf.js';
import { expectedRows, parseLineRows, squeeze } from './invoice-text.js';
import { pdfFonts, pdfImages, pdfInfo, pdfPageTexts, pdfText, pdfWordBoxes, renderPng, requirePoppler, writeTempPdf } from './poppler.js';
import {
  buildPdfSampleInvoice,
  goldenCombinedInvoice,
  goldenIndividualInvoice,
  invoiceWithLargeOrder,
  invoiceWithLines,
  sampleItems,
} from '../../bench/sample-documents.js';

const NOTO_CJK = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');

let renderer: PdfRenderer;

async function renderToFile(doc: InvoiceDocument): Promise<{ file: string; pageCount: number; missing: string[]; bytes: Uint8Array }> {
  const pdf = await renderer.render(doc);
  return { file: writeTempPdf(pdf.bytes), pageCount: pdf.pageCount, missing: pdf.missingCharacters, bytes: pdf.bytes };
}

beforeAll(async () => {
  requirePoppler('pdftotext');
  if (!existsSync(NOTO_CJK)) throw new Error(`${NOTO_CJK} is missing: the CJK fallback test needs it. Run: apt-get install fonts-noto-cjk`);
  renderer = await createPdfRenderer({ fontFiles: [NOTO_CJK] });
  mkdirSync(ARTIFACTS, { recursive: true });
});

describe('combined layout', () => {
  it('prints every line with its order, SKU, quantity, unit price, tax rate and net, in order', async () => {
    const doc = invoiceWithLines(120, 'combined', 7);
    const { file } = await renderToFile(doc);
    const rows = parseLineRows(pdfText(file), 'combined');
    const expected = expectedRows(doc);
    expect(rows.map(({ descriptionStart: _row, ...rest }) => rest)).toEqual(expected.map(({ descriptionStart: _expected, ...rest }) => rest));
    rows.forEach((row, i) => expect(squeeze(expected[i]!.descriptionStart).startsWith(squeeze(row.descriptionStart))).toBe(true));
  });

  it('shows each order’s shipping once, on its first line, and the tax breakdown and totals', async () => {
    const doc = goldenCombinedInvoice();
    const text = squeeze(pdfText((await renderToFile(doc)).file));
    const shippingNotes = text.match(/incl\. shipping \d+\.\d{2}/g) ?? [];
    expect(shippingNotes).toEqual(doc.orders.map((order) => `incl. shipping ${order.lines[0]!.shipping}`));
    for (const group of doc.taxGroups) expect(text).toContain(`${group.rate}% ${group.net} ${group.tax}`);
    expect(text).toContain(`Net total ${doc.net} ${doc.currency}`);
    expect(text).toContain(`Tax total ${doc.tax} ${doc.currency}`);
    expect(text).toContain(`Total due ${doc.total} ${doc.currency}`);
    for (const fact of [doc.number, doc.issueDate, doc.dueDate, doc.payment.iban!, doc.payment.bic!, doc.seller.vatNumber!, doc.buyer.vatNumber!]) {
      expect(text).toContain(fact);
    }
    expect(text).toContain('Bank Polska Kasa Opieki S.A.');
    for (const name of ['Hurtownia Łódź Sp. z o.o.', 'Жарков и партнёры ООО', 'Ελληνικά Γραφεία, 3ος όροφος', 'Αθήνα 105 63']) {
      expect(text).toContain(name);
    }
  });

  it('repeats the table header and prints "Page X of Y" on every page', async () => {
    const { file, pageCount } = await renderToFile(invoiceWithLines(200));
    const pages = pdfPageTexts(file);
    expect(pages).toHaveLength(pageCount);
    pages.forEach((page, i) => {
      expect(page).toContain(`Page ${i + 1} of ${pageCount}`);
      expect(squeeze(page)).toMatch(/# Order SKU Description Qty Unit price Tax Net EUR/);
    });
  });

  it.each([
    [1, 1],
    [40, 2],
    [5000, 151],
  ])('lays %i lines out on %i pages, every line present once', async (lines, pages) => {
    const doc = invoiceWithLines(lines);
    const { file, pageCount } = await renderToFile(doc);
    expect(pageCount).toBe(pages);
    expect(pdfInfo(file).Pages).toBe(String(pages));
    const texts = pdfPageTexts(file);
    expect(texts).toHaveLength(pages);
    texts.forEach((page, i) => expect(page).toContain(`Page ${i + 1} of ${pages}`));
    const rows = parseLineRows(texts.join('\n'), 'combined');
    expect(rows.map((row) => row.position)).toEqual(doc.orders.flatMap((order) => order.lines.map((line) => line.position)));
    expect(squeeze(texts[pages - 1]!)).toContain(`Total due ${doc.total} EUR`);
  });
});

describe('individual layout', () => {
  it('starts each order on its own page with its own subtotal, then the invoice totals', async () => {
    const doc = invoiceWithLargeOrder();
    const { file, pageCount } = await renderToFile(doc);
    const firstPageOf = new Map<string, number>();
    for (let page = 1; page <= pageCount; page++) {
      const text = squeeze(pdfText(file, { first: page, last: page }));
      expect(text).toContain(`Page ${page} of ${pageCount}`);
      const starts = [...text.matchAll(/Order (B-\d+)\b(?! \(continued\))/g)].map((m) => m[1]!);
      expect(starts.length).toBeLessThanOrEqual(1);
      if (starts[0]) {
        firstPageOf.set(starts[0], page);
        // The order starts at the top of the page: nothing of the previous order is on it.
        const previous = doc.orders[doc.orders.findIndex((o) => o.number === starts[0]) - 1];
        if (previous) expect(text).not.toContain(`Subtotal order ${previous.number}`);
      }
    }
    const pages = doc.orders.map((order) => firstPageOf.get(order.number));
    expect(pages[0]).toBe(1);
    for (let i = 1; i < pages.length; i++) expect(pages[i]!).toBeGreaterThan(pages[i - 1]!);
    const whole = squeeze(pdfText(file));
    for (const order of doc.orders) expect(whole).toContain(`Subtotal order ${order.number} (net) ${order.net} EUR`);
    // The 300-item order runs over several pages, each saying so and repeating the table header.
    const continued = pdfPageTexts(file).filter((page) => page.includes('Order B-3002 (continued)'));
    expect(continued.length).toBeGreaterThanOrEqual(5);
    for (const page of continued) expect(squeeze(page)).toContain('# SKU Description Qty Unit price Tax Net EUR');
    expect(parseLineRows(pdfText(file), 'individual').map((row) => row.position)).toEqual(expectedRows(doc).map((row) => row.position));
    const last = squeeze(pdfText(file, { first: pageCount, last: pageCount }));
    expect(last).toContain('Invoice summary');
    expect(last).toContain(`Total due ${doc.total} EUR`);
  });
});

describe('any script', () => {
  it('keeps Polish, Cyrillic, Greek and (through the Noto CJK fallback) Japanese text intact', async () => {
    const doc = buildPdfSampleInvoice({
      buyer: {
        name: '株式会社 東京商事',
        address: { lines: ['丸の内1-1-1', 'ビル 한국어 ①'], city: '東京', postcode: '100-0005', country: 'JP' },
      },
      orders: [{ number: 'B-東京-1', items: sampleItems(6) }],
    });
    const { file, missing } = await renderToFile(doc);
    const text = pdfText(file);
    for (const name of [
      'Hurtownia Łódź Sp. z o.o.',
      'Łódź 90-926',
      'Зелёный чай',
      'Ελαιόλαδο',
      '株式会社 東京商事',
      '東京 100-0005',
      'B-東京-1',
      'ビル 한국어 ①',
    ]) {
      expect(text).toContain(name);
    }
    expect(missing).toEqual([]);
    const fonts = pdfFonts(file);
    expect(fonts).toMatch(/[A-Z]{6}\+NotoSansCJKjp-Regular\s+CID Type 0C\s+Identity-H\s+yes yes yes/);
    expect(fonts).toMatch(/[A-Z]{6}\+DejaVuSans\s+CID TrueType\s+Identity-H\s+yes yes yes/);
    // poppler reports fonts it cannot load on stderr while rasterising
    expect(renderPng(file, path.join(ARTIFACTS, 'pdf-cjk'), { first: 1, last: 1 })).toBe('');
  });

  it('reports characters no configured font covers and draws U+FFFD instead of throwing', async () => {
    const doc = buildPdfSampleInvoice({
      buyer: { name: 'Private \u{10FFFD} use, Tamil தமிழ்' },
      orders: [{ number: 'B-1', items: [{ sku: 'X\u{10FFFD}', description: 'ok\u200b zero-width space', quantity: 1, unitPrice: '1.00', taxRate: '20' }] }],
    });
    const { file, missing } = await renderToFile(doc);
    expect(missing).toEqual(['\u{10FFFD}', 'த', 'ம', 'ி', 'ழ', '்']);
    const text = pdfText(file);
    expect(text).toContain('Private \ufffd use, Tamil \ufffd\ufffd\ufffd\ufffd\ufffd');
    expect(text).toMatch(/ok\u200b? zero-width space/); // DejaVu has an (empty) glyph for U+200B

    const latinOnly = await createPdfRenderer();
    const withoutFallback = await latinOnly.render(buildPdfSampleInvoice({ buyer: { name: '東京' }, orders: [{ number: 'B-1', items: sampleItems(1) }] }));
    expect(withoutFallback.missingCharacters).toEqual(['東', '京']);
  });
});

describe('awkward input', () => {
  it('never throws on control characters, lone surrogates, emoji or empty fields', async () => {
    const doc = buildPdfSampleInvoice({
      buyer: { name: 'Tab\there\nnewline', email: null, vatNumber: null },
      payment: { details: null, iban: null, bic: null },
      orders: [
        {
          number: 'B-1',
          items: [{ sku: '', description: 'broken \ud800 surrogate, emoji \u{1F600} \u{1FA70}', quantity: 1, unitPrice: '0.00', taxRate: '0' }],
        },
      ],
    });
    const { file, missing } = await renderToFile(doc);
    expect(missing).toEqual(['\ud800', '\u{1FA70}']); // DejaVu has U+1F600
    const text = squeeze(pdfText(file));
    expect(text).toContain('Tab here newline');
    expect(text).toContain('broken \ufffd surrogate, emoji \u{1F600} \ufffd');
    expect(text).toContain('Total due 0.00 EUR');
  });
});

describe('text never overflows its column', () => {
  it('wraps long descriptions and SKUs inside their columns and ends cut text with an ellipsis', async () => {
    const longWord = 'Supercalifragilisticexpialidocious'.repeat(3);
    const longText = 'A very long description that goes on and on, describing every detail of the product '.repeat(4);
    const doc = buildPdfSampleInvoice({
      orders: [
        {
          number: 'B-LONG',
          items: [
            { sku: 'SKU-WITH-A-VERY-LONG-CODE-1234567890-ABCDEFGHIJ', description: longText, quantity: 3, unitPrice: '1.2345', taxRate: '20' },
            { sku: 'S2', description: longWord, quantity: 123456, unitPrice: '99999.9999', taxRate: '20' },
          ],
        },
      ],
    });
    const { file } = await renderToFile(doc);
    const text = pdfText(file);
    expect(text).toContain('…');
    expect(text).toContain('12345599987.65'); // amounts shrink to fit, never cut
    expect(text).toContain('123456');
    const words = pdfWordBoxes(file, 1);
    const columns = lineColumns('EUR', true, 22);
    const left = (title: string): number =>
      PAGE.left +
      columns
        .slice(
          0,
          columns.findIndex((c) => c.title === title),
        )
        .reduce((sum, c) => sum + c.width, 0);
    const descriptionLeft = left('Description');
    const qtyLeft = left('Qty');
    const payment = words.find((w) => w.text === 'PAYMENT')!;
    const header = words.find((w) => w.text === 'Description')!;
    const inTable = words.filter((w) => w.yMin > header.yMax && w.yMax < payment.yMin);
    const descriptionWords = inTable.filter((w) => w.xMin >= descriptionLeft && w.xMin < qtyLeft);
    expect(descriptionWords.length).toBeGreaterThan(20);
    for (const word of descriptionWords) expect(word.xMax).toBeLessThanOrEqual(qtyLeft - 2);
    const skuWords = inTable.filter((w) => w.xMin >= left('SKU') && w.xMin < descriptionLeft);
    expect(skuWords.map((w) => w.text).join('')).toContain('SKU-WITH');
    for (const word of skuWords) expect(word.xMax).toBeLessThanOrEqual(descriptionLeft - 2);
  });
});

describe('output', () => {
  it('is byte-identical for the same document: again, concurrently, or from a fresh renderer', async () => {
    const doc = invoiceWithLargeOrder();
    const first = await renderer.render(doc);
    const second = await renderer.render(doc);
    const fresh = await (await createPdfRenderer({ fontFiles: [NOTO_CJK] })).render(doc);
    expect(Buffer.compare(first.bytes, second.bytes)).toBe(0);
    expect(Buffer.compare(first.bytes, fresh.bytes)).toBe(0);
    const other = goldenCombinedInvoice();
    const [concurrentA, concurrentB] = await Promise.all([renderer.render(doc), renderer.render(other)]);
    expect(Buffer.compare(concurrentA.bytes, first.bytes)).toBe(0);
    expect(Buffer.compare(concurrentB.bytes, (await renderer.render(other)).bytes)).toBe(0);
    const info = pdfInfo(writeTempPdf(first.bytes));
    expect(info.CreationDate).toContain('2026');
    expect(info.Producer).toBe('oms-invoicing PDF renderer (pdf-lib 1.17.1)');
  });

  it('embeds subset fonts with ToUnicode maps, so a one-line invoice stays small', async () => {
    const { file, bytes } = await renderToFile(invoiceWithLines(1));
    expect(bytes.length).toBeLessThan(80_000);
    const fonts = pdfFonts(file);
    expect(fonts).toMatch(/[A-Z]{6}\+DejaVuSans\s+CID TrueType\s+Identity-H\s+yes yes yes/);
    expect(fonts).toMatch(/[A-Z]{6}\+DejaVuSans-Bold\s+CID TrueType\s+Identity-H\s+yes yes yes/);
    expect(pdfInfo(file)['Page size']).toMatch(/^595\.28 x 841\.89 pts \(A4\)/);
  });

  it('places a PNG logo (with its alpha mask) or a JPEG logo in the header', async () => {
    const png = await renderToFile(invoiceWithLines(3));
    expect(pdfImages(png.file)).toMatch(/image\s+180\s+48\s+rgb[\s\S]*smask\s+180\s+48\s+gray/);
    const jpeg = await renderToFile(
      buildPdfSampleInvoice({
        orders: [{ number: 'B-1', items: sampleItems(3) }],
        logo: { mime: 'image/jpeg', data: readFileSync(path.join(import.meta.dirname, 'fixtures/logo.jpg')) },
      }),
    );
    expect(pdfImages(jpeg.file)).toMatch(/image\s+290\s+95\s+rgb\s+3\s+8\s+jpeg/);
    expect(renderPng(jpeg.file, path.join(ARTIFACTS, 'pdf-jpeg-logo'), { first: 1, last: 1 })).toBe('');
    const noLogo = await renderToFile(buildPdfSampleInvoice({ orders: [{ number: 'B-1', items: sampleItems(1) }], logo: null }));
    expect(pdfText(noLogo.file)).toContain('Hurtownia Łódź Sp. z o.o.');
  });

  it('rejects a broken logo or font file with an input error', async () => {
    const broken = buildPdfSampleInvoice({ orders: [{ number: 'B-1', items: sampleItems(1) }], logo: { mime: 'image/png', data: new Uint8Array([1, 2, 3]) } });
    await expect(renderer.render(broken)).rejects.toBeInstanceOf(AppError);
    await expect(createPdfRenderer({ fontFiles: ['/nonexistent/font.ttf'] })).rejects.toMatchObject({ code: 'INPUT' });
  });

  it('renders pages to PNG for a person to look at (test-artifacts/)', async () => {
    const combined = await renderToFile(goldenCombinedInvoice());
    const individual = await renderToFile(goldenIndividualInvoice());
    const long = await renderToFile(invoiceWithLines(60));
    expect(renderPng(combined.file, path.join(ARTIFACTS, 'pdf-combined'), { first: 1, last: 1 })).toBe('');
    expect(renderPng(individual.file, path.join(ARTIFACTS, 'pdf-individual'), { first: 1, last: individual.pageCount })).toBe('');
    expect(renderPng(long.file, path.join(ARTIFACTS, 'pdf-combined-long'), { first: 2, last: 2 })).toBe('');
    for (const png of ['pdf-combined-1.png', 'pdf-individual-1.png', 'pdf-individual-3.png', 'pdf-combined-long-2.png']) {
      expect(statSync(path.join(ARTIFACTS, png)).size).toBeGreaterThan(5_000);
    }
  });
});
