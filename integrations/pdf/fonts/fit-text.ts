import type { ShapedText, Typesetter, Weight } from './typesetter.js';

const ELLIPSIS = '\u2026';
const FIT_CACHE_LIMIT = 20_000;
const fitCache = new WeakMap<Typesetter, Map<string, ShapedText[]>>();

/**
 * Breaks text into at most `maxLines` lines no wider than `maxWidth` points: at spaces where possible,
 * inside a word when a word alone is too wide. Text that still does not fit ends in "…". Never returns
 * a line wider than `maxWidth`, so nothing overflows its column.
 */
export function fitText(typesetter: Typesetter, text: string, weight: Weight, size: number, maxWidth: number, maxLines: number): ShapedText[] {
  const whole = typesetter.shape(text, weight);
  if (typesetter.widthOf(whole, size) <= maxWidth) return [whole];
  let cache = fitCache.get(typesetter);
  if (cache === undefined) {
    cache = new Map();
    fitCache.set(typesetter, cache);
  }
  const key = `${weight}|${size}|${maxWidth}|${maxLines}|${text}`;
  let lines = cache.get(key);
  if (lines === undefined) {
    if (cache.size >= FIT_CACHE_LIMIT) cache.clear();
    lines = breakLines(typesetter, text, weight, (maxWidth * 1000) / size, maxLines).map((line) => typesetter.shape(line, weight));
    cache.set(key, lines);
  }
  return lines;
}

/**
 * Scales the font size down (to `minSize` at most) so a single line fits; used for amounts, which must
 * never be cut. Returns the size to draw at; if even `minSize` is too wide the caller wraps instead.
 */
export function sizeToFit(typesetter: Typesetter, shaped: ShapedText, size: number, minSize: number, maxWidth: number): number {
  const width = typesetter.widthOf(shaped, size);
  if (width <= maxWidth) return size;
  return Math.max(minSize, Math.floor(((size * maxWidth) / width) * 10) / 10);
}

function breakLines(typesetter: Typesetter, text: string, weight: Weight, maxUnits: number, maxLines: number): string[] {
  const { chars, advances } = typesetter.measureChars(text, weight);
  const lines: string[] = [];
  let start = 0;
  while (start < chars.length && lines.length < maxLines) {
    while (start < chars.length && chars[start] === ' ') start++;
    if (start >= chars.length) break;
    if (lines.length === maxLines - 1) {
      const ellipsisUnits = typesetter.measureChars(ELLIPSIS, weight).advances[0] ?? 0;
      lines.push(ellipsize(chars, advances, start, maxUnits, ellipsisUnits));
      return lines;
    }
    let width = 0;
    let end = start;
    let breakAt = -1; // where the line may end: at a space (dropped) or after a hyphen (kept)
    while (end < chars.length && width + advances[end]! <= maxUnits) {
      if (chars[end] === ' ') breakAt = end;
      else if (chars[end] === '-' && isWordHyphen(chars, end)) breakAt = end + 1;
      width += advances[end]!;
      end++;
    }
    if (end < chars.length && chars[end] !== ' ' && breakAt > start) end = breakAt;
    if (end === start) end = start + 1; // a single character wider than the column: still make progress
    lines.push(chars.slice(start, end).join('').trimEnd());
    start = end;
  }
  return lines;
}

/** A hyphen inside a word ("extra-long"), not in a code or number ("B-2001", "TS-WHT-M"). */
function isWordHyphen(chars: string[], at: number): boolean {
  const letter = /^\p{Ll}$/u;
  return letter.test(chars[at - 1] ?? '') && letter.test(chars[at - 2] ?? '') && letter.test(chars[at + 1] ?? '');
}

function ellipsize(chars: string[], advances: number[], start: number, maxUnits: number, ellipsisUnits: number): string {
  let total = 0;
  for (let i = start; i < chars.length; i++) total += advances[i]!;
  if (total <= maxUnits) return chars.slice(start).join('').trimEnd();
  let width = ellipsisUnits;
  let end = start;
  while (end < chars.length && width + advances[end]! <= maxUnits) {
    width += advances[end]!;
    end++;
  }
  return chars.slice(start, end).join('').trimEnd() + ELLIPSIS;
}
