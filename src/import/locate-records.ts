/**
 * The records of an import, each with where it came from (`file`, `orders[3]`), so that every problem
 * found in it can name its file and JSON path.
 */
import type { Problem } from '../domain/errors.js';
import type { CompanyInput, OrderInput, ProductInput, UserInput } from './import-schema.js';
import type { ImportSource } from './read-import-files.js';

export interface Located<T> {
  value: T;
  file: string;
  /** The record's JSON path in its file: `orders[3]` */
  path: string;
}

/** Every record of a load, files in the order given. */
export interface LocatedImport {
  companies: Located<CompanyInput>[];
  users: Located<UserInput>[];
  products: Located<ProductInput>[];
  orders: Located<OrderInput>[];
}

/** A problem with one value of an import: its file, its JSON path, what is wrong. */
export type ImportProblem = Problem & { file: string };

export function locateRecords(sources: readonly ImportSource[]): LocatedImport {
  const pick = <T>(list: (s: ImportSource) => readonly T[], name: string): Located<T>[] =>
    sources.flatMap((s) => list(s).map((value, i) => ({ value, file: s.file, path: `${name}[${i}]` })));
  return {
    companies: pick((s) => s.data.companies, 'companies'),
    users: pick((s) => s.data.users, 'users'),
    products: pick((s) => s.data.products, 'products'),
    orders: pick((s) => s.data.orders, 'orders'),
  };
}

/** A problem with a record (`field` empty) or one of its fields (`.items[0].quantity`). */
export function problemAt(record: { file: string; path: string }, field: string, message: string): ImportProblem {
  return { file: record.file, path: `${record.path}${field}`, message };
}

/**
 * The records whose key another record before them already has: the same company, user, product or
 * order twice in one load.
 */
export function findDuplicates<T>(records: readonly Located<T>[], key: (value: T) => string, field: string, describe: (value: T) => string): ImportProblem[] {
  const firstSeen = new Map<string, string>();
  const problems: ImportProblem[] = [];
  for (const r of records) {
    const k = key(r.value);
    const earlier = firstSeen.get(k);
    if (earlier !== undefined) problems.push(problemAt(r, field, `${describe(r.value)} appears twice in this load (also ${earlier})`));
    firstSeen.set(k, r.path);
  }
  return problems;
}

/**
 * The problems of several checks over the same records, record by record (files in the order given,
 * records in file order), each record's in the order of the checks.
 */
export function inRecordOrder<T>(records: readonly Located<T>[], ...checks: ImportProblem[][]): ImportProblem[] {
  const problems = checks.flat();
  if (problems.length < 2) return problems;
  const position = new Map(records.map((r, i) => [`${r.file}\u0000${r.path}`, i]));
  const recordOf = (p: ImportProblem) => position.get(`${p.file}\u0000${p.path.slice(0, p.path.indexOf(']') + 1)}`) ?? records.length;
  // (sort is stable: one record's problems keep the order of the checks)
  return problems.sort((a, b) => recordOf(a) - recordOf(b));
}
