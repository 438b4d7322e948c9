/**
 * A one-order save, a one-integration save and a small load read only the companies they touch (the
 * order's company and its ancestors, the companies named), never the whole companies table: observed
 * through knex's query events on both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { importFileSchema } from '../../src/import/import-schema.js';
import { loadImport } from '../../src/import/load-import.js';
import { saveIntegration } from '../../src/import/save-integration.js';
import { saveOrder, updateOrder } from '../../src/import/save-order.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases.js';
import { dropship, order, product, supplier, type ImportDoc } from '../support/fixtures.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
/** Companies that none of the saves below touch */
const OTHERS = 40;

interface Statement {
  sql: string;
  rows: number;
}

describe.each(databaseKinds)('what a save reads on %s', (kind) => {
  let t: TestDatabase;

  /** The statements `fn` issues that touch the companies table, with the rows each returned. */
  async function companyStatements(fn: () => Promise<unknown>): Promise<Statement[]> {
    const seen: Statement[] = [];
    const onResponse = (response: unknown, query: { sql: string }) => {
      if (/\bcompanies\b/.test(query.sql)) seen.push({ sql: query.sql, rows: Array.isArray(response) ? response.length : 0 });
    };
    t.db.on('query-response', onResponse);
    try {
      await fn();
    } finally {
      t.db.removeListener('query-response', onResponse);
    }
    return seen;
  }

  const unfiltered = (statements: Statement[]) => statements.filter((s) => /^\s*select\b/i.test(s.sql) && !/\bwhere\b/i.test(s.sql));
  const rowsRead = (statements: Statement[]) => statements.filter((s) => /^\s*select\b/i.test(s.sql)).reduce((n, s) => n + s.rows, 0);

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    const doc: ImportDoc = {
      companies: [
        { code: 'ADM', name: 'Admin', type: 'admin', parent: null },
        supplier('SUPA', { parent: 'ADM', sequence: { prefix: 'SUPA-', padding: 6, next: 1 } }),
        dropship('RETB', 'SUPA'),
        supplier('SUPX'),
        ...Array.from({ length: OTHERS }, (_, i) => dropship(`OTHER${i}`, 'SUPX')),
      ],
      products: [product('TS-WHT-M'), product('MUG', { costPrice: '3.00', tradeTierPrices: {} })],
      orders: [order('RETB', 'B-1'), order('OTHER0', 'O-1')],
    };
    await loadImport(t.db, [{ file: 'setup.json', data: importFileSchema.parse(doc) }], { now: NOW });
  });
  afterAll(async () => t?.destroy());

  it('POST /orders: the order company and its ancestors, by key', async () => {
    const statements = await companyStatements(() => saveOrder(t.db, order('RETB', 'B-2', { items: [{ sku: 'TS-WHT-M', quantity: 1 }] }), NOW));
    expect(statements.length).toBeGreaterThan(0);
    expect(unfiltered(statements)).toEqual([]);
    // RETB, SUPA and ADM for the graph, RETB for the lock (MariaDB) and for the answer: never the 40 others
    expect(rowsRead(statements)).toBeLessThanOrEqual(6);
  });

  it('PATCH /orders/:id and a refused order read no more', async () => {
    const { id } = await t.db('orders').where('number', 'B-1').first<{ id: number | string }>('id');
    const patched = await companyStatements(() => updateOrder(t.db, Number(id), { items: [{ sku: 'MUG', quantity: 2 }] }, NOW));
    expect(unfiltered(patched)).toEqual([]);
    expect(rowsRead(patched)).toBeLessThanOrEqual(8);
    const refused = await companyStatements(() => saveOrder(t.db, order('RETB', 'B-3', { items: [{ sku: 'NOPE', quantity: 1 }] }), NOW).catch(() => null));
    expect(unfiltered(refused)).toEqual([]);
    expect(rowsRead(refused)).toBeLessThanOrEqual(7);
  });

  it('PATCH /companies/:code/integrations/:type: the company and its ancestors', async () => {
    const statements = await companyStatements(() =>
      saveIntegration(t.db, 'RETB', 'pdf-emailer', { emailTo: 'ap@retb.example' }, NOW, loadConfig({}, t.dataDir).policy),
    );
    expect(unfiltered(statements)).toEqual([]);
    expect(rowsRead(statements)).toBeLessThanOrEqual(8);
  });

  it('a load naming two companies reads those, their parents and ancestors', async () => {
    const doc = importFileSchema.parse({ companies: [dropship('RETB', 'SUPA'), dropship('NEWR', 'SUPA')], orders: [order('NEWR', 'N-1')] });
    const statements = await companyStatements(() => loadImport(t.db, [{ file: 'small.json', data: doc }], { now: NOW }));
    expect(unfiltered(statements)).toEqual([]);
    expect(rowsRead(statements)).toBeLessThanOrEqual(6);
    expect(await t.db('companies').where('code', 'NEWR').first('parent_id')).toEqual({ parent_id: expect.any(Number) as number });
  });
});
