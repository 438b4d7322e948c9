/**
 * Every row of every table as text, to show that a refused request changed nothing in the database.
 */
import type { Knex } from 'knex';
import { dialectOf } from '../../src/db/connect.js';

/** `table.column` pairs left out of the dump (e.g. a token's last-used time, which a refused request may touch) */
export async function dumpDatabase(db: Knex, ignore: readonly string[] = []): Promise<Record<string, string[]>> {
  let names: Array<{ name: string }>;
  if (dialectOf(db) === 'sqlite') {
    names = await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'knex_%'");
  } else {
    names = await db('information_schema.tables')
      .whereRaw('table_schema = database()')
      .andWhereNot('table_name', 'like', 'knex_%')
      .select('table_name as name');
  }
  const tables = names.map((r) => r.name);
  const dump: Record<string, string[]> = {};
  for (const table of tables.sort()) {
    const rows = (await db(table).select('*')) as Array<Record<string, unknown>>;
    dump[table] = rows
      .map((row) => JSON.stringify(Object.fromEntries(Object.entries(row).filter(([column]) => !ignore.includes(`${table}.${column}`)))))
      .sort();
  }
  return dump;
}
