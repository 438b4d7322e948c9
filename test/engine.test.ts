/**
 * The invoicing engine on both databases: eligibility and skip counts, exact totals checked by hand,
 * sequence owners, dry runs, refusals, immutability of invoiced orders, and batching.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../src/pipeline/run-report.js';
import { invoiceAsOf } from '../bench/invoice-as-of.js';
import { resolveParties } from '../src/pipeline/resolve-parties.js';
import { parseJsonOutput, runCli } from './support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { dropship, order, product, supplier, writeJson, type ImportDoc, type Json } from './support/fixtures.js';

const AT = Date.parse('2026-11-21T12:00:00Z');

const item = (sku: string, quantity: number, unitCostPrice: string, taxRate: string, description = sku): Json => ({
  sku,
  description,
  quantity,
  unitCostPrice,
  taxRate,
});

function dataset(): ImportDoc {
  return {
    companies: [
      { code: 'ADM1', name: 'Admin One', type: 'admin', parent: null },
      supplier('SUPA', { parent: 'ADM1', sequence: { prefix: 'SUPA-', padding: 6, next: 1 } }),
      dropship('RETB', 'SUPA'),
      dropship('RETC', 'SUPA', { timezone: 'Asia/Tokyo', invoicing: { currency: 'JPY', paymentTermsDays: 14, layout: 'individual' } }),
      { code: 'ADM2', name: 'Admin Two', type: 'admin', parent: null, sharedSequence: true },
      supplier('SUPX', { parent: 'ADM2' }),
      dropship('RETX', 'SUPX', {
        integrations: [{ type: 'pdf-emailer', enabled: true, emailTo: 'ap@retx.example', startingFrom: '2026-11-01', includeOrdersWithErrors: false }],
      }),
      dropship('ORPH', 'ADM2'),
    ],
    users: [
      { email: 'ann@supa.example', name: 'Ann', primaryCompany: 'SUPA' },
      { email: 'bob@retc.example', name: 'Bob', primaryCompany: 'RETC' },
      { email: 'nop@nowhere.example', name: 'Nop', primaryCompany: null },
    ],
    products: [product('TS-WHT-M'), product('MUG', { name: 'Mug', taxRate: '5', costPrice: '3.3333', tradeTierPrices: {} })],
    orders: [
      // RETB: 3 GBP orders, 1 EUR, 1 unique GBP, and one of each skip reason, one in the future
      order('RETB', 'B-1', {
        createdAt: '2026-11-02T10:00:00Z',
        shippingCost: '4.99',
        items: [item('TS-WHT-M', 2, '7.50', '20'), item('MUG', 3, '3.3333', '5')],
      }),
      order('RETB', 'B-2', { createdAt: '2026-11-03T10:00:00Z', shippingCost: '0.00', items: [item('ZERO', 1, '10.00', '0')] }),
      order('RETB', 'B-3', {
        createdAt: '2026-11-04T10:00:00Z',
        shippingCost: '1.01',
        status: 'completed',
        relatingTo: 'shop.example',
        items: [item('TS-WHT-M', 1, '0.0050', '20')],
      }),
      order('RETB', 'B-4', { createdAt: '2026-11-05T10:00:00Z', currency: 'EUR', shippingCost: '2.50', items: [item('TS-WHT-M', 4, '1.2345', '20')] }),
      order('RETB', 'B-5', { createdAt: '2026-11-06T10:00:00Z', uniqueInvoice: true, shippingCost: '0.00', items: [item('MUG', 1, '9.99', '17.5')] }),
      order('RETB', 'B-HOLD', { onHold: true, hasErrors: true }),
      order('RETB', 'B-ERR', { hasErrors: true, errorText: 'address invalid' }),
      order('RETB', 'B-CXL', { status: 'cancelled' }),
      order('RETB', 'B-PROC', { status: 'processing' }),
      order('RETB', 'B-REV', { status: 'under_review' }),
      order('RETB', 'B-FUT', { createdAt: '2026-12-01T00:00:00Z' }),
      // RETC (Tokyo, JPY): one order
      order('RETC', 'C-1', { currency: 'JPY', shippingCost: '0.00', items: [item('MUG', 2, '500', '10')] }),
      // RETX: one before the integration's startingFrom, two after
      order('RETX', 'X-OLD', { createdAt: '2026-10-31T23:59:59Z' }),
      order('RETX', 'X-1', { createdAt: '2026-11-01T00:00:00Z' }),
      order('RETX', 'X-2', { createdAt: '2026-11-10T00:00:00Z' }),
      order('ORPH', 'O-1'),
    ],
  };
}

describe.each(databaseKinds)('invoicing engine on %s', (kind) => {
  let t: TestDatabase;
  let env: Record<string, string>;
  const cli = (args: string[], at = AT) => runCli(args, env, { at });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    const r = await cli(['load', writeJson(dataset())]);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => t.destroy());

  it('a dry run shows the invoices and consumes no number', async () => {
    const r = await cli(['run', '--company', 'RETB', '--as', 'ann@supa.example', '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = parseJsonOutput<RunReport>(r);
    expect(report.invoices.map((i) => i.number)).toEqual(['SUPA-000001', 'SUPA-000002', 'SUPA-000003']);
    expect(await t.db('invoices').count({ n: '*' }).first()).toMatchObject({ n: 0 });
    expect(
      Number(
        (
          await t
            .db('sequences')
            .join('companies', 'companies.id', 'sequences.owner_company_id')
            .where('code', 'SUPA')
            .first<{ next_value: number }>('next_value')
        ).next_value,
      ),
    ).toBe(1);
    expect(await t.db('orders').whereNotNull('invoice_id').count({ n: '*' }).first()).toMatchObject({ n: 0 });
  });

  it('a manual run invoices per currency plus unique orders, with hand-checked totals and skip counts', async () => {
    const r = await cli(['run', '--company', 'RETB', '--as', 'ann@supa.example', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = parseJsonOutput<RunReport>(r);
    expect(report.company).toBe('RETB');
    expect(report.mode).toBe('manual');
    expect(report.skipped).toEqual({ onHold: 1, withErrors: 1, beforeStartingFrom: 0, cancelled: 1, notDispatched: 2 });
    // EUR sorts before GBP; the unique-invoice order comes last
    expect(report.invoices).toEqual([
      // B-4: 4 × 1.2345 = 4.938 → 4.94, + 2.50 shipping = 7.44; tax 20 % = 1.488 → 1.49
      { number: 'SUPA-000001', currency: 'EUR', orders: ['B-4'], lines: 1, net: '7.44', tax: '1.49', total: '8.93', layout: 'combined' },
      // B-1: 2 × 7.50 = 15.00 + 4.99 = 19.99 (20 %); 3 × 3.3333 = 9.9999 → 10.00 (5 %)
      // B-2: 10.00 (0 %); B-3: 1 × 0.0050 = 0.005 → 0.01, + 1.01 = 1.02 (20 %)
      // 20 %: 19.99 + 1.02 = 21.01 → tax 4.202 → 4.20; 5 %: 10.00 → 0.50; 0 %: 0
      { number: 'SUPA-000002', currency: 'GBP', orders: ['B-1', 'B-2', 'B-3'], lines: 4, net: '41.01', tax: '4.70', total: '45.71', layout: 'combined' },
      // B-5: 9.99 at 17.5 % = 1.74825 → 1.75
      { number: 'SUPA-000003', currency: 'GBP', orders: ['B-5'], lines: 1, net: '9.99', tax: '1.75', total: '11.74', layout: 'combined' },
    ]);
    const lines = await t
      .db('invoice_lines as l')
      .join('invoices as i', 'i.id', 'l.invoice_id')
      .where('i.number', 'SUPA-000002')
      .orderBy('l.position')
      .select<Array<{ order_number: string; net_minor: number; shipping_minor: number | null; description: string }>>('l.*');
    expect(lines.map((l) => [l.order_number, Number(l.net_minor), l.shipping_minor === null ? null : Number(l.shipping_minor), l.description])).toEqual([
      ['B-1', 1999, 499, 'TS-WHT-M'],
      ['B-1', 1000, null, 'MUG'],
      ['B-2', 1000, 0, 'ZERO'],
      ['B-3', 102, 101, 'TS-WHT-M (for shop.example)'],
    ]);
    const inv = await t.db('invoices').where('number', 'SUPA-000002').first<{ issue_date: string; due_date: string; mode: string }>();
    expect([inv.issue_date, inv.due_date, inv.mode]).toEqual(['2026-11-21', '2026-12-21', 'manual']);
  });

  it('a second run finds nothing, consumes no number, and says so', async () => {
    const r = await cli(['run', '--company', 'RETB', '--as', 'ann@supa.example', '--json']);
    expect(r.code).toBe(0);
    const report = parseJsonOutput<RunReport>(r);
    expect(report.invoices).toEqual([]);
    const human = await cli(['run', '--company', 'RETB', '--as', 'ann@supa.example']);
    expect(human.stdout).toContain('nothing to invoice');
    const seq = await t
      .db('sequences as s')
      .join('companies as c', 'c.id', 's.owner_company_id')
      .where('c.code', 'SUPA')
      .first<{ next_value: number; issued: number }>('s.next_value', 's.issued');
    expect([Number(seq.next_value), Number(seq.issued)]).toEqual([4, 3]);
  });

  it('--include-errors picks up orders with errors (but never on-hold ones)', async () => {
    const report = parseJsonOutput<RunReport>(await cli(['run', '--company', 'RETB', '--as', 'ann@supa.example', '--include-errors', '--json']));
    expect(report.invoices.map((i) => [i.number, i.orders])).toEqual([['SUPA-000004', ['B-ERR']]]);
    expect(report.skipped.onHold).toBe(1);
  });

  it("a manual run numbers from the user's primary company, dated in the buyer's time zone", async () => {
    // 23:30 UTC on the 21st is already the 22nd in Tokyo
    const report = parseJsonOutput<RunReport>(
      await cli(['run', '--company', 'RETC', '--as', 'bob@retc.example', '--json'], Date.parse('2026-11-21T23:30:00Z')),
    );
    expect(report.invoices.map((i) => [i.number, i.currency, i.net, i.tax, i.layout])).toEqual([['RETC-000001', 'JPY', '1000.00', '100.00', 'individual']]);
    const inv = await t.db('invoices').where('number', 'RETC-000001').first<{ issue_date: string; due_date: string; seller_id: number }>();
    expect([inv.issue_date, inv.due_date]).toEqual(['2026-11-22', '2026-12-06']);
    const seller = await t.db('companies').where('id', inv.seller_id).first<{ code: string }>('code');
    expect(seller.code).toBe('SUPA');
  });

  it("an automatic run numbers from the admin's shared sequence and applies the integration's startingFrom", async () => {
    const r = await cli(['run', '--company', 'RETX', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = parseJsonOutput<RunReport>(r);
    expect(report.mode).toBe('auto');
    expect(report.invoices.map((i) => [i.number, i.orders])).toEqual([['ADM2-000001', ['X-1', 'X-2']]]);
    expect(report.skipped.beforeStartingFrom).toBe(1);
    const deliveries = await t.db('deliveries').count({ n: '*' }).first();
    expect(Number((deliveries as { n: number }).n)).toBe(1);
  });

  it('a company with no enabled integration has nothing to do on an automatic run', async () => {
    const r = await cli(['run', '--company', 'RETB']);
    expect(r.code).toBe(0);
  });

  it.each([
    ['unknown company', ['run', '--company', 'NOPE', '--as', 'ann@supa.example'], 'unknown company'],
    ['a supplier company', ['run', '--company', 'SUPA', '--as', 'ann@supa.example'], 'supplier'],
    ['an admin company', ['run', '--company', 'ADM1'], 'admin'],
    ['a user without a primary company', ['run', '--company', 'RETB', '--as', 'nop@nowhere.example'], 'no primary company'],
    ['an unknown user', ['run', '--company', 'RETB', '--as', 'who@nowhere.example'], 'unknown user'],
    ['a company with no supplier ancestor', ['run', '--company', 'ORPH', '--as', 'ann@supa.example'], 'no supplier'],
    ['a bad --from', ['run', '--company', 'RETB', '--as', 'ann@supa.example', '--from', 'yesterday'], '--from'],
  ])('refuses %s with exit 2 and writes nothing', async (_what, args, message) => {
    const before = await t.db('invoices').count({ n: '*' }).first();
    const r = await cli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(await t.db('invoices').count({ n: '*' }).first()).toEqual(before);
  });

  it('refuses to change an invoiced order on load, but accepts it unchanged', async () => {
    const doc = dataset();
    const same = await cli(['load', '--json', writeJson({ orders: [doc.orders![0]!] })]);
    expect(same.code, same.stderr).toBe(0);
    expect(parseJsonOutput<{ orders: { unchanged: number } }>(same).orders.unchanged).toBe(1);
    const changed = { ...(doc.orders![0] as Record<string, Json>), shippingCost: '0.00' };
    const r = await cli(['load', writeJson({ orders: [changed] })]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('orders[0]');
    expect(r.stderr).toContain('already invoiced');
  });

  it('freezes a sequence once it has issued a number, but accepts its settings loaded again unchanged', async () => {
    const r = await cli(['load', writeJson({ companies: [supplier('SUPA', { parent: 'ADM1', sequence: { prefix: 'NEW-', padding: 6, next: 1 } })] })]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('companies[0].sequence.prefix');
    const restart = await cli(['load', writeJson({ companies: [supplier('SUPA', { parent: 'ADM1', sequence: { prefix: 'SUPA-', padding: 6, next: 2 } })] })]);
    expect(restart.code).toBe(2);
    expect(restart.stderr).toContain('companies[0].sequence.next');
    const same = await cli(['load', writeJson({ companies: [supplier('SUPA', { parent: 'ADM1', sequence: { prefix: 'SUPA-', padding: 6, next: 1 } })] })]);
    expect(same.code, same.stderr).toBe(0);
  });

  it('issues numbers that are unique and contiguous per sequence', async () => {
    const rows = await t
      .db('invoices as i')
      .join('companies as c', 'c.id', 'i.sequence_owner_id')
      .select<Array<{ number: string; code: string }>>('i.number', 'c.code')
      .orderBy('i.id');
    const byOwner = new Map<string, string[]>();
    for (const r of rows) byOwner.set(r.code, [...(byOwner.get(r.code) ?? []), r.number]);
    expect(Object.fromEntries(byOwner)).toEqual({
      SUPA: ['SUPA-000001', 'SUPA-000002', 'SUPA-000003', 'SUPA-000004'],
      RETC: ['RETC-000001'],
      ADM2: ['ADM2-000001'],
    });
  });

  it('issues a number of queries that grows by batches of at least 500 orders, not per order', async () => {
    const orders = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) =>
        order('RETB', `${prefix}-${i}`, { createdAt: '2026-11-10T00:00:00Z', items: [item('TS-WHT-M', 1, '1.00', '20'), item('MUG', 1, '1.00', '5')] }),
      );
    const counts: number[] = [];
    for (const [n, prefix] of [
      [600, 'Q1'],
      [2400, 'Q2'],
    ] as const) {
      const r = await cli(['load', writeJson({ orders: orders(n, prefix) })]);
      expect(r.code, r.stderr).toBe(0);
      const parties = await resolveParties(t.db, 'RETB', 'ann@supa.example');
      const result = await invoiceAsOf(t.db, parties, 'manual', AT);
      expect(result.invoices[0]!.orders).toHaveLength(n);
      const lines = 2 * n;
      expect(result.queries).toBeLessThanOrEqual(10 + Math.ceil(lines / 500) + Math.ceil(n / 500));
      counts.push(result.queries);
    }
    // four times the orders: at most a handful more queries
    expect(counts[1]! - counts[0]!).toBeLessThanOrEqual(Math.ceil((2 * 1800) / 500) + Math.ceil(1800 / 500));
  });
});
