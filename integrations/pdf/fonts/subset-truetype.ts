/**
 * A minimal TrueType (glyf) subsetter that KEEPS glyph ids: unused glyphs become empty slots and the
 * font is cut after the highest used id. Because ids never change, the hex code of each character in a
 * content stream is the same in every document, so it can be computed once per process; and the
 * subset is just table copies, with no outline parsing beyond composite-glyph references.
 * Only the tables a PDF CIDFontType2 needs are written (PDF 32000-1 §9.9: no cmap, name or layout tables).
 */

export interface TrueTypeProgram {
  file: Uint8Array;
  tables: Map<string, { offset: number; length: number }>;
  numGlyphs: number;
  /** glyf-relative start of each glyph, numGlyphs + 1 entries */
  loca: Uint32Array;
  glyfOffset: number;
  numberOfHMetrics: number;
  hmtxOffset: number;
}

const KEPT_TABLES = ['OS/2', 'cvt ', 'fpgm', 'glyf', 'head', 'hhea', 'hmtx', 'loca', 'maxp', 'post', 'prep'];

export function parseTrueType(file: Uint8Array, directoryOffset: number): TrueTypeProgram {
  const view = viewOf(file);
  const numTables = view.getUint16(directoryOffset + 4);
  const tables = new Map<string, { offset: number; length: number }>();
  for (let i = 0; i < numTables; i++) {
    const record = directoryOffset + 12 + 16 * i;
    const tag = String.fromCharCode(file[record]!, file[record + 1]!, file[record + 2]!, file[record + 3]!);
    tables.set(tag, { offset: view.getUint32(record + 8), length: view.getUint32(record + 12) });
  }
  const head = requireTable(tables, 'head');
  const maxp = requireTable(tables, 'maxp');
  const hhea = requireTable(tables, 'hhea');
  const locaTable = requireTable(tables, 'loca');
  const numGlyphs = view.getUint16(maxp.offset + 4);
  const longLoca = view.getInt16(head.offset + 50) === 1;
  const loca = new Uint32Array(numGlyphs + 1);
  for (let gid = 0; gid <= numGlyphs; gid++) {
    loca[gid] = longLoca ? view.getUint32(locaTable.offset + 4 * gid) : 2 * view.getUint16(locaTable.offset + 2 * gid);
  }
  return {
    file,
    tables,
    numGlyphs,
    loca,
    glyfOffset: requireTable(tables, 'glyf').offset,
    numberOfHMetrics: view.getUint16(hhea.offset + 34),
    hmtxOffset: requireTable(tables, 'hmtx').offset,
  };
}

/** Builds the subset font program holding `gids` (plus .notdef and every composite's components). */
export function subsetTrueType(program: TrueTypeProgram, gids: Iterable<number>): Uint8Array {
  const kept = closeOverComponents(program, gids);
  const glyphCount = kept[kept.length - 1]! + 1;
  const built = new Map<string, Uint8Array>();
  const { glyf, loca } = buildGlyfAndLoca(program, kept, glyphCount);
  built.set('glyf', glyf);
  built.set('loca', loca);
  built.set('hmtx', buildHmtx(program, kept, glyphCount));
  built.set(
    'head',
    patchTable(program, 'head', (view) => {
      view.setUint32(8, 0); // checkSumAdjustment, set below
      view.setInt16(50, 1); // long loca
    }),
  );
  built.set(
    'maxp',
    patchTable(program, 'maxp', (view) => view.setUint16(4, glyphCount)),
  );
  built.set(
    'hhea',
    patchTable(program, 'hhea', (view) => view.setUint16(34, glyphCount)),
  );
  const post = program.tables.get('post');
  if (post !== undefined) {
    const header = program.file.slice(post.offset, post.offset + 32);
    viewOf(header).setUint32(0, 0x00030000); // format 3: no glyph names
    built.set('post', header);
  }
  for (const tag of ['OS/2', 'cvt ', 'fpgm', 'prep']) {
    const table = program.tables.get(tag);
    if (table !== undefined) built.set(tag, program.file.subarray(table.offset, table.offset + table.length));
  }
  return assembleFont(built);
}

function closeOverComponents(program: TrueTypeProgram, gids: Iterable<number>): number[] {
  const seen = new Set<number>([0]);
  const pending: number[] = [];
  for (const gid of gids) {
    if (gid < program.numGlyphs && !seen.has(gid)) {
      seen.add(gid);
      pending.push(gid);
    }
  }
  while (pending.length > 0) {
    for (const component of componentsOf(program, pending.pop()!)) {
      if (component < program.numGlyphs && !seen.has(component)) {
        seen.add(component);
        pending.push(component);
      }
    }
  }
  return [...seen].sort((a, b) => a - b);
}

