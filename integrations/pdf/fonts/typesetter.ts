import type { LoadedFont } from './load-font.js';

export type Weight = 'regular' | 'bold';

/** A font as the PDF sees it: one `/F<n>` resource. */
export interface FontSlot {
  index: number;
  font: LoadedFont;
  /**
   * True for TrueType fonts: glyph ids survive subsetting, so a glyph's hex code is fixed for the process.
   * False for CFF fonts: ids are only known when the document's subset is built, so text is written with
   * placeholders (`~` + slot letter + original id) that the document fills in at the end.
   */
  stableIds: boolean;
  /** DejaVu regular and bold, as opposed to a fallback font */
  primary: boolean;
}

/** Text set in one font: the hex body of a `<…> Tj` string. */
export interface TextRun {
  slot: number;
  hex: string;
}

/** A string resolved to glyphs once per process; drawing it costs string concatenation only. */
export interface ShapedText {
  readonly text: string;
  /** Sum of advances in 1/1000 em */
  readonly width: number;
  readonly runs: readonly TextRun[];
  /** Flat triples (slot, glyph id, code point) for subsetting and ToUnicode */
  readonly glyphs: readonly number[];
  /** Characters no configured font covers, drawn as U+FFFD */
  readonly missing: readonly string[];
  /** Id of the last document that recorded this text's glyphs (see GlyphUsage) */
  mark: number;
}

interface ResolvedChar {
  slot: number;
  gid: number;
  advance: number;
  code: string;
  /** What ToUnicode maps the glyph back to */
  codePoint: number;
  missing: boolean;
}

const SHAPE_CACHE_LIMIT = 50_000;
const REPLACEMENT = 0xfffd;

/**
 * Resolves characters through the fallback chain (weight font first, then `fallbacks` in order) and
 * caches the result per code point and per string for the life of the process. This is where the
 * speed comes from: no per-document font parsing, no per-character text layout.
 */
export class Typesetter {
  readonly slots: FontSlot[];
  private readonly chains: Record<Weight, FontSlot[]>;
  private readonly ascii: Record<Weight, (ResolvedChar | null | undefined)[]>;
  private readonly others: Record<Weight, Map<number, ResolvedChar | null>>;
  private readonly shapes: Record<Weight, Map<string, ShapedText>>;

  constructor(regular: LoadedFont, bold: LoadedFont, fallbacks: LoadedFont[]) {
    this.slots = [regular, bold, ...fallbacks].map((font, index) => ({
      index,
      font,
      stableIds: font.outline === 'truetype',
      primary: index < 2,
    }));
    const fallbackSlots = this.slots.slice(2);
    this.chains = { regular: [this.slots[0]!, ...fallbackSlots], bold: [this.slots[1]!, ...fallbackSlots] };
    this.ascii = { regular: new Array<ResolvedChar | null | undefined>(128), bold: new Array<ResolvedChar | null | undefined>(128) };
    this.others = { regular: new Map(), bold: new Map() };
    this.shapes = { regular: new Map(), bold: new Map() };
  }

  shape(text: string, weight: Weight): ShapedText {
    const cache = this.shapes[weight];
    let shaped = cache.get(text);
    if (shaped === undefined) {
      if (cache.size >= SHAPE_CACHE_LIMIT) cache.clear();
      shaped = this.shapeUncached(text, weight);
      cache.set(text, shaped);
    }
    return shaped;
  }

  /** Width in points of `shaped` at `size`. */
  widthOf(shaped: ShapedText, size: number): number {
    return (shaped.width * size) / 1000;
  }

  /** Splits text into drawable characters with their advances (1/1000 em), for wrapping. */
  measureChars(text: string, weight: Weight): { chars: string[]; advances: number[] } {
    const chars: string[] = [];
    const advances: number[] = [];
    for (const char of prepareText(text)) {
      const resolved = this.resolve(char.codePointAt(0)!, weight);
      if (resolved === null) continue;
      chars.push(char);
      advances.push(resolved.advance);
    }
    return { chars, advances };
  }

