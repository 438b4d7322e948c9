import type { GlyphUsage } from '../fonts/glyph-usage.js';
import type { ShapedText } from '../fonts/typesetter.js';

/**
 * Writes one page's content stream as text, operator by operator, keeping track of the current font,
 * fill colour and text position so none is repeated. Much cheaper than building PDFOperator objects.
 */
export class PageCanvas {
  /** True when some text uses a font whose glyph codes are filled in after subsetting */
  hasPlaceholders = false;
  private out = '';
  private inText = false;
  private font = -1;
  private fontSize = 0;
  private fill = -1;
  private stroke = -1;
  private lineWidth = -1;
  private textX = 0;
  private textY = 0;

  constructor(
    private readonly usage: GlyphUsage,
    private readonly placeholderSlots: ReadonlySet<number>,
  ) {}

  /** Draws `shaped` with its baseline starting at (x, y); `gray` 0 is black. */
  text(x: number, y: number, shaped: ShapedText, size: number, gray = 0): void {
    if (shaped.runs.length === 0) return;
    this.usage.record(shaped);
    if (!this.inText) {
      this.out += 'BT\n';
      this.inText = true;
      this.textX = 0;
      this.textY = 0;
    }
    if (gray !== this.fill) {
      this.out += `${num(gray)} g\n`;
      this.fill = gray;
    }
    const rx = round2(x);
    const ry = round2(y);
    this.out += `${num(rx - this.textX)} ${num(ry - this.textY)} Td\n`;
    this.textX = rx;
    this.textY = ry;
    for (const run of shaped.runs) {
      if (run.slot !== this.font || size !== this.fontSize) {
        this.out += `/F${run.slot + 1} ${num(size)} Tf\n`;
        this.font = run.slot;
        this.fontSize = size;
      }
      if (this.placeholderSlots.has(run.slot)) this.hasPlaceholders = true;
      this.out += `<${run.hex}> Tj\n`;
    }
  }

  line(x1: number, y1: number, x2: number, y2: number, width: number, gray: number): void {
    this.leaveText();
    this.setStroke(width, gray);
    this.out += `${num(x1)} ${num(y1)} m ${num(x2)} ${num(y2)} l S\n`;
  }

  fillRect(x: number, y: number, w: number, h: number, gray: number): void {
    this.leaveText();
    if (gray !== this.fill) {
      this.out += `${num(gray)} g\n`;
      this.fill = gray;
    }
    this.out += `${num(x)} ${num(y)} ${num(w)} ${num(h)} re f\n`;
  }

  image(name: string, x: number, y: number, w: number, h: number): void {
    this.leaveText();
    this.out += `q ${num(w)} 0 0 ${num(h)} ${num(x)} ${num(y)} cm /${name} Do Q\n`;
  }

  finish(): string {
    this.leaveText();
    return this.out;
  }

  private leaveText(): void {
    if (this.inText) {
      this.out += 'ET\n';
      this.inText = false;
    }
  }

  private setStroke(width: number, gray: number): void {
    if (width !== this.lineWidth) {
      this.out += `${num(width)} w\n`;
      this.lineWidth = width;
    }
    if (gray !== this.stroke) {
      this.out += `${num(gray)} G\n`;
      this.stroke = gray;
    }
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function num(n: number): string {
  return String(Math.round(n * 100) / 100);
}
