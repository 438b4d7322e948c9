/**
 * Stopping a command inside its transaction on MariaDB: a connection of the test holds the numbering
 * sequences locked, so a run or credit note that reaches them waits there (its earlier locks taken, its
 * reads done) until the test kills it or lets it go.
 */
import mysql from 'mysql2/promise';
import { startCli, type CliResult } from './cli.js';

/** What a command waiting for its number runs: the locking read of its sequence row */
export const SEQUENCE_LOCK = '%from `sequences`%for update%';

/** A connection holding every sequence row locked until ROLLBACK. */
export async function holdSequenceRows(url: string): Promise<mysql.Connection> {
  const conn = await mysql.createConnection(url);
  await conn.query('START TRANSACTION');
  await conn.query('SELECT * FROM sequences FOR UPDATE');
  return conn;
}

/**
 * Waits until another connection runs a statement matching the LIKE pattern (it is then waiting for a lock
 * `conn` holds). After 30 s it ends `conn`, which releases its locks so that the database can be dropped,
 * and throws, naming what the other connections were running.
 */
export async function waitForStatement(conn: mysql.Connection, pattern: string, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    // (not this query itself, whose text holds the pattern too)
    const [rows] = await conn.query<Array<mysql.RowDataPacket & { n: number }>>(
      'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()',
      [pattern],
    );
    if (Number(rows[0]!.n) > 0) return;
    if (Date.now() > deadline) {
      const [running] = await conn.query('SELECT STATE, INFO FROM information_schema.PROCESSLIST WHERE INFO IS NOT NULL AND ID <> CONNECTION_ID()');
      await conn.end();
      throw new Error(`${what} never started waiting: ${JSON.stringify(running)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Runs the real binary and kills it (SIGKILL) inside its transaction, while it waits for its number; the
 * sequence rows are then released. Returns how the process ended.
 */
export async function killAtSequenceLock(url: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  const conn = await holdSequenceRows(url);
  const { child, done } = startCli(args, env);
  try {
    await waitForStatement(conn, SEQUENCE_LOCK, `\`${args.join(' ')}\``);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${(await done).stderr}`, { cause: error });
  }
  child.kill('SIGKILL');
  const killed = await done;
  await conn.query('ROLLBACK');
  await conn.end();
  return killed;
}
