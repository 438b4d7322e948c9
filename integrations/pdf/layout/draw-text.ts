import { fitText } from '../fonts/fit-text.js';
import type { ShapedText, Typesetter, Weight } from '../fonts/typesetter.js';
import type { PageCanvas } from '../pdf/page-canvas.js';
import { ASCENT, LEADING } from './theme.js';

export interface TextStyle {
  weight: Weight;
  size: number;
  gray: number;
}

export interface TextBox {
  x: number;
  width: number;
  align: 'left' | 'right';
}

/** Wraps `text` into `box` (at most `maxLines`) and returns the lines; nothing is drawn yet. */
export function layoutLines(ts: Typesetter, text: string, style: TextStyle, width: number, maxLines: number): ShapedText[] {
  if (text === '') return [];
  return fitText(ts, text, style.weight, style.size, width, maxLines);
}

/** Draws lines whose first line's top is at `top`; returns the height used. */
export function drawLines(canvas: PageCanvas, ts: Typesetter, lines: readonly ShapedText[], style: TextStyle, box: TextBox, top: number): number {
  const leading = style.size * LEADING;
  let baseline = top - style.size * ASCENT;
  for (const line of lines) {
    const x = box.align === 'right' ? box.x + box.width - ts.widthOf(line, style.size) : box.x;
    canvas.text(x, baseline, line, style.size, style.gray);
    baseline -= leading;
  }
  return lines.length * leading;
}

/** Wraps and draws in one go; returns the height used. */
export function drawWrapped(canvas: PageCanvas, ts: Typesetter, text: string, style: TextStyle, box: TextBox, top: number, maxLines: number): number {
  return drawLines(canvas, ts, layoutLines(ts, text, style, box.width, maxLines), style, box, top);
}

export function lineHeight(style: TextStyle): number {
  return style.size * LEADING;
}
