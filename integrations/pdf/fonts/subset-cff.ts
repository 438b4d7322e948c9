import type { CffTable, LoadedFont } from './load-font.js';

export interface CffSubset {
  bytes: Uint8Array;
  /** Original glyph id → glyph id (= CID) in the subset */
  newIds: Map<number, number>;
}

/**
 * Subsets a CFF-outline (OpenType/CFF) font with fontkit. The glyphs get new ids, so content streams that
 * use such a font are finished only after this runs (see the placeholders in typesetter.ts).
 *
 * fontkit 1.1.1 writes a wrong FDSelect for CID-keyed fonts when the requested glyphs alternate between
 * font dicts (it records the index of the *last added* dict, not the glyph's own): CJK glyphs then draw
 * with another dict's subroutines and come out as garbage. Adding the glyphs grouped by font dict, with
 * .notdef's dict first (fontkit always adds .notdef first), makes that index the right one.
 */
export async function subsetCff(font: LoadedFont, gids: Iterable<number>): Promise<CffSubset> {
  const cff = (font.face as unknown as { 'CFF ': CffTable })['CFF '];
  const dictOf = (gid: number): number => (cff.isCIDFont ? (cff.fdForGlyph(gid) ?? 0) : 0);
  const notdefDict = dictOf(0);
  const ordered = [...new Set(gids)]
    .filter((gid) => gid > 0 && gid < font.numGlyphs)
    .map((gid) => ({ gid, dict: dictOf(gid) === notdefDict ? -1 : dictOf(gid) }))
    .sort((a, b) => a.dict - b.dict || a.gid - b.gid);
  const subset = font.face.createSubset();
  const newIds = new Map<number, number>();
  for (const { gid } of ordered) newIds.set(gid, subset.includeGlyph(gid));
  const bytes = await collectStream(subset.encodeStream());
  bytes[3] = 4; // fontkit writes an undefined header offSize; any value 1–4 is valid
  return { bytes, newIds };
}

interface EventStream {
  on(event: 'data', listener: (chunk: Uint8Array) => void): EventStream;
  on(event: 'end', listener: () => void): EventStream;
  on(event: 'error', listener: (error: Error) => void): EventStream;
}

function collectStream(stream: unknown): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    (stream as EventStream)
      .on('data', (chunk) => parts.push(chunk))
      .on('end', () => resolve(Buffer.concat(parts)))
      .on('error', reject);
  });
}
