/**
 * Bulk inserts (load's orders and items, invoice lines) on both databases. On MariaDB large batches go
 * through LOAD DATA LOCAL INFILE, whose format has its own escaping and which turns errors into warnings:
 * every row must come back exactly as given, and a batch the server would store only in part must store
 * nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { bulkInsert } from '../src/db/bulk-insert.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';

const COLUMNS = ['email', 'name', 'primary_company_id', 'created_at', 'updated_at'] as const;
const AWKWARD = ['tab\there', 'line\nbreak', 'carriage\rreturn', 'back\\slash', '\\N', 'NULL', "quo'te \"double\"", 'nul\u0000byte', '', 'Zoë 東京 🧾', 'trailing\\'];

function users(n: number, prefix: string): unknown[][] {
  return Array.from({ length: n }, (_, i) => [`${prefix}${i}@example.test`, `${AWKWARD[i % AWKWARD.length]} #${i}`, null, 1_700_000_000_000 + i, 9_007_199_254_740_991]);
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
  const rows = (await db('users').where('email', 'like', `${prefix}%`).orderBy('id').select(...COLUMNS)) as Array<Record<string, unknown>>;
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

  it('falls back to INSERTs on a server with local_infile off, storing the same rows', async () => {
    const rows = users(2500, 'noinfile');
    await t.db.raw('SET GLOBAL local_infile = 0');
    try {
      const sent = await statementsOf(t.db, () => t.db.transaction((trx) => bulkInsert(trx, 'users', COLUMNS, rows)));
      expect(sent.some((s) => s.startsWith('LOAD DATA'))).toBe(false);
      expect(sent.filter((s) => s.startsWith('INSERT INTO')).length).toBeGreaterThan(0);
    } finally {
      await t.db.raw('SET GLOBAL local_infile = 1');
    }
    expect(await readBack(t.db, 'noinfile')).toEqual(rows);
  });
});
