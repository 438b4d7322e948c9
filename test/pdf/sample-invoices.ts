import { crc32, deflateSync } from 'node:zlib';
import type { InvoiceDocument, InvoiceLayout, InvoiceLine, InvoiceLogo, InvoiceOrder, InvoiceParty, TaxGroup } from '../../src/domain/invoice-document.js';

/** Sample invoices for the PDF tests. Amounts are computed exactly (bigint) as the spec says. */

export interface SampleItem {
  sku: string;
  description: string;
  quantity: number;
  /** Up to 4 decimals */
  unitPrice: string;
  taxRate: string;
}

export interface SampleOrder {
  number: string;
  items: SampleItem[];
  shipping?: string;
  relatingTo?: string | null;
  createdAt?: string;
}

export interface SampleInvoiceOptions {
  number?: string;
  layout?: InvoiceLayout;
  currency?: string;
  issueDate?: string;
  seller?: Partial<InvoiceParty>;
  buyer?: Partial<InvoiceParty>;
  logo?: InvoiceLogo | null;
  payment?: Partial<InvoiceDocument['payment']>;
  orders: SampleOrder[];
}

export const SELLER: InvoiceParty = {
  code: 'SUPA',
  name: 'Hurtownia Łódź Sp. z o.o.',
  email: 'księgowość@hurtownia-lodz.example',
  vatNumber: 'PL5250001009',
  endpoint: { scheme: '9945', id: 'PL5250001009' },
  address: { lines: ['ul. Piotrkowska 104', 'Budynek Ż, lokal 12'], city: 'Łódź', postcode: '90-926', country: 'PL' },
};

export const BUYER: InvoiceParty = {
  code: 'RETB',
  name: 'Жарков и партнёры ООО',
  email: 'accounts@zharkov.example',
  vatNumber: 'EL094014201',
  endpoint: { scheme: '0088', id: '5790000435951' },
  address: { lines: ['Οδός Ερμού 12', 'Ελληνικά Γραφεία, 3ος όροφος'], city: 'Αθήνα', postcode: '105 63', country: 'GR' },
};

export function buildInvoice(options: SampleInvoiceOptions): InvoiceDocument {
  const currency = options.currency ?? 'EUR';
  const issueDate = options.issueDate ?? '2026-11-02';
  const termsDays = options.payment?.termsDays ?? 30;
  let position = 0;
  const groups = new Map<string, bigint>();
  const orders: InvoiceOrder[] = options.orders.map((order) => {
    const lines: InvoiceLine[] = order.items.map((item, index) => {
      const shipping = index === 0 ? (order.shipping ?? '0.00') : null;
      const net = roundToCents(toUnits(item.unitPrice, 4) * BigInt(item.quantity), 4) + (shipping ? toUnits(shipping, 2) : 0n);
      groups.set(item.taxRate, (groups.get(item.taxRate) ?? 0n) + net);
      position += 1;
      return {
        position,
        orderNumber: order.number,
        sku: item.sku,
        description: order.relatingTo ? `${item.description} (for ${order.relatingTo})` : item.description,
        quantity: item.quantity,
        unitPrice: item.unitPrice,
        taxRate: item.taxRate,
        shipping,
        net: formatCents(net),
      };
    });
    return {
      number: order.number,
      relatingTo: order.relatingTo ?? null,
      createdAt: order.createdAt ?? '2026-10-28T10:00:00Z',
      lines,
      net: formatCents(lines.reduce((sum, line) => sum + toUnits(line.net, 2), 0n)),
    };
  });
  const taxGroups: TaxGroup[] = [...groups].map(([rate, net]) => ({
    rate,
    net: formatCents(net),
    // round(net × rate / 100, 2) half-up, with the rate scaled by 10^4
    tax: formatCents((net * toUnits(rate, 4) + 500_000n) / 1_000_000n),
  }));
  const net = taxGroups.reduce((sum, group) => sum + toUnits(group.net, 2), 0n);
  const tax = taxGroups.reduce((sum, group) => sum + toUnits(group.tax, 2), 0n);
  return {
    kind: 'invoice',
    number: options.number ?? 'SUPA-000042',
    issueDate,
    dueDate: addDays(issueDate, termsDays),
    currency,
    layout: options.layout ?? 'combined',
    seller: { ...SELLER, ...options.seller },
    buyer: { ...BUYER, ...options.buyer },
    payment: {
      details: 'Bank Polska Kasa Opieki S.A., ul. Grzybowska 53/57, Warszawa. Please quote the invoice number.',
      iban: 'PL61109010140000071219812874',
      bic: 'PKOPPLPW',
      termsDays,
      ...options.payment,
    },
    logo: options.logo === undefined ? samplePngLogo() : options.logo,
    orders,
    taxGroups,
    net: formatCents(net),
    tax: formatCents(tax),
    total: formatCents(net + tax),
  };
}

