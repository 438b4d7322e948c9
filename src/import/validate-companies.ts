/**
 * The rules a load's companies must keep that need more than one value: each returns the problems it
 * finds, with their JSON paths. Pure.
 */
import { pricingStrategies } from '../domain/pricing.js';
import { findParentCycle, type CompanyGraph } from './company-graph.js';
import type { CompanyInput } from './import-schema.js';
import { findDuplicates, problemAt, type ImportProblem, type Located } from './locate-records.js';

type Companies = readonly Located<CompanyInput>[];

/** "an admin", "a supplier" */
export const companyTypeWithArticle = (type: string): string => `${type === 'admin' ? 'an' : 'a'} ${type}`;

/** Companies that take orders and have accounting integrations. */
export const isRetailer = (type: string): boolean => type === 'dropship' || type === 'self_fulfilment';

export function checkDuplicateCompanies(companies: Companies): ImportProblem[] {
  return findDuplicates(
    companies,
    (c) => c.code,
    '.code',
    (c) => `company ${c.code}`,
  );
}

/** A company's parent (given, or stored) must exist, and following parents must never lead back to it. */
export function checkParents(companies: Companies, graph: CompanyGraph): ImportProblem[] {
  const problems: ImportProblem[] = [];
  for (const c of companies) {
    const parentCode = graph.get(c.value.code)?.parentCode ?? null;
    if (parentCode === null) continue;
    if (!graph.has(parentCode)) {
      problems.push(problemAt(c, '.parent', `unknown company "${parentCode}"`));
      continue;
    }
    const cycle = findParentCycle(graph, c.value.code);
    if (cycle) problems.push(problemAt(c, '.parent', `parents form a cycle: ${cycle.join(' → ')}`));
  }
  return problems;
}

export function checkSharedSequences(companies: Companies): ImportProblem[] {
  return companies
    .filter((c) => c.value.sharedSequence && c.value.type !== 'admin')
    .map((c) => problemAt(c, '.sharedSequence', 'only an admin company can share its sequence with the companies below it'));
}

/** The pricing strategy a company will have (given, or stored) must be one the program knows. */
export function checkPricingStrategies(companies: Companies, graph: CompanyGraph): ImportProblem[] {
  const problems: ImportProblem[] = [];
  for (const c of companies) {
    const name = graph.get(c.value.code)?.pricingStrategy ?? 'default';
    if (pricingStrategies.has(name)) continue;
    problems.push(problemAt(c, '.pricingStrategy', `unknown pricing strategy "${name}" (known: ${[...pricingStrategies.keys()].join(', ')})`));
  }
  return problems;
}

/** Only dropship and self-fulfilment companies have accounting integrations. */
export function checkIntegrationOwners(companies: Companies): ImportProblem[] {
  return companies
    .filter((c) => (c.value.integrations ?? []).length > 0 && !isRetailer(c.value.type))
    .map((c) =>
      problemAt(
        c,
        '.integrations',
        `accounting integrations belong to dropship or self-fulfilment companies; ${c.value.code} is ${companyTypeWithArticle(c.value.type)}`,
      ),
    );
}

/** A company has at most one integration of each type. */
export function checkOneIntegrationPerType(companies: Companies): ImportProblem[] {
  const problems: ImportProblem[] = [];
  for (const c of companies) {
    const types = new Set<string>();
    (c.value.integrations ?? []).forEach((integration, j) => {
      if (types.has(integration.type)) problems.push(problemAt(c, `.integrations[${j}].type`, `a company has at most one ${integration.type} integration`));
      types.add(integration.type);
    });
  }
  return problems;
}
