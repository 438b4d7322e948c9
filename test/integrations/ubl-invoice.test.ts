import { beforeAll, describe, expect, it } from 'vitest';
import type { InvoiceDocument } from '../../src/domain/invoice-document.js';
import { buildUblInvoice } from '../../integrations/xml-sftp/index.js';
import { validateXmlDocuments, type ValidationReport } from './einvoice-validator.js';
import { buildSampleInvoice, sampleSeveralRatesInvoice, sampleUnicodeInvoice, type SampleOrder } from '../../bench/sample-documents.js';

const cases: Record<string, InvoiceDocument> = {
  severalRates: sampleSeveralRatesInvoice(),
  fourDecimalPrices: buildSampleInvoice({
    number: 'SUPA-000777',
    orders: [
      {
        number: 'B-2001',
        shipping: '3.50',
        items: [
          { quantity: 999, unitPrice: '0.1235', taxRate: '20' },
          { quantity: 3, unitPrice: '1.2345', taxRate: '20' },
          { quantity: 7, unitPrice: '0.0001', taxRate: '0' },
          { quantity: 1, unitPrice: '19.9999', taxRate: '5' },
        ],
      },
    ],
  }),
  unicode: sampleUnicodeInvoice(),
  thousandLines: buildSampleInvoice({
    number: 'SUPA-001000',
    orders: Array.from({ length: 100 }, (_, o): SampleOrder => ({
      number: `BULK-${o + 1}`,
      shipping: `${(o % 9) + 1}.99`,
      items: Array.from({ length: 10 }, (_, i) => ({
        quantity: (i % 4) + 1,
        unitPrice: `${i + 1}.${String((o * 37 + i * 11) % 10_000).padStart(4, '0')}`,
        taxRate: ['20', '5', '0'][(o + i) % 3] ?? '20',
      })),
    })),
  }),
  sellerNotVatRegistered: buildSampleInvoice({
    number: 'SUPA-000888',
    seller: { vatNumber: null },
    orders: [{ number: 'B-3001', shipping: '2.00', items: [{ quantity: 1, unitPrice: '10.00', taxRate: '0' }] }],
  }),
  noIban: buildSampleInvoice({ number: 'SUPA-000889', payment: { iban: null, bic: null } }),
  // Characters XML 1.0 cannot carry, as they may come in from an import: a control character, a lone
  // surrogate, U+FFFF; next to an emoji (a valid surrogate pair) that must stay
  controlCharacters: buildSampleInvoice({
    number: 'SUPA-000891',
    buyer: { name: 'Bell\u0007 Retail \uFFFF' },
    orders: [{ number: 'C-1', shipping: null, items: [{ description: 'Mug\u0001 \uD800half 😀 whole', quantity: 1, unitPrice: '5.00', taxRate: '20' }] }],
  }),
  sellerWithoutIdentifiers: buildSampleInvoice({ number: 'SUPA-000890', seller: { vatNumber: null, endpoint: null } }),
};

const xml: Record<string, string> = {};
let reports: Record<string, ValidationReport> = {};

beforeAll(async () => {
  for (const [name, doc] of Object.entries(cases)) xml[name] = buildUblInvoice(doc);
  reports = await validateXmlDocuments(xml);
}, 300_000);

function values(doc: string, pattern: RegExp): string[] {
  return [...doc.matchAll(pattern)].map((m) => m[1] ?? '');
}

