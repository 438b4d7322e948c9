/**
 * The rules a load's users must keep beyond their own fields. Pure.
 */
import type { CompanyGraph } from './company-graph.js';
import type { UserInput } from './import-schema.js';
import { findDuplicates, problemAt, type ImportProblem, type Located } from './locate-records.js';

/** Users are matched by email whatever its case, so two that differ only in case are the same user. */
export function checkDuplicateUsers(users: readonly Located<UserInput>[]): ImportProblem[] {
  return findDuplicates(
    users,
    (u) => u.email.toLowerCase(),
    '.email',
    (u) => `user ${u.email}`,
  );
}

export function checkPrimaryCompanies(users: readonly Located<UserInput>[], graph: CompanyGraph): ImportProblem[] {
  return users
    .filter((u) => u.value.primaryCompany && !graph.has(u.value.primaryCompany))
    .map((u) => problemAt(u, '.primaryCompany', `unknown company "${u.value.primaryCompany}"`));
}
