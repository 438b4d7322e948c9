/**
 * The knex factory: MySQL/MariaDB through mysql2, or the embedded SQLite through better-sqlite3.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Config } from '../../config/index.js';
import { migrationSource } from '../../migrations/index.js';
import { AppError } from '../domain/errors.js';
import { classifyDatabaseError } from './database-errors.js';

export type Db = Knex;
export type Dialect = 'mysql' | 'sqlite';

export function dialectOf(db: Knex): Dialect {
  const client = (db.client as { config: { client: unknown } }).config.client;
  return client === 'mysql2' || client === 'mysql' ? 'mysql' : 'sqlite';
}

export interface ConnectOptions {
  poolMax?: number;
  /** Where knex's own warnings go (a connection the pool discarded, one it could not open); default the console */
  warn?: (message: string) => void;
}

export function connectDatabase(database: Config['database'], options: ConnectOptions = {}): Knex {
  const log = options.warn ? { warn: options.warn, error: options.warn, deprecate: options.warn, debug: () => undefined } : undefined;
  if (database.client === 'better-sqlite3') {
    const filename = database.filename!;
    if (filename !== ':memory:') fs.mkdirSync(path.dirname(filename), { recursive: true });
    return knexFactory({
      client: 'better-sqlite3',
      connection: { filename },
      ...(log ? { log } : {}),
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
    ...(log ? { log } : {}),
    connection: {
      uri: database.url,
      charset: 'utf8mb4',
      supportBigNumbers: true,
      bigNumberStrings: false,
      timezone: 'Z',
      // A server that accepts the TCP connection but never answers fails the attempt (and it is retried)
      connectTimeout: 10_000,
    } as Knex.MySql2ConnectionConfig & { uri: string },
    pool: {
      // A pooled connection that died while idle (a restart, KILL CONNECTION) is noticed by knex's
      // validation when it is next taken (mysql2 marks it closed) and replaced, never handed out
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

/**
 * Applies pending migrations. Every command does this first, so a command started while the server
 * restarts waits for it (see retryFailures) rather than failing; running `latest` again is safe, since it
 * applies only what knex_migrations does not list yet.
 */
export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await retryFailures(() => db.migrate.latest({ migrationSource }), 6)) as [number, string[]];
  return applied;
}

/** How long work waits for a database that went away (a restart, a dropped connection) before it fails */
const RECONNECT_WINDOW_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` again when it loses a lock conflict (a few times, at once) or its connection (with a growing
 * pause, for up to RECONNECT_WINDOW_MS, so that a server restart is waited out): see database-errors.ts.
 */
async function retryFailures<T>(fn: () => PromiseLike<T>, attempts: number): Promise<T> {
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const failure = classifyDatabaseError(err);
      if (failure === 'conflict' && attempt < attempts) await sleep(Math.random() * 20 * attempt);
      else if (failure === 'connection' && performance.now() - started < RECONNECT_WINDOW_MS)
        await sleep(Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
      else throw err;
    }
  }
}

/**
 * Runs `fn`, one statement outside a transaction (its own transaction), again when it loses a lock conflict
 * or its connection: see retryFailures. Never for a statement inside a larger transaction, whose earlier
 * work the failure has also undone (see inTransaction).
 *
 * A statement whose connection died while it was in flight may or may not have taken effect, so only
 * statements that change nothing more when repeated belong here: every caller sets values (a status, a
 * lease, a result) on rows it names, conditionally. Repeating one that did take effect at worst finds
 * nothing left to change (a lease claim then looks lost and runs out, which only delays the run).
 *
 * On MySQL/MariaDB two single-row-set UPDATEs can deadlock: one locks a row by its primary key and then
 * needs a secondary index entry that it changes (a delivery's or a run's status), while another statement
 * that found the row through that index holds the entry and waits for the row.
 */
export function retryOnConflict<T>(fn: () => PromiseLike<T>, attempts = 6): Promise<T> {
  return retryFailures(fn, attempts);
}

/**
 * Runs `fn` in a transaction, run again from the start when it loses a lock conflict or its connection
 * before its COMMIT was sent: the database rolled back everything it had done (InnoDB rolls back the
 * transaction of a connection that ends, and a restarted server every transaction that did not commit),
 * so a fresh attempt is safe and nothing is half-written.
 *
 * A connection lost while the COMMIT was in flight is different: the server may have committed before it
 * went, and nothing tells us which. Running the transaction again could do its work twice (a second partial
 * credit note for the same request, say), so it fails instead, saying so. Its caller's next attempt starts
 * from what the database holds: a scheduled run is retried by the next tick, which finds the orders the
 * lost commit invoiced already invoiced and their deliveries queued; a person sees the error and looks.
 *
 * On MySQL every connection runs READ COMMITTED (see connectDatabase). On SQLite the transaction takes the
 * write lock first (see takeWriteLock).
 */
export function inTransaction<T>(db: Knex, fn: (trx: Knex.Transaction) => Promise<T>, attempts = 6): Promise<T> {
  const sqlite = dialectOf(db) === 'sqlite';
  return retryFailures(async () => {
    let committing = false;
    try {
      return await db.transaction(async (trx) => {
        if (sqlite) await takeWriteLock(trx);
        const result = await fn(trx);
        // From here on knex sends the COMMIT: a failure now is the COMMIT's
        committing = true;
        return result;
      });
    } catch (err) {
      if (committing && classifyDatabaseError(err) === 'connection') {
        throw new AppError(
          'INTERNAL',
          `the database connection was lost while committing (${(err as Error).message}); whether the work was saved is unknown, so it was not repeated automatically: look at the current state before trying again`,
          { cause: err },
        );
      }
      throw err;
    }
  }, attempts);
}

/**
 * Takes SQLite's write lock at the start of a transaction, as BEGIN IMMEDIATE would (knex begins with a
 * plain BEGIN): a statement that writes takes it, waiting up to the busy timeout for another process that
 * holds it, and this one changes no row. Without it, a transaction that reads before it writes holds a
 * snapshot; if another process commits in between, its first write fails at once with SQLITE_BUSY_SNAPSHOT,
 * which no busy timeout waits out.
 */
async function takeWriteLock(trx: Knex.Transaction): Promise<void> {
  await trx.raw('UPDATE companies SET id = id WHERE 0');
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