const PRODUCTS: Omit<SampleItem, 'quantity'>[] = [
  { sku: 'TS-WHT-M', description: 'T-shirt white M', unitPrice: '7.5000', taxRate: '20' },
  { sku: 'MUG-CER-350', description: 'Ceramic mug 350 ml, glazed', unitPrice: '2.3456', taxRate: '20' },
  { sku: 'BK-PL-0042', description: 'Książka „Pan Tadeusz” — wydanie ilustrowane', unitPrice: '12.9900', taxRate: '5.5' },
  { sku: 'TEA-GRN-100', description: 'Зелёный чай, 100 г', unitPrice: '3.1250', taxRate: '5.5' },
  { sku: 'OLV-OIL-1L', description: 'Ελαιόλαδο εξαιρετικό παρθένο 1 l', unitPrice: '9.8765', taxRate: '20' },
  { sku: 'GIFT-CARD', description: 'Gift card (no VAT)', unitPrice: '25.00', taxRate: '0' },
];

/** `count` items cycling through a small catalogue, quantities 1–12. */
export function sampleItems(count: number, offset = 0): SampleItem[] {
  return Array.from({ length: count }, (_, i) => {
    const product = PRODUCTS[(i + offset) % PRODUCTS.length]!;
    return { ...product, quantity: ((i + offset) % 12) + 1 };
  });
}

/** An invoice with `lineCount` lines in orders of `perOrder` lines. */
export function invoiceWithLines(lineCount: number, layout: InvoiceLayout = 'combined', perOrder = 5): InvoiceDocument {
  const orders: SampleOrder[] = [];
  for (let start = 0, n = 1; start < lineCount; start += perOrder, n++) {
    orders.push({
      number: `B-${String(1000 + n)}`,
      items: sampleItems(Math.min(perOrder, lineCount - start), start),
      shipping: n % 3 === 0 ? '0.00' : '4.99',
    });
  }
  return buildInvoice({ layout, orders });
}

/** Small combined invoice kept as a golden text file. */
export function goldenCombinedInvoice(): InvoiceDocument {
  return buildInvoice({
    number: 'SUPA-000042',
    layout: 'combined',
    orders: [
      { number: 'B-1001', shipping: '4.99', items: sampleItems(3) },
      { number: 'B-1002', shipping: '0.00', relatingTo: 'B-0999', items: sampleItems(2, 3) },
    ],
  });
}

/** Small individual invoice kept as a golden text file. */
export function goldenIndividualInvoice(): InvoiceDocument {
  return buildInvoice({
    number: 'SUPA-000043',
    layout: 'individual',
    currency: 'GBP',
    orders: [
      { number: 'B-2001', shipping: '4.99', items: sampleItems(2) },
      { number: 'B-2002', shipping: '3.50', relatingTo: 'B-2001', items: sampleItems(3, 2) },
      { number: 'B-2003', shipping: '0.00', items: sampleItems(1, 5) },
    ],
  });
}

/** Individual layout with one order of 300 items (spans several pages) between two small ones. */
export function invoiceWithLargeOrder(): InvoiceDocument {
  return buildInvoice({
    number: 'SUPA-000044',
    layout: 'individual',
    orders: [
      { number: 'B-3001', shipping: '4.99', items: sampleItems(2) },
      { number: 'B-3002', shipping: '12.00', items: sampleItems(300, 1) },
      { number: 'B-3003', shipping: '4.99', items: sampleItems(4, 2) },
    ],
  });
}

export function toUnits(decimal: string, scale: number): bigint {
  const [whole = '0', fraction = ''] = decimal.split('.');
  return BigInt(whole + fraction.padEnd(scale, '0').slice(0, scale));
}

function roundToCents(units: bigint, scale: number): bigint {
  const divisor = 10n ** BigInt(scale - 2);
  return (units + divisor / 2n) / divisor;
}

export function formatCents(cents: bigint): string {
  const text = cents.toString().padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** A 180×48 RGBA PNG built in code: a blue rounded badge with a lighter stripe, transparent outside. */
export function samplePngLogo(): InvoiceLogo {
  const width = 180;
  const height = 48;
  const raw = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 4);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const at = row + 1 + x * 4;
      const inside = isInsideRoundedRect(x, y, width, height, 12);
      const stripe = y > 30 && y < 36;
      raw[at] = stripe ? 120 : 20;
      raw[at + 1] = stripe ? 190 : 70 + Math.round((x / width) * 60);
      raw[at + 2] = stripe ? 255 : 160;
      raw[at + 3] = inside ? 255 : 0;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter method, no interlace
  const data = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
  return { mime: 'image/png', data: new Uint8Array(data) };
}

function isInsideRoundedRect(x: number, y: number, width: number, height: number, radius: number): boolean {
  const dx = Math.max(radius - x, 0, x - (width - 1 - radius));
  const dy = Math.max(radius - y, 0, y - (height - 1 - radius));
  return dx * dx + dy * dy <= radius * radius;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
