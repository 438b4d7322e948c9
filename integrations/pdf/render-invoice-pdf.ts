import type { BillingDocument } from '../../src/domain/invoice-document.js';
import { buildFontProgram } from './fonts/build-font-program.js';
import { GlyphUsage } from './fonts/glyph-usage.js';
import { loadFont, resolveDejaVuPaths } from './fonts/load-font.js';
import { Typesetter } from './fonts/typesetter.js';
import { drawFooter, drawRunningHeader } from './layout/draw-page-chrome.js';
import { wordingOf } from './layout/document-wording.js';
import { layoutDocument } from './layout/layout-document.js';
import { PageFlow } from './layout/page-flow.js';
import { prepareLogo } from './pdf/embed-logo.js';
import { fillPlaceholders } from './pdf/fill-placeholders.js';
import { writePdf } from './pdf/write-pdf.js';

export interface PdfRendererOptions {
  /**
   * Fonts tried, in order, for characters DejaVu Sans lacks, e.g.
   * `/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc` (a collection; `file.ttc#N` picks face N).
   */
  fontFiles?: string[];
}

export interface RenderedPdf {
  bytes: Uint8Array;
  pageCount: number;
  /** Distinct characters no configured font covers, in order of first use; each was drawn as U+FFFD */
  missingCharacters: string[];
}

export interface PdfRenderer {
  /** An invoice or a credit note, in the buyer's layout */
  render(doc: BillingDocument): Promise<RenderedPdf>;
}

const LOGO_NAME = 'Im1';

/**
 * Loads the fonts once (the expensive part) and returns a renderer that can be reused for any number of
 * invoices and credit notes, concurrently or not. Create one per process.
 */
// async so that a font that cannot be read rejects rather than throws
// eslint-disable-next-line @typescript-eslint/require-await
export async function createPdfRenderer(options: PdfRendererOptions = {}): Promise<PdfRenderer> {
  const dejaVu = resolveDejaVuPaths();
  const fallbacks = (options.fontFiles ?? []).map(loadFont);
  const typesetter = new Typesetter(loadFont(dejaVu.regular), loadFont(dejaVu.bold), fallbacks);
  const placeholderSlots = new Set(typesetter.slots.filter((slot) => !slot.stableIds).map((slot) => slot.index));
  return {
    render: (doc) => renderDocumentPdf(doc, typesetter, placeholderSlots),
  };
}

async function renderDocumentPdf(doc: BillingDocument, typesetter: Typesetter, placeholderSlots: ReadonlySet<number>): Promise<RenderedPdf> {
  const logo = doc.logo ? await prepareLogo(doc.logo) : null;
  const usage = new GlyphUsage();
  const wording = wordingOf(doc);
  const flow = new PageFlow({ typesetter, usage, placeholderSlots }, (next) => drawRunningHeader(next, doc, wording));
  layoutDocument(flow, doc, wording, logo ? { name: LOGO_NAME, width: logo.width, height: logo.height } : null);
  const drawnPages = flow.finish((canvas, page, pages) => drawFooter(canvas, typesetter, doc, wording, page, pages));
  const fonts = await Promise.all(
    [...usage.bySlot]
      .sort(([a], [b]) => a - b)
      .map(async ([slot, used]) => {
        const fontSlot = typesetter.slots[slot]!;
        return { program: await buildFontProgram(fontSlot, used), font: fontSlot.font };
      }),
  );
  const pages = fillPlaceholders(
    drawnPages,
    fonts.map((font) => font.program),
  );
  const bytes = await writePdf({
    pages,
    fonts,
    logo: logo ? { name: LOGO_NAME, prepared: logo } : null,
    metadata: {
      title: `${wording.name} ${doc.number}`,
      author: doc.seller.name,
      subject: `${wording.reference} from ${doc.seller.name} to ${doc.buyer.name}`,
      date: doc.issueDate,
      identity: [doc.number, doc.issueDate, doc.seller.code, doc.buyer.code, doc.currency, doc.total].join('\n'),
    },
  });
  return { bytes, pageCount: pages.length, missingCharacters: [...usage.missing] };
}
