import { deflateSync } from 'node:zlib';
import type { GlyphUsage } from '../fonts/glyph-usage.js';
import type { Typesetter } from '../fonts/typesetter.js';
import { PageCanvas } from '../pdf/page-canvas.js';
import { PAGE } from './theme.js';

/** A finished page: its body is deflated at once unless it still holds glyph placeholders. */
export interface PageContent {
  body: Uint8Array | string;
  footer: string;
}

export interface FlowTools {
  typesetter: Typesetter;
  usage: GlyphUsage;
  placeholderSlots: ReadonlySet<number>;
}

/**
 * The pages of one document and the vertical cursor `y` (top of the free space on the current page).
 * Content that does not fit calls `ensure`, which breaks the page, draws the running header and then the
 * current `continuation` (e.g. the table header) before the caller goes on drawing.
 */
export class PageFlow {
  canvas: PageCanvas;
  y: number = PAGE.top;
  /** Drawn after the running header on every page break, while set */
  continuation: (() => void) | null = null;
  private readonly bodies: (Uint8Array | string)[] = [];
  private contentOnPage = false;

  constructor(
    readonly tools: FlowTools,
    private readonly drawRunningHeader: (flow: PageFlow) => void,
  ) {
    this.canvas = this.newCanvas();
  }

  /** Makes sure `height` points fit below the cursor; starts a new page when they do not. */
  ensure(height: number): void {
    if (this.y - height < PAGE.bottom && this.contentOnPage) this.breakPage();
    this.contentOnPage = true;
  }

  /** Starts a new page now (each order of the individual layout). */
  breakPage(): void {
    this.closePage();
    this.canvas = this.newCanvas();
    this.y = PAGE.top;
    this.contentOnPage = false;
    this.drawRunningHeader(this);
    this.continuation?.();
  }

  /** Finishes the last page and draws every page's footer, now that the page count is known. */
  finish(drawFooter: (canvas: PageCanvas, page: number, pages: number) => void): PageContent[] {
    this.closePage();
    const pages = this.bodies.length;
    return this.bodies.map((body, i) => {
      const canvas = this.newCanvas();
      drawFooter(canvas, i + 1, pages);
      return { body, footer: canvas.finish() };
    });
  }

  private closePage(): void {
    const text = this.canvas.finish();
    this.bodies.push(this.canvas.hasPlaceholders ? text : deflateContent(text));
  }

  private newCanvas(): PageCanvas {
    return new PageCanvas(this.tools.usage, this.tools.placeholderSlots);
  }
}

/**
 * Level 1: page content is repetitive operator text, which the fastest level already compresses about
 * 4.3:1 (level 6: 5.3:1). Level 6 took 1.6–2× the time per page, the larger part of rendering a short
 * invoice, to make the whole PDF about 2 % smaller (mostly it is the embedded fonts).
 */
export function deflateContent(text: string): Uint8Array {
  return deflateSync(Buffer.from(text, 'latin1'), { level: 1 });
}
