/**
 * `load` against both databases: valid imports, upserts, Unicode, and bad input refused with exit code 2,
 * the JSON path in the message, and nothing written.
 */
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonOutput, runCli } from './support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { baseDataset, clone, dropship, order, product, supplier, writeJson, type ImportDoc, type Json } from './support/fixtures.js';

const TABLES = ['companies', 'users', 'products', 'product_tier_prices', 'sequences', 'integrations', 'orders', 'order_items', 'blobs'];

async function countAll(db: Knex): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = Number(((await db(t).count({ n: '*' }).first()) as { n: number | string }).n);
  return out;
}

type Mutation = (doc: ImportDoc) => ImportDoc | string;
const set =
  (fn: (doc: ImportDoc) => void): Mutation =>
  (doc) => {
    fn(doc);
    return doc;
  };
const orderAt = (doc: ImportDoc, i: number) => doc.orders![i] as Record<string, Json>;
const itemAt = (doc: ImportDoc, i: number, j: number) => (orderAt(doc, i).items as Array<Record<string, Json>>)[j]!;
const companyAt = (doc: ImportDoc, i: number) => doc.companies![i] as Record<string, Json>;

/** [what, mutation, expected JSON path in the message] */
const BAD_INPUTS: Array<[string, Mutation, string]> = [
  ['quantity as a string', set((d) => (itemAt(d, 0, 0).quantity = '2')), 'orders[0].items[0].quantity'],
  ['negative quantity', set((d) => (itemAt(d, 1, 0).quantity = -1)), 'orders[1].items[0].quantity'],
  ['fractional quantity', set((d) => (itemAt(d, 0, 0).quantity = 1.5)), 'orders[0].items[0].quantity'],
  ['price as a number', set((d) => (itemAt(d, 0, 0).unitCostPrice = 7.5)), 'orders[0].items[0].unitCostPrice'],
  ['negative price', set((d) => (itemAt(d, 0, 0).unitCostPrice = '-1.00')), 'orders[0].items[0].unitCostPrice'],
  ['price with 5 decimals', set((d) => (itemAt(d, 0, 0).unitCostPrice = '1.23456')), 'orders[0].items[0].unitCostPrice'],
  ['shipping with 3 decimals', set((d) => (orderAt(d, 0).shippingCost = '4.999')), 'orders[0].shippingCost'],
  ['unknown parent', set((d) => (companyAt(d, 1).parent = 'NOPE')), 'companies[1].parent'],
  [
    'cyclic parents',
    set((d) => {
      d.companies!.push(supplier('CYC1', { parent: 'CYC2' }), supplier('CYC2', { parent: 'CYC1' }));
    }),
    'companies[3].parent',
  ],
  [
    'unknown SKU without a price',
    set((d) => {
      itemAt(d, 0, 0).sku = 'NO-SUCH-SKU';
      delete itemAt(d, 0, 0).unitCostPrice;
    }),
    'orders[0].items[0].unitCostPrice',
  ],
  [
    'known SKU with no tier price and no cost price',
    set((d) => {
      d.products = [product('TS-WHT-M', { costPrice: null, tradeTierPrices: { silver: '1.00' } })];
      delete itemAt(d, 0, 0).unitCostPrice;
    }),
    'orders[0].items[0].unitCostPrice',
  ],
  ['bad currency', set((d) => (orderAt(d, 0).currency = 'XYZ')), 'orders[0].currency'],
  ['lower-case currency', set((d) => (orderAt(d, 1).currency = 'gbp')), 'orders[1].currency'],
  ['bad timezone', set((d) => (companyAt(d, 1).timezone = 'Mars/Olympus')), 'companies[1].timezone'],
  [
    'BCC with spaces',
    set((d) => {
      companyAt(d, 1).integrations = [{ type: 'pdf-emailer', enabled: true, emailTo: 'ap@retailer-b.example', emailBcc: 'a@x.example, b@y.example' }];
    }),
    'companies[1].integrations[0].emailBcc',
  ],
  ['5 MB string', set((d) => (companyAt(d, 1).name = 'x'.repeat(5 * 1024 * 1024))), 'companies[1].name'],
  ['malformed JSON', () => '{"companies": [ {"code": "SUPA", }', ''],
  ['CR/LF in a name', set((d) => (companyAt(d, 0).name = 'Evil\r\nBcc: victim@example.com')), 'companies[0].name'],
  ['duplicate order numbers in one file', set((d) => (orderAt(d, 1).number = 'B-1001')), 'orders[1].number'],
  ['bad country code', set((d) => ((companyAt(d, 0).address as Record<string, Json>).country = 'XX')), 'companies[0].address.country'],
  ['bad company code', set((d) => (companyAt(d, 0).code = 'sup a')), 'companies[0].code'],
  ['unknown company type', set((d) => (companyAt(d, 0).type = 'retailer')), 'companies[0].type'],
  ['order for an unknown company', set((d) => (orderAt(d, 1).company = 'GHOST')), 'orders[1].company'],
  ['order for a supplier company', set((d) => (orderAt(d, 1).company = 'SUPA')), 'orders[1].company'],
  ['unknown order status', set((d) => (orderAt(d, 0).status = 'shipped')), 'orders[0].status'],
  ['bad createdAt', set((d) => (orderAt(d, 0).createdAt = '2026-02-30T10:00:00Z')), 'orders[0].createdAt'],
  ['createdAt without a time zone', set((d) => (orderAt(d, 0).createdAt = '2026-11-02T10:00:00')), 'orders[0].createdAt'],
  ['order with no items', set((d) => (orderAt(d, 0).items = [])), 'orders[0].items'],
  ['tax rate above 100', set((d) => (itemAt(d, 0, 0).taxRate = '120')), 'orders[0].items[0].taxRate'],
  ['unknown field', set((d) => (orderAt(d, 0).colour = 'red')), 'orders[0].colour'],
  ['user with unknown primary company', set((d) => ((d.users![0] as Record<string, Json>).primaryCompany = 'NOPE')), 'users[0].primaryCompany'],
  ['invalid IBAN', set((d) => ((companyAt(d, 1).invoicing as Record<string, Json>).iban = 'GB00BUKB20201555555555')), 'companies[1].invoicing.iban'],
  [
    'logo that is not an image',
    set((d) => ((companyAt(d, 1).invoicing as Record<string, Json>).logo = 'data:image/png;base64,aGVsbG8=')),
    'companies[1].invoicing.logo',
  ],
  [
    'sftp integration without a pinned host key',
    set((d) => {
      companyAt(d, 1).integrations = [{ type: 'xml-sftp', enabled: true, target: 'sftp://acct@127.0.0.1:2222/inbox', privateKeyFile: '/k' }];
    }),
    'companies[1].integrations[0].hostKeySha256',
  ],
  [
    'bad schedule',
    set((d) => (companyAt(d, 1).integrations = [{ type: 'pdf-emailer', emailTo: 'a@b.example', schedule: 'fortnightly' }])),
    'companies[1].integrations[0].schedule',
  ],
  ['top level is an array', () => '[]', ''],
  ['orders is not an array', set((d) => ((d as Record<string, Json>).orders = { a: 1 })), 'orders'],
];

