/**
 * A numbering sequence can be set up and changed by a load only until it has issued a number: after
 * that its numbers are on invoices, and a different prefix, padding or start would break the series. The
 * same holds for the credit-note prefix once a credit note has been issued.
 */
import type { StoredSequence } from '../db/import-reads.js';
import { defaultCreditNotePrefix, defaultSequencePrefix } from '../domain/invoice-number.js';
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

type SequenceEntry = { c: Located<CompanyInput>; s: SequenceInput; seq: StoredSequence | undefined };

/** Numbering that has issued numbers keeps its prefix, padding and start. */
function frozenNumberingProblems({ c, s, seq }: SequenceEntry): ImportProblem[] {
  if (!seq || seq.issued === 0) return [];
  return FROZEN_FIELDS.filter(({ differs }) => differs(s, seq)).map(({ field }) =>
    problemAt(c, `.sequence.${field}`, `cannot change: ${c.value.code}'s sequence has already issued ${seq.issued} number(s)`),
  );
}

/**
 * Credit-note numbers come from the owner's own counter but share the invoices' namespace (and their file
 * names): the two prefixes must never make the same number. They can only when one is the other followed
 * by digits (or equal): "A-" and "A-1" both give "A-1000001".
 */
export function prefixesCanCollide(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return long.startsWith(short) && /^\d*$/.test(long.slice(short.length));
}

/**
 * A credit-note prefix cannot change once the owner has issued a credit note, and must not make numbers
 * its invoice prefix could make.
 */
function creditNotePrefixProblems({ c, s, seq }: SequenceEntry): ImportProblem[] {
  if (s.creditNotePrefix === undefined && s.prefix === undefined) return [];
  const storedCreditPrefix = seq ? (seq.creditNotePrefix ?? defaultCreditNotePrefix(c.value.code)) : undefined;
  if (s.creditNotePrefix !== undefined && seq && seq.creditNotesIssued > 0 && s.creditNotePrefix !== storedCreditPrefix) {
    return [problemAt(c, '.sequence.creditNotePrefix', `cannot change: ${c.value.code} has already issued ${seq.creditNotesIssued} credit note(s)`)];
  }
  const invoicePrefix = (seq && seq.issued > 0 ? seq.prefix : s.prefix) ?? seq?.prefix ?? defaultSequencePrefix(c.value.code);
  const creditPrefix = s.creditNotePrefix ?? storedCreditPrefix ?? defaultCreditNotePrefix(c.value.code);
  if (!prefixesCanCollide(invoicePrefix, creditPrefix)) return [];
  return [
    problemAt(
      c,
      s.creditNotePrefix !== undefined ? '.sequence.creditNotePrefix' : '.sequence.prefix',
      `the invoice prefix "${invoicePrefix}" and the credit-note prefix "${creditPrefix}" could make the same number; choose prefixes where neither is the other followed by digits`,
    ),
  ];
}

/** The sequences the load sets, checked against what is stored (`stored`: by owner id). */
export function checkSequences(companies: readonly Located<CompanyInput>[], graph: CompanyGraph, stored: ReadonlyMap<number, StoredSequence>): ImportProblem[] {
  return companies.flatMap((c) => {
    const s = c.value.sequence;
    if (!s) return [];
    const id = graph.get(c.value.code)?.id;
    const entry = { c, s, seq: id != null ? stored.get(id) : undefined };
    return [...frozenNumberingProblems(entry), ...creditNotePrefixProblems(entry)];
  });
}
