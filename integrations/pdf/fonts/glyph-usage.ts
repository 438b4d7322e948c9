import type { ShapedText } from './typesetter.js';

let lastDocumentId = 0;

/**
 * The glyphs one document draws (per font slot: glyph id → the code point ToUnicode reports) and the
 * characters it could not draw. Every drawn ShapedText passes through `record`; a text seen before in
 * this document is skipped by its mark, so the cost is per distinct string, not per drawing.
 */
export class GlyphUsage {
  readonly id = ++lastDocumentId;
  readonly bySlot = new Map<number, Map<number, number>>();
  readonly missing: string[] = [];

  record(shaped: ShapedText): void {
    if (shaped.mark === this.id) return;
    shaped.mark = this.id;
    const glyphs = shaped.glyphs;
    for (let i = 0; i < glyphs.length; i += 3) {
      const slot = glyphs[i]!;
      const gid = glyphs[i + 1]!;
      const codePoint = glyphs[i + 2]!;
      let used = this.bySlot.get(slot);
      if (used === undefined) {
        used = new Map();
        this.bySlot.set(slot, used);
      }
      const previous = used.get(gid);
      // Several code points can share a glyph (space and no-break space): report the lowest, so the
      // result does not depend on which came first.
      if (previous === undefined || codePoint < previous) used.set(gid, codePoint);
    }
    for (const char of shaped.missing) {
      if (!this.missing.includes(char)) this.missing.push(char);
    }
  }
}
