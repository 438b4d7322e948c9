/**
 * How the CLI speaks: JSON for machines (`--json`), aligned text for people, progress bars only on a
 * terminal.
 */
import cliProgress from 'cli-progress';
import type { RunReport } from '../pipeline/run-company.js';

export interface Io {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

export const processIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });

/** An instant (epoch milliseconds) as people and JSON see it: ISO 8601 in UTC; null stays null */
export const isoTime = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain text table: columns padded to their widest cell. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/** A progress bar on stderr when it is a terminal and output is for people; otherwise silent. */
export function createProgress(io: Io, json: boolean, label: string): Progress {
  if (json || !io.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total}`, stream: io.stderr as NodeJS.WritableStream, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** A run report as `run --json` prints it (SPEC §5) and the API returns it. */
export function runReportJson(report: RunReport): Record<string, unknown> {
  const { integrations: _integrations, dryRun: _dryRun, ...contract } = report;
  return { ...contract, dryRun: report.dryRun, ...(report.integrations ? { integrations: report.integrations } : {}) };
}
