/**
 * MariaDB going away in the middle of the work: restarted (cleanly or by a crash), or connections killed
 * (KILL CONNECTION). The transaction in flight rolls back and runs again once the server is back; a COMMIT
 * whose outcome is unknown is not repeated; pooled connections that died are replaced; nothing is
 * half-written and no process exits or hangs. This file starts its own MariaDB, so that restarting it
 * disturbs no other suite.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';
import type { Knex } from 'knex';
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb, type MariaDbServer } from '../bench/throwaway-mariadb.js';
import { loadConfig } from '../config/index.js';
import { connectDatabase, inTransaction, migrateLatest, retryOnConflict } from '../src/db/connect.js';
import { parseJsonOutput, spawnCli, startCli, type CliResult } from './support/cli.js';
import { dropship, order, product, supplier, writeJson, type Json } from './support/fixtures.js';
import { startSmtpServer } from './support/smtp-server.js';

let server: MariaDbServer;
beforeAll(async () => {
  server = await startMariaDb();
});
afterAll(async () => server?.stop());

interface Scratch {
  url: string;
  dataDir: string;
  db: Knex;
  warnings: string[];
  env: Record<string, string>;
}

const scratches: Scratch[] = [];
afterEach(async () => {
  for (const s of scratches.splice(0)) {
    await s.db.destroy();
    fs.rmSync(s.dataDir, { recursive: true, force: true });
  }
});

/** A fresh migrated database on the private server, with a knex that collects knex's warnings */
async function scratch(): Promise<Scratch> {
  const name = `f_${randomBytes(6).toString('hex')}`;
  const conn = await mysql.createConnection(server.url);
  await conn.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  await conn.end();
  const url = `${server.url}/${name}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oms-dbfaults-'));
  const warnings: string[] = [];
  const db = connectDatabase(loadConfig({ DATABASE_URL: url }).database, { warn: (m) => warnings.push(m) });
  await migrateLatest(db);
  await db.schema.createTable('fault_markers', (t) => {
    t.increments('id');
    t.string('name', 40);
  });
  const s = { url, dataDir, db, warnings, env: { DATABASE_URL: url, OMS_DATA_DIR: dataDir } };
  scratches.push(s);
  return s;
}

const count = async (db: Knex, table: string): Promise<number> => Number(((await db(table).count({ n: '*' }).first()) as { n: number | string }).n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function killConnection(id: number): Promise<void> {
  const admin = await mysql.createConnection(server.url);
  await admin.query(`KILL CONNECTION ${id}`);
  await admin.end();
}

describe('pooled connections', () => {
  it('a connection killed while idle, or lost to a restart, is replaced and never handed out', async () => {
    const s = await scratch();
    await Promise.all([s.db.raw('SELECT SLEEP(0.1)'), s.db.raw('SELECT SLEEP(0.1)')]);
    expect(await server.killConnections()).toBeGreaterThanOrEqual(2);
    await sleep(100);
    expect(await count(s.db, 'fault_markers')).toBe(0);
    await server.restart('crash');
    expect(await count(s.db, 'fault_markers')).toBe(0);
    expect(s.warnings.some((w) => /Connection lost/.test(w))).toBe(true);
  });

  it('a statement to a server that is down fails at once; one that is retried waits for it to come back', async () => {
    const s = await scratch();
    await server.halt('clean');
    try {
      const started = Date.now();
      await expect(s.db.raw('SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect(Date.now() - started).toBeLessThan(5000);
      const insert = retryOnConflict(() => s.db('fault_markers').insert({ name: 'after the restart' }));
      await sleep(1500);
      await server.start();
      await insert;
    } finally {
      await server.start();
    }
    expect(await s.db('fault_markers').pluck('name')).toEqual(['after the restart']);
  });
});

describe('a transaction whose connection is lost', () => {
  it('before its COMMIT is rolled back and run again: its work is done once', async () => {
    const s = await scratch();
    let attempts = 0;
    const result = await inTransaction(s.db, async (trx) => {
      attempts += 1;
      await trx('fault_markers').insert({ name: `attempt ${attempts}` });
      if (attempts === 1) {
        const [[{ id }]] = (await trx.raw('SELECT CONNECTION_ID() AS id')) as [[{ id: number }]];
        await killConnection(id);
      }
      return count(trx, 'fault_markers');
    });
    expect([attempts, result]).toEqual([2, 1]);
    expect(await s.db('fault_markers').pluck('name')).toEqual(['attempt 2']);
  });

  it.each(['clean', 'crash'] as const)('to a %s restart before its COMMIT waits for the server and runs again', async (how) => {
    const s = await scratch();
    let attempts = 0;
    await inTransaction(s.db, async (trx) => {
      attempts += 1;
      await trx('fault_markers').insert({ name: `attempt ${attempts}` });
      if (attempts === 1) await server.restart(how);
      await trx('fault_markers').insert({ name: `attempt ${attempts}, second row` });
    });
    expect(attempts).toBe(2);
    expect(await s.db('fault_markers').orderBy('id').pluck('name')).toEqual(['attempt 2', 'attempt 2, second row']);
  });

  it('while its COMMIT is in flight is not run again, and says that the outcome is unknown', async () => {
    const s = await scratch();
    let attempts = 0;
    let socket: Socket | null = null;
    // Cut the connection the moment the COMMIT has been handed to it (the server may or may not commit)
    const cut = (q: { sql: string }) => {
      if (q.sql === 'COMMIT;' && socket) setImmediate(() => socket!.destroy());
    };
    s.db.on('query', cut);
    try {
      const attempt = inTransaction(s.db, async (trx) => {
        attempts += 1;
        const raw = (await (trx.client as { acquireConnection(): Promise<{ stream: Socket }> }).acquireConnection()).stream;
        socket = raw;
        await trx('fault_markers').insert({ name: 'once' });
      });
      await expect(attempt).rejects.toThrow(/lost while committing.*unknown/);
    } finally {
      s.db.off('query', cut);
    }
    expect(attempts).toBe(1);
    expect(await count(s.db, 'fault_markers')).toBeLessThanOrEqual(1);
  });
});

/** Supplier SUPA, dropship RETB with `n` orders and a pdf-emailer integration due now, user ann */
async function loadShop(s: Scratch, n: number, extraEnv: Record<string, string> = {}): Promise<void> {
  const orders: Json[] = Array.from({ length: n }, (_, i) =>
    order('RETB', `B-${i}`, { currency: ['GBP', 'EUR'][i % 2]!, uniqueInvoice: i % 5 === 0, createdAt: '2026-11-02T10:00:00Z' }),
  );
  const load = await spawnCli(
    [
      'load',
      writeJson({
        companies: [
          supplier('SUPA'),
          dropship('RETB', 'SUPA', {
            integrations: [{ type: 'pdf-emailer', enabled: true, emailTo: 'ap@retb.example', nextInvoiceAt: '2026-11-20T00:00:00Z' }],
          }),
        ],
        users: [{ email: 'ann@supa.example', name: 'Ann', primaryCompany: 'SUPA' }],
        products: [product()],
        orders,
      }),
    ],
    { ...s.env, ...extraEnv },
  );
  expect(load.code, load.stderr).toBe(0);
  // The sequence row exists, so that a run takes its numbers with a locking read that a test can hold up
  await s.db('sequences').insert({
    owner_company_id: (await s.db<{ id: number; code: string }>('companies').where('code', 'SUPA').first('id'))!.id,
    prefix: 'SUPA-',
    padding: 6,
    next_value: 1,
    issued: 0,
    created_at: 0,
    updated_at: 0,
  });
}

/**
 * Starts the command, holding the sequence row so that it stops inside its invoicing transaction (the
 * company and its orders locked and read), then applies the fault there and lets it finish.
 */
async function faultInsideInvoicing(s: Scratch, args: string[], fault: () => Promise<void>, env: Record<string, string> = {}): Promise<CliResult> {
  const holder = await mysql.createConnection(s.url);
  await holder.query('START TRANSACTION');
  await holder.query('SELECT * FROM sequences FOR UPDATE');
  const started = startCli(args, { ...s.env, ...env });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      // (not this query itself, whose text holds the pattern too)
      const [rows] = await holder.query(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%from `sequences`%for update%' AND ID <> CONNECTION_ID()",
      );
      if (Number((rows as Array<{ n: number }>)[0]!.n) > 0) break;
      if (Date.now() > deadline) throw new Error('the command never reached its invoicing transaction');
      await sleep(20);
    }
  } catch (err) {
    started.child.kill('SIGKILL');
    throw err;
  } finally {
    // A restart or a kill ends the holder's connection (and its lock) too
    await fault();
    await holder.end().catch(() => undefined);
  }
  return started.done;
}

async function expectGapFree(db: Knex, orders: number): Promise<string[]> {
  const numbers: string[] = await db<{ number: string }>('invoices').orderBy('number').pluck('number');
  expect(numbers).toEqual(numbers.map((_, i) => `SUPA-${String(i + 1).padStart(6, '0')}`));
  const seq = (await db<{ next_value: number; issued: number }>('sequences').first('next_value', 'issued'))!;
  expect([Number(seq.next_value), Number(seq.issued)]).toEqual([numbers.length + 1, numbers.length]);
  expect(await db('orders').whereNull('invoice_id').count({ n: '*' }).first()).toMatchObject({ n: 0 });
  // Every order on exactly one invoice's lines
  const perOrder: Array<{ n: number | string }> = await db('invoice_lines').select('order_id').countDistinct({ n: 'invoice_id' }).groupBy('order_id');
  expect(perOrder).toHaveLength(orders);
  expect(perOrder.every((r) => Number(r.n) === 1)).toBe(true);
  return numbers;
}

describe('a run when MariaDB goes away inside its invoicing transaction', () => {
  it.each(['clean', 'crash'] as const)('%s restart: the transaction rolls back, runs again once the server is back, and the run succeeds', async (how) => {
    const s = await scratch();
    await loadShop(s, 40);
    const ran = await faultInsideInvoicing(s, ['run', '--company', 'RETB', '--as', 'ann@supa.example', '--json'], () => server.restart(how));
    expect(ran.code, ran.stderr).toBe(0);
    const report = parseJsonOutput<{ invoices: Array<{ number: string }>; deliveries: Array<{ status: string }> }>(ran);
    const numbers = await expectGapFree(s.db, 40);
    expect(report.invoices.map((i) => i.number).sort()).toEqual(numbers);
    expect(report.deliveries.every((d) => d.status === 'sent')).toBe(true);
  });

  it("killed connections: a worker tick's transaction runs again, its runs succeed and deliver", async () => {
    const s = await scratch();
    await loadShop(s, 30);
    const tick = await faultInsideInvoicing(s, ['worker', '--once', '--at', '2026-11-21T12:00:00Z', '--json'], async () => {
      await server.killConnections();
    });
    expect(tick.code, tick.stdout + tick.stderr).toBe(0);
    const report = parseJsonOutput<{ ran: Array<{ invoices: string[]; deliveries: { sent: number; failed: number }; error?: string }> }>(tick);
    expect(report.ran).toHaveLength(1);
    const numbers = await expectGapFree(s.db, 30);
    expect(report.ran[0]).toMatchObject({ invoices: numbers, deliveries: { sent: numbers.length, failed: 0 } });
    expect(report.ran[0]!.error).toBeUndefined();
    expect(fs.readdirSync(path.join(s.dataDir, 'outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(numbers.length);
  });
});

describe('the outbox when MariaDB restarts between the SMTP answer and the record', () => {
  it('records the email sent once the server is back, and does not send it again', async () => {
    const s = await scratch();
    const smtp = await startSmtpServer();
    try {
      await loadShop(s, 1, { SMTP_URL: smtp.url });
      const hold = smtp.holdReplies();
      const { child, done } = startCli(['run', '--company', 'RETB', '--as', 'ann@supa.example', '--json'], { ...s.env, SMTP_URL: smtp.url });
      try {
        await Promise.race([hold.arrived(1, 60_000), done.then((r) => Promise.reject(new Error(`the run ended before its email arrived: ${r.stderr}`)))]);
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
      await server.halt('crash');
      hold.release();
      await sleep(1500);
      await server.start();
      const ran = await done;
      expect(ran.code, ran.stderr).toBe(0);
      expect(parseJsonOutput<{ deliveries: Array<{ status: string }> }>(ran).deliveries).toEqual([expect.objectContaining({ status: 'sent' })]);
      expect(await s.db('deliveries').pluck('status')).toEqual(['sent']);
      expect(smtp.messages).toHaveLength(1);
    } finally {
      await smtp.stop();
    }
  });
});

describe('serve', () => {
  it('keeps answering across killed connections and restarts, and stops cleanly', async () => {
    const s = await scratch();
    await loadShop(s, 3);
    const token = (await spawnCli(['tokens', 'create', '--label', 'faults'], s.env)).stdout.trim();
    const { child, done } = startCli(['serve', '--port', '0', '--json'], s.env);
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          const m = /"port":\s*(\d+)/.exec(d.toString());
          if (m) resolve(Number(m[1]));
        });
        void done.then((r) => reject(new Error(`serve exited: ${r.stderr}`)));
      });
      const get = async (url: string) => (await fetch(`http://127.0.0.1:${port}${url}`, { headers: { authorization: `Bearer ${token}` } })).status;
      const post = async (url: string, body: unknown) =>
        fetch(`http://127.0.0.1:${port}${url}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect(await get('/invoices')).toBe(200);
      await server.killConnections();
      // (once serve has seen its pooled connections close: a request in the same instant as the kill may
      // still be given one, and fail, as any request cut by a fault)
      await sleep(200);
      expect(await get('/invoices')).toBe(200);
      await server.restart('crash');
      expect(await get('/orders')).toBe(200);
      await server.halt('clean');
      // While the server is down a request fails, and says so, rather than waiting for ever
      expect(await get('/orders')).toBe(500);
      await server.start();
      const run = await post('/companies/RETB/runs', { as: 'ann@supa.example' });
      expect(run.status).toBe(200);
      expect(((await run.json()) as { invoices: unknown[] }).invoices.length).toBeGreaterThan(0);
      expect(child.exitCode).toBeNull();
    } finally {
      await server.start();
      child.kill('SIGTERM');
    }
    const stopped = await done;
    expect(stopped.code, stopped.stderr).toBe(0);
  });
});
