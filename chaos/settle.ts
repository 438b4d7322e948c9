/**
 * After the rounds, everything is let settle, as it would after an incident: every fault ended, the
 * processes still running let finish (or killed as hung), the long-running worker stopped with SIGTERM,
 * the claims and leases of killed processes let run out, deliveries that gave up (a permanent SMTP 5xx,
 * a refused rename, attempts used up) retried by hand as an admin would (`deliveries retry`), and clean
 * scheduler ticks run until nothing is left to do. Each SFTP company gets one more order first: a later
 * delivery to a folder is what removes the temp files that killed uploads left there.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { listDeliveries } from '../src/db/deliveries-repo.js';
import { readConsistencyFacts } from '../src/db/consistency-repo.js';
import { DROPSHIPS } from './dataset.js';
import { clearQueuedFaults } from './faults.js';
import type { ProcessPool } from './processes.js';
import { HANG_MS } from './rounds.js';
import type { ChaosServe } from './serve.js';
import { LEASE_SECONDS, type ChaosSite } from './site.js';

const HOUR = 3600_000;
/** Clean ticks at most; each waits for the soonest retry that is due */
const MAX_TICKS = 20;

export interface SettleResult {
  ticks: number;
  /** `deliveries retry` commands run by hand */
  handRetries: number;
  /** Nothing was left to do after the last tick */
  settled: boolean;
  /** Exit code of the long-running worker after SIGTERM (0 expected) */
  workerExit: number | null;
  ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A wait that does not keep the suite's process alive (for races with a process's end) */
const deadline = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/** What is left to do: orders not invoiced, deliveries not sent, and when the soonest of them is due */
async function outstanding(db: Knex): Promise<{ orders: number; deliveries: number; gaveUp: string[]; dueInMs: number }> {
  const facts = await readConsistencyFacts(db);
  const deliveries = await listDeliveries(db);
  const unsent = deliveries.filter((d) => d.status !== 'sent');
  const gaveUp = [...new Set(unsent.filter((d) => d.status === 'failed' && d.nextAttemptAt === null).map((d) => d.invoice))];
  const due = unsent.map((d) => (d.status === 'sending' ? (d.claimedUntil ?? 0) : (d.nextAttemptAt ?? 0)));
  return {
    orders: facts.orders.filter((o) => o.invoiceId === null).length,
    deliveries: unsent.length,
    gaveUp,
    dueInMs: due.length === 0 ? 0 : Math.min(...due) - Date.now(),
  };
}

export async function settle(ctx: {
  site: ChaosSite;
  pool: ProcessPool;
  serve: ChaosServe;
  lastAt: number;
  log: (line: string) => void;
}): Promise<SettleResult> {
  const { site, pool, log } = ctx;
  const started = Date.now();
  clearQueuedFaults(site);
  await site.mariadb.start();

  // The processes still running finish (or are hung)
  for (const p of pool.live()) {
    if (p.kind === 'serve' || p.kind === 'worker') continue;
    await Promise.race([p.ended, deadline(Math.max(0, p.startedAt + HANG_MS - Date.now()))]);
    if (p.endedAt === null) await pool.kill(p, 'hung');
  }
  // The long-running worker stops as asked (SIGTERM: its runs in flight finish; exit 0). If the last round
  // killed it, a new one is started, and stopped once it has ticked.
  let worker = pool.live().find((p) => p.kind === 'worker');
  if (!worker) {
    worker = pool.start('worker', ['worker', '--json']);
    const ticked = (async () => {
      while (!worker.stdout.includes('\n') && worker.endedAt === null) await sleep(100);
    })();
    await Promise.race([ticked, deadline(120_000)]);
  }
  await pool.stop(worker, 60_000);
  if (worker.endedAt === null) await pool.kill(worker, 'hung');
  const workerExit = worker.code;

  // One more order for each company that uploads: its delivery, later, sweeps the folder's stale temp files
  const file = path.join(site.dir, 'loads', 'settle.json');
  const createdAt = new Date(Date.now() - 24 * HOUR).toISOString();
  const orders = DROPSHIPS.filter((d) => d.sftp).map((d) => ({
    company: d.code,
    number: `SETTLE-${d.code}`,
    status: 'dispatched',
    createdAt,
    items: [{ sku: 'TS', description: 'T-shirt', quantity: 1, unitCostPrice: '9.99', taxRate: '20' }],
  }));
  fs.writeFileSync(file, JSON.stringify({ orders }));
  const load = pool.start('settle', ['load', '--json', file]);
  await load.ended;
  if (load.code !== 0) log(`settle: the load failed: ${load.stderrTail}`);

  // Claims and leases of killed processes run out; stale temp files get older than a claim
  await sleep(LEASE_SECONDS * 1000 + 1000);

  let ticks = 0;
  let handRetries = 0;
  let settled = false;
  for (; ticks < MAX_TICKS;) {
    const left = await outstanding(site.db);
    for (const invoice of left.gaveUp) {
      const retry = pool.start('settle', ['deliveries', 'retry', invoice, '--json']);
      await retry.ended;
      handRetries++;
    }
    ticks++;
    const tick = pool.start('settle', ['worker', '--once', '--at', new Date(ctx.lastAt + ticks * HOUR).toISOString(), '--json']);
    await tick.ended;
    const after = await outstanding(site.db);
    log(`settle tick ${ticks}: exit ${tick.code}; ${after.orders} orders not invoiced, ${after.deliveries} deliveries not sent`);
    if (after.orders === 0 && after.deliveries === 0) {
      settled = true;
      break;
    }
    await sleep(Math.min(40_000, Math.max(500, after.dueInMs + 200)));
  }
  return { ticks, handRetries, settled, workerExit, ms: Date.now() - started };
}
