import type { BillingDocument, InvoiceParty } from '../../../src/domain/invoice-document.js';
import type { Typesetter } from '../fonts/typesetter.js';
import type { PageCanvas } from '../pdf/page-canvas.js';
import type { DocumentWording } from './document-wording.js';
import { drawLines, drawWrapped, layoutLines, type TextBox, type TextStyle } from './draw-text.js';
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

/**
 * Page 1 header: logo (or the seller's name), the title ("INVOICE", "CREDIT NOTE") with the document's
 * number and dates, seller and buyer; for a credit note, then the reason it was issued.
 */
export function drawDocumentHeader(flow: PageFlow, doc: BillingDocument, wording: DocumentWording, logo: LogoPlacement | null): void {
  const { canvas } = flow;
  const ts = flow.tools.typesetter;
  const top = PAGE.top;
  const brandBottom = logo ? drawLogo(canvas, logo, top) : drawLetterhead(canvas, ts, doc.seller.name, top);
  const metaBottom = drawMeta(canvas, ts, wording, top);
  const partiesTop = Math.min(brandBottom, metaBottom) - 22;
  const columnWidth = (CONTENT_WIDTH - COLUMN_GAP) / 2;
  const fromHeight = drawParty(canvas, ts, 'FROM', doc.seller, PAGE.left, columnWidth, partiesTop);
  const buyerX = PAGE.left + columnWidth + COLUMN_GAP;
  const toHeight = drawParty(canvas, ts, wording.buyerHeading, doc.buyer, buyerX, columnWidth, partiesTop);
  flow.y = partiesTop - Math.max(fromHeight, toHeight) - 18;
  if (doc.kind === 'credit-note') {
    const height = drawBlock(canvas, ts, 'REASON', doc.reason, PAGE.left, CONTENT_WIDTH, flow.y);
    flow.y -= height + 16;
  }
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

function drawMeta(canvas: PageCanvas, ts: Typesetter, wording: DocumentWording, top: number): number {
  const title: TextStyle = { weight: 'bold', size: TYPE.title, gray: GRAY.text };
  const width = PAGE.right - META_LABEL_X;
  drawWrapped(canvas, ts, wording.title, title, { x: META_LABEL_X, width, align: 'right' }, top + 2, 1);
  const label: TextStyle = { weight: 'regular', size: TYPE.body, gray: GRAY.muted };
  let y = top - 34;
  for (const [name, value, strong] of wording.facts) {
    drawWrapped(canvas, ts, name, label, { x: META_LABEL_X, width: 80, align: 'left' }, y, 1);
    const valueStyle: TextStyle = { weight: strong ? 'bold' : 'regular', size: TYPE.body, gray: GRAY.text };
    // Two lines rather than an ellipsis: a document number must never be cut.
    const lines = layoutLines(ts, value, valueStyle, width - 82, 2);
    y -= drawLines(canvas, ts, lines, valueStyle, { x: META_LABEL_X + 82, width: width - 82, align: 'right' }, y) + 1.5;
  }
  return y;
}

const LABEL: TextStyle = { weight: 'bold', size: TYPE.label, gray: GRAY.muted };
const BODY: TextStyle = { weight: 'regular', size: TYPE.body, gray: GRAY.text };

/** A party's address block; returns its height. */
function drawParty(canvas: PageCanvas, ts: Typesetter, heading: string, party: InvoiceParty, x: number, width: number, top: number): number {
  const box = { x, width, align: 'left' } as const;
  const nameStyle: TextStyle = { weight: 'bold', size: TYPE.party, gray: GRAY.text };
  const muted: TextStyle = { ...BODY, gray: GRAY.muted };
  let y = drawHeading(canvas, ts, heading, box, top);
  y -= drawWrapped(canvas, ts, party.name, nameStyle, box, y, 3) + 1;
  const { address } = party;
  const cityLine = [address.city, address.postcode].filter(Boolean).join(' ');
  const addressLines = [...address.lines, cityLine, countryName(address.country)];
  for (const line of addressLines) y -= drawWrapped(canvas, ts, line, BODY, box, y, 2);
  if (party.vatNumber) {
    y -= drawLines(canvas, ts, layoutLines(ts, `VAT ${party.vatNumber}`, BODY, width, 1), BODY, box, y - 2) + 2;
  }
  if (party.email) y -= drawWrapped(canvas, ts, party.email, muted, box, y, 1);
  return top - y;
}

/** A headed paragraph (a credit note's reason); returns its height. */
function drawBlock(canvas: PageCanvas, ts: Typesetter, heading: string, text: string, x: number, width: number, top: number): number {
  const box = { x, width, align: 'left' } as const;
  const y = drawHeading(canvas, ts, heading, box, top);
  return top - y + drawWrapped(canvas, ts, text, BODY, box, y, 4);
}

/** A small heading over a thin rule; returns where the text under it starts. */
function drawHeading(canvas: PageCanvas, ts: Typesetter, heading: string, box: TextBox, top: number): number {
  const y = top - (drawWrapped(canvas, ts, heading, LABEL, box, top, 1) + 2);
  canvas.line(box.x, y + 1.5, box.x + box.width, y + 1.5, 0.5, GRAY.rule);
  return y - 3;
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
