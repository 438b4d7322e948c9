/**
 * The knex factory: MySQL/MariaDB through mysql2, or the embedded SQLite through better-sqlite3.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Config } from '../../config/index.js';
import { migrationSource } from '../../migrations/index.js';

export type Db = Knex;
export type Dialect = 'mysql' | 'sqlite';

export function dialectOf(db: Knex): Dialect {
  const client = db.client.config.client as string;
  return client === 'mysql2' || client === 'mysql' ? 'mysql' : 'sqlite';
}

export function connectDatabase(database: Config['database'], options: { poolMax?: number } = {}): Knex {
  if (database.client === 'better-sqlite3') {
    const filename = database.filename!;
    if (filename !== ':memory:') fs.mkdirSync(path.dirname(filename), { recursive: true });
    return knexFactory({
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      // One connection: SQLite has one writer, and a second pooled connection inside a transaction
      // would wait on the first forever.
      pool: {
        min: 1,
        max: 1,
        afterCreate: (
          conn: { pragma(s: string): unknown; function(name: string, options: { deterministic: boolean }, fn: (s: unknown) => unknown): unknown },
          done: (err: Error | null, conn: unknown) => void,
        ) => {
          // SQLite's lower() folds ASCII letters only; searches fold every script, as MySQL's lower() does
          conn.function('unicode_lower', { deterministic: true }, (s) => (typeof s === 'string' ? s.toLowerCase() : s));
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('foreign_keys = ON');
          // Other processes (a second worker, a CLI run) wait for the write lock instead of failing
          conn.pragma('busy_timeout = 30000');
          done(null, conn);
        },
      },
    });
  }
  return knexFactory({
    client: 'mysql2',
    connection: {
      uri: database.url,
      charset: 'utf8mb4',
      supportBigNumbers: true,
      bigNumberStrings: false,
      timezone: 'Z',
    } as Knex.MySql2ConnectionConfig & { uri: string },
    pool: {
      min: 0,
      max: options.poolMax ?? 10,
      // READ COMMITTED for every transaction, set once per connection rather than per transaction: the
      // gap locks of REPEATABLE READ make concurrent claims deadlock, and this saves a statement a run
      afterCreate: (conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) => {
        conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (err) => done(err, conn));
      },
    },
  });
}

export async function listAppliedMigrations(db: Knex): Promise<string[]> {
  const [completed] = (await db.migrate.list({ migrationSource })) as [Array<{ name: string } | string>, unknown];
  return completed.map((m) => (typeof m === 'string' ? m : m.name));
}

export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

/** Lock conflicts that a fresh attempt of the whole transaction resolves. */
function isRetryableConflict(err: unknown): boolean {
  const e = err as { errno?: number; code?: string; retryable?: boolean; name?: string };
  return (
    e?.errno === 1213 || // ER_LOCK_DEADLOCK
    e?.errno === 1205 || // ER_LOCK_WAIT_TIMEOUT
    e?.code === 'SQLITE_BUSY' ||
    (e?.name === 'AppError' && e.code === 'CONFLICT' && e.retryable === true)
  );
}

/**
 * Runs `fn` again, a few times, when it loses a lock conflict. For one statement outside a transaction
 * (its own transaction, which the database rolled back) or a whole transaction (see inTransaction) only:
 * never for a statement inside a larger transaction, whose earlier work the conflict has also undone.
 *
 * On MySQL/MariaDB two single-row-set UPDATEs can deadlock: one locks a row by its primary key and then
 * needs a secondary index entry that it changes (a delivery's or a run's status), while another statement
 * that found the row through that index holds the entry and waits for the row.
 */
export async function retryOnConflict<T>(fn: () => PromiseLike<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !isRetryableConflict(err)) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  }
}

/**
 * Runs `fn` in a transaction, retried a few times when it loses a lock conflict (its effects were rolled
 * back, so running it again is safe). On MySQL every connection runs READ COMMITTED (see connectDatabase).
 */
export function inTransaction<T>(db: Knex, fn: (trx: Knex.Transaction) => Promise<T>, attempts = 6): Promise<T> {
  return retryOnConflict(() => db.transaction(fn), attempts);
}

/** Splits rows into batches small enough for one multi-row INSERT on either database. */
export function batchSizeFor(db: Knex, columns: number): number {
  // SQLite: knex builds multi-row inserts as a compound SELECT, limited to 500 terms.
  if (dialectOf(db) === 'sqlite') return Math.max(1, Math.min(500, Math.floor(32000 / columns)));
  return Math.max(1, Math.min(5000, Math.floor(60000 / columns)));
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
