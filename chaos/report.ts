/**
 * The chaos suite's report: a table people read (every figure, whether it must be zero, and the verdict),
 * or one JSON object for machines (`--json`).
 */
import { ALLOWED_NONZERO, type AuditResult, type Figures } from './audit.js';
import type { ChaosProcess, ProcessKind } from './processes.js';
import type { FaultSpan } from './rounds.js';
import type { SettleResult } from './settle.js';

export interface ChaosReport {
  command: string;
  seed: number;
  kills: number;
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; os: string; node: string; mariadb: string; openssh: string };
  durationMs: number;
  rounds: number;
  killsByKind: Partial<Record<ProcessKind, number>>;
  faults: Record<string, number>;
  /** When each fault struck and was over (ms since the epoch) */
  faultTimeline: FaultSpan[];
  apiRuns: Record<string, number>;
  /** Per kind: started, ended with each exit code, killed, hung */
  processes: Record<string, { started: number; exits: Record<string, number>; killed: number; hung: number }>;
  serveExits: number;
  settle: SettleResult;
  audit: AuditResult;
  /** Figures that must be zero and are not */
  failed: string[];
  ok: boolean;
}

export const FIGURE_LABELS: Record<keyof Figures, string> = {
  ordersInvoicedTwice: 'orders invoiced twice',
  ordersNeverInvoiced: 'orders never invoiced',
  numberGaps: 'number gaps',
  numberDuplicates: 'number duplicates',
  invoicesHalfWritten: 'invoices half-written',
  loadsHalfWritten: 'loads half-written',
  ordersLostByLoads: 'orders lost by loads that succeeded',
  deliveriesNotSent: 'deliveries not sent',
  filesMissing: 'files missing',
  partialFiles: 'partial files (final name, not the whole artefact)',
  tempFilesLeft: 'temp files left',
  phantomDeliveries: 'emails or files of invoices that do not exist',
  emailsLost: 'emails lost',
  emailsSentTwice: 'emails sent twice (allowed: at-least-once)',
};

export function summariseProcesses(all: readonly ChaosProcess[]): ChaosReport['processes'] {
  const out: ChaosReport['processes'] = {};
  for (const p of all) {
    const s = (out[p.kind] ??= { started: 0, exits: {}, killed: 0, hung: 0 });
    s.started++;
    if (p.killed === 'chaos') s.killed++;
    else if (p.killed === 'hung') s.hung++;
    else if (p.endedAt !== null) {
      const key = p.signal ? p.signal : `exit ${p.code}`;
      s.exits[key] = (s.exits[key] ?? 0) + 1;
    }
  }
  return out;
}

