import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { InvoiceDocument } from '../src/domain/invoice-document.js';
import { createPdfRenderer, type PdfRenderer } from '../integrations/pdf/render-invoice-pdf.js';
import { launchChromiumPrinter } from './pdf-chromium.js';
import type { LargeRunResult } from './pdf-large-child.js';
import { buildBenchInvoice } from './sample-documents.js';

/**
 * PDF benchmark: our renderer against headless Chromium on the same 100-line invoice (warm-up, then the
 * median of N runs each), a 100,000-line invoice in a child process (time and peak RSS) and 1,000
 * separate 50-line invoices in one process. Progress goes to stderr; the result is one JSON line.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/pdf.js
 */
const PDF_WARMUP = 50;
const PDF_RUNS = 300;
const CHROMIUM_WARMUP = 5;
const CHROMIUM_RUNS = 30;
const LARGE_LINES = 100_000;
const BATCH_INVOICES = 1000;
const BATCH_LINES = 50;

export async function runPdfBench(): Promise<Record<string, number>> {
  const doc = buildBenchInvoice({ lines: 100 });
  const renderer = await createPdfRenderer();

  log('pdf-lib renderer, 100 lines…');
  const pdf100LinesMs = await medianOf(PDF_WARMUP, PDF_RUNS, () => renderer.render(doc));

  log(`${BATCH_INVOICES} × ${BATCH_LINES}-line invoices…`);
  const pdf1000x50LinesMs = await renderBatch(renderer);

  log(`${LARGE_LINES}-line invoice in a child process…`);
  const large = runLargeChild(LARGE_LINES);

  // Last, so a browser shutting down cannot slow the other measurements.
  log('chromium, 100 lines…');
  const chromium100LinesMs = await measureChromium(doc);

  return {
    chromium100LinesMs: round(chromium100LinesMs),
    pdf100LinesMs: round(pdf100LinesMs),
    ratio: round(chromium100LinesMs / pdf100LinesMs),
    pdf100kLinesMs: round(large.ms),
    pdf100kPeakRssMb: round(large.peakRssMb),
    pdf100kPages: large.pages,
    pdf1000x50LinesMs: round(pdf1000x50LinesMs),
  };
}

async function measureChromium(doc: InvoiceDocument): Promise<number> {
  const printer = await launchChromiumPrinter();
  try {
    return await medianOf(CHROMIUM_WARMUP, CHROMIUM_RUNS, () => printer.print(doc));
  } finally {
    await printer.close();
  }
}

async function renderBatch(renderer: PdfRenderer): Promise<number> {
  const docs = Array.from({ length: BATCH_INVOICES }, (_, i) => buildBenchInvoice({ lines: BATCH_LINES, number: `SUPA-${String(200_000 + i)}`, variant: i }));
  const started = performance.now();
  for (const doc of docs) await renderer.render(doc);
  return performance.now() - started;
}

function runLargeChild(lines: number): LargeRunResult {
  const child = fileURLToPath(new URL('./pdf-large-child.js', import.meta.url));
  const output = execFileSync(process.execPath, [child, String(lines)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const last = output.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as LargeRunResult;
}

async function medianOf(warmup: number, runs: number, task: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < warmup; i++) await task();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await task();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const middle = Math.floor(times.length / 2);
  return times.length % 2 ? times[middle]! : (times[middle - 1]! + times[middle]!) / 2;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function log(message: string): void {
  process.stderr.write(`[bench:pdf] ${message}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runPdfBench();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
