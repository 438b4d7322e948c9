/**
 * One company's invoicing transaction as of an instant, with the default eligibility rules and no entry in
 * the run log: what the benchmarks time, and what tests use to invoice without a whole run.
 */
import type { Knex } from 'knex';
import type { RunParties } from '../src/domain/company.js';
import type { EligibilityRules } from '../src/domain/eligibility.js';
import { invoiceCompany } from '../src/pipeline/invoice-companies.js';

/** Orders with errors left out, no startingFrom: a run without options */
export const DEFAULT_RULES: EligibilityRules = { includeErrors: false, startingFrom: null };

export function invoiceAsOf(db: Knex, parties: RunParties, mode: 'auto' | 'manual', at: number): ReturnType<typeof invoiceCompany> {
  return invoiceCompany(db, { parties, mode, asOf: at, rules: DEFAULT_RULES, runId: null, now: at });
}
