/**
 * Gap-free numbering under concurrency and crashes, with real processes running the real binary.
 */
import mysql from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJsonOutput, spawnCli, startCli } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { dropship, order, product, supplier, writeJson, type Json } from './support/fixtures.js';

interface RunJson {
  invoices: Array<{ number: string; currency: string; orders: string[]; total: string }>;
}

const item = (quantity: number, unitCostPrice: string): Json => ({ sku: 'TS-WHT-M', description: 'T-shirt', quantity, unitCostPrice, taxRate: '20' });

function companyOrders(company: string, n: number, uniqueEvery = 0): Json[] {
  return Array.from({ length: n }, (_, i) =>
    order(company, `${company}-${i}`, {
      currency: ['GBP', 'EUR', 'USD'][i % 3]!,
      uniqueInvoice: uniqueEvery > 0 && i % uniqueEvery === 0,
      onHold: i % 17 === 0,
      createdAt: `2026-11-0${1 + (i % 9)}T10:00:00Z`,
      items: [item(1 + (i % 5), `${i % 40}.${String(i % 100).padStart(2, '0')}`), item(2, '0.3333')],
    }),
  );
}

function expectContiguous(numbers: string[], prefix: string): void {
  const values = numbers.map((n) => Number(n.slice(prefix.length))).sort((a, b) => a - b);
  expect(new Set(values).size).toBe(values.length);
  expect(values).toEqual(values.map((_, i) => i + 1));
}

let t: TestDatabase | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

