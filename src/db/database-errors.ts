/**
 * What a database error means for trying again (see retryOnConflict and inTransaction in connect.ts, and
 * docs/database.md):
 *
 *  - `conflict`: the database gave up the statement or transaction to resolve a lock conflict (InnoDB's
 *    deadlock or lock wait timeout, SQLite's busy write lock) and rolled it back. Running it again is safe.
 *  - `connection`: the connection could not be had (refused while the server restarts, too many
 *    connections) or died with a statement in flight (the server restarted or killed the connection; a
 *    network fault). Whatever had not been committed was rolled back by the server; whether a statement
 *    that was in flight as its own transaction, or a COMMIT that was in flight, took effect is unknown.
 *  - `other`: anything else (bad SQL, a constraint, a wrong password): trying again would not help.
 */

export type DatabaseFailure = 'conflict' | 'connection' | 'other';

/** Socket-level failures, as Node and mysql2 name them */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);

/** Server errors that end the connection or the statement without a verdict on the data */
const CONNECTION_ERRNOS = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections (refused at the handshake)
  1053, // ER_SERVER_SHUTDOWN: the server is shutting down (a restart)
  1317, // ER_QUERY_INTERRUPTED: the statement was killed (KILL QUERY; the transaction survives and is rolled back by us)
  1927, // ER_CONNECTION_KILLED: the connection was killed (KILL CONNECTION)
]);

/** Refusals that no reconnect fixes, even though mysql2 marks them fatal like the connection faults */
const CONFIGURATION_ERRNOS = new Set([
  1044, // ER_DBACCESS_DENIED_ERROR
  1045, // ER_ACCESS_DENIED_ERROR
  1049, // ER_BAD_DB_ERROR
  1698, // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
]);

const CONFLICT_ERRNOS = new Set([
  1213, // ER_LOCK_DEADLOCK
  1205, // ER_LOCK_WAIT_TIMEOUT
  1020, // ER_CHECKREAD: the row changed since the transaction read it (MariaDB's snapshot isolation)
]);

interface ErrorFields {
  errno?: unknown;
  code?: unknown;
  fatal?: unknown;
  retryable?: unknown;
  name?: unknown;
  message?: unknown;
}

export function classifyDatabaseError(err: unknown): DatabaseFailure {
  if (typeof err !== 'object' || err === null) return 'other';
  const e = err as ErrorFields;
  const errno = typeof e.errno === 'number' ? e.errno : null;
  const code = typeof e.code === 'string' ? e.code : '';
  if (errno !== null && CONFLICT_ERRNOS.has(errno)) return 'conflict';
  // SQLITE_BUSY and its extended codes: SQLITE_BUSY_SNAPSHOT (a deferred transaction's snapshot went stale
  // before its first write), SQLITE_BUSY_RECOVERY, SQLITE_BUSY_TIMEOUT
  if (code.startsWith('SQLITE_BUSY')) return 'conflict';
  if (e.name === 'AppError' && code === 'CONFLICT' && e.retryable === true) return 'conflict';
  if (errno !== null && CONFIGURATION_ERRNOS.has(errno)) return 'other';
  if (errno !== null && CONNECTION_ERRNOS.has(errno)) return 'connection';
  if (NETWORK_CODES.has(code)) return 'connection';
  // mysql2 marks every error that leaves the connection unusable as fatal, including a command sent on a
  // connection that had already closed ("Can't add new command when connection is in closed state")
  if (e.fatal === true) return 'connection';
  return 'other';
}
