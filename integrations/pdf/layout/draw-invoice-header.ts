import type { InvoiceDocument, InvoiceParty } from '../../../src/domain/invoice-document.js';
import type { Typesetter } from '../fonts/typesetter.js';
import type { PageCanvas } from '../pdf/page-canvas.js';
import { drawLines, drawWrapped, layoutLines, type TextStyle } from './draw-text.js';
import type { PageFlow } from './page-flow.js';
import { CONTENT_WIDTH, GRAY, PAGE, TYPE } from './theme.js';

/** The logo as placed on the page: an image XObject name and its pixel size. */
export interface LogoPlacement {
  name: string;
  width: number;
  height: number;
}

const LOGO_BOX = { width: 200, height: 64 };
const META_LABEL_X = 352;
const COLUMN_GAP = 24;

/** Page 1 header: logo (or the seller's name), "INVOICE" with its number and dates, seller and buyer. */
export function drawInvoiceHeader(flow: PageFlow, doc: InvoiceDocument, logo: LogoPlacement | null): void {
  const { canvas } = flow;
  const ts = flow.tools.typesetter;
  const top = PAGE.top;
  const brandBottom = logo ? drawLogo(canvas, logo, top) : drawLetterhead(canvas, ts, doc.seller.name, top);
  const metaBottom = drawMeta(canvas, ts, doc, top);
  const partiesTop = Math.min(brandBottom, metaBottom) - 22;
  const columnWidth = (CONTENT_WIDTH - COLUMN_GAP) / 2;
  const fromHeight = drawParty(canvas, ts, 'FROM', doc.seller, PAGE.left, columnWidth, partiesTop);
  const buyerX = PAGE.left + columnWidth + COLUMN_GAP;
  const toHeight = drawParty(canvas, ts, 'BILL TO', doc.buyer, buyerX, columnWidth, partiesTop);
  flow.y = partiesTop - Math.max(fromHeight, toHeight) - 18;
}

function drawLogo(canvas: PageCanvas, logo: LogoPlacement, top: number): number {
  const scale = Math.min(LOGO_BOX.width / logo.width, LOGO_BOX.height / logo.height, 1);
  const width = logo.width * scale;
  const height = logo.height * scale;
  canvas.image(logo.name, PAGE.left, top - height, width, height);
  return top - height;
}

function drawLetterhead(canvas: PageCanvas, ts: Typesetter, name: string, top: number): number {
  const style: TextStyle = { weight: 'bold', size: 15, gray: GRAY.text };
  const box = { x: PAGE.left, width: META_LABEL_X - PAGE.left - 20, align: 'left' } as const;
  return top - drawWrapped(canvas, ts, name, style, box, top, 2);
}

function drawMeta(canvas: PageCanvas, ts: Typesetter, doc: InvoiceDocument, top: number): number {
  const title: TextStyle = { weight: 'bold', size: TYPE.title, gray: GRAY.text };
  const width = PAGE.right - META_LABEL_X;
  drawWrapped(canvas, ts, 'INVOICE', title, { x: META_LABEL_X, width, align: 'right' }, top + 2, 1);
  const label: TextStyle = { weight: 'regular', size: TYPE.body, gray: GRAY.muted };
  const rows: [string, string, boolean][] = [
    ['Invoice number', doc.number, true],
    ['Issue date', doc.issueDate, false],
    ['Due date', doc.dueDate, false],
    ['Payment terms', `${doc.payment.termsDays} days`, false],
    ['Currency', doc.currency, false],
  ];
  let y = top - 34;
  for (const [name, value, strong] of rows) {
    drawWrapped(canvas, ts, name, label, { x: META_LABEL_X, width: 80, align: 'left' }, y, 1);
    const valueStyle: TextStyle = { weight: strong ? 'bold' : 'regular', size: TYPE.body, gray: GRAY.text };
    // Two lines rather than an ellipsis: an invoice number must never be cut.
    const lines = layoutLines(ts, value, valueStyle, width - 82, 2);
    y -= drawLines(canvas, ts, lines, valueStyle, { x: META_LABEL_X + 82, width: width - 82, align: 'right' }, y) + 1.5;
  }
  return y;
}

/** A party's address block; returns its height. */
function drawParty(canvas: PageCanvas, ts: Typesetter, heading: string, party: InvoiceParty, x: number, width: number, top: number): number {
  const box = { x, width, align: 'left' } as const;
  const labelStyle: TextStyle = { weight: 'bold', size: TYPE.label, gray: GRAY.muted };
  const nameStyle: TextStyle = { weight: 'bold', size: TYPE.party, gray: GRAY.text };
  const body: TextStyle = { weight: 'regular', size: TYPE.body, gray: GRAY.text };
  const muted: TextStyle = { ...body, gray: GRAY.muted };
  let y = top;
  y -= drawWrapped(canvas, ts, heading, labelStyle, box, y, 1) + 2;
  canvas.line(x, y + 1.5, x + width, y + 1.5, 0.5, GRAY.rule);
  y -= 3;
  y -= drawWrapped(canvas, ts, party.name, nameStyle, box, y, 3) + 1;
  const { address } = party;
  const cityLine = [address.city, address.postcode].filter(Boolean).join(' ');
  const addressLines = [...address.lines, cityLine, countryName(address.country)];
  for (const line of addressLines) y -= drawWrapped(canvas, ts, line, body, box, y, 2);
  if (party.vatNumber) {
    y -= drawLines(canvas, ts, layoutLines(ts, `VAT ${party.vatNumber}`, body, width, 1), body, box, y - 2) + 2;
  }
  if (party.email) y -= drawWrapped(canvas, ts, party.email, muted, box, y, 1);
  return top - y;
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
const countryNames = new Map<string, string>();

/** "GB" → "United Kingdom"; an unknown code is printed as given. */
function countryName(code: string): string {
  let name = countryNames.get(code);
  if (name === undefined) {
    try {
      name = regionNames.of(code.toUpperCase()) ?? code;
    } catch {
      name = code;
    }
    countryNames.set(code, name);
  }
  return name;
}
