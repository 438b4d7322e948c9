import { beforeAll, describe, expect, it } from 'vitest';
import type { CreditNoteDocument, InvoiceDocument } from '../../src/domain/invoice-document.js';
import { formatAmount, lineNetMinor, parseAmount, parseTaxRate, parseUnitPrice, taxMinor } from '../../src/domain/money.js';
import { buildUblCreditNote, buildUblDocument, buildUblInvoice } from '../../integrations/xml-sftp/index.js';
import {
  buildSampleCreditNote,
  buildSampleInvoice,
  sampleSeveralRatesInvoice,
  sampleUnicodeInvoice,
  type SampleCreditLine,
} from '../../bench/sample-documents.js';
import { validateXmlDocuments, type ValidationReport } from './einvoice-validator.js';

/**
 * UBL 2.1 CreditNotes checked by shared/einvoice/validate (XSD + EN 16931 + Peppol BIS 3), all in one
 * validator run: hand-made cases, and sequences of partial credits whose amounts are rounded
 * cumulatively as SPEC §8 says, so that single credit notes come out a cent off round(qty × price).
 */

const severalRates = sampleSeveralRatesInvoice();

/** Lines whose partial credits round away from round(qty × price): 0.3333 × 3 = 1.00, 0.005 × 2 = 0.01, a one-cent line of 3 units */
const awkwardPrices = buildSampleInvoice({
  number: 'SUPA-000500',
  orders: [
    {
      number: 'B-5001',
      shipping: '3.99',
      items: [
        { quantity: 3, unitPrice: '0.3333', taxRate: '20' },
        { quantity: 2, unitPrice: '0.0050', taxRate: '20' },
        { quantity: 3, unitPrice: '0.0033', taxRate: '5' },
        { quantity: 999, unitPrice: '0.1235', taxRate: '20' },
        { quantity: 7, unitPrice: '1.2345', taxRate: '0' },
      ],
    },
    { number: 'B-5002', shipping: '4.99', items: [{ quantity: 5, unitPrice: '19.9999', taxRate: '5' }] },
  ],
});

const manyLines = buildSampleInvoice({
  number: 'SUPA-000600',
  orders: Array.from({ length: 12 }, (_, o) => ({
    number: `M-${o + 1}`,
    shipping: `${o % 5}.49`,
    items: Array.from({ length: 5 }, (_, i) => ({
      quantity: ((o + i) % 6) + 1,
      unitPrice: `${i}.${String((o * 379 + i * 1171) % 10_000).padStart(4, '0')}`,
      taxRate: ['20', '5', '0', '5.5'][(o + i) % 4] ?? '20',
    })),
  })),
});

const UNICODE_REASON = 'Zwrot do Łódź — возврат Жарков, 東京: <b>broken</b> & "lost" \'parcels\' ]]> <![CDATA[x]]>';

