/**
 * Builds consistent `InvoiceDocument`s for the integration tests: line nets, tax groups and totals are
 * computed exactly (bigint ten-thousandths, half-up), the way SPEC §3 defines them.
 */
import type { InvoiceDocument, InvoiceLine, InvoiceOrder, InvoiceParty, TaxGroup } from '../../src/domain/invoice-document.js';

export interface SampleItem {
  sku?: string;
  description?: string;
  quantity: number;
  unitPrice: string;
  taxRate: string;
}

export interface SampleOrder {
  number: string;
  shipping?: string | null;
  items: SampleItem[];
}

export interface SampleOptions {
  number?: string;
  currency?: string;
  issueDate?: string;
  dueDate?: string;
  seller?: Partial<InvoiceParty>;
  buyer?: Partial<InvoiceParty>;
  payment?: Partial<InvoiceDocument['payment']>;
  orders?: SampleOrder[];
}

export const sampleSeller: InvoiceParty = {
  code: 'SUPA',
  name: 'Supplier A Ltd',
  email: 'accounts@supplier-a.example',
  vatNumber: 'GB123456789',
  endpoint: { scheme: '0088', id: '5790000435975' },
  address: { lines: ['1 High St'], city: 'London', postcode: 'N1 1AA', country: 'GB' },
};

export const sampleBuyer: InvoiceParty = {
  code: 'RETB',
  name: 'Retailer B Ltd',
  email: 'accounts@retailer-b.example',
  vatNumber: 'GB987654321',
  endpoint: { scheme: '0088', id: '5790000435951' },
  address: { lines: ['2 Market St'], city: 'Leeds', postcode: 'LS1 1AA', country: 'GB' },
};

const defaultOrders: SampleOrder[] = [
  {
    number: 'B-1001',
    shipping: '4.99',
    items: [
      { sku: 'TS-WHT-M', description: 'T-shirt white M', quantity: 2, unitPrice: '7.50', taxRate: '20' },
      { sku: 'BOOK-1', description: 'Children’s book', quantity: 1, unitPrice: '5.00', taxRate: '0' },
    ],
  },
];

export function buildSampleInvoice(options: SampleOptions = {}): InvoiceDocument {
  let position = 0;
  const groups = new Map<string, bigint>();
  const orders: InvoiceOrder[] = (options.orders ?? defaultOrders).map((o) => {
    let orderNet = 0n;
    const lines: InvoiceLine[] = o.items.map((item, index) => {
      const shipping = index === 0 && o.shipping ? o.shipping : null;
      const net = roundToCents(toUnits(item.unitPrice) * BigInt(item.quantity)) + (shipping ? toUnits(shipping) : 0n);
      orderNet += net;
      groups.set(item.taxRate, (groups.get(item.taxRate) ?? 0n) + net);
      position += 1;
      return {
        position,
        orderNumber: o.number,
        sku: item.sku ?? `SKU-${position}`,
        description: item.description ?? `Item ${position}`,
        quantity: item.quantity,
        unitPrice: item.unitPrice,
        taxRate: item.taxRate,
        shipping,
        net: format(net),
      };
    });
    return { number: o.number, relatingTo: null, createdAt: '2026-11-02T10:00:00Z', lines, net: format(orderNet) };
  });

  let net = 0n;
  let tax = 0n;
  const taxGroups: TaxGroup[] = [...groups.entries()].map(([rate, groupNet]) => {
    // net (1e-4) × rate (1e-4) / 100 is in 1e-10; cents are 1e8 of those
    const groupTax = roundHalfUp(groupNet * toUnits(rate), 10n ** 8n) * 100n;
    net += groupNet;
    tax += groupTax;
    return { rate, net: format(groupNet), tax: format(groupTax) };
  });

  return {
    kind: 'invoice',
    number: options.number ?? 'SUPA-000042',
    issueDate: options.issueDate ?? '2026-11-08',
    dueDate: options.dueDate ?? '2026-12-08',
    currency: options.currency ?? 'GBP',
    layout: 'combined',
    seller: { ...sampleSeller, ...options.seller },
    buyer: { ...sampleBuyer, ...options.buyer },
    payment: {
      details: 'Sort code 12-34-56, account 12345678',
      iban: 'GB33BUKB20201555555555',
      bic: 'BUKBGB22',
      termsDays: 30,
      ...options.payment,
    },
    logo: null,
    orders,
    taxGroups,
    net: format(net),
    tax: format(tax),
    total: format(net + tax),
  };
}

/** A decimal string as ten-thousandths */
function toUnits(decimal: string): bigint {
  const [whole = '0', frac = ''] = decimal.split('.');
  return BigInt(whole) * 10_000n + BigInt((frac + '0000').slice(0, 4));
}

/** ten-thousandths rounded (half-up) to whole cents, still in ten-thousandths */
function roundToCents(value: bigint): bigint {
  return roundHalfUp(value, 100n) * 100n;
}

function roundHalfUp(value: bigint, divisor: bigint): bigint {
  return (value + divisor / 2n) / divisor;
}

/** ten-thousandths (whole cents) as "12.34" */
function format(units: bigint): string {
  const cents = units / 100n;
  return `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
}
