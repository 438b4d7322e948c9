import { fitText, sizeToFit } from '../fonts/fit-text.js';
import type { ShapedText } from '../fonts/typesetter.js';
import type { PageFlow } from './page-flow.js';
import { ASCENT, CELL_PADDING_X, CELL_PADDING_Y, GRAY, LEADING, PAGE, TYPE } from './theme.js';

export interface Column {
  title: string;
  width: number;
  align: 'left' | 'right';
  /** Lines a cell may wrap to before it is cut with "…" */
  maxLines: number;
  /** Amounts and counts: shrunk to fit on one line rather than wrapped or cut */
  numeric?: boolean;
}

export interface TableRow {
  cells: readonly string[];
  /** A smaller, muted line under one cell (e.g. "incl. shipping 4.99" under the description) */
  note?: { column: number; text: string };
  /** Draws a strong rule above the row (a new order starts in the combined layout) */
  strongTop?: boolean;
  bold?: boolean;
}

interface PreparedCell {
  lines: readonly ShapedText[];
  size: number;
}

export interface PreparedRow {
  row: TableRow;
  cells: PreparedCell[];
  note: readonly ShapedText[];
  height: number;
}

const HEADER_HEIGHT = 15;
const BODY_LEADING = TYPE.body * LEADING;
const NOTE_LEADING = TYPE.small * LEADING;
const NOTE_GAP = 0.5;

/**
 * A table that flows over pages: each row is measured first, moved to a new page when it does not fit,
 * and the header is drawn again at the top of every page the table continues on.
 */
export class FlowingTable {
  private readonly xs: number[];
  private rowsSinceHeader = 0;

  constructor(
    private readonly flow: PageFlow,
    private readonly columns: readonly Column[],
  ) {
    this.xs = [];
    let x: number = PAGE.left;
    for (const column of columns) {
      this.xs.push(x);
      x += column.width;
    }
  }

  /** For keeping a heading together with the table's header and first row. */
  headerHeight(): number {
    return HEADER_HEIGHT;
  }

  /**
   * Draws the header and keeps redrawing it after every page break until `end`; `caption`, when given,
   * is drawn above the repeated header (e.g. "Order B-1001 (continued)").
   */
  begin(caption?: () => void): void {
    this.flow.continuation = () => {
      caption?.();
      this.drawHeader();
    };
    this.drawHeader();
  }

  end(): void {
    this.flow.continuation = null;
  }

  prepare(row: TableRow): PreparedRow {
    const ts = this.flow.tools.typesetter;
    const weight = row.bold ? 'bold' : 'regular';
    let lines = 1;
    const cells: PreparedCell[] = [];
    for (let i = 0; i < this.columns.length; i++) {
      const column = this.columns[i]!;
      const text = row.cells[i] ?? '';
      const width = column.width - 2 * CELL_PADDING_X;
      let cell: PreparedCell;
      if (column.numeric) {
        const shaped = ts.shape(text, weight);
        const size = sizeToFit(ts, shaped, TYPE.body, TYPE.minAmount, width);
        cell = ts.widthOf(shaped, size) <= width ? { lines: [shaped], size } : { lines: fitText(ts, text, weight, size, width, 4), size };
      } else {
        const lines = text === '' ? [] : fitText(ts, text, weight, TYPE.body, width, column.maxLines);
        cell = { lines, size: TYPE.body };
      }
      if (cell.lines.length > lines) lines = cell.lines.length;
      cells.push(cell);
    }
    let note: readonly ShapedText[] = [];
    let height = lines * BODY_LEADING;
    if (row.note) {
      const column = this.columns[row.note.column]!;
      note = fitText(ts, row.note.text, 'regular', TYPE.small, column.width - 2 * CELL_PADDING_X, 2);
      const columnHeight = cells[row.note.column]!.lines.length * BODY_LEADING + NOTE_GAP + note.length * NOTE_LEADING;
      height = Math.max(height, columnHeight);
    }
    return { row, cells, note, height: 2 * CELL_PADDING_Y + height };
  }

  /** Draws a prepared row below the cursor, breaking the page first when it does not fit. */
  draw(prepared: PreparedRow): void {
    const flow = this.flow;
    flow.ensure(prepared.height);
    const { canvas } = flow;
    const ts = flow.tools.typesetter;
    const top = flow.y;
    const baseline = top - CELL_PADDING_Y - TYPE.body * ASCENT;
    for (let i = 0; i < this.columns.length; i++) {
      const column = this.columns[i]!;
      const cell = prepared.cells[i]!;
      let y = baseline;
      for (const line of cell.lines) {
        const x = column.align === 'right' ? this.xs[i]! + column.width - CELL_PADDING_X - ts.widthOf(line, cell.size) : this.xs[i]! + CELL_PADDING_X;
        canvas.text(x, y, line, cell.size, GRAY.text);
        y -= BODY_LEADING;
      }
      if (prepared.row.note?.column === i) {
        y = top - CELL_PADDING_Y - cell.lines.length * BODY_LEADING - NOTE_GAP - TYPE.small * ASCENT;
        for (const line of prepared.note) {
          canvas.text(this.xs[i]! + CELL_PADDING_X, y, line, TYPE.small, GRAY.muted);
          y -= NOTE_LEADING;
        }
      }
    }
    const bottom = top - prepared.height;
    if (prepared.row.strongTop && this.rowsSinceHeader > 0) {
      canvas.line(PAGE.left, top, PAGE.right, top, 0.8, GRAY.strongRule);
    }
    canvas.line(PAGE.left, bottom, PAGE.right, bottom, 0.4, GRAY.rule);
    flow.y = bottom;
    this.rowsSinceHeader++;
  }

  private drawHeader(): void {
    const { canvas } = this.flow;
    const ts = this.flow.tools.typesetter;
    const top = this.flow.y;
    canvas.fillRect(PAGE.left, top - HEADER_HEIGHT, PAGE.right - PAGE.left, HEADER_HEIGHT, GRAY.band);
    const baseline = top - HEADER_HEIGHT / 2 - TYPE.tableHeader * 0.36;
    for (let i = 0; i < this.columns.length; i++) {
      const column = this.columns[i]!;
      const width = column.width - 2 * CELL_PADDING_X;
      const [label] = fitText(ts, column.title, 'bold', TYPE.tableHeader, width, 1);
      if (label === undefined) continue;
      const x = column.align === 'right' ? this.xs[i]! + column.width - CELL_PADDING_X - ts.widthOf(label, TYPE.tableHeader) : this.xs[i]! + CELL_PADDING_X;
      canvas.text(x, baseline, label, TYPE.tableHeader, 0.15);
    }
    this.flow.y = top - HEADER_HEIGHT;
    this.rowsSinceHeader = 0;
  }
}
