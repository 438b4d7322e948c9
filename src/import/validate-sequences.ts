/**
 * A numbering sequence can be set up and changed by a load only until it has issued a number: after
 * that its numbers are on invoices, and a different prefix, padding or start would break the series.
 */
import type { StoredSequence } from '../db/import-reads.js';
import type { CompanyGraph } from './company-graph.js';
import type { CompanyInput } from './import-schema.js';
import { problemAt, type ImportProblem, type Located } from './locate-records.js';

type SequenceInput = NonNullable<CompanyInput['sequence']>;

/** Each field a load may not change once numbers were issued: whether the file's value differs from the stored one. */
const FROZEN_FIELDS: ReadonlyArray<{ field: keyof SequenceInput; differs: (s: SequenceInput, stored: StoredSequence) => boolean }> = [
  { field: 'prefix', differs: (s, stored) => s.prefix !== undefined && s.prefix !== stored.prefix },
  { field: 'padding', differs: (s, stored) => s.padding !== undefined && s.padding !== stored.padding },
  // `next` in a file is where the sequence starts; numbering is gap-free, so it started at next − issued
  { field: 'next', differs: (s, stored) => s.next !== undefined && s.next !== stored.nextValue - stored.issued },
];

/** `stored` holds the sequences of the stored companies, by owner id. */
export function checkFrozenSequences(
  companies: readonly Located<CompanyInput>[],
  graph: CompanyGraph,
  stored: ReadonlyMap<number, StoredSequence>,
): ImportProblem[] {
  const problems: ImportProblem[] = [];
  for (const c of companies) {
    const s = c.value.sequence;
    const id = graph.get(c.value.code)?.id;
    const seq = s && id != null ? stored.get(id) : undefined;
    if (!s || !seq || seq.issued === 0) continue;
    for (const { field, differs } of FROZEN_FIELDS) {
      if (differs(s, seq))
        problems.push(problemAt(c, `.sequence.${field}`, `cannot change: ${c.value.code}'s sequence has already issued ${seq.issued} number(s)`));
    }
  }
  return problems;
}
