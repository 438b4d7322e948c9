/**
 * One scheduler tick on MariaDB with 10,000 due integrations: 10,000 dropship companies (20 suppliers ×
 * 500) with 10 orders each (≈3 items per order); the even-numbered companies have an enabled pdf-emailer
 * (to an in-process SMTP server), the odd-numbered an enabled xml-sftp with `includePdf` (to a real
 * OpenSSH sshd on loopback). So every one of the 10,000 invoices is numbered, rendered to PDF, and either
 * emailed or uploaded as UBL XML + PDF. Timed: one `worker --once --at T --json` as a child process
 * (process start and the migration check included).
 *
 * The peer, in the same run: the bare invoicing transaction (`invoiceCompany` alone: no rendering, no
 * delivery, no run bookkeeping, no leases) for the same 10,000 companies loaded into a second database,
 * with the same concurrency: what the tick would take if numbering were all it did.
 *
 * `BENCH_WORKER_BOTH=1` gives every company both integrations instead (20,000 integration runs);
 * `BENCH_WORKER_SUPPLIERS=4` a smaller tick (4 × 500 companies: 2,000 runs), for profiling.
 */
import fs from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { loadConfig } from '../config/index.js';
import { connectDatabase } from '../src/db/connect.js';
import { resolveParties } from '../src/pipeline/resolve-parties.js';
import { writeDataset } from './generate-dataset.js';
import { startSmtpServer } from './servers/smtp-server.js';
import { startSshd } from './servers/sshd.js';
import { invoiceAsOf } from './invoice-as-of.js';
import { freshDatabaseUrl, round, tempDir, timeCli } from './support.js';

const AT = '2026-11-21T12:00:00Z';
const DUE = '2026-11-20T00:00:00Z';

interface TickJson {
  ran: Array<{ company: string; type: string; invoices: string[]; deliveries: { sent: number; failed: number }; error?: string }>;
}

export async function runWorkerBench(
  options: { suppliers?: number; companiesPerSupplier?: number; concurrency?: number; both?: boolean } = {},
): Promise<Record<string, number>> {
  const suppliers = options.suppliers ?? Number(process.env.BENCH_WORKER_SUPPLIERS || 20);
  const companiesPerSupplier = options.companiesPerSupplier ?? 500;
  const concurrency = options.concurrency ?? Number(process.env.OMS_WORKER_CONCURRENCY || 8);
  const both = options.both ?? process.env.BENCH_WORKER_BOTH === '1';
  const dir = tempDir('worker');
  const smtp = await startSmtpServer({ keepRaw: false });
  const sshd = await startSshd();
  try {
    const file = path.join(dir, 'data.json');
    const shape = writeDataset(file, {
      suppliers,
      companiesPerSupplier,
      ordersPerCompany: 10,
      itemsPerOrder: 3,
      integrations: (code) => {
        const email = { type: 'pdf-emailer', enabled: true, emailTo: `ap@${code.toLowerCase()}.example`, nextInvoiceAt: DUE };
        const sftp = {
          type: 'xml-sftp',
          enabled: true,
          target: sshd.url(sshd.inboxDir),
          privateKeyFile: sshd.privateKeyPath,
          hostKeySha256: sshd.hostKeySha256,
          includePdf: true,
          nextInvoiceAt: DUE,
        };
        if (both) return [email, sftp];
        // Company codes are R<supplier>X<n>
        return Number(code.split('X')[1]) % 2 === 0 ? [email] : [sftp];
      },
    });
    const companies = shape.companies.length;
    const emailed = both ? companies : shape.companies.filter((c) => Number(c.split('X')[1]) % 2 === 0).length;
    const exported = both ? companies : companies - emailed;

    // The tick
    const url = await freshDatabaseUrl('mariadb', dir);
    const env = {
      DATABASE_URL: url,
      OMS_DATA_DIR: dir,
      // the test sshd's client key may be used (SPEC §9: key files only from allowed folders)
      OMS_SFTP_KEY_DIRS: path.dirname(sshd.privateKeyPath),
      SMTP_URL: smtp.url,
      OMS_WORKER_CONCURRENCY: String(concurrency),
      ...(process.env.OMS_LOG_LEVEL ? {} : { OMS_LOG_LEVEL: 'info' }),
    };
    await timeCli(['load', '--json', file], env);
    const tick = await timeCli(['worker', '--once', '--at', AT, '--json'], env);
    const report = JSON.parse(tick.stdout) as TickJson;
    const invoices = report.ran.reduce((s, r) => s + r.invoices.length, 0);
    const sent = report.ran.reduce((s, r) => s + r.deliveries.sent, 0);
    const failed = report.ran.reduce((s, r) => s + r.deliveries.failed, 0);
    const errors = report.ran.filter((r) => r.error).length;
    const uploaded = fs.readdirSync(sshd.inboxDir).filter((f) => f.endsWith('.xml')).length;
    const runs = emailed + exported;
    if (
      report.ran.length !== runs ||
      invoices !== companies ||
      sent !== runs ||
      failed + errors > 0 ||
      smtp.messages.length !== emailed ||
      uploaded !== exported
    ) {
      throw new Error(
        `incomplete tick: ${report.ran.length} runs, ${invoices} invoices, ${sent} sent, ${failed} failed, ${errors} errors, ${smtp.messages.length} emails, ${uploaded} files`,
      );
    }

    // The peer: the invoicing transaction alone for the same companies, in a second database
    const peerUrl = await freshDatabaseUrl('mariadb', dir);
    await timeCli(['load', '--json', file], { DATABASE_URL: peerUrl, OMS_DATA_DIR: dir, OMS_SFTP_KEY_DIRS: path.dirname(sshd.privateKeyPath) });
    const db = connectDatabase(loadConfig({ DATABASE_URL: peerUrl }).database, { poolMax: concurrency + 2 });
    const asOf = Date.parse(AT);
    const limit = pLimit(concurrency);
    const started = performance.now();
    const results = await Promise.all(
      shape.companies.map((code) =>
        limit(async () => {
          const parties = await resolveParties(db, code, null);
          return invoiceAsOf(db, parties, 'auto', asOf);
        }),
      ),
    );
    const peerMs = performance.now() - started;
    const peerInvoices = results.reduce((s, r) => s + r.invoices.length, 0);
    await db.destroy();

    const invoicesPerSecond = (invoices / tick.ms) * 1000;
    const peerInvoicesPerSecond = (peerInvoices / peerMs) * 1000;
    return {
      companies,
      integrations: report.ran.length,
      orders: shape.orders,
      invoices,
      emailed: smtp.messages.length,
      exported: uploaded,
      concurrency,
      tickMs: round(tick.ms),
      tickPeakRssMb: tick.peakRssMb,
      invoicesPerSecond: round(invoicesPerSecond),
      integrationRunsPerSecond: round((report.ran.length / tick.ms) * 1000),
      peerInvoiceCompanyMs: round(peerMs),
      peerInvoicesPerSecond: round(peerInvoicesPerSecond),
      tickVsBareInvoicing: round(invoicesPerSecond / peerInvoicesPerSecond, 2),
    };
  } finally {
    await smtp.stop();
    await sshd.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
