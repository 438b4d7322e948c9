import { crc32, deflateSync } from 'node:zlib';
import type {
  CreditNoteDocument,
  InvoiceDocument,
  InvoiceLayout,
  InvoiceLine,
  InvoiceLogo,
  InvoiceOrder,
  InvoiceParty,
  TaxGroup,
} from '../src/domain/invoice-document.js';
import { formatAmount, lineNetMinor, parseAmount, parseTaxRate, parseUnitPrice, taxMinor } from '../src/domain/money.js';

/**
 * Sample invoices and credit notes for the tests and the benchmarks, consistent as SPEC §3 defines them:
 * line nets round(quantity × unit price, 2) half-up plus the order's shipping on its first item, tax per
 * rate round(net × rate / 100, 2), totals the sums. Three sets of defaults:
 *  - `buildSampleInvoice`: Supplier A Ltd (GB) to Retailer B Ltd in GBP, no logo (the integration tests);
 *  - `buildPdfSampleInvoice`: a Polish seller to a Greek buyer with Cyrillic and Greek names, in EUR, with a
 *    logo and shipping on every order (the PDF tests and their golden text);
 *  - `buildBenchInvoice`: N lines from a small catalogue (the PDF benchmark).
 * `buildSampleCreditNote` credits all or some lines of any of them. Named samples below are the invoices
 * several suites share.
 */

export interface SampleItem {
  /** Default `SKU-<position>` */
  sku?: string;
  /** Default `Item <position>`; " (for X)" is appended when the order relates to X */
  description?: string;
  quantity: number;
  /** Up to 4 decimals */
  unitPrice: string;
  taxRate: string;
}

export interface SampleOrder {
  number: string;
  items: SampleItem[];
  /** Folded into the order's first item; null for none. Default: the set's (null or "0.00") */
  shipping?: string | null;
  relatingTo?: string | null;
  createdAt?: string;
}

export interface SampleInvoiceOptions {
  number?: string;
  layout?: InvoiceLayout;
  currency?: string;
  issueDate?: string;
  /** Default: the issue date plus the payment terms */
  dueDate?: string;
  seller?: Partial<InvoiceParty>;
  buyer?: Partial<InvoiceParty>;
  payment?: Partial<InvoiceDocument['payment']>;
  logo?: InvoiceLogo | null;
  orders?: SampleOrder[];
}

