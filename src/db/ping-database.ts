/**
 * Whether the database answers: one trivial query, given up after `timeoutMs` (a server that accepts
 * connections but never answers must not hold a health check forever).
 */
import type { Knex } from 'knex';

export async function pingDatabase(db: Knex, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([db.raw('select 1').then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