describe.each(databaseKinds)('load on %s', (kind) => {
  let t: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    const r = await runCli(['load', writeJson(baseDataset())], env);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => t.destroy());

  it('loads the SPEC example with the right counts and prices the item from the trade tier', async () => {
    const counts = await countAll(t.db);
    expect(counts).toMatchObject({ companies: 2, users: 1, products: 1, product_tier_prices: 1, sequences: 1, orders: 2, order_items: 2, blobs: 1 });
    const doc = baseDataset();
    delete itemAt(doc, 0, 0).unitCostPrice;
    orderAt(doc, 0).number = 'B-2000';
    doc.orders = [doc.orders![0]!];
    const r = await runCli(['load', '--json', writeJson(doc)], env);
    expect(r.code, r.stderr).toBe(0);
    const list = parseJsonOutput<{ items: Array<{ number: string; items: Array<{ unitCostPrice: string }> }>; count: number }>(
      await runCli(['orders', 'list', '--json', '--search', 'B-2000'], env),
    );
    expect(list.count).toBe(1);
    // RETB's trade tier is gold: 6.90, not the product's cost price 7.50
    expect(list.items[0]!.items[0]!.unitCostPrice).toBe('6.90');
  });

  it('upserts by natural key: loading the same file twice changes nothing', async () => {
    const before = await countAll(t.db);
    const r = await runCli(['load', '--json', writeJson(baseDataset())], env);
    expect(r.code, r.stderr).toBe(0);
    const summary = parseJsonOutput<{ orders: { inserted: number; updated: number } }>(r);
    expect(summary.orders).toMatchObject({ inserted: 0, updated: 2 });
    expect(await countAll(t.db)).toEqual(before);
  });

  it('keeps Łódź, Жарков, Ελληνικά and 東京 intact', async () => {
    const names = ['Łódź Trading', 'Жарков и сыновья', 'Ελληνικά Είδη', '東京商事'];
    const doc: ImportDoc = {
      companies: names.map((name, i) => dropship(`UNI${i}`, 'SUPA', { name })),
      orders: names.map((name, i) =>
        order(`UNI${i}`, `U-${i}`, {
          relatingTo: name,
          items: [{ sku: 'TS-WHT-M', description: `${name} — ✓`, quantity: 1, unitCostPrice: '1.00', taxRate: '20' }],
        }),
      ),
    };
    const r = await runCli(['load', writeJson(doc)], env);
    expect(r.code, r.stderr).toBe(0);
    for (let i = 0; i < names.length; i++) {
      const list = parseJsonOutput<{ items: Array<{ relatingTo: string; items: Array<{ description: string }> }> }>(
        await runCli(['orders', 'list', '--json', '--company', `UNI${i}`], env),
      );
      expect(list.items[0]!.relatingTo).toBe(names[i]);
      expect(list.items[0]!.items[0]!.description).toBe(`${names[i]} — ✓`);
      const row = await t.db('companies').where('code', `UNI${i}`).first<{ name: string }>('name');
      expect(row.name).toBe(names[i]);
    }
    // search finds non-ASCII text too
    const found = parseJsonOutput<{ count: number }>(await runCli(['orders', 'list', '--json', '--search', '東京'], env));
    expect(found.count).toBe(1);
  });

  it.each(BAD_INPUTS)('refuses %s with exit 2, the path, and nothing written', async (_what, mutate, expectedPath) => {
    const doc = baseDataset();
    // new records alongside the bad one: none of them may be written either
    doc.companies!.push(dropship('NEWCO', 'SUPA'));
    doc.orders!.push(order('NEWCO', 'N-1'));
    const mutated = mutate(clone(doc));
    const before = await countAll(t.db);
    const r = await runCli(['load', '--json', writeJson(mutated)], env);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const out = parseJsonOutput<{ error: { code: string; message: string; problems: Array<{ path: string; message: string }> } }>(r);
    expect(out.error.code).toBe('INPUT');
    if (expectedPath) {
      expect(out.error.problems.map((p) => p.path)).toContain(expectedPath);
      expect(r.stderr).toContain(expectedPath);
    } else {
      expect(r.stderr).toMatch(/not valid JSON|must be a JSON object/);
    }
    expect(await countAll(t.db)).toEqual(before);
    expect(await t.db('companies').where('code', 'NEWCO').first()).toBeUndefined();
  });

  it('reports every problem in a file at once', async () => {
    const doc = baseDataset();
    itemAt(doc, 0, 0).quantity = 0;
    orderAt(doc, 1).currency = 'EURO';
    const r = await runCli(['load', '--json', writeJson(doc)], env);
    expect(r.code).toBe(2);
    const paths = parseJsonOutput<{ error: { problems: Array<{ path: string }> } }>(r).error.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['orders[0].items[0].quantity', 'orders[1].currency']));
  });

  it('is all-or-nothing across several files', async () => {
    const good = writeJson({ companies: [dropship('TWOFILE', 'SUPA')] });
    const bad = writeJson({ orders: [order('TWOFILE', 'T-1', { status: 'lost' })] });
    const before = await countAll(t.db);
    const r = await runCli(['load', good, bad], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('orders[0].status');
    expect(await countAll(t.db)).toEqual(before);
  });

  it('refuses a file that does not exist with exit 2', async () => {
    const r = await runCli(['load', '/nonexistent/file.json'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/nonexistent/file.json');
  });
});