/** What a set of samples has unless the options say otherwise */
interface SampleDefaults {
  number: string;
  currency: string;
  issueDate: string;
  seller: InvoiceParty;
  buyer: InvoiceParty;
  payment: InvoiceDocument['payment'];
  logo: () => InvoiceLogo | null;
  createdAt: string;
  shipping: string | null;
  orders: SampleOrder[];
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

const GB_SAMPLE: SampleDefaults = {
  number: 'SUPA-000042',
  currency: 'GBP',
  issueDate: '2026-11-08',
  seller: sampleSeller,
  buyer: sampleBuyer,
  payment: { details: 'Sort code 12-34-56, account 12345678', iban: 'GB33BUKB20201555555555', bic: 'BUKBGB22', termsDays: 30 },
  logo: () => null,
  createdAt: '2026-11-02T10:00:00Z',
  shipping: null,
  orders: [
    {
      number: 'B-1001',
      shipping: '4.99',
      items: [
        { sku: 'TS-WHT-M', description: 'T-shirt white M', quantity: 2, unitPrice: '7.50', taxRate: '20' },
        { sku: 'BOOK-1', description: 'Children’s book', quantity: 1, unitPrice: '5.00', taxRate: '0' },
      ],
    },
  ],
};

const lodzSeller: InvoiceParty = {
  code: 'SUPA',
  name: 'Hurtownia Łódź Sp. z o.o.',
  email: 'księgowość@hurtownia-lodz.example',
  vatNumber: 'PL5250001009',
  endpoint: { scheme: '9945', id: 'PL5250001009' },
  address: { lines: ['ul. Piotrkowska 104', 'Budynek Ż, lokal 12'], city: 'Łódź', postcode: '90-926', country: 'PL' },
};

const athensBuyer: InvoiceParty = {
  code: 'RETB',
  name: 'Жарков и партнёры ООО',
  email: 'accounts@zharkov.example',
  vatNumber: 'EL094014201',
  endpoint: { scheme: '0088', id: '5790000435951' },
  address: { lines: ['Οδός Ερμού 12', 'Ελληνικά Γραφεία, 3ος όροφος'], city: 'Αθήνα', postcode: '105 63', country: 'GR' },
};

const PDF_SAMPLE: SampleDefaults = {
  number: 'SUPA-000042',
  currency: 'EUR',
  issueDate: '2026-11-02',
  seller: lodzSeller,
  buyer: athensBuyer,
  payment: {
    details: 'Bank Polska Kasa Opieki S.A., ul. Grzybowska 53/57, Warszawa. Please quote the invoice number.',
    iban: 'PL61109010140000071219812874',
    bic: 'PKOPPLPW',
    termsDays: 30,
  },
  logo: () => samplePngLogo(),
  createdAt: '2026-10-28T10:00:00Z',
  shipping: '0.00',
  orders: [],
};

const BENCH_SAMPLE: SampleDefaults = {
  number: 'SUPA-000100',
  currency: 'EUR',
  issueDate: '2026-11-02',
  seller: { ...lodzSeller, email: 'faktury@hurtownia.example', endpoint: null, address: { ...lodzSeller.address, lines: ['ul. Piotrkowska 104'] } },
  buyer: { ...athensBuyer, endpoint: null, address: { ...athensBuyer.address, lines: ['Οδός Ερμού 12'] } },
  payment: {
    details: 'Bank Polska Kasa Opieki S.A., Warszawa. Please quote the invoice number.',
    iban: 'PL61109010140000071219812874',
    bic: 'PKOPPLPW',
    termsDays: 30,
  },
  logo: () => benchLogo(),
  createdAt: '2026-10-28T09:30:00Z',
  shipping: '0.00',
  orders: [],
};

/** Supplier A Ltd to Retailer B Ltd, GBP, no logo; by default one order of two items with 4.99 shipping. */
export function buildSampleInvoice(options: SampleInvoiceOptions = {}): InvoiceDocument {
  return assembleInvoice(options, GB_SAMPLE);
}

/** A Polish seller to a Greek buyer (Łódź, Жарков, Αθήνα), EUR, with a PNG logo; shipping "0.00" unless given. */
export function buildPdfSampleInvoice(options: SampleInvoiceOptions): InvoiceDocument {
  return assembleInvoice(options, PDF_SAMPLE);
}

function assembleInvoice(options: SampleInvoiceOptions, defaults: SampleDefaults): InvoiceDocument {
  const issueDate = options.issueDate ?? defaults.issueDate;
  const payment = { ...defaults.payment, ...options.payment };
  let position = 0;
  const orders: InvoiceOrder[] = (options.orders ?? defaults.orders).map((order) => {
    const shipping = order.shipping === undefined ? defaults.shipping : order.shipping;
    const lines: InvoiceLine[] = order.items.map((item, index) => {
      position += 1;
      const lineShipping = index === 0 ? shipping : null;
      const description = item.description ?? `Item ${position}`;
      return {
        position,
        orderNumber: order.number,
        sku: item.sku ?? `SKU-${position}`,
        description: order.relatingTo ? `${description} (for ${order.relatingTo})` : description,
        quantity: item.quantity,
        unitPrice: item.unitPrice,
        taxRate: item.taxRate,
        shipping: lineShipping,
        net: formatAmount(lineNetMinor(item.quantity, unitPriceOf(item.unitPrice)) + (lineShipping === null ? 0 : amountOf(lineShipping))),
      };
    });
    return { number: order.number, relatingTo: order.relatingTo ?? null, createdAt: order.createdAt ?? defaults.createdAt, lines, net: sumOf(lines) };
  });
  const lines = orders.flatMap((order) => order.lines);
  const taxGroups = [...new Set(lines.map((line) => line.taxRate))].map((rate) => taxGroupOf(rate, lines));
  return {
    kind: 'invoice',
    number: options.number ?? defaults.number,
    issueDate,
    dueDate: options.dueDate ?? addDays(issueDate, payment.termsDays),
    currency: options.currency ?? defaults.currency,
    layout: options.layout ?? 'combined',
    seller: { ...defaults.seller, ...options.seller },
    buyer: { ...defaults.buyer, ...options.buyer },
    payment,
    logo: options.logo === undefined ? defaults.logo() : options.logo,
    orders,
    ...totalsOf(taxGroups),
  };
}

/** One line credited by a sample credit note */
export interface SampleCreditLine {
  /** The line's position on the invoice */
  position: number;
  /** Units credited; default: all of the line's */
  quantity?: number;
  /** Shipping credited with it; default: the line's shipping when every unit is credited, else none */
  shipping?: string | null;
  /**
   * What the credit note credits of the line; default round(quantity × unit price, 2) + shipping. Give it
   * to print what cumulative rounding makes of a later partial credit (a cent more or less).
   */
  net?: string;
}

export interface SampleCreditNoteOptions {
  /** Default: the seller's code + "-CN-000001" */
  number?: string;
  issueDate?: string;
  reason?: string;
  /** Default: every line in full, so the credit note mirrors the invoice */
  lines?: SampleCreditLine[];
  /** Tax credited per rate ("20" → "1.23"); default round(credited net × rate / 100, 2) */
  tax?: Record<string, string>;
}

/** A credit note of `invoice` (its seller, buyer, currency, layout and lines), every amount positive. */
export function buildSampleCreditNote(invoice: InvoiceDocument, options: SampleCreditNoteOptions = {}): CreditNoteDocument {
  const invoiceLines = invoice.orders.flatMap((order) => order.lines);
  const credits = new Map((options.lines ?? invoiceLines.map((line) => ({ position: line.position }))).map((credit) => [credit.position, credit]));
  for (const position of credits.keys()) {
    if (!invoiceLines.some((line) => line.position === position)) throw new Error(`invoice ${invoice.number} has no line ${position}`);
  }
  const orders: InvoiceOrder[] = [];
  for (const order of invoice.orders) {
    const lines = order.lines.flatMap((line) => {
      const credit = credits.get(line.position);
      return credit ? [creditedLine(line, credit)] : [];
    });
    if (lines.length > 0) orders.push({ ...order, lines, net: sumOf(lines) });
  }
  const lines = orders.flatMap((order) => order.lines);
  const taxGroups = invoice.taxGroups
    .filter((group) => lines.some((line) => line.taxRate === group.rate))
    .map((group) => taxGroupOf(group.rate, lines, options.tax?.[group.rate]));
  const { dueDate: _dueDate, ...shared } = invoice;
  return {
    ...shared,
    kind: 'credit-note',
    number: options.number ?? `${invoice.seller.code}-CN-000001`,
    issueDate: options.issueDate ?? '2026-11-20',
    invoice: { number: invoice.number, issueDate: invoice.issueDate },
    reason: options.reason ?? 'Goods returned',
    orders,
    ...totalsOf(taxGroups),
  };
}

function creditedLine(line: InvoiceLine, credit: SampleCreditLine): InvoiceLine {
  const quantity = credit.quantity ?? line.quantity;
  const shipping = credit.shipping === undefined ? (quantity === line.quantity ? line.shipping : null) : credit.shipping;
  const net = credit.net ?? formatAmount(lineNetMinor(quantity, unitPriceOf(line.unitPrice)) + (shipping === null ? 0 : amountOf(shipping)));
  return { ...line, quantity, shipping, net };
}

function taxGroupOf(rate: string, lines: readonly InvoiceLine[], tax?: string): TaxGroup {
  const net = lines.reduce((sum, line) => (line.taxRate === rate ? sum + amountOf(line.net) : sum), 0);
  const rateBp = parseTaxRate(rate);
  if (rateBp === null) throw new Error(`not a tax rate: ${rate}`);
  return { rate, net: formatAmount(net), tax: tax ?? formatAmount(taxMinor(net, rateBp)) };
}

function totalsOf(taxGroups: TaxGroup[]): Pick<InvoiceDocument, 'taxGroups' | 'net' | 'tax' | 'total'> {
  const net = taxGroups.reduce((sum, group) => sum + amountOf(group.net), 0);
  const tax = taxGroups.reduce((sum, group) => sum + amountOf(group.tax), 0);
  return { taxGroups, net: formatAmount(net), tax: formatAmount(tax), total: formatAmount(net + tax) };
}

function sumOf(lines: readonly InvoiceLine[]): string {
  return formatAmount(lines.reduce((sum, line) => sum + amountOf(line.net), 0));
}

function amountOf(text: string): number {
  const minor = parseAmount(text);
  if (minor === null) throw new Error(`not an amount: ${text}`);
  return minor;
}

function unitPriceOf(text: string): number {
  const e4 = parseUnitPrice(text);
  if (e4 === null) throw new Error(`not a unit price: ${text}`);
  return e4;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

// ---- the UBL tests' invoices ----

/** French seller, Belgian buyer without an endpoint (its VAT number gives one), EUR, four rates, shipping on two orders. */
export function sampleSeveralRatesInvoice(): InvoiceDocument {
  return buildSampleInvoice({
    number: 'SUPF-000001',
    currency: 'EUR',
    seller: {
      code: 'SUPF',
      name: 'Fournisseur Français SARL',
      vatNumber: 'FR40303265045',
      endpoint: { scheme: '0088', id: '5790000435975' },
      address: { lines: ['12 rue de la Paix', 'Bâtiment B', 'Étage 3'], city: 'Paris', postcode: '75002', country: 'FR' },
    },
    buyer: {
      code: 'RETBE',
      name: 'Détaillant Belge SA',
      vatNumber: 'BE0123456749',
      endpoint: null,
      address: { lines: ['Rue Neuve 1'], city: 'Bruxelles', postcode: '1000', country: 'BE' },
    },
    payment: { iban: 'FR7630006000011234567890189', bic: 'AGRIFRPP', details: null },
    orders: [
      {
        number: 'O-1',
        shipping: '6.90',
        items: [
          { quantity: 3, unitPrice: '12.00', taxRate: '20' },
          { quantity: 2, unitPrice: '4.35', taxRate: '5.5' },
          { quantity: 1, unitPrice: '8.80', taxRate: '10' },
        ],
      },
      {
        number: 'O-2',
        shipping: '2.10',
        items: [
          { quantity: 4, unitPrice: '9.99', taxRate: '0' },
          { quantity: 1, unitPrice: '15.00', taxRate: '20' },
        ],
      },
    ],
  });
}

/** Polish seller, buyer in Tokyo with a Cyrillic and Japanese name and no VAT number, PLN, 23 %. */
export function sampleUnicodeInvoice(): InvoiceDocument {
  return buildSampleInvoice({
    number: 'ŁDZ-000001',
    currency: 'PLN',
    seller: {
      code: 'LODZ',
      name: 'Łódź Trading Sp. z o.o.',
      vatNumber: 'PL5260001246',
      address: { lines: ['ul. Piotrkowska 1'], city: 'Łódź', postcode: '90-001', country: 'PL' },
    },
    buyer: {
      code: 'ZHAR',
      name: 'Жарков и партнёры 東京',
      vatNumber: null,
      address: { lines: ['丸の内1-1'], city: '東京', postcode: '100-0005', country: 'JP' },
    },
    payment: { iban: 'PL61109010140000071219812874', bic: null, details: 'Przelew — «Жарков» 東京' },
    orders: [{ number: 'Z-1', shipping: null, items: [{ description: 'Чай зелёный 緑茶 “premium”', quantity: 2, unitPrice: '19.90', taxRate: '23' }] }],
  });
}

// ---- the PDF tests' invoices ----

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

/** A PDF sample invoice with `lineCount` lines in orders of `perOrder` lines. */
export function invoiceWithLines(lineCount: number, layout: InvoiceLayout = 'combined', perOrder = 5): InvoiceDocument {
  const orders: SampleOrder[] = [];
  for (let start = 0, n = 1; start < lineCount; start += perOrder, n++) {
    orders.push({
      number: `B-${String(1000 + n)}`,
      items: sampleItems(Math.min(perOrder, lineCount - start), start),
      shipping: n % 3 === 0 ? '0.00' : '4.99',
    });
  }
  return buildPdfSampleInvoice({ layout, orders });
}

/** Small combined invoice kept as a golden text file. */
export function goldenCombinedInvoice(): InvoiceDocument {
  return buildPdfSampleInvoice({
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
  return buildPdfSampleInvoice({
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

/**
 * A credit note of the golden combined invoice, kept as a golden text file: line 1 in full (with its
 * order's shipping), one of line 2's two units, and all of line 4 (an order relating to another).
 */
export function goldenCombinedCreditNote(): CreditNoteDocument {
  return buildSampleCreditNote(goldenCombinedInvoice(), {
    number: 'SUPA-CN-000007',
    issueDate: '2026-11-20',
    reason: 'Returned: T-shirt not delivered, 1 mug broken in transit; tea refused at the door',
    lines: [{ position: 1 }, { position: 2, quantity: 1 }, { position: 4 }],
  });
}

/** A credit note of the golden individual invoice, kept as a golden text file: order B-2001 whole and 2 units of line 4. */
export function goldenIndividualCreditNote(): CreditNoteDocument {
  return buildSampleCreditNote(goldenIndividualInvoice(), {
    number: 'SUPA-CN-000008',
    issueDate: '2026-11-21',
    reason: 'Order B-2001 cancelled by the customer; two teas of B-2002 past their date',
    lines: [{ position: 1 }, { position: 2 }, { position: 4, quantity: 2 }],
  });
}

/** Individual layout with one order of 300 items (spans several pages) between two small ones. */
export function invoiceWithLargeOrder(): InvoiceDocument {
  return buildPdfSampleInvoice({
    number: 'SUPA-000044',
    layout: 'individual',
    orders: [
      { number: 'B-3001', shipping: '4.99', items: sampleItems(2) },
      { number: 'B-3002', shipping: '12.00', items: sampleItems(300, 1) },
      { number: 'B-3003', shipping: '4.99', items: sampleItems(4, 2) },
    ],
  });
}

// ---- the PDF benchmark's invoices ----

/** Products with 4-decimal prices and mixed rates: sku, description, unit price, tax rate */
const CATALOGUE = [
  ['TS-WHT-M', 'T-shirt white M', '7.5000', '20'],
  ['TS-BLK-L', 'T-shirt black L, organic cotton', '7.8900', '20'],
  ['MUG-CER-350', 'Ceramic mug 350 ml, glazed', '2.3456', '20'],
  ['BK-PL-0042', 'Książka „Pan Tadeusz” — wydanie ilustrowane', '12.9900', '5'],
  ['TEA-GRN-100', 'Зелёный чай, 100 г', '3.1250', '5'],
  ['OLV-OIL-1L', 'Ελαιόλαδο εξαιρετικό παρθένο 1 l', '9.8765', '20'],
  ['SOCK-3PK', 'Socks, 3-pack, assorted colours', '4.4990', '20'],
  ['GIFT-CARD', 'Gift card', '25.0000', '0'],
] as const;

export interface BenchInvoiceOptions {
  lines: number;
  linesPerOrder?: number;
  number?: string;
  layout?: InvoiceLayout;
  /** Shifts the catalogue so consecutive invoices differ */
  variant?: number;
}

/**
 * Realistic invoices for the PDF benchmark: several lines per order from the catalogue, shipping on each
 * order's first line (none on every fourth order), Unicode names and a logo.
 */
export function buildBenchInvoice(options: BenchInvoiceOptions): InvoiceDocument {
  const perOrder = options.linesPerOrder ?? 5;
  const variant = options.variant ?? 0;
  const orders: SampleOrder[] = [];
  for (let orderIndex = 0, position = 0; position < options.lines; orderIndex++) {
    const items: SampleItem[] = [];
    for (let i = 0; i < perOrder && position < options.lines; i++, position++) {
      const [sku, description, unitPrice, taxRate] = CATALOGUE[(position + variant) % CATALOGUE.length]!;
      items.push({ sku, description, unitPrice, taxRate, quantity: ((position * 7 + variant) % 12) + 1 });
    }
    orders.push({ number: `R-${String(100_000 + variant * 1000 + orderIndex)}`, shipping: orderIndex % 4 === 3 ? '0.00' : '4.99', items });
  }
  return assembleInvoice({ number: options.number, layout: options.layout, orders }, BENCH_SAMPLE);
}

// ---- logos, made in code ----

let pngLogo: InvoiceLogo | undefined;
let benchPngLogo: InvoiceLogo | undefined;

/** A 180×48 RGBA PNG: a blue rounded badge with a lighter stripe, transparent outside. */
export function samplePngLogo(): InvoiceLogo {
  pngLogo ??= encodePng(180, 48, 4, (x, y) => {
    const stripe = y > 30 && y < 36;
    const inside = isInsideRoundedRect(x, y, 180, 48, 12);
    return [stripe ? 120 : 20, stripe ? 190 : 70 + Math.round((x / 180) * 60), stripe ? 255 : 160, inside ? 255 : 0];
  });
  return pngLogo;
}

/** A 160×48 RGB PNG: a two-tone banner. */
export function benchLogo(): InvoiceLogo {
  benchPngLogo ??= encodePng(160, 48, 3, (x, y) => (y > 34 ? [240, 160, 40] : [30, 60 + Math.round((x / 160) * 80), 150]));
  return benchPngLogo;
}

/** An 8-bit PNG, RGB (3 channels) or RGBA (4), unfiltered rows, one IDAT. */
function encodePng(width: number, height: number, channels: 3 | 4, pixel: (x: number, y: number) => readonly number[]): InvoiceLogo {
  const rowLength = 1 + width * channels;
  const raw = Buffer.alloc(height * rowLength); // each row starts with filter type 0 (none)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), y * rowLength + 1 + x * channels);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, channels === 4 ? 6 : 2, 0, 0, 0], 8); // 8 bits, RGBA or RGB, deflate, no filter method, no interlace
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
