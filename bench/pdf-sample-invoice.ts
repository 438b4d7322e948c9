import { crc32, deflateSync } from 'node:zlib';
import type { InvoiceDocument, InvoiceLayout, InvoiceLine, InvoiceLogo, InvoiceOrder } from '../src/domain/invoice-document.js';

/**
 * Realistic invoices for the PDF benchmark: a catalogue of products with 4-decimal prices and mixed
 * tax rates, several lines per order, shipping on each order's first line, Unicode names and a logo.
 * Amounts are exact (integer cents; prices in 1/10000).
 */

const CATALOGUE = [
  ['TS-WHT-M', 'T-shirt white M', 75000, 20],
  ['TS-BLK-L', 'T-shirt black L, organic cotton', 78900, 20],
  ['MUG-CER-350', 'Ceramic mug 350 ml, glazed', 23456, 20],
  ['BK-PL-0042', 'Książka „Pan Tadeusz” — wydanie ilustrowane', 129900, 5],
  ['TEA-GRN-100', 'Зелёный чай, 100 г', 31250, 5],
  ['OLV-OIL-1L', 'Ελαιόλαδο εξαιρετικό παρθένο 1 l', 98765, 20],
  ['SOCK-3PK', 'Socks, 3-pack, assorted colours', 44990, 20],
  ['GIFT-CARD', 'Gift card', 250000, 0],
] as const;

export interface BenchInvoiceOptions {
  lines: number;
  linesPerOrder?: number;
  number?: string;
  layout?: InvoiceLayout;
  /** Shifts the catalogue so consecutive invoices differ */
  variant?: number;
}

export function buildBenchInvoice(options: BenchInvoiceOptions): InvoiceDocument {
  const perOrder = options.linesPerOrder ?? 5;
  const variant = options.variant ?? 0;
  const orders: InvoiceOrder[] = [];
  const groups = new Map<number, number>();
  let position = 0;
  for (let orderIndex = 0; position < options.lines; orderIndex++) {
    const number = `R-${String(100_000 + variant * 1000 + orderIndex)}`;
    const shippingCents = orderIndex % 4 === 3 ? 0 : 499;
    const lines: InvoiceLine[] = [];
    for (let i = 0; i < perOrder && position < options.lines; i++) {
      const [sku, description, price, rate] = CATALOGUE[(position + variant) % CATALOGUE.length]!;
      const quantity = ((position * 7 + variant) % 12) + 1;
      const shipping = i === 0 ? shippingCents : null;
      const net = Math.floor((price * quantity + 50) / 100) + (shipping ?? 0);
      groups.set(rate, (groups.get(rate) ?? 0) + net);
      position++;
      lines.push({
        position,
        orderNumber: number,
        sku,
        description,
        quantity,
        unitPrice: formatUnits(price, 4),
        taxRate: String(rate),
        shipping: shipping === null ? null : formatUnits(shipping, 2),
        net: formatUnits(net, 2),
      });
    }
    const orderNet = lines.reduce((sum, line) => sum + Math.round(Number(line.net) * 100), 0);
    orders.push({ number, relatingTo: null, createdAt: '2026-10-28T09:30:00Z', lines, net: formatUnits(orderNet, 2) });
  }
  const taxGroups = [...groups].map(([rate, net]) => ({
    rate: String(rate),
    net: formatUnits(net, 2),
    tax: formatUnits(Math.floor((net * rate + 50) / 100), 2),
  }));
  const net = [...groups.values()].reduce((a, b) => a + b, 0);
  const tax = taxGroups.reduce((sum, group) => sum + Math.round(Number(group.tax) * 100), 0);
  return {
    kind: 'invoice',
    number: options.number ?? 'SUPA-000100',
    issueDate: '2026-11-02',
    dueDate: '2026-12-02',
    currency: 'EUR',
    layout: options.layout ?? 'combined',
    seller: {
      code: 'SUPA',
      name: 'Hurtownia Łódź Sp. z o.o.',
      email: 'faktury@hurtownia.example',
      vatNumber: 'PL5250001009',
      endpoint: null,
      address: { lines: ['ul. Piotrkowska 104'], city: 'Łódź', postcode: '90-926', country: 'PL' },
    },
    buyer: {
      code: 'RETB',
      name: 'Жарков и партнёры ООО',
      email: 'accounts@zharkov.example',
      vatNumber: 'EL094014201',
      endpoint: null,
      address: { lines: ['Οδός Ερμού 12'], city: 'Αθήνα', postcode: '105 63', country: 'GR' },
    },
    payment: {
      details: 'Bank Polska Kasa Opieki S.A., Warszawa. Please quote the invoice number.',
      iban: 'PL61109010140000071219812874',
      bic: 'PKOPPLPW',
      termsDays: 30,
    },
    logo: benchLogo(),
    orders,
    taxGroups,
    net: formatUnits(net, 2),
    tax: formatUnits(tax, 2),
    total: formatUnits(net + tax, 2),
  };
}

function formatUnits(units: number, decimals: number): string {
  const text = String(units).padStart(decimals + 1, '0');
  return `${text.slice(0, -decimals)}.${text.slice(-decimals)}`;
}

let logo: InvoiceLogo | undefined;

/** A 160×48 RGB PNG made in code (a two-tone banner). */
export function benchLogo(): InvoiceLogo {
  if (logo) return logo;
  const width = 160;
  const height = 48;
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = y * (1 + width * 3) + 1 + x * 3;
      raw[at] = y > 34 ? 240 : 30;
      raw[at + 1] = y > 34 ? 160 : 60 + Math.round((x / width) * 80);
      raw[at + 2] = y > 34 ? 40 : 150;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const framed = Buffer.alloc(body.length + 8);
    framed.writeUInt32BE(data.length, 0);
    body.copy(framed, 4);
    framed.writeUInt32BE(crc32(body), body.length + 4);
    return framed;
  };
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  logo = { mime: 'image/png', data: new Uint8Array(png) };
  return logo;
}
