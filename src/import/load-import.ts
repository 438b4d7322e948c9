/**
 * `load`: checks an import against itself and the database, then writes it, all in one transaction, so
 * a load either happens whole or not at all. Records are upserted by natural key (company code, user
 * email, product SKU, company + order number).
 */
import type { Knex } from 'knex';
import type { OperatorPolicy } from '../../config/index.js';
import { inTransaction } from '../db/connect.js';
import { lockCompanies } from '../db/import-reads.js';
import { writeCompanies, writeIntegrations, writeOrders, writeProducts, writeSequences, writeUsers } from '../db/import-writes.js';
import { locateRecords } from './locate-records.js';
import { readStoredState } from './read-stored-state.js';
import { checkIntegrationPolicy } from './check-integration-policy.js';
import { inputErrorFor, type ImportSource } from './read-import-files.js';
import { validateImport, type ImportWrites } from './validate-import.js';

export interface LoadSummary {
  companies: { inserted: number; updated: number };
  users: { inserted: number; updated: number };
  products: { inserted: number; updated: number };
  integrations: number;
  orders: { inserted: number; updated: number; unchanged: number };
  items: number;
}

export interface LoadOptions {
  now: number;
  /** Where integrations may point the server (SPEC §9); required when the load holds xml-sftp integrations */
  policy?: OperatorPolicy;
  onProgress?: (done: number, total: number) => void;
}

export async function loadImport(db: Knex, sources: readonly ImportSource[], options: LoadOptions): Promise<LoadSummary> {
  const load = locateRecords(sources);
  // Resolved on the file system before the transaction, so no lock waits on it
  const policyProblems = await checkIntegrationPolicy(options.policy, sources);
  return inTransaction(db, async (trx) => {
    // Before anything is read: a run of these companies under way finishes first (see lockCompanies)
    await lockCompanies(trx, [...load.companies.map((c) => c.value.code), ...load.orders.map((o) => o.value.company)]);
    const checked = validateImport(load, await readStoredState(trx, load));
    if (policyProblems.length > 0 || !checked.ok) throw inputErrorFor([...policyProblems, ...(checked.ok ? [] : checked.problems)]);
    return writeImport(trx, checked.writes, options);
  });
}

async function writeImport(trx: Knex.Transaction, writes: ImportWrites, { now, onProgress }: LoadOptions): Promise<LoadSummary> {
  const companies = await writeCompanies(trx, writes.companies, writes.storedCompanyIds, now);
  await writeSequences(trx, writes.sequences, companies.ids, now);
  await writeIntegrations(trx, writes.integrations, companies.ids, now);
  const users = await writeUsers(trx, writes.users, companies.ids, now);
  const products = await writeProducts(trx, writes.products, now);
  const orders = await writeOrders(trx, writes.orders, companies.ids, now, onProgress);
  return {
    companies: companies.counts,
    users,
    products,
    integrations: writes.integrations.length,
    orders: { inserted: orders.inserted, updated: orders.updated, unchanged: writes.unchangedOrders },
    items: orders.items,
  };
}
