import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createPdfRenderer } from '../integrations/pdf/render-invoice-pdf.js';
import { buildBenchInvoice } from './sample-documents.js';

/**
 * Run in a child process by bench/pdf.ts, so the peak RSS measured is this case's alone: renders one
 * combined invoice of `lines` lines (argv[2], default 100,000) and prints one JSON line.
 */
export interface LargeRunResult {
  lines: number;
  ms: number;
  pages: number;
  bytes: number;
  peakRssMb: number;
}

export async function runLargeInvoice(lines: number): Promise<LargeRunResult> {
  const renderer = await createPdfRenderer();
  const doc = buildBenchInvoice({ lines, number: 'SUPA-100000' });
  const started = performance.now();
  const pdf = await renderer.render(doc);
  const ms = performance.now() - started;
  return { lines, ms, pages: pdf.pageCount, bytes: pdf.bytes.length, peakRssMb: peakRssMb() };
}

/** Peak resident set size of this process so far (VmHWM; maxRSS where /proc is missing). */
export function peakRssMb(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match?.[1]) return Number(match[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runLargeInvoice(Number(process.argv[2] ?? 100_000));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
