/**
 * Bulk inserts (load's orders and items, invoice lines) on both databases. On MariaDB large batches go
 * through LOAD DATA LOCAL INFILE, whose format has its own escaping and which turns errors into warnings:
 * every row must come back exactly as given, and a batch the server would store only in part must store
 * nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import knex, { type Knex } from 'knex';
import { bulkInsert } from '../src/db/bulk-insert.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';

const COLUMNS = ['email', 'name', 'primary_company_id', 'created_at', 'updated_at'] as const;
const AWKWARD = [
  'tab\there',
  'line\nbreak',
  'carriage\rreturn',
  'back\\slash',
  '\\N',
  'NULL',
  'quo\'te "double"',
  'nul\u0000byte',
  '',
  'Zoë 東京 🧾',
  'trailing\\',
];

function users(n: number, prefix: string): unknown[][] {
  return Array.from({ length: n }, (_, i) => [
    `${prefix}${i}@example.test`,
    `${AWKWARD[i % AWKWARD.length]} #${i}`,
    null,
    1_700_000_000_000 + i,
    9_007_199_254_740_991,
  ]);
}

/** The statements a function sends, by their first words */
async function statementsOf(db: Knex, fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (q: { sql: string }) => seen.push(q.sql.slice(0, 20).toUpperCase());
  db.on('query', listener);
  try {
    await fn();
  } finally {
    db.removeListener('query', listener);
  }
  return seen;
}

async function readBack(db: Knex, prefix: string): Promise<unknown[][]> {
  const rows = await db('users')
    .where('email', 'like', `${prefix}%`)
    .orderBy('id')
    .select<Array<Record<string, unknown>>>(...COLUMNS);
  return rows.map((r) => COLUMNS.map((c) => (c === 'created_at' || c === 'updated_at' ? Number(r[c]) : r[c])));
}

describe.each(databaseKinds)('bulk inserts on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => t.destroy());

  it('stores 2,500 rows exactly as given, whatever characters their text holds', async () => {
    const rows = users(2500, 'exact');
    const sent = await statementsOf(t.db, () => t.db.transaction((trx) => bulkInsert(trx, 'users', COLUMNS, rows)));
    expect(await readBack(t.db, 'exact')).toEqual(rows);
    // MariaDB (local_infile on, its default) loads the batch in one statement; SQLite inserts
    expect(sent.some((s) => s.startsWith('LOAD DATA'))).toBe(kind === 'mariadb');
  });

  it('stores nothing of a batch with a duplicate key, and says so', async () => {
    const rows = users(2500, 'dup');
    rows[1700]![0] = rows[3]![0];
    await expect(t.db.transaction((trx) => bulkInsert(trx, 'users', COLUMNS, rows))).rejects.toThrow(/2500|duplicate|unique/i);
    expect(await readBack(t.db, 'dup')).toEqual([]);
  });

  it('keeps NULL, the empty string, the text \\N and NULL, and escapes at field ends apart, in nullable columns', async () => {
    await t.db.schema.createTable('bulk_probe', (table) => {
      table.integer('id').primary();
      table.string('text', 64).nullable();
      table.bigInteger('amount').nullable();
      table.boolean('flag').nullable();
    });
    const exact: Array<string | null | undefined> = [null, undefined, '', '\\N', 'NULL', '\\', 'a\\\tb', '\t', '\n', 'x\\', '\u0000', ' ', 'Zoë 東京 🧾'];
    const rows = Array.from({ length: 2600 }, (_, i) => [
      i,
      exact[i % exact.length],
      i % 7 === 0 ? null : 9_007_199_254_740_991 - i,
      i % 3 === 0 ? null : i % 3 === 1,
    ]);
    await t.db.transaction((trx) => bulkInsert(trx, 'bulk_probe', ['id', 'text', 'amount', 'flag'], rows));
    const back = await t
      .db('bulk_probe')
      .orderBy('id')
      .select<Array<{ id: number; text: string | null; amount: number | string | null; flag: number | boolean | null }>>('id', 'text', 'amount', 'flag');
    expect(back.map((r) => [Number(r.id), r.text, r.amount === null ? null : Number(r.amount), r.flag === null ? null : Boolean(r.flag)])).toEqual(
      rows.map(([id, text, amount, flag]) => [id, text ?? null, amount, flag]),
    );
  });
});

describe('bulk inserts on mariadb, server settings', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('mariadb');
  });
  afterAll(async () => t.destroy());

  it('stores nothing of a batch with a value the column cannot hold (a warning under LOAD DATA)', async () => {
    const rows = users(2500, 'long');
    rows[2000]![1] = 'x'.repeat(300); // name is VARCHAR(255)
    await expect(t.db.transaction((trx) => bulkInsert(trx, 'users', COLUMNS, rows))).rejects.toThrow(/users.*2499 of 2500|stored .* warning/);
    expect(await readBack(t.db, 'long')).toEqual([]);
  });

  it('falls back to INSERTs on a connection without LOCAL (a server or client that refuses it), storing the same rows', async () => {
    const rows = users(2500, 'nolocal');
    const noLocal = knex({
      client: 'mysql2',
      connection: { uri: t.config.url, flags: '-LOCAL_FILES' } as Knex.MySql2ConnectionConfig,
      pool: { min: 0, max: 1 },
    });
    try {
      const sent = await statementsOf(noLocal, () => noLocal.transaction((trx) => bulkInsert(trx, 'users', COLUMNS, rows)));
      // refused once, then INSERTs in the same transaction
      expect(sent.filter((s) => s.startsWith('LOAD DATA'))).toHaveLength(1);
      expect(sent.filter((s) => s.startsWith('INSERT INTO')).length).toBeGreaterThan(0);
      expect(await readBack(t.db, 'nolocal')).toEqual(rows);
      // and not asked again on that connection
      const again = await statementsOf(noLocal, () => noLocal.transaction((trx) => bulkInsert(trx, 'users', COLUMNS, users(2500, 'second'))));
      expect(again.filter((s) => s.startsWith('LOAD DATA'))).toHaveLength(0);
    } finally {
      await noLocal.destroy();
    }
  });
});