describe.each(['mariadb', 'sqlite'] as const)('concurrent runs on %s', (kind) => {
  it('8 processes running one company at once make exactly the invoices one run would', async () => {
    t = await createTestDatabase(kind);
    const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    const load = await spawnCli(
      [
        'load',
        writeJson({
          companies: [supplier('SUPA'), dropship('RETB', 'SUPA')],
          users: [{ email: 'ann@supa.example', name: 'Ann', primaryCompany: 'SUPA' }],
          products: [product()],
          orders: companyOrders('RETB', 400, 50),
        }),
      ],
      env,
    );
    expect(load.code, load.stderr).toBe(0);
    const preview = parseJsonOutput<RunJson>(await spawnCli(['run', '--company', 'RETB', '--as', 'ann@supa.example', '--dry-run', '--json'], env));
    expect(preview.invoices.length).toBeGreaterThan(3);

    const results = await Promise.all(Array.from({ length: 8 }, () => spawnCli(['run', '--company', 'RETB', '--as', 'ann@supa.example', '--json'], env)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const reports = results.map((r) => parseJsonOutput<RunJson>(r));
    // one run did all the work; the others found nothing left (never two halves)
    const working = reports.filter((r) => r.invoices.length > 0);
    expect(working).toHaveLength(1);
    expect(working[0]!.invoices).toEqual(preview.invoices);

    const invoiced = await t.db('orders').whereNotNull('invoice_id').count({ n: '*' }).first();
    const eligible = preview.invoices.reduce((s, i) => s + i.orders.length, 0);
    expect(Number((invoiced as { n: number }).n)).toBe(eligible);
    const numbers = (await t.db('invoices').select('number')).map((r: { number: string }) => r.number);
    expectContiguous(numbers, 'SUPA-');
    expect(numbers).toHaveLength(preview.invoices.length);
  });

  it('8 companies under one sequence owner at once share one contiguous run of numbers', async () => {
    t = await createTestDatabase(kind);
    const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    const codes = Array.from({ length: 8 }, (_, i) => `RET${i}`);
    const load = await spawnCli(
      [
        'load',
        writeJson({
          companies: [supplier('SUPA'), ...codes.map((c) => dropship(c, 'SUPA'))],
          users: [{ email: 'ann@supa.example', name: 'Ann', primaryCompany: 'SUPA' }],
          products: [product()],
          orders: codes.flatMap((c) => companyOrders(c, 60, 7)),
        }),
      ],
      env,
    );
    expect(load.code, load.stderr).toBe(0);
    const results = await Promise.all(codes.map((c) => spawnCli(['run', '--company', c, '--as', 'ann@supa.example', '--json'], env)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const issued = results.flatMap((r) => parseJsonOutput<RunJson>(r).invoices.map((i) => i.number));
    expectContiguous(issued, 'SUPA-');
    const stored = (await t.db('invoices').select('number')).map((r: { number: string }) => r.number).sort();
    expect(stored).toEqual([...issued].sort());
    const seq = await t.db('sequences').first('next_value', 'issued');
    expect([Number(seq.next_value), Number(seq.issued)]).toEqual([issued.length + 1, issued.length]);
  });
});

describe('a run killed inside its transaction', () => {
  it('on MariaDB consumes no number and marks no order; the next run takes the next number', async () => {
    t = await createTestDatabase('mariadb');
    const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    const load = await spawnCli(
      [
        'load',
        writeJson({
          companies: [supplier('SUPA'), dropship('RETB', 'SUPA')],
          users: [{ email: 'ann@supa.example', name: 'Ann', primaryCompany: 'SUPA' }],
          products: [product()],
          orders: companyOrders('RETB', 50),
        }),
      ],
      env,
    );
    expect(load.code, load.stderr).toBe(0);
    await t.db('sequences').insert({
      owner_company_id: (await t.db('companies').where('code', 'SUPA').first('id')).id,
      prefix: 'SUPA-',
      padding: 6,
      next_value: 1,
      issued: 0,
      created_at: 0,
      updated_at: 0,
    });

    // Hold the sequence row so the run stops inside its transaction, having locked the company and
    // read the orders, waiting for its numbers: then kill it there.
    const conn = await mysql.createConnection(t.url);
    await conn.query('START TRANSACTION');
    await conn.query('SELECT * FROM sequences FOR UPDATE');
    const { child, done } = startCli(['run', '--company', 'RETB', '--as', 'ann@supa.example', '--json'], env);
    const deadline = Date.now() + 30_000;
    for (;;) {
      // (not this query itself, whose text holds the pattern too)
      const [rows] = await conn.query(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%from `sequences`%for update%' AND ID <> CONNECTION_ID()",
      );
      if (Number((rows as Array<{ n: number }>)[0]!.n) > 0) break;
      if (Date.now() > deadline) {
        const [list] = await conn.query('SELECT STATE, INFO FROM information_schema.PROCESSLIST WHERE INFO IS NOT NULL AND ID <> CONNECTION_ID()');
        child.kill('SIGKILL');
        await conn.end();
        throw new Error(
          `the run never reached the sequence lock: ${JSON.stringify(list)} ${(await Promise.race([done, Promise.resolve(null)]))?.stderr ?? ''}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.code).toBe(137);
    await conn.query('ROLLBACK');
    await conn.end();

    const seq = await t.db('sequences').first('next_value', 'issued');
    expect([Number(seq.next_value), Number(seq.issued)]).toEqual([1, 0]);
    expect(await t.db('invoices').count({ n: '*' }).first()).toMatchObject({ n: 0 });
    expect(await t.db('orders').whereNotNull('invoice_id').count({ n: '*' }).first()).toMatchObject({ n: 0 });

    const again = await spawnCli(['run', '--company', 'RETB', '--as', 'ann@supa.example', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    const numbers = parseJsonOutput<RunJson>(again).invoices.map((i) => i.number);
    expect(numbers[0]).toBe('SUPA-000001');
    expectContiguous(numbers, 'SUPA-');
  });

  it('on SQLite, killed at any moment, leaves either the whole run or nothing', async () => {
    t = await createTestDatabase('sqlite');
    const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    const load = await spawnCli(
      [
        'load',
        writeJson({
          companies: [supplier('SUPA'), dropship('RETB', 'SUPA')],
          users: [{ email: 'ann@supa.example', name: 'Ann', primaryCompany: 'SUPA' }],
          products: [product()],
          orders: companyOrders('RETB', 3000),
        }),
      ],
      env,
    );
    expect(load.code, load.stderr).toBe(0);
    const { child, done } = startCli(['run', '--company', 'RETB', '--as', 'ann@supa.example', '--json'], env);
    // The process spends most of its life starting up and in the transaction; kill it part-way
    await new Promise((r) => setTimeout(r, 900));
    child.kill('SIGKILL');
    await done;
    const issued = Number(((await t.db('sequences').first('issued')) as { issued: number } | undefined)?.issued ?? 0);
    const invoices = Number(((await t.db('invoices').count({ n: '*' }).first()) as { n: number }).n);
    const marked = Number(((await t.db('orders').whereNotNull('invoice_id').count({ n: '*' }).first()) as { n: number }).n);
    expect(invoices).toBe(issued);
    if (invoices === 0) expect(marked).toBe(0);
    const again = await spawnCli(['run', '--company', 'RETB', '--as', 'ann@supa.example', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    const numbers = (await t.db('invoices').select('number')).map((r: { number: string }) => r.number);
    expectContiguous(numbers, 'SUPA-');
    const left = await t.db('orders').whereNull('invoice_id').where('on_hold', false).count({ n: '*' }).first();
    expect(Number((left as { n: number }).n)).toBe(0);
  });
});

describe('a load changing an order while a run invoices it (MariaDB)', () => {
  it('waits for the run, then refuses the change: an invoiced order stays as invoiced', async () => {
    t = await createTestDatabase('mariadb');
    const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    const orders = companyOrders('RETB', 20).map((o) => ({ ...(o as Record<string, Json>), onHold: false }));
    const load = await spawnCli(
      [
        'load',
        writeJson({
          companies: [supplier('SUPA'), dropship('RETB', 'SUPA')],
          users: [{ email: 'ann@supa.example', name: 'Ann', primaryCompany: 'SUPA' }],
          products: [product()],
          orders,
        }),
      ],
      env,
    );
    expect(load.code, load.stderr).toBe(0);
    await t.db('sequences').insert({
      owner_company_id: (await t.db('companies').where('code', 'SUPA').first('id')).id,
      prefix: 'SUPA-',
      padding: 6,
      next_value: 1,
      issued: 0,
      created_at: 0,
      updated_at: 0,
    });
    const before = await t.db('orders').where('number', 'RETB-3').first('shipping_minor');

    // The run stops inside its transaction (orders locked and read), waiting for the sequence row
    const conn = await mysql.createConnection(t.url);
    await conn.query('START TRANSACTION');
    await conn.query('SELECT * FROM sequences FOR UPDATE');
    const waitFor = async (pattern: string, what: string) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        // (not this query itself, whose text holds the pattern too)
        const [rows] = await conn.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()', [pattern]);
        if (Number((rows as Array<{ n: number }>)[0]!.n) > 0) return;
        if (Date.now() > deadline) {
          await conn.end(); // releases the sequence row, so that the database can be dropped
          throw new Error(`${what} never started waiting`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const run = startCli(['run', '--company', 'RETB', '--as', 'ann@supa.example', '--json'], env);
    let change: ReturnType<typeof startCli> | undefined;
    try {
      await waitFor('%from `sequences`%for update%', 'the run');
      // A load changing one of those orders must wait for the run (it locks the company first)
      change = startCli(['load', writeJson({ orders: [{ ...(orders[3] as Record<string, Json>), shippingCost: '99.99' }] })], env);
      await waitFor('%from `companies` where `id` in (%for update%', 'the load');
    } catch (error) {
      run.child.kill('SIGKILL');
      change?.child.kill('SIGKILL');
      throw error;
    }
    await conn.query('ROLLBACK');
    await conn.end();

    const ran = await run.done;
    expect(ran.code, ran.stderr).toBe(0);
    expect(parseJsonOutput<RunJson>(ran).invoices.flatMap((i) => i.orders)).toContain('RETB-3');
    const changed = await change.done;
    expect(changed.code, changed.stdout + changed.stderr).toBe(2);
    expect(changed.stderr).toMatch(/RETB-3 of RETB is already invoiced/);
    expect(await t.db('orders').where('number', 'RETB-3').first('shipping_minor')).toEqual(before);
  });
});
