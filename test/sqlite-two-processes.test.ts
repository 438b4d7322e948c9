/**
 * The embedded SQLite shared by several processes (a worker, a CLI run, a load): SQLite has one writer,
 * and another process holding the write lock is waited out (the busy timeout), never reported as a failed
 * run or load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJsonOutput, projectRoot, spawnCli } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { dropship, order, product, supplier, writeJson, type Json } from './support/fixtures.js';

/**
 * Another process writing to the database: with `holdMs`, one transaction holding the write lock that
 * long; without, short write transactions one after another (a busy worker) until it is stopped.
 */
function startWriter(file: string, holdMs?: number): { child: ChildProcess; started: Promise<void>; released: Promise<number>; stop(): Promise<void> } {
  const script = `
    import Database from 'better-sqlite3';
    const db = new Database(${JSON.stringify(file)});
    db.pragma('busy_timeout = 30000');
    const write = () => db.exec('UPDATE companies SET run_count = run_count + 1');
    const hold = ${holdMs ?? 0};
    if (hold > 0) {
      db.exec('BEGIN IMMEDIATE'); write(); console.log('started');
      setTimeout(() => { db.exec('COMMIT'); console.log('released'); }, hold);
    } else {
      let first = true;
      const tick = () => { db.exec('BEGIN IMMEDIATE'); write(); db.exec('COMMIT'); if (first) console.log('started'); first = false; setTimeout(tick, 2); };
      tick();
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const started = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('started') && resolve());
    child.once('exit', (code) => reject(new Error(`the writer process exited (${code}) before it started`)));
  });
  const released = new Promise<number>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('released') && resolve(Date.now())));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    started,
    released,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

const item: Json = { sku: 'TS-WHT-M', description: 'T-shirt', quantity: 1, unitCostPrice: '5.00', taxRate: '20' };

let t: TestDatabase | undefined;
let writer: { stop(): Promise<void> } | undefined;
afterEach(async () => {
  await writer?.stop();
  writer = undefined;
  await t?.destroy();
  t = undefined;
});

describe('SQLite shared by several processes', () => {
  async function setUp(): Promise<{ env: Record<string, string>; file: string }> {
    t = await createTestDatabase('sqlite');
    const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    const codes = ['RA', 'RB', 'RC'];
    const load = await spawnCli(
      [
        'load',
        writeJson({
          companies: [
            supplier('SUPA'),
            ...codes.map((c) =>
              dropship(c, 'SUPA', {
                integrations: [{ type: 'pdf-emailer', enabled: true, emailTo: `ap@${c.toLowerCase()}.example`, nextInvoiceAt: '2026-11-20T00:00:00Z' }],
              }),
            ),
          ],
          users: [{ email: 'ann@supa.example', name: 'Ann', primaryCompany: 'SUPA' }],
          products: [product()],
          orders: codes.map((c) => order(c, `${c}-0`, { items: [item] })),
        }),
      ],
      env,
    );
    expect(load.code, load.stderr).toBe(0);
    return { env, file: t.url.slice('sqlite:'.length) };
  }

  it('a load, a manual run and a worker tick succeed while another process keeps writing', async () => {
    const { env, file } = await setUp();
    // A load reads (companies, products, existing orders) before it writes: the case where a snapshot goes
    // stale if another process commits in between
    const orders = Array.from({ length: 3000 }, (_, i) => order(['RA', 'RB', 'RC'][i % 3]!, `L-${i}`, { items: [item] }));
    const busy = startWriter(file);
    writer = busy;
    await busy.started;
    const [load, run, tick] = await Promise.all([
      spawnCli(['load', '--json', writeJson({ orders })], env),
      spawnCli(['run', '--company', 'RA', '--as', 'ann@supa.example', '--json'], env),
      spawnCli(['worker', '--once', '--at', '2026-11-21T12:00:00Z', '--json'], env),
    ]);
    await busy.stop();
    expect(load.code, load.stdout + load.stderr).toBe(0);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(tick.code, tick.stdout + tick.stderr).toBe(0);
    const report = parseJsonOutput<{ ran: Array<{ error?: string; deliveries: { failed: number } }> }>(tick);
    expect(report.ran.length).toBe(3);
    for (const r of report.ran) expect([r.error, r.deliveries.failed]).toEqual([undefined, 0]);
    expect(Number(((await t!.db('orders').count({ n: '*' }).first()) as { n: number }).n)).toBe(3003);
  });

  it('a run waits for a write lock another process holds for seconds, then succeeds', async () => {
    const { env, file } = await setUp();
    const holder = startWriter(file, 4000);
    writer = holder;
    await holder.started;
    const run = await spawnCli(['run', '--company', 'RB', '--as', 'ann@supa.example', '--json'], env);
    const finished = Date.now();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(parseJsonOutput<{ invoices: Array<{ number: string }> }>(run).invoices.map((i) => i.number)).toEqual(['SUPA-000001']);
    // It did wait: it could not write before the other process let go
    expect(await holder.released).toBeLessThanOrEqual(finished);
  });
});
