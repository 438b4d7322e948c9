import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fontkit from '@pdf-lib/fontkit';
import type { Font } from '@pdf-lib/fontkit';
import { AppError } from '../../../src/domain/errors.js';

/** The parts of fontkit's CFF table object we rely on (fontkit types it as `any`). */
export interface CffTable {
  isCIDFont: boolean;
  fdForGlyph(gid: number): number | null;
}

/**
 * One font face, parsed once per process. Metrics are in PDF glyph space (1/1000 em) so layout and the
 * PDF `/W` array use the very same integers.
 */
export interface LoadedFont {
  /** PostScript name without spaces, used for `/BaseFont` */
  postscriptName: string;
  /** `truetype`: glyf outlines, subset by our own code keeping glyph ids; `cff`: subset by fontkit */
  outline: 'truetype' | 'cff';
  face: Font;
  /** The whole file (for a collection: the whole .ttc) */
  file: Uint8Array;
  /** Where this face's table directory starts inside `file` (0 unless it is a collection) */
  directoryOffset: number;
  numGlyphs: number;
  ascent: number;
  descent: number;
  capHeight: number;
  italicAngle: number;
  bbox: [number, number, number, number];
  /** Glyph id for a code point; 0 when the face has none */
  glyphIdFor(codePoint: number): number;
  /** Advance width of a glyph in 1/1000 em, rounded to an integer */
  advanceOf(gid: number): number;
}

const requireFromHere = createRequire(import.meta.url);

export function resolveDejaVuPaths(): { regular: string; bold: string } {
  const dir = path.join(path.dirname(requireFromHere.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  return { regular: path.join(dir, 'DejaVuSans.ttf'), bold: path.join(dir, 'DejaVuSans-Bold.ttf') };
}

/**
 * Loads a .ttf, .otf or .ttc. For a collection, `file.ttc#2` picks the third face (default: the first).
 */
export function loadFont(spec: string): LoadedFont {
  const { filePath, faceIndex } = parseFontSpec(spec);
  let file: Uint8Array;
  try {
    file = readFileSync(filePath);
  } catch (cause) {
    throw new AppError('INPUT', `PDF font file ${filePath} cannot be read`, { cause });
  }
  const directoryOffset = readDirectoryOffset(file, faceIndex, filePath);
  const face = openFace(file, faceIndex, filePath);
  return describeFace(face, file, directoryOffset, filePath);
}

function parseFontSpec(spec: string): { filePath: string; faceIndex: number } {
  const match = /^(.*)#(\d+)$/.exec(spec);
  if (match?.[1] !== undefined && match[2] !== undefined) {
    return { filePath: match[1], faceIndex: Number(match[2]) };
  }
  return { filePath: spec, faceIndex: 0 };
}

function readDirectoryOffset(file: Uint8Array, faceIndex: number, filePath: string): number {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.byteLength < 12) throw unsupported(filePath);
  if (view.getUint32(0) !== 0x74746366 /* 'ttcf' */) return 0;
  const count = view.getUint32(8);
  if (faceIndex >= count) {
    throw new AppError('INPUT', `PDF font collection ${filePath} has ${count} faces; #${faceIndex} does not exist`);
  }
  return view.getUint32(12 + 4 * faceIndex);
}

interface FontCollection {
  fonts: Font[];
}

/** fontkit's types promise a Font, but a collection file (.ttc) gives its faces */
const parseFontFile = (file: Uint8Array): Font | FontCollection => fontkit.create(file);

function openFace(file: Uint8Array, faceIndex: number, filePath: string): Font {
  let opened: Font | FontCollection;
  try {
    opened = parseFontFile(file);
  } catch (cause) {
    throw new AppError('INPUT', `PDF font file ${filePath} is not a TrueType/OpenType font`, { cause });
  }
  const face = 'fonts' in opened && Array.isArray(opened.fonts) ? opened.fonts[faceIndex] : (opened as Font);
  if (face === undefined || typeof face.glyphForCodePoint !== 'function') throw unsupported(filePath);
  return face;
}

function describeFace(face: Font, file: Uint8Array, directoryOffset: number, filePath: string): LoadedFont {
  const tables = (face as unknown as { directory: { tables: Record<string, unknown> } }).directory.tables;
  const outline = 'glyf' in tables ? 'truetype' : 'CFF ' in tables ? 'cff' : undefined;
  if (outline === undefined) throw unsupported(filePath);
  const scale = 1000 / face.unitsPerEm;
  const advances = new Map<number, number>();
  const glyphIds = new Map<number, number>();
  const capHeight = Number.isFinite(face.capHeight) && face.capHeight > 0 ? face.capHeight : face.ascent * 0.7;
  return {
    postscriptName: (face.postscriptName ?? path.basename(filePath)).replace(/[^A-Za-z0-9_-]/g, ''),
    outline,
    face,
    file,
    directoryOffset,
    numGlyphs: face.numGlyphs,
    ascent: Math.round(face.ascent * scale),
    descent: Math.round(face.descent * scale),
    capHeight: Math.round(capHeight * scale),
    italicAngle: face.italicAngle || 0,
    bbox: [face.bbox.minX, face.bbox.minY, face.bbox.maxX, face.bbox.maxY].map((v) => Math.round(v * scale)) as [number, number, number, number],
    glyphIdFor(codePoint) {
      let gid = glyphIds.get(codePoint);
      if (gid === undefined) {
        gid = face.hasGlyphForCodePoint(codePoint) ? face.glyphForCodePoint(codePoint).id : 0;
        glyphIds.set(codePoint, gid);
      }
      return gid;
    },
    advanceOf(gid) {
      let advance = advances.get(gid);
      if (advance === undefined) {
        advance = Math.round(face.getGlyph(gid).advanceWidth * scale);
        advances.set(gid, advance);
      }
      return advance;
    },
  };
}

function unsupported(filePath: string): AppError {
  return new AppError('INPUT', `PDF font file ${filePath} is not a supported TrueType/OpenType font or collection`);
}