const cases: Record<string, CreditNoteDocument> = {
  fullMirror: buildSampleCreditNote(severalRates, { number: 'SUPF-CN-000001', reason: 'Invoiced to the wrong company' }),
  oneLinePartly: buildSampleCreditNote(severalRates, { number: 'SUPF-CN-000002', lines: [{ position: 1, quantity: 1 }] }),
  // line 1: one of 3 units at 0.3333 credited before (0.33), a second now: round(0.6666) - 0.33 = 0.34 = round(0.3333) + 0.01
  centOver: buildSampleCreditNote(awkwardPrices, { number: 'SUPA-CN-000101', lines: [{ position: 1, quantity: 1, net: '0.34' }] }),
  // line 2: one of 2 units at 0.005 credited before (0.01), the other now: 0.01 - 0.01 = 0.00 = round(0.005) - 0.01
  centUnder: buildSampleCreditNote(awkwardPrices, { number: 'SUPA-CN-000102', lines: [{ position: 2, quantity: 1, net: '0.00' }] }),
  // a rate's tax a cent over round(net × rate) (its credited tax is rounded cumulatively too)
  taxCentOver: buildSampleCreditNote(awkwardPrices, { number: 'SUPA-CN-000103', lines: [{ position: 4, quantity: 10 }], tax: { '20': '0.26' } }),
  fourDecimalPrice: buildSampleCreditNote(awkwardPrices, {
    number: 'SUPA-CN-000104',
    lines: [
      { position: 4, quantity: 333 },
      { position: 5, quantity: 3 },
    ],
  }),
  zeroRate: buildSampleCreditNote(severalRates, { number: 'SUPF-CN-000003', lines: [{ position: 4, quantity: 2 }] }),
  shippingCredited: buildSampleCreditNote(severalRates, { number: 'SUPF-CN-000004', lines: [{ position: 1 }, { position: 4 }] }),
  // one order only: the credit note names it as its order reference
  wholeOrder: buildSampleCreditNote(awkwardPrices, { number: 'SUPA-CN-000105', lines: [{ position: 6 }] }),
  unicodeReason: buildSampleCreditNote(sampleUnicodeInvoice(), { number: 'ŁDZ-CN-000001', reason: UNICODE_REASON }),
  sellerNotVatRegistered: buildSampleCreditNote(
    buildSampleInvoice({
      number: 'SUPA-000888',
      seller: { vatNumber: null },
      orders: [{ number: 'B-3001', shipping: '2.00', items: [{ quantity: 3, unitPrice: '10.00', taxRate: '0' }] }],
    }),
    { number: 'SUPA-CN-000106', lines: [{ position: 1, quantity: 1 }] },
  ),
  // not a credit note we make: a line 3 cents off, to show the validator holds line nets to Peppol's tolerance
  threeCentsOff: buildSampleCreditNote(awkwardPrices, { number: 'SUPA-CN-000199', lines: [{ position: 5, quantity: 2, net: '2.50' }] }),
};

/** Deterministic pseudo-random numbers (a linear congruential generator), so a failure can be replayed */
function randomFrom(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state % n;
  };
}

/**
 * Credits every unit of `invoice` in random partial credit notes, with SPEC §8's cumulative rounding: after
 * each credit note a line's credited net is round(units × price) (+ its shipping once all units are
 * credited) and a rate's credited tax round(credited net × rate); a credit note carries the increase.
 */
function creditInRandomParts(invoice: InvoiceDocument, seed: number, prefix: string): CreditNoteDocument[] {
  const random = randomFrom(seed);
  const lines = invoice.orders.flatMap((order) => order.lines);
  const units = new Map(lines.map((line) => [line.position, 0]));
  const netOf = new Map(lines.map((line) => [line.position, 0]));
  const taxOf = new Map(invoice.taxGroups.map((group) => [group.rate, 0]));
  const notes: CreditNoteDocument[] = [];
  while (lines.some((line) => units.get(line.position)! < line.quantity)) {
    const open = lines.filter((line) => units.get(line.position)! < line.quantity);
    const chosen = open.filter(() => random(3) === 0);
    const credits: SampleCreditLine[] = (chosen.length > 0 ? chosen : [open[random(open.length)]!]).map((line) => {
      const quantity = 1 + random(line.quantity - units.get(line.position)!);
      const credited = units.get(line.position)! + quantity;
      const shipping = credited === line.quantity && line.shipping !== null ? line.shipping : null;
      const net = lineNetMinor(credited, parseUnitPrice(line.unitPrice)!) + (shipping === null ? 0 : parseAmount(shipping)!);
      const credit = { position: line.position, quantity, shipping, net: formatAmount(net - netOf.get(line.position)!) };
      units.set(line.position, credited);
      netOf.set(line.position, net);
      return credit;
    });
    const tax: Record<string, string> = {};
    for (const rate of new Set(credits.map((credit) => lines.find((line) => line.position === credit.position)!.taxRate))) {
      const rateNet = lines.filter((line) => line.taxRate === rate).reduce((sum, line) => sum + netOf.get(line.position)!, 0);
      const rateTax = taxMinor(rateNet, parseTaxRate(rate)!);
      tax[rate] = formatAmount(rateTax - taxOf.get(rate)!);
      taxOf.set(rate, rateTax);
    }
    notes.push(buildSampleCreditNote(invoice, { number: `${prefix}-${String(notes.length + 1).padStart(4, '0')}`, lines: credits, tax }));
  }
  return notes;
}

const sequences = {
  awkward: creditInRandomParts(awkwardPrices, 7, 'SUPA-CN-A'),
  manyLines: creditInRandomParts(manyLines, 42, 'SUPA-CN-M'),
};