function componentsOf(program: TrueTypeProgram, gid: number): number[] {
  const start = program.glyfOffset + program.loca[gid]!;
  const end = program.glyfOffset + program.loca[gid + 1]!;
  if (end - start < 10) return [];
  const view = viewOf(program.file);
  if (view.getInt16(start) >= 0) return [];
  const components: number[] = [];
  let at = start + 10;
  for (;;) {
    const flags = view.getUint16(at);
    components.push(view.getUint16(at + 2));
    at += 4 + (flags & 0x0001 ? 4 : 2);
    if (flags & 0x0008) at += 2;
    else if (flags & 0x0040) at += 4;
    else if (flags & 0x0080) at += 8;
    if (!(flags & 0x0020)) return components;
  }
}

function buildGlyfAndLoca(program: TrueTypeProgram, kept: number[], glyphCount: number): { glyf: Uint8Array; loca: Uint8Array } {
  let size = 0;
  for (const gid of kept) size += pad4(program.loca[gid + 1]! - program.loca[gid]!);
  const glyf = new Uint8Array(size);
  const loca = new Uint8Array(4 * (glyphCount + 1));
  const locaView = viewOf(loca);
  let offset = 0;
  let next = 0;
  for (let gid = 0; gid < glyphCount; gid++) {
    locaView.setUint32(4 * gid, offset);
    if (kept[next] !== gid) continue;
    next++;
    const from = program.glyfOffset + program.loca[gid]!;
    const length = program.loca[gid + 1]! - program.loca[gid]!;
    glyf.set(program.file.subarray(from, from + length), offset);
    offset += pad4(length);
  }
  locaView.setUint32(4 * glyphCount, offset);
  return { glyf, loca };
}

function buildHmtx(program: TrueTypeProgram, kept: number[], glyphCount: number): Uint8Array {
  // Every glyph gets a full metric so numberOfHMetrics = glyph count; unused ones stay zero (they compress away).
  const hmtx = new Uint8Array(4 * glyphCount);
  const source = viewOf(program.file);
  const target = viewOf(hmtx);
  const longCount = program.numberOfHMetrics;
  for (const gid of kept) {
    // Glyphs after the last long metric share its advance and store only their left side bearing.
    const advanceAt = program.hmtxOffset + 4 * Math.min(gid, longCount - 1);
    const lsbAt = gid < longCount ? program.hmtxOffset + 4 * gid + 2 : program.hmtxOffset + 4 * longCount + 2 * (gid - longCount);
    target.setUint16(4 * gid, source.getUint16(advanceAt));
    target.setInt16(4 * gid + 2, source.getInt16(lsbAt));
  }
  return hmtx;
}

function patchTable(program: TrueTypeProgram, tag: string, patch: (view: DataView) => void): Uint8Array {
  const table = requireTable(program.tables, tag);
  const copy = program.file.slice(table.offset, table.offset + table.length);
  patch(viewOf(copy));
  return copy;
}

function assembleFont(tables: Map<string, Uint8Array>): Uint8Array {
  const tags = KEPT_TABLES.filter((tag) => tables.has(tag));
  const headerSize = 12 + 16 * tags.length;
  let size = headerSize;
  for (const tag of tags) size += pad4(tables.get(tag)!.length);
  const font = new Uint8Array(size);
  const view = viewOf(font);
  const entrySelector = Math.floor(Math.log2(tags.length));
  view.setUint32(0, 0x00010000);
  view.setUint16(4, tags.length);
  view.setUint16(6, 16 * 2 ** entrySelector);
  view.setUint16(8, entrySelector);
  view.setUint16(10, 16 * tags.length - 16 * 2 ** entrySelector);
  let offset = headerSize;
  let headOffset = 0;
  tags.forEach((tag, i) => {
    const data = tables.get(tag)!;
    const record = 12 + 16 * i;
    for (let c = 0; c < 4; c++) font[record + c] = tag.charCodeAt(c);
    font.set(data, offset);
    view.setUint32(record + 4, checksum(font, offset, pad4(data.length)));
    view.setUint32(record + 8, offset);
    view.setUint32(record + 12, data.length);
    if (tag === 'head') headOffset = offset;
    offset += pad4(data.length);
  });
  view.setUint32(headOffset + 8, (0xb1b0afba - checksum(font, 0, font.length)) >>> 0);
  return font;
}

function checksum(bytes: Uint8Array, offset: number, length: number): number {
  const view = viewOf(bytes);
  let sum = 0;
  for (let at = offset; at < offset + length; at += 4) sum = (sum + view.getUint32(at)) >>> 0;
  return sum;
}

function requireTable(tables: Map<string, { offset: number; length: number }>, tag: string): { offset: number; length: number } {
  const table = tables.get(tag);
  if (table === undefined) throw new Error(`TrueType font has no '${tag}' table`);
  return table;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}