describe('UBL invoice (Peppol BIS Billing 3.0) checked by shared/einvoice/validate', () => {
  it.each(['severalRates', 'fourDecimalPrices', 'unicode', 'thousandLines', 'sellerNotVatRegistered', 'noIban', 'controlCharacters'])(
    '%s passes XSD, EN 16931 and Peppol with no fatal error',
    (name) => {
      expect(reports[name]?.fatals).toEqual([]);
      expect(reports[name]?.xsdOk).toBe(true);
      expect(reports[name]?.valid).toBe(true);
    },
  );

  it('has one VAT breakdown per tax group, S for positive rates and Z for 0 %', () => {
    const doc = xml.severalRates ?? '';
    const subtotals = values(doc, /<cac:TaxSubtotal>[\s\S]*?<cbc:ID>(\w+)<\/cbc:ID>\s*(?:<cbc:Percent>[^<]*<\/cbc:Percent>)?/g);
    expect(subtotals).toEqual(['S', 'S', 'S', 'Z']);
    expect(values(doc, /<cac:TaxSubtotal>[\s\S]*?<cbc:Percent>([^<]+)</g)).toEqual(['20', '5.5', '10', '0']);
    expect(doc).toContain('<cbc:PaymentMeansCode name="SEPA credit transfer">58</cbc:PaymentMeansCode>');
  });

  it('folds shipping into the first item of each order as a line charge, so XML line nets equal the PDF line nets', () => {
    const doc = cases.fourDecimalPrices;
    const lineNets = values(xml.fourDecimalPrices ?? '', /<cac:InvoiceLine>[\s\S]*?<cbc:LineExtensionAmount currencyID="GBP">([^<]+)</g);
    expect(lineNets).toEqual(doc?.orders.flatMap((o) => o.lines.map((l) => l.net)));
    expect(lineNets[0]).toBe('126.88'); // round(999 × 0.1235) = 123.38, + 3.50 shipping
    expect(values(xml.fourDecimalPrices ?? '', /<cbc:PriceAmount currencyID="GBP">([^<]+)</g)).toEqual(['0.1235', '1.2345', '0.0001', '19.9999']);
    const charges = values(xml.thousandLines ?? '', /<cbc:AllowanceChargeReason>([^<]+)</g);
    expect(charges).toHaveLength(100);
    expect(new Set(charges)).toEqual(new Set(['Shipping']));
    expect(values(xml.thousandLines ?? '', /<cac:InvoiceLine>/g)).toHaveLength(1000);
  });

  it('keeps Unicode names intact as UTF-8 text', () => {
    const doc = xml.unicode ?? '';
    expect(doc.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    for (const text of [
      'Łódź Trading Sp. z o.o.',
      'Жарков и партнёры 東京',
      '<cbc:CityName>東京</cbc:CityName>',
      'Чай зелёный 緑茶 “premium”',
      '<cbc:ID>ŁDZ-000001</cbc:ID>',
    ]) {
      expect(doc).toContain(text);
    }
  });

  it('drops the characters XML cannot carry, and keeps every other character', () => {
    const doc = xml.controlCharacters ?? '';
    expect(doc).toContain('<cbc:Name>Mug half 😀 whole</cbc:Name>');
    expect(doc).toContain('<cbc:RegistrationName>Bell Retail </cbc:RegistrationName>');
    expect(doc).not.toMatch(/[^\P{Cc}\t\n\r]|[\uFFFE\uFFFF]/u); // control characters other than tab, LF, CR
  });

  it('uses the VAT number as Peppol address when a party has no endpoint', () => {
    expect(xml.severalRates).toContain('<cbc:EndpointID schemeID="9925">BE0123456749</cbc:EndpointID>');
  });

  it('marks a seller without a VAT number that charges no VAT as "not subject to VAT" (O), without VAT ids', () => {
    const doc = xml.sellerNotVatRegistered ?? '';
    expect(doc).toContain('<cbc:TaxExemptionReasonCode>VATEX-EU-O</cbc:TaxExemptionReasonCode>');
    expect(doc).not.toContain('<cac:PartyTaxScheme>');
  });

  it('cannot make an invoice that charges VAT valid when the seller has neither endpoint nor VAT number, and says so', () => {
    // the documented gap (docs/delivery.md): no electronic address, and S/Z lines need the seller's VAT id
    expect(reports.sellerWithoutIdentifiers?.valid).toBe(false);
    expect(reports.sellerWithoutIdentifiers?.xsdOk).toBe(true);
    expect(reports.sellerWithoutIdentifiers?.fatalIds.sort()).toEqual(['BR-S-02', 'BR-Z-02', 'PEPPOL-EN16931-R020']);
  });
});