/** Every generated credit note whose line nets differ from round(qty × price) + shipping, and by how much */
function roundingOffsets(): Array<{ note: string; position: number; offset: number }> {
  return Object.values(sequences).flatMap((notes) =>
    notes.flatMap((note) =>
      note.orders.flatMap((order) =>
        order.lines.map((line) => {
          const plain = lineNetMinor(line.quantity, parseUnitPrice(line.unitPrice)!) + (line.shipping === null ? 0 : parseAmount(line.shipping)!);
          return { note: note.number, position: line.position, offset: parseAmount(line.net)! - plain };
        }),
      ),
    ),
  );
}

const xml: Record<string, string> = {};
let reports: Record<string, ValidationReport> = {};

beforeAll(async () => {
  const all: Record<string, CreditNoteDocument> = { ...cases };
  for (const [name, notes] of Object.entries(sequences)) notes.forEach((note, i) => (all[`${name}-${i + 1}`] = note));
  for (const [name, doc] of Object.entries(all)) xml[name] = buildUblCreditNote(doc);
  reports = await validateXmlDocuments(xml);
}, 300_000);

function values(doc: string, pattern: RegExp): string[] {
  return [...doc.matchAll(pattern)].map((m) => m[1] ?? '');
}

describe('UBL credit note (Peppol BIS Billing 3.0) checked by shared/einvoice/validate', () => {
  it.each(Object.keys(cases).filter((name) => name !== 'threeCentsOff'))('%s passes XSD, EN 16931 and Peppol with no fatal error', (name) => {
    expect(reports[name]?.fatals).toEqual([]);
    expect(reports[name]?.xsdOk).toBe(true);
    expect(reports[name]?.valid).toBe(true);
  });

  it('passes every credit note of two invoices credited in random parts, cent-off lines and taxes included', () => {
    const names = Object.entries(sequences).flatMap(([name, notes]) => notes.map((_, i) => `${name}-${i + 1}`));
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect({ name, fatals: reports[name]?.fatals }).toEqual({ name, fatals: [] });
    // the sequences do exercise cumulative rounding: lines a cent over and a cent under round(qty × price)
    const offsets = new Set(roundingOffsets().map((o) => o.offset));
    expect(offsets).toEqual(new Set([-1, 0, 1]));
    // and rates whose credited tax is a cent off round(net × rate)
    const taxOffsets = Object.values(sequences)
      .flat()
      .flatMap((note) => note.taxGroups.map((g) => parseAmount(g.tax)! - taxMinor(parseAmount(g.net)!, parseTaxRate(g.rate)!)));
    expect(new Set(taxOffsets)).toEqual(new Set([-1, 0, 1]));
  });

  it('credits each invoice exactly, per line and per rate, once its random parts are all issued', () => {
    for (const [invoice, notes] of [
      [awkwardPrices, sequences.awkward],
      [manyLines, sequences.manyLines],
    ] as const) {
      const credited = new Map<number, number>();
      for (const line of notes.flatMap((note) => note.orders.flatMap((order) => order.lines))) {
        credited.set(line.position, (credited.get(line.position) ?? 0) + parseAmount(line.net)!);
      }
      for (const line of invoice.orders.flatMap((order) => order.lines)) expect(formatAmount(credited.get(line.position)!)).toBe(line.net);
      for (const group of invoice.taxGroups) {
        const tax = notes.flatMap((note) => note.taxGroups).filter((g) => g.rate === group.rate);
        expect(formatAmount(tax.reduce((sum, g) => sum + parseAmount(g.tax)!, 0))).toBe(group.tax);
      }
    }
  });

  it('holds a line net to within 2 cents of quantity × price + charges (PEPPOL-EN16931-R120): 3 cents off fails', () => {
    expect(reports.threeCentsOff?.xsdOk).toBe(true);
    expect(reports.threeCentsOff?.fatalIds).toEqual(['PEPPOL-EN16931-R120']);
  });

  it('is a CreditNote (381) referring to the invoice by number and issue date, with the reason as its one note and no payment terms', () => {
    const doc = xml.oneLinePartly ?? '';
    expect(doc).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2" /);
    expect(doc).toContain('<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>');
    expect(doc).toContain('<cbc:Note>Goods returned</cbc:Note>');
    expect(values(doc, /<cbc:Note>([^<]*)</g)).toEqual(['Goods returned', 'Order O-1']);
    expect(doc).toMatch(
      /<cac:BillingReference>\s*<cac:InvoiceDocumentReference>\s*<cbc:ID>SUPF-000001<\/cbc:ID>\s*<cbc:IssueDate>2026-11-08<\/cbc:IssueDate>\s*<\/cac:InvoiceDocumentReference>\s*<\/cac:BillingReference>/,
    );
    for (const invoiceOnly of ['DueDate', 'PaymentMeans', 'PaymentTerms', 'InvoiceLine', 'InvoicedQuantity', 'InvoiceTypeCode'])
      expect(doc).not.toContain(invoiceOnly);
    expect(doc).toContain('<cbc:CreditedQuantity unitCode="H87">1</cbc:CreditedQuantity>');
    expect(doc).toContain('<cbc:LineExtensionAmount currencyID="EUR">12.00</cbc:LineExtensionAmount>');
    expect(doc).toContain('<cbc:PayableAmount currencyID="EUR">14.40</cbc:PayableAmount>');
  });

  it('mirrors a fully credited invoice: the same lines, breakdown and totals, all positive', () => {
    const invoice = buildUblInvoice(severalRates);
    const creditNote = xml.fullMirror ?? '';
    const body = (text: string): string => text.slice(text.indexOf('<cac:TaxTotal>'), text.lastIndexOf('</'));
    expect(body(creditNote)).toBe(body(invoice).replaceAll('InvoiceLine>', 'CreditNoteLine>').replaceAll('InvoicedQuantity', 'CreditedQuantity'));
    for (const name of Object.keys(xml)) expect(xml[name]).not.toMatch(/(Amount|Quantity)\b[^>]*>-/);
  });

  it('numbers lines by their invoice positions and carries shipping as a line charge where it is credited', () => {
    const doc = xml.shippingCredited ?? '';
    expect(values(doc, /<cac:CreditNoteLine>\s*<cbc:ID>(\d+)</g)).toEqual(['1', '4']);
    expect(values(doc, /<cbc:AllowanceChargeReason>([^<]+)</g)).toEqual(['Shipping', 'Shipping']);
    expect(values(doc, /<cac:AllowanceCharge>[\s\S]*?<cbc:Amount currencyID="EUR">([^<]+)</g)).toEqual(['6.90', '2.10']);
    expect(values(doc, /<cac:CreditNoteLine>[\s\S]*?<cbc:LineExtensionAmount currencyID="EUR">([^<]+)</g)).toEqual(['42.90', '42.06']);
    expect(xml.oneLinePartly).not.toContain('AllowanceCharge');
    expect(values(xml.fourDecimalPrice ?? '', /<cbc:PriceAmount currencyID="GBP">([^<]+)</g)).toEqual(['0.1235', '1.2345']);
    expect(xml.wholeOrder).toContain('<cac:OrderReference>\n    <cbc:ID>B-5002</cbc:ID>');
    expect(xml.zeroRate).toMatch(/<cac:TaxCategory>\s*<cbc:ID>Z<\/cbc:ID>\s*<cbc:Percent>0<\/cbc:Percent>/);
  });

  it('keeps a Unicode reason intact and escapes what XML must', () => {
    const doc = xml.unicodeReason ?? '';
    expect(doc).toContain(
      '<cbc:Note>Zwrot do Łódź — возврат Жарков, 東京: &lt;b&gt;broken&lt;/b&gt; &amp; "lost" \'parcels\' ]]&gt; &lt;![CDATA[x]]&gt;</cbc:Note>',
    );
    expect(doc).toContain('<cbc:ID>ŁDZ-CN-000001</cbc:ID>');
    expect(doc).toContain('<cbc:ID>ŁDZ-000001</cbc:ID>');
  });

  it('gives the same bytes for the same credit note, and buildUblDocument picks the document type by kind', () => {
    const again = buildSampleCreditNote(severalRates, { number: 'SUPF-CN-000001', reason: 'Invoiced to the wrong company' });
    expect(buildUblCreditNote(again)).toBe(xml.fullMirror);
    expect(buildUblDocument(again)).toBe(xml.fullMirror);
    expect(buildUblDocument(severalRates)).toBe(buildUblInvoice(severalRates));
  });
});
