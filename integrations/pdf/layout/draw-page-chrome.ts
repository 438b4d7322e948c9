import type { BillingDocument } from '../../../src/domain/invoice-document.js';
import type { Typesetter } from '../fonts/typesetter.js';
import type { PageCanvas } from '../pdf/page-canvas.js';
import type { DocumentWording } from './document-wording.js';
import { drawWrapped } from './draw-text.js';
import type { PageFlow } from './page-flow.js';
import { ASCENT, CONTENT_WIDTH, GRAY, PAGE, TYPE } from './theme.js';

const RUNNING_HEADER_HEIGHT = 26;

/** Top of pages 2…n: the seller, and which document this page belongs to. */
export function drawRunningHeader(flow: PageFlow, doc: BillingDocument, wording: DocumentWording): void {
  const { canvas } = flow;
  const ts = flow.tools.typesetter;
  const top = PAGE.top;
  const half = CONTENT_WIDTH / 2 - 10;
  const sellerStyle = { weight: 'bold', size: 9, gray: GRAY.text } as const;
  drawWrapped(canvas, ts, doc.seller.name, sellerStyle, { x: PAGE.left, width: half, align: 'left' }, top, 1);
  drawWrapped(
    canvas,
    ts,
    `${wording.name} ${doc.number} \u00b7 ${doc.issueDate}`,
    { weight: 'regular', size: TYPE.body, gray: GRAY.muted },
    { x: PAGE.right - half, width: half, align: 'right' },
    top,
    1,
  );
  canvas.line(PAGE.left, top - 15, PAGE.right, top - 15, 0.5, GRAY.rule);
  flow.y = top - RUNNING_HEADER_HEIGHT;
}

/** Bottom of every page: the document's reference and "Page X of Y". */
export function drawFooter(canvas: PageCanvas, ts: Typesetter, doc: BillingDocument, wording: DocumentWording, page: number, pages: number): void {
  const style = { weight: 'regular', size: TYPE.small, gray: GRAY.muted } as const;
  canvas.line(PAGE.left, PAGE.footerRule, PAGE.right, PAGE.footerRule, 0.5, GRAY.rule);
  const top = PAGE.footerBaseline + TYPE.small * ASCENT;
  const pageLabel = ts.shape(`Page ${page} of ${pages}`, 'regular');
  const pageLabelWidth = ts.widthOf(pageLabel, style.size);
  canvas.text(PAGE.right - pageLabelWidth, PAGE.footerBaseline, pageLabel, style.size, style.gray);
  drawWrapped(
    canvas,
    ts,
    `${doc.seller.name} \u00b7 ${wording.name} ${doc.number} \u00b7 ${wording.footerFacts}`,
    style,
    { x: PAGE.left, width: CONTENT_WIDTH - pageLabelWidth - 20, align: 'left' },
    top,
    1,
  );
}
