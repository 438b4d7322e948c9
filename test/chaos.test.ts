/**
 * The short version of the chaos suite (`npm run chaos`; the long run is recorded in RELIABILITY.md):
 * 20 SIGKILLs with faults, a fixed seed, against its own MariaDB, the test SMTP server and OpenSSH. Every
 * figure that must be zero is zero.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChaosReport } from '../chaos/report.js';
import { projectRoot } from './support/cli.js';

function runChaos(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(projectRoot, 'dist', 'chaos', 'run-chaos.js'), ...args],
      { cwd: projectRoot, timeout: 280_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 3) : 0, stdout, stderr }),
    );
  });
}

describe('npm run chaos, short', () => {
  it('20 kills and faults leave nothing doubled, missing, half-written, partial or littered', { timeout: 300_000 }, async () => {
    const run = await runChaos(['--kills', '20', '--seed', '7', '--json']);
    let report: ChaosReport;
    try {
      report = JSON.parse(run.stdout) as ChaosReport;
    } catch {
      throw new Error(`the chaos suite printed no report (exit ${run.code}):\n${run.stderr.slice(-4000)}`);
    }
    expect(report.failed, run.stderr.slice(-4000)).toEqual([]);
    expect(run.code).toBe(0);
    const { figures, totals } = report.audit;
    expect(figures).toMatchObject({
      ordersInvoicedTwice: 0,
      ordersNeverInvoiced: 0,
      numberGaps: 0,
      numberDuplicates: 0,
      invoicesHalfWritten: 0,
      loadsHalfWritten: 0,
      ordersLostByLoads: 0,
      deliveriesNotSent: 0,
      filesMissing: 0,
      partialFiles: 0,
      tempFilesLeft: 0,
      phantomDeliveries: 0,
      emailsLost: 0,
    });
    // It did what it says: the kills were dealt, faults struck, invoices went out both ways
    expect(report.kills).toBe(20);
    expect(Object.values(report.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(3);
    expect(totals.invoices).toBeGreaterThan(10);
    expect(totals.emails).toBeGreaterThan(5);
    expect(totals.files).toBeGreaterThan(5);
  });

  it('refuses bad arguments with exit code 2', async () => {
    const run = await runChaos(['--kills', 'many']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--kills: must be a whole number, got "many"/);
  });
});
