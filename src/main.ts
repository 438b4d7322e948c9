/**
 * Composition root: builds the real adapters from the configuration and hands them to the CLI.
 * The only module that knows every concrete piece.
 */
import type { Knex } from 'knex';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { buildCli } from './admin/cli.js';
import { processIo, type Io } from './admin/output.js';
import { connectDatabase, migrateLatest } from './db/connect.js';
import { systemClock, type Clock } from './domain/clock.js';
import { AppError } from './domain/errors.js';
import type { RunDeps } from './pipeline/run-company.js';

export interface AppContext {
  config: Config;
  clock: Clock;
  io: Io;
  /** The database, connected and migrated on first use */
  db(): Promise<Knex>;
  /** What a run needs: the database, the clock and the outbox */
  runDeps(): Promise<RunDeps>;
  close(): Promise<void>;
}

export function createContext(io: Io, clock: Clock = systemClock): AppContext {
  const config = loadConfig(io.env, io.cwd);
  let db: Knex | null = null;
  let ready: Promise<Knex> | null = null;
  return {
    config,
    clock,
    io,
    db() {
      ready ??= (async () => {
        db = connectDatabase(config.database);
        // Pending migrations are applied on first use, so a fresh database just works
        await migrateLatest(db);
        return db;
      })();
      return ready;
    },
    async runDeps() {
      const knex = await this.db();
      return { db: knex, clock, deliverer: { deliverPending: async () => [] } };
    },
    async close() {
      if (db) await db.destroy();
    },
  };
}

export const EXIT = { ok: 0, deliveryFailed: 1, badInput: 2, other: 3 } as const;

export function exitCodeFor(err: unknown): number {
  if (err instanceof ConfigError) return EXIT.badInput;
  if (err instanceof AppError) {
    if (err.code === 'INPUT' || err.code === 'NOT_FOUND' || err.code === 'CONFLICT') return EXIT.badInput;
    if (err.code === 'DELIVERY') return EXIT.deliveryFailed;
  }
  return EXIT.other;
}

export function reportError(io: Io, err: unknown, json: boolean): void {
  const message = err instanceof Error ? err.message : String(err);
  if (json) {
    const error =
      err instanceof AppError
        ? { code: err.code, message, problems: err.problems }
        : { code: err instanceof ConfigError ? 'CONFIG' : 'INTERNAL', message, problems: [] };
    io.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`);
  }
  const known = err instanceof AppError || err instanceof ConfigError;
  io.stderr.write(`oms-invoicing: ${known ? message : `unexpected error: ${err instanceof Error ? (err.stack ?? message) : message}`}\n`);
}

export async function main(argv: string[], io: Io = processIo(), clock: Clock = systemClock): Promise<number> {
  const json = argv.includes('--json');
  let ctx: AppContext | null = null;
  try {
    ctx = createContext(io, clock);
    const cli = buildCli(ctx);
    return await cli.run(argv);
  } catch (err) {
    reportError(io, err, json);
    return exitCodeFor(err);
  } finally {
    await ctx?.close();
  }
}
