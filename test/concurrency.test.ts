/**
 * Gap-free numbering under concurrency and crashes, with real processes running the real binary.
 */
import type { Knex } from 'knex';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../src/pipeline/run-report.js';
import { parseJsonOutput, spawnCli, startCli } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { dropship, order, product, supplier, writeJson, type Json } from './support/fixtures.js';
import { holdSequenceRows, killAtSequenceLock, SEQUENCE_LOCK, waitForStatement } from './support/sequence-lock.js';

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

/** `run --company C` as Ann, SUPA's user, in JSON */
const runArgs = (company: string, ...more: string[]) => ['run', '--company', company, '--as', 'ann@supa.example', ...more, '--json'];

/** Loads these companies (SUPA and RETB by default) with Ann, the product and the orders. */
async function loadCompanies(env: Record<string, string>, orders: Json[], companies: Json[] = [supplier('SUPA'), dropship('RETB', 'SUPA')]): Promise<void> {
  const load = await spawnCli(
    ['load', writeJson({ companies, users: [{ email: 'ann@supa.example', name: 'Ann', primaryCompany: 'SUPA' }], products: [product()], orders })],
    env,
  );
  expect(load.code, load.stderr).toBe(0);
}

/** SUPA's sequence, made before any run (so that the tests can hold its row locked). */
async function createSequence(db: Knex): Promise<void> {
  const supa = await db('companies').where('code', 'SUPA').first<{ id: number }>('id');
  await db('sequences').insert({ owner_company_id: supa.id, prefix: 'SUPA-', padding: 6, next_value: 1, issued: 0, created_at: 0, updated_at: 0 });
}

/** How many rows the query matches */
const countOf = async (query: Knex.QueryBuilder): Promise<number> => Number((await query.count({ n: '*' }).first<{ n: number | string }>()).n);

const invoiceNumbers = async (db: Knex): Promise<string[]> => (await db('invoices').select<Array<{ number: string }>>('number')).map((r) => r.number);