/** The figures that must be zero and are not, and other conditions that fail the run */
export function failuresOf(audit: AuditResult, all: readonly ChaosProcess[], serveExits: number, settle: SettleResult): string[] {
  const failed = (Object.keys(audit.figures) as Array<keyof Figures>)
    .filter((k) => !ALLOWED_NONZERO.has(k) && audit.figures[k] !== 0)
    .map((k) => FIGURE_LABELS[k]);
  const hung = all.filter((p) => p.killed === 'hung').length;
  if (hung > 0) failed.push(`processes that hung (${hung})`);
  // The long-running worker ends only when it is killed or asked to stop, whatever the database does
  const workerEnded = all.filter((p) => p.kind === 'worker' && p.endedAt !== null && p.killed === null && !p.stopped).length;
  if (workerEnded > 0) failed.push(`the long-running worker ended on its own (${workerEnded})`);
  if (serveExits > 0) failed.push('serve ended on its own');
  if (settle.workerExit !== 0) failed.push('the long-running worker did not stop cleanly on SIGTERM');
  if (!settle.settled) failed.push('work still left after the settling ticks');
  return failed;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === 1 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatReport(r: ChaosReport): string {
  const a = r.audit;
  const lines: string[] = [];
  lines.push(`oms-invoicing chaos: ${r.command}`);
  lines.push(`${r.date} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, ${r.machine.os}, Node ${r.machine.node}`);
  lines.push(`${r.machine.mariadb}; ${r.machine.openssh}; in ${Math.round(r.durationMs / 1000)} s`);
  lines.push('');
  lines.push(
    `${r.rounds} rounds, ${r.kills} SIGKILLs (${Object.entries(r.killsByKind)
      .map(([k, n]) => `${n} ${k}`)
      .join(
        ', ',
      )}); ${a.totals.orders} orders, ${a.totals.invoices} invoices, ${a.totals.deliveries} deliveries, ${a.totals.emails} emails accepted, ${a.totals.files} files`,
  );
  lines.push(
    `faults: ${
      Object.entries(r.faults)
        .map(([k, n]) => `${k} ×${n}`)
        .join('; ') || 'none'
    }`,
  );
  lines.push('');
  const figureRows = (Object.keys(a.figures) as Array<keyof Figures>).map((k) => {
    const mustBeZero = !ALLOWED_NONZERO.has(k);
    return [FIGURE_LABELS[k], String(a.figures[k]), mustBeZero ? (a.figures[k] === 0 ? 'ok' : 'FAIL') : 'allowed'];
  });
  lines.push(table([['figure', 'count', 'verdict'], ...figureRows]));
  lines.push('');
  const d = a.duplicates;
  lines.push(
    `emails sent twice: ${d.killedAfter250} because the sender was killed between the server's 250 and its record` +
      (d.killDelayMaxMs === null
        ? ''
        : ` (${d.killDelayMedianMs} ms after the 250 at the median, ${d.killDelayMaxMs} ms at most; ${d.killedAfter250DuringDatabaseFault} while a MariaDB fault held the record up)`) +
      `; ${d.killedBefore250} because it was killed before the 250 reached it; ${d.other} for other reasons (a record or claim lost to a fault)`,
  );
  const w = a.recordWindow;
  if (w.emails > 0)
    lines.push(`from the 250 to the record of sent, over ${w.emails} emails: median ${w.medianMs} ms, 90th percentile ${w.p90Ms} ms, max ${w.maxMs} ms`);
  lines.push('');
  lines.push(
    table([
      ['sequence', 'issued', 'invoices', 'gaps', 'duplicates'],
      ...a.sequences.map((s) => [`${s.owner} (${s.prefix})`, String(s.issued), String(s.invoices), String(s.gaps), String(s.duplicates)]),
    ]),
  );
  lines.push('');
  lines.push(
    table([
      ['process', 'started', 'killed', 'hung', 'ended'],
      ...Object.entries(r.processes).map(([kind, p]) => [
        kind,
        String(p.started),
        String(p.killed),
        String(p.hung),
        Object.entries(p.exits)
          .map(([k, n]) => `${k} ×${n}`)
          .join(', '),
      ]),
    ]),
  );
  const api = Object.entries(r.apiRuns)
    .map(([status, n]) => `${status === '0' ? 'no answer' : `HTTP ${status}`} ×${n}`)
    .join(', ');
  lines.push(`serve: ${r.serveExits === 0 ? 'never ended' : `ended ${r.serveExits} times on its own`}; manual runs through the API: ${api || 'none'}`);
  lines.push(
    `settling: ${r.settle.ticks} clean ticks, ${r.settle.handRetries} deliveries retried by hand, ${Math.round(r.settle.ms / 1000)} s; long-running worker exited ${r.settle.workerExit} on SIGTERM`,
  );
  lines.push('');
  for (const [k, examples] of Object.entries(a.examples)) {
    if (!examples?.length) continue;
    lines.push(`${FIGURE_LABELS[k as keyof Figures]}: ${examples.join('; ')}`);
  }
  lines.push(r.ok ? 'PASS: every figure that must be zero is zero' : `FAIL: ${r.failed.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