  private shapeUncached(raw: string, weight: Weight): ShapedText {
    const text = prepareText(raw);
    const runs: TextRun[] = [];
    const glyphs: number[] = [];
    let missing: string[] | undefined;
    let width = 0;
    let runSlot = -1;
    let hex = '';
    for (let i = 0; i < text.length; i++) {
      let codePoint = text.charCodeAt(i);
      if (codePoint >= 0xd800 && codePoint <= 0xdbff && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          codePoint = 0x10000 + ((codePoint - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      const resolved = this.resolve(codePoint, weight);
      if (resolved === null) continue;
      if (resolved.missing) {
        missing ??= [];
        const char = String.fromCodePoint(codePoint);
        if (!missing.includes(char)) missing.push(char);
      }
      if (resolved.slot !== runSlot) {
        if (runSlot >= 0) runs.push({ slot: runSlot, hex });
        runSlot = resolved.slot;
        hex = '';
      }
      hex += resolved.code;
      width += resolved.advance;
      glyphs.push(resolved.slot, resolved.gid, resolved.codePoint);
    }
    if (runSlot >= 0) runs.push({ slot: runSlot, hex });
    return { text, width, runs, glyphs, missing: missing ?? [], mark: 0 };
  }

  private resolve(codePoint: number, weight: Weight): ResolvedChar | null {
    if (codePoint < 128) {
      const table = this.ascii[weight];
      let resolved = table[codePoint];
      if (resolved === undefined) {
        resolved = this.resolveUncached(codePoint, weight);
        table[codePoint] = resolved;
      }
      return resolved;
    }
    const map = this.others[weight];
    let resolved = map.get(codePoint);
    if (resolved === undefined) {
      resolved = this.resolveUncached(codePoint, weight);
      map.set(codePoint, resolved);
    }
    return resolved;
  }

  private resolveUncached(codePoint: number, weight: Weight): ResolvedChar | null {
    for (const slot of this.chains[weight]) {
      const gid = slot.font.glyphIdFor(codePoint);
      if (gid > 0) return describeGlyph(slot, gid, codePoint, false);
    }
    if (isDefaultIgnorable(codePoint)) return null;
    const primary = this.chains[weight][0]!;
    const replacement = primary.font.glyphIdFor(REPLACEMENT) || primary.font.glyphIdFor(0x3f);
    return describeGlyph(primary, replacement, REPLACEMENT, true);
  }
}

function describeGlyph(slot: FontSlot, gid: number, codePoint: number, missing: boolean): ResolvedChar {
  const idHex = gid.toString(16).toUpperCase().padStart(4, '0');
  return {
    slot: slot.index,
    gid,
    advance: slot.font.advanceOf(gid),
    code: slot.stableIds ? idHex : `~${placeholderLetter(slot.index)}${idHex}`,
    codePoint,
    missing,
  };
}

export function placeholderLetter(slotIndex: number): string {
  return String.fromCharCode(0x41 + slotIndex);
}

/** NFC, and control characters (tabs, newlines) as spaces: every character drawn must be visible text. */
export function prepareText(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  // eslint-disable-next-line no-control-regex -- control characters are what it replaces
  return text.normalize('NFC').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
}

/** Invisible format characters (zero-width space, joiners, variation selectors…): dropped, not "missing". */
function isDefaultIgnorable(cp: number): boolean {
  return (
    cp === 0xad ||
    cp === 0x34f ||
    cp === 0x61c ||
    (cp >= 0x115f && cp <= 0x1160) ||
    (cp >= 0x17b4 && cp <= 0x17b5) ||
    (cp >= 0x180b && cp <= 0x180f) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x206f) ||
    cp === 0x3164 ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    cp === 0xfeff ||
    cp === 0xffa0 ||
    (cp >= 0xfff0 && cp <= 0xfff8) ||
    (cp >= 0x1bca0 && cp <= 0x1bca3) ||
    (cp >= 0x1d173 && cp <= 0x1d17a) ||
    (cp >= 0xe0000 && cp <= 0xe0fff)
  );
}
