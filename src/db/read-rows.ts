/**
 * Reading rows as the drivers return them: mysql2 may give integer columns and COUNT(*) as strings, both
 * databases give booleans as 0/1, and instants are stored as epoch milliseconds.
 */
import type { Knex } from 'knex';

/** A row as a query returns it, before it is read into a typed value */
export type DbRow = Record<string, unknown>;

/** A nullable numeric column: null stays null */
export const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** A nullable instant (epoch milliseconds) as an ISO 8601 date-time */
export const isoOrNull = (ms: unknown): string | null => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

/** How many rows the query matches. */
export async function countRows(query: Knex.QueryBuilder): Promise<number> {
  const row = await query.clone().count({ n: '*' }).first<{ n: number | string } | undefined>();
  return Number(row?.n ?? 0);
}

/**
 * One page of a listing and how many rows the whole listing has: `rows` adds to the page's query what only
 * the page needs (its joins, columns and order).
 */
export async function readPage(
  listing: Knex.QueryBuilder,
  page: { limit: number; offset: number },
  rows: (query: Knex.QueryBuilder) => PromiseLike<DbRow[]>,
): Promise<{ rows: DbRow[]; count: number }> {
  const count = await countRows(listing);
  return { rows: await rows(listing.clone().limit(page.limit).offset(page.offset)), count };
}
