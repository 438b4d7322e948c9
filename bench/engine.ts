/**
 * The invoicing transaction on MariaDB:
 *  - one company with 100,000 eligible orders (≈300,000 items): the transaction's time;
 *  - 10,000 companies with 10 eligible orders each under 20 sequence owners, invoiced as the scheduler's
 *    automatic runs are (a tick's batches: up to 50 companies of one owner per transaction, 8 batches
 *    at once): invoices per second; and, for comparison, one transaction per company, 20 at a time (as
 *    separate `run --company` calls would);
 * next to the peer: bare counter-row transactions (BEGIN; UPDATE … next = next + 1; COMMIT) on the same
 * 20 rows with the same concurrency — the ceiling any numbering scheme on one row per owner meets.
 */
import path from 'node:path';
import pLimit from 'p-limit';
import { loadConfig } from '../config/index.js';
import { connectDatabase } from '../src/db/connect.js';
import { invoiceCompanies, type BatchMember } from '../src/pipeline/invoice-companies.js';
import { BATCH_COMPANIES, batchSizeForTick } from '../src/scheduler/plan-batches.js';
import { createAutoPartiesResolver } from '../src/pipeline/resolve-parties.js';
import { writeDataset } from './generate-dataset.js';
import { DEFAULT_RULES, invoiceAsOf } from './invoice-as-of.js';
import { freshDatabaseUrl, round, tempDir, timeCli } from './support.js';

const AS_OF = Date.parse('2026-11-21T12:00:00Z');
const CONCURRENCY = 20;
/** The worker's concurrency in the worker bench */
const TICK_CONCURRENCY = 8;

async function prepare(label: string, shape: Parameters<typeof writeDataset>[1]) {
  const dir = tempDir(label);
  const file = path.join(dir, 'data.json');
  const { companies } = writeDataset(file, shape);
  const url = await freshDatabaseUrl('mariadb', dir);
  await timeCli(['load', '--json', file], { DATABASE_URL: url, OMS_DATA_DIR: dir });
  const db = connectDatabase(loadConfig({ DATABASE_URL: url }).database, { poolMax: CONCURRENCY + 4 });
  return { db, companies };
}

/** One automatic run's invoicing, as the scheduler does it (ancestors read once per tick). */
async function invoiceOne(db: ReturnType<typeof connectDatabase>, resolve: ReturnType<typeof createAutoPartiesResolver>, code: string) {
  const parties = await resolve(code);
  return invoiceAsOf(db, parties, 'auto', AS_OF);
}

export async function runEngineBench(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};

  // One large company
  {
    const { db, companies } = await prepare('engine-large', { suppliers: 1, companiesPerSupplier: 1, ordersPerCompany: 100_000, itemsPerOrder: 3 });
    const started = performance.now();
    const result = await invoiceOne(db, createAutoPartiesResolver(db), companies[0]!);
    out.largeCompanyOrders = result.invoices.reduce((s, i) => s + i.orders.length, 0);
    out.largeCompanyLines = result.invoices.reduce((s, i) => s + i.lines, 0);
    out.largeCompanyTransactionMs = round(performance.now() - started);
    out.largeCompanyQueries = result.queries;
    await db.destroy();
  }

  // Many small companies under 20 owners
  {
    const { db, companies } = await prepare('engine-many', { suppliers: 20, companiesPerSupplier: 500, ordersPerCompany: 10, itemsPerOrder: 3 });
    // The scheduler's way: the tick's batches per sequence owner
    const started = performance.now();
    const resolve = createAutoPartiesResolver(db);
    const parties = await resolve.many(companies);
    const size = batchSizeForTick(companies.length, TICK_CONCURRENCY, BATCH_COMPANIES);
    const byOwner = new Map<number, BatchMember[]>();
    for (const code of companies) {
      const p = parties.get(code);
      if (!p || p instanceof Error) throw new Error(`${code}: ${String(p)}`);
      const list = byOwner.get(p.sequenceOwner.id) ?? [];
      list.push({ parties: p, rules: DEFAULT_RULES, runId: null });
      byOwner.set(p.sequenceOwner.id, list);
    }
    const batches = [...byOwner.values()].flatMap((members) =>
      Array.from({ length: Math.ceil(members.length / size) }, (_, i) => members.slice(i * size, (i + 1) * size)),
    );
    const tickLimit = pLimit(TICK_CONCURRENCY);
    const batchResults = await Promise.all(batches.map((members) => tickLimit(() => invoiceCompanies(db, { mode: 'auto', asOf: AS_OF, now: AS_OF, members }))));
    const ms = performance.now() - started;
    const invoices = batchResults.reduce((s, r) => s + r.members.reduce((t, m) => t + m.invoices.length, 0), 0);
    out.manyCompanies = companies.length;
    out.manyInvoices = invoices;
    out.manyBatchSize = size;
    out.manyMs = round(ms);
    out.invoicesPerSecond = round((invoices / ms) * 1000);
    await db.destroy();
  }

  // The same companies, one transaction per company (20 at a time), and the peer
  {
    const { db, companies } = await prepare('engine-many-single', { suppliers: 20, companiesPerSupplier: 500, ordersPerCompany: 10, itemsPerOrder: 3 });
    const limit = pLimit(CONCURRENCY);
    const started = performance.now();
    const resolve = createAutoPartiesResolver(db);
    const results = await Promise.all(companies.map((code) => limit(() => invoiceOne(db, resolve, code))));
    const ms = performance.now() - started;
    out.singleCompanyRunsInvoicesPerSecond = round((results.reduce((s, r) => s + r.invoices.length, 0) / ms) * 1000);

    // The peer: bare counter-row transactions on the same 20 sequence rows, same concurrency
    const owners = await db('sequences').select<Array<{ owner_company_id: number }>>('owner_company_id');
    const peerCount = 5000;
    const peerStarted = performance.now();
    await Promise.all(
      Array.from({ length: peerCount }, (_, i) =>
        limit(() =>
          db.transaction(async (trx) => {
            await trx('sequences')
              .where('owner_company_id', owners[i % owners.length]!.owner_company_id)
              .increment('next_value', 1);
          }),
        ),
      ),
    );
    const peerMs = performance.now() - peerStarted;
    out.counterTransactionsPerSecond = round((peerCount / peerMs) * 1000);
    out.invoicesVsCounterTransactions = round(out.invoicesPerSecond / out.counterTransactionsPerSecond, 2);
    await db.destroy();
  }
  return out;
}
