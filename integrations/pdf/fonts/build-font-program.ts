import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { subsetCff } from './subset-cff.js';
import { parseTrueType, subsetTrueType, type TrueTypeProgram } from './subset-truetype.js';
import type { FontSlot } from './typesetter.js';

/** Everything a document needs to embed one font, independent of any PDF context (so it can be cached). */
export interface FontProgram {
  slot: number;
  /** `ABCDEF+Name`; the tag is derived from the glyph set, so it is stable */
  baseFont: string;
  cidFontType: 'CIDFontType2' | 'CIDFontType0';
  fontFileKey: 'FontFile2' | 'FontFile3';
  /** Deflated font program */
  fontFile: Uint8Array;
  /** Uncompressed size (`/Length1` of a FontFile2) */
  fontFileLength: number;
  /** Deflated ToUnicode CMap */
  toUnicode: Uint8Array;
  /** The `/W` array */
  widths: (number | number[])[];
  /** For fonts whose ids change when subset: original glyph id → 4-digit hex code in the content */
  codes: Map<number, string> | null;
}

const PROGRAM_CACHE_LIMIT = 256;
const programCaches = new WeakMap<FontSlot, Map<string, Promise<FontProgram>>>();
const trueTypePrograms = new WeakMap<FontSlot, TrueTypeProgram>();

/**
 * Builds (or takes from the renderer's cache) the subset font for the glyphs a document used.
 * The cache key is the exact glyph→code point set, so a hit yields byte-identical output.
 */
export function buildFontProgram(slot: FontSlot, used: Map<number, number>): Promise<FontProgram> {
  const entries = [...withBaseCharset(slot, used)].sort((a, b) => a[0] - b[0]);
  const key = `${slot.index}|${slot.font.postscriptName}|${entries.map(([gid, cp]) => `${gid}.${cp}`).join(',')}`;
  const cache = programCaches.get(slot) ?? new Map<string, Promise<FontProgram>>();
  programCaches.set(slot, cache);
  let program = cache.get(key);
  if (program === undefined) {
    if (cache.size >= PROGRAM_CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    // Built at once, like buildCff up to its first await; a font that fails to parse rejects the promise
    // (and so leaves the cache) rather than throwing here
    program = slot.stableIds ? new Promise<FontProgram>((resolve) => resolve(buildTrueType(slot, entries, key))) : buildCff(slot, entries, key);
    cache.set(key, program);
    program.catch(() => cache.delete(key));
  }
  return program;
}

/**
 * The primary fonts always carry printable ASCII: documents then differ in their font subset only by the
 * non-ASCII characters they use (names, addresses), not by which digits their amounts happen to contain,
 * so consecutive invoices share one cached subset. Costs a few KB per document.
 */
function withBaseCharset(slot: FontSlot, used: Map<number, number>): Map<number, number> {
  if (!slot.primary) return used;
  const all = new Map(used);
  for (let codePoint = 0x20; codePoint < 0x7f; codePoint++) {
    const gid = slot.font.glyphIdFor(codePoint);
    const previous = all.get(gid);
    if (gid > 0 && (previous === undefined || codePoint < previous)) all.set(gid, codePoint);
  }
  return all;
}

function buildTrueType(slot: FontSlot, entries: [number, number][], key: string): FontProgram {
  let parsed = trueTypePrograms.get(slot);
  if (parsed === undefined) {
    parsed = parseTrueType(slot.font.file, slot.font.directoryOffset);
    trueTypePrograms.set(slot, parsed);
  }
  const font = subsetTrueType(
    parsed,
    entries.map(([gid]) => gid),
  );
  const cids = entries.map(([gid, cp]) => ({ cid: gid, advance: slot.font.advanceOf(gid), codePoint: cp }));
  return {
    slot: slot.index,
    baseFont: `${subsetTag(key)}+${slot.font.postscriptName}`,
    cidFontType: 'CIDFontType2',
    fontFileKey: 'FontFile2',
    fontFile: deflateSync(font),
    fontFileLength: font.length,
    toUnicode: deflateSync(Buffer.from(buildToUnicode(cids), 'latin1')),
    widths: buildWidths(cids),
    codes: null,
  };
}

async function buildCff(slot: FontSlot, entries: [number, number][], key: string): Promise<FontProgram> {
  const subset = await subsetCff(
    slot.font,
    entries.map(([gid]) => gid),
  );
  const codes = new Map<number, string>();
  const cids = entries
    .map(([gid, cp]) => {
      const cid = subset.newIds.get(gid) ?? 0;
      codes.set(gid, hex4(cid));
      return { cid, advance: slot.font.advanceOf(gid), codePoint: cp };
    })
    .sort((a, b) => a.cid - b.cid);
  return {
    slot: slot.index,
    baseFont: `${subsetTag(key)}+${slot.font.postscriptName}`,
    cidFontType: 'CIDFontType0',
    fontFileKey: 'FontFile3',
    fontFile: deflateSync(subset.bytes),
    fontFileLength: subset.bytes.length,
    toUnicode: deflateSync(Buffer.from(buildToUnicode(cids), 'latin1')),
    widths: buildWidths(cids),
    codes,
  };
}

interface CidEntry {
  cid: number;
  advance: number;
  codePoint: number;
}

/** `[first [w w w] first [w] …]`, one group per run of consecutive CIDs. */
function buildWidths(cids: CidEntry[]): (number | number[])[] {
  const widths: (number | number[])[] = [];
  let group: number[] = [];
  let previous = -2;
  for (const { cid, advance } of cids) {
    if (cid !== previous + 1) {
      group = [];
      widths.push(cid, group);
    }
    group.push(advance);
    previous = cid;
  }
  return widths;
}

function buildToUnicode(cids: CidEntry[]): string {
  const chunks: string[] = [];
  for (let i = 0; i < cids.length; i += 100) {
    const chunk = cids.slice(i, i + 100);
    const pairs = chunk.map((c) => `<${hex4(c.cid)}> <${utf16Hex(c.codePoint)}>`).join('\n');
    chunks.push(`${chunk.length} beginbfchar\n${pairs}\nendbfchar\n`);
  }
  return (
    '/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n' +
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n' +
    '/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n' +
    '1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n' +
    chunks.join('') +
    'endcmap\nCMapName currentdict /CMapResource defineresource pop\nend\nend\n'
  );
}

function utf16Hex(codePoint: number): string {
  if (codePoint < 0x10000) return hex4(codePoint);
  const offset = codePoint - 0x10000;
  return hex4(0xd800 + (offset >> 10)) + hex4(0xdc00 + (offset & 0x3ff));
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

function subsetTag(key: string): string {
  const digest = createHash('sha256').update(key).digest();
  let tag = '';
  for (let i = 0; i < 6; i++) tag += String.fromCharCode(0x41 + (digest[i]! % 26));
  return tag;
}
