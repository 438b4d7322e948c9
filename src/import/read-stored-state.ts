/**
 * Reads what the database holds that a load touches, and nothing more: the companies it names (its
 * companies, their parents, its orders' and users' companies) with their ancestors, the products its
 * orders name, the sequences it changes, and the stored orders with its orders' numbers.
 */
import type { Knex } from 'knex';
import { findStoredOrders, readCompaniesWithAncestors, readOrderContents, readProducts, readSequences } from '../db/import-reads.js';
import type { LocatedImport } from './locate-records.js';
import { orderKey, type StoredOrder } from './resolve-orders.js';
import type { StoredState } from './validate-import.js';

/** The codes of every company a load names. */
export function namedCompanyCodes(load: LocatedImport): string[] {
  const codes = new Set<string>();
  for (const { value: c } of load.companies) {
    codes.add(c.code);
    if (c.parent) codes.add(c.parent);
  }
  for (const { value: o } of load.orders) codes.add(o.company);
  for (const { value: u } of load.users) if (u.primaryCompany) codes.add(u.primaryCompany);
  return [...codes];
}

export async function readStoredState(trx: Knex.Transaction, load: LocatedImport): Promise<StoredState> {
  const companies = await readCompaniesWithAncestors(trx, namedCompanyCodes(load));
  const idByCode = new Map(companies.map((c) => [c.code, c.id]));

  const defined = new Set(load.products.map((p) => p.value.sku));
  const skus = new Set<string>();
  for (const { value: o } of load.orders) for (const it of o.items) if (!defined.has(it.sku)) skus.add(it.sku);
  const products = await readProducts(trx, [...skus]);

  const owners = load.companies.filter((c) => c.value.sequence).map((c) => idByCode.get(c.value.code));
  const sequences = await readSequences(
    trx,
    owners.filter((id) => id !== undefined),
  );

  return { companies, products, sequences, orders: await readStoredOrders(trx, load, idByCode) };
}

/** The stored orders with the company and number of an order in the load; an invoiced one with its content. */
async function readStoredOrders(trx: Knex.Transaction, load: LocatedImport, idByCode: ReadonlyMap<string, number>): Promise<Map<string, StoredOrder>> {
  const numbersByCompany = new Map<number, string[]>();
  for (const { value: o } of load.orders) {
    const id = idByCode.get(o.company);
    // (a company new in this load has no stored orders)
    if (id === undefined) continue;
    const numbers = numbersByCompany.get(id) ?? [];
    numbers.push(o.number);
    numbersByCompany.set(id, numbers);
  }
  const found = await findStoredOrders(trx, numbersByCompany);
  const contents = await readOrderContents(
    trx,
    found.filter((o) => o.invoiced).map((o) => o.id),
  );
  const codeById = new Map([...idByCode].map(([code, id]) => [id, code]));
  const out = new Map<string, StoredOrder>();
  for (const o of found) out.set(orderKey(codeById.get(o.companyId)!, o.number), { id: o.id, invoiced: o.invoiced, content: contents.get(o.id) });
  return out;
}