/** SUPA's counter: [next value, numbers issued] */
async function counter(db: Knex): Promise<[number, number]> {
  const seq = await db('sequences').first<{ next_value: number | string; issued: number | string }>('next_value', 'issued');
  return [Number(seq.next_value), Number(seq.issued)];
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
    await loadCompanies(env, companyOrders('RETB', 400, 50));
    const preview = parseJsonOutput<RunReport>(await spawnCli(runArgs('RETB', '--dry-run'), env));
    expect(preview.invoices.length).toBeGreaterThan(3);

    const results = await Promise.all(Array.from({ length: 8 }, () => spawnCli(runArgs('RETB'), env)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const reports = results.map((r) => parseJsonOutput<RunReport>(r));
    // one run did all the work; the others found nothing left (never two halves)
    const working = reports.filter((r) => r.invoices.length > 0);
    expect(working).toHaveLength(1);
    expect(working[0]!.invoices).toEqual(preview.invoices);

    const eligible = preview.invoices.reduce((s, i) => s + i.orders.length, 0);
    expect(await countOf(t.db('orders').whereNotNull('invoice_id'))).toBe(eligible);
    const numbers = await invoiceNumbers(t.db);
    expectContiguous(numbers, 'SUPA-');
    expect(numbers).toHaveLength(preview.invoices.length);
  });

  it('8 companies under one sequence owner at once share one contiguous run of numbers', async () => {
    t = await createTestDatabase(kind);
    const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    const codes = Array.from({ length: 8 }, (_, i) => `RET${i}`);
    await loadCompanies(
      env,
      codes.flatMap((c) => companyOrders(c, 60, 7)),
      [supplier('SUPA'), ...codes.map((c) => dropship(c, 'SUPA'))],
    );
    const results = await Promise.all(codes.map((c) => spawnCli(runArgs(c), env)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const issued = results.flatMap((r) => parseJsonOutput<RunReport>(r).invoices.map((i) => i.number));
    expectContiguous(issued, 'SUPA-');
    const stored = (await invoiceNumbers(t.db)).sort();
    expect(stored).toEqual([...issued].sort());
    expect(await counter(t.db)).toEqual([issued.length + 1, issued.length]);
  });
});

describe('a run killed inside its transaction', () => {
  it('on MariaDB consumes no number and marks no order; the next run takes the next number', async () => {
    t = await createTestDatabase('mariadb');
    const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    await loadCompanies(env, companyOrders('RETB', 50));
    await createSequence(t.db);

    // The run stops inside its transaction, having locked the company and read the orders, waiting for
    // its numbers: it is killed there
    const killed = await killAtSequenceLock(t.url, runArgs('RETB'), env);
    expect(killed.code).toBe(137);

    expect(await counter(t.db)).toEqual([1, 0]);
    expect(await t.db('invoices').count({ n: '*' }).first()).toMatchObject({ n: 0 });
    expect(await t.db('orders').whereNotNull('invoice_id').count({ n: '*' }).first()).toMatchObject({ n: 0 });

    const again = await spawnCli(runArgs('RETB'), env);
    expect(again.code, again.stderr).toBe(0);
    const numbers = parseJsonOutput<RunReport>(again).invoices.map((i) => i.number);
    expect(numbers[0]).toBe('SUPA-000001');
    expectContiguous(numbers, 'SUPA-');
  });

  it('on SQLite, killed at any moment, leaves either the whole run or nothing', async () => {
    t = await createTestDatabase('sqlite');
    const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    await loadCompanies(env, companyOrders('RETB', 3000));
    const { child, done } = startCli(runArgs('RETB'), env);
    // The process spends most of its life starting up and in the transaction; kill it part-way
    await new Promise((r) => setTimeout(r, 900));
    child.kill('SIGKILL');
    await done;
    const issued = Number((await t.db('sequences').first<{ issued: number } | undefined>('issued'))?.issued ?? 0);
    const invoices = await countOf(t.db('invoices'));
    const marked = await countOf(t.db('orders').whereNotNull('invoice_id'));
    expect(invoices).toBe(issued);
    if (invoices === 0) expect(marked).toBe(0);
    const again = await spawnCli(runArgs('RETB'), env);
    expect(again.code, again.stderr).toBe(0);
    expectContiguous(await invoiceNumbers(t.db), 'SUPA-');
    expect(await countOf(t.db('orders').whereNull('invoice_id').where('on_hold', false))).toBe(0);
  });
});

describe('a load changing an order while a run invoices it (MariaDB)', () => {
  it('waits for the run, then refuses the change: an invoiced order stays as invoiced', async () => {
    t = await createTestDatabase('mariadb');
    const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    const orders = companyOrders('RETB', 20).map((o) => ({ ...(o as Record<string, Json>), onHold: false }));
    await loadCompanies(env, orders);
    await createSequence(t.db);
    const before: unknown = await t.db('orders').where('number', 'RETB-3').first('shipping_minor');

    // The run stops inside its transaction (orders locked and read), waiting for the sequence row
    const conn = await holdSequenceRows(t.url);
    const run = startCli(runArgs('RETB'), env);
    let change: ReturnType<typeof startCli> | undefined;
    try {
      await waitForStatement(conn, SEQUENCE_LOCK, 'the run');
      // A load changing one of those orders must wait for the run (it locks the company first)
      change = startCli(['load', writeJson({ orders: [{ ...(orders[3] as Record<string, Json>), shippingCost: '99.99' }] })], env);
      await waitForStatement(conn, '%from `companies` where `id` in (%for update%', 'the load');
    } catch (error) {
      run.child.kill('SIGKILL');
      change?.child.kill('SIGKILL');
      throw error;
    }
    await conn.query('ROLLBACK');
    await conn.end();

    const ran = await run.done;
    expect(ran.code, ran.stderr).toBe(0);
    expect(parseJsonOutput<RunReport>(ran).invoices.flatMap((i) => i.orders)).toContain('RETB-3');
    const changed = await change.done;
    expect(changed.code, changed.stdout + changed.stderr).toBe(2);
    expect(changed.stderr).toMatch(/RETB-3 of RETB is already invoiced/);
    expect(await t.db('orders').where('number', 'RETB-3').first('shipping_minor')).toEqual(before);
  });
});
