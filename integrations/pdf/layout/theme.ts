/** Page geometry, type sizes and greys, in PDF points (1/72 in). A4 portrait. */
export const PAGE = {
  width: 595.28,
  height: 841.89,
  left: 40,
  right: 555.28,
  /** Top of the first line of content */
  top: 801,
  /** Lowest point content may reach; the footer lives below */
  bottom: 58,
  footerRule: 46,
  footerBaseline: 34,
} as const;

export const CONTENT_WIDTH = PAGE.right - PAGE.left;

export const TYPE = {
  body: 8,
  small: 7,
  tableHeader: 7,
  label: 6.5,
  party: 9.5,
  heading: 10.5,
  title: 22,
  total: 10.5,
  minAmount: 5.5,
} as const;

/** Line height as a multiple of the font size */
export const LEADING = 1.25;

/** Distance from a line's top to its baseline, as a multiple of the font size (DejaVu ascent ≈ 0.93 em) */
export const ASCENT = 0.93;

export const GRAY = {
  text: 0,
  muted: 0.4,
  rule: 0.78,
  strongRule: 0.35,
  band: 0.93,
} as const;

export const CELL_PADDING_X = 3;
export const CELL_PADDING_Y = 3.5;
