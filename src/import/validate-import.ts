/**
 * Checks a load against itself and what is stored, without touching the database: every rule that
 * needs more than one value, each one function returning its problems. When there are none, the load
 * as the database writes take it. Pure.
 */
import type { StoredCompany, StoredSequence } from '../db/import-reads.js';
import type { CompanyWrite, IntegrationWrite, OrderWrite, ProductWrite, SequenceWrite, UserWrite } from '../db/import-writes.js';
import { buildCompanyGraph } from './company-graph.js';
import { inRecordOrder, type ImportProblem, type LocatedImport } from './locate-records.js';
import { toCompanyWrite, toIntegrationWrites, toProductWrite, toSequenceWrites } from './plan-writes.js';
import { checkDuplicateOrders, checkInvoicedOrders, knownProducts, resolveOrders, type KnownProduct, type StoredOrder } from './resolve-orders.js';
import {
  checkDuplicateCompanies,
  checkIntegrationOwners,
  checkOneIntegrationPerType,
  checkParents,
  checkPricingStrategies,
  checkSharedSequences,
} from './validate-companies.js';
import { checkDuplicateProducts } from './validate-products.js';
import { checkSequences } from './validate-sequences.js';
import { checkDuplicateUsers, checkPrimaryCompanies } from './validate-users.js';

/** What the database holds that a load touches (see readStoredState). */
export interface StoredState {
  /** The stored companies the load names, and all their ancestors */
  companies: readonly StoredCompany[];
  /** The stored products that the load's orders name and the load does not define, by SKU */
  products: ReadonlyMap<string, KnownProduct>;
  /** The stored sequences of the companies the load gives one, by owner id */
  sequences: ReadonlyMap<number, StoredSequence>;
  /** The stored orders with the company and number of one in the load, by orderKey */
  orders: ReadonlyMap<string, StoredOrder>;
}

/** A checked load, in the order it is written. */
export interface ImportWrites {
  /** The ids of the stored companies the load names, by code */
  storedCompanyIds: ReadonlyMap<string, number>;
  companies: CompanyWrite[];
  sequences: SequenceWrite[];
  integrations: IntegrationWrite[];
  users: UserWrite[];
  products: ProductWrite[];
  orders: OrderWrite[];
  /** Invoiced orders loaded again with the same content: accepted, not written */
  unchangedOrders: number;
}

export type ValidatedImport = { ok: false; problems: ImportProblem[] } | { ok: true; writes: ImportWrites };

export function validateImport(load: LocatedImport, stored: StoredState): ValidatedImport {
  const companies = load.companies.map((c) => c.value);
  const graph = buildCompanyGraph(stored.companies, companies);
  const orders = resolveOrders(load.orders, graph, knownProducts(load.products, stored.products), stored.orders);
  const invoiced = checkInvoicedOrders(orders.resolved, stored.orders);
  const problems = [
    ...checkDuplicateCompanies(load.companies),
    ...inRecordOrder(
      load.companies,
      checkParents(load.companies, graph),
      checkSharedSequences(load.companies),
      checkPricingStrategies(load.companies, graph),
      checkIntegrationOwners(load.companies),
      checkOneIntegrationPerType(load.companies),
    ),
    ...inRecordOrder(load.users, checkDuplicateUsers(load.users), checkPrimaryCompanies(load.users, graph)),
    ...checkDuplicateProducts(load.products),
    ...inRecordOrder(load.orders, checkDuplicateOrders(load.orders), orders.problems),
    ...checkSequences(load.companies, graph, stored.sequences),
    ...invoiced.problems,
  ];
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    writes: {
      storedCompanyIds: new Map(stored.companies.map((c) => [c.code, c.id])),
      companies: companies.map(toCompanyWrite),
      sequences: toSequenceWrites(companies, graph, stored.sequences),
      integrations: companies.flatMap(toIntegrationWrites),
      users: load.users.map((u) => u.value),
      products: load.products.map((p) => toProductWrite(p.value)),
      orders: invoiced.toWrite,
      unchangedOrders: invoiced.unchanged,
    },
  };
}
