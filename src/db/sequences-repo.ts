/**
 * Numbering sequences: one counter row per owner company. Numbers are taken inside the invoicing
 * transaction with the row locked, so they are consumed only if it commits: gap-free and unique, with the
 * unique index on invoice numbers as the backstop.
 */
import type { Knex } from 'knex';
import { AppError } from '../domain/errors.js';
import { defaultCreditNotePrefix, defaultSequencePrefix, DEFAULT_SEQUENCE_PADDING } from '../domain/invoice-number.js';
import { dialectOf } from './connect.js';

/** A `sequences` row as the database returns it (numbers may come back as strings from MySQL) */
export interface SequenceRow {
  owner_company_id: number | string;
  prefix: string;
  padding: number | string;
  next_value: number | string;
  issued: number | string;
  /** null: the default (the owner's code + "-CN-") */
  credit_note_prefix: string | null;
  credit_note_next: number | string;
  credit_notes_issued: number | string;
}

export interface SequenceFormat {
  prefix: string;
  padding: number;
}

/** Owners known to have a sequence row, per database: sequences are never deleted. */
const knownSequences = new WeakMap<Knex, Set<number>>();

/** Creates the owner's sequence with its defaults if it has none yet (race-safe; outside any run's transaction). */
export async function ensureSequence(db: Knex, owner: { id: number; code: string }, now: number): Promise<void> {
  let known = knownSequences.get(db);
  if (!known) knownSequences.set(db, (known = new Set()));
  if (known.has(owner.id)) return;
  // A plain read first: an INSERT meeting an existing row would wait for any run holding that row
  if ((await db('sequences').where('owner_company_id', owner.id).first('owner_company_id')) === undefined) {
    await db('sequences')
      .insert({
        owner_company_id: owner.id,
        prefix: defaultSequencePrefix(owner.code),
        padding: DEFAULT_SEQUENCE_PADDING,
        next_value: 1,
        issued: 0,
        created_at: now,
        updated_at: now,
      })
      .onConflict('owner_company_id')
      .ignore();
  }
  known.add(owner.id);
}

/** Prefix and padding of sequences that have issued numbers (and so can no longer change), per database. */
const frozenFormats = new WeakMap<Knex, Map<number, SequenceFormat>>();

/**
 * Takes `count` numbers from the owner's counter row; returns the first and the format. The row stays
 * locked until the transaction ends, so numbers are consumed only if it commits.
 */
export async function takeNumbers(
  trx: Knex.Transaction,
  db: Knex,
  ownerId: number,
  count: number,
  now: number,
  onStatement: () => void = () => undefined,
): Promise<SequenceFormat & { first: number }> {
  let formats = frozenFormats.get(db);
  if (!formats) frozenFormats.set(db, (formats = new Map<number, SequenceFormat>()));
  const known = formats.get(ownerId);
  if (known) {
    onStatement();
    // One statement: the increment returns the new value (MySQL through LAST_INSERT_ID, SQLite RETURNING)
    if (dialectOf(trx) === 'mysql') {
      // mysql2 answers [the statement's result, its fields]: only the first is read
      const [result] = await trx.raw<Array<{ insertId: number; affectedRows: number }>>(
        'UPDATE sequences SET next_value = LAST_INSERT_ID(next_value + ?), issued = issued + ?, updated_at = ? WHERE owner_company_id = ?',
        [count, count, now, ownerId],
      );
      if (result?.affectedRows !== 1) throw new AppError('INTERNAL', `sequence ${ownerId} vanished`);
      return { first: Number(result.insertId) - count, ...known };
    }
    const rows = await trx.raw<Array<Pick<SequenceRow, 'next_value'>>>(
      'UPDATE sequences SET next_value = next_value + ?, issued = issued + ?, updated_at = ? WHERE owner_company_id = ? RETURNING next_value',
      [count, count, now, ownerId],
    );
    if (rows.length !== 1) throw new AppError('INTERNAL', `sequence ${ownerId} vanished`);
    return { first: Number(rows[0]!.next_value) - count, ...known };
  }
  const seqQuery = trx('sequences').where('owner_company_id', ownerId);
  onStatement();
  const seq = await (dialectOf(trx) === 'mysql' ? seqQuery.forUpdate() : seqQuery).first<SequenceRow | undefined>();
  if (!seq) throw new AppError('INTERNAL', `sequence ${ownerId} vanished`);
  const first = Number(seq.next_value);
  onStatement();
  await trx('sequences')
    .where('owner_company_id', ownerId)
    .update({ next_value: first + count, issued: Number(seq.issued) + count, updated_at: now });
  const format = { prefix: seq.prefix, padding: Number(seq.padding) };
  // A sequence that had issued numbers before this transaction has a frozen format (load refuses
  // changes), so it can be remembered; one issuing its first number might still roll back
  if (Number(seq.issued) > 0) formats.set(ownerId, format);
  return { first, ...format };
}

/** The next numbers the owner's sequence would give, without taking them (a dry run); the defaults if it has none yet. */
export async function peekSequence(db: Knex, owner: { id: number; code: string }): Promise<SequenceFormat & { next: number }> {
  const seq = await db('sequences')
    .where('owner_company_id', owner.id)
    .first<Pick<SequenceRow, 'prefix' | 'padding' | 'next_value'> | undefined>('prefix', 'padding', 'next_value');
  return seq
    ? { prefix: seq.prefix, padding: Number(seq.padding), next: Number(seq.next_value) }
    : { prefix: defaultSequencePrefix(owner.code), padding: DEFAULT_SEQUENCE_PADDING, next: 1 };
}

/** The credit-note counter's columns (its prefix read `as prefix`) */
type CreditNoteCounter = Pick<SequenceRow, 'padding' | 'credit_note_next' | 'credit_notes_issued'> & { prefix: string | null };

const creditNoteFormat = (owner: { code: string }, row: CreditNoteCounter) => ({
  prefix: row.prefix ?? defaultCreditNotePrefix(owner.code),
  padding: Number(row.padding),
  next: Number(row.credit_note_next),
});

/**
 * Takes the next number of the owner's credit-note counter (its own prefix and next value, the sequence's
 * padding). The row stays locked until the transaction ends, so the number is consumed only if it commits.
 */
export async function takeCreditNoteNumber(
  trx: Knex.Transaction,
  owner: { id: number; code: string },
  now: number,
): Promise<SequenceFormat & { value: number }> {
  const query = trx('sequences').where('owner_company_id', owner.id);
  const row = await (dialectOf(trx) === 'mysql' ? query.forUpdate() : query).first<CreditNoteCounter | undefined>(
    'credit_note_prefix as prefix',
    'padding',
    'credit_note_next',
    'credit_notes_issued',
  );
  if (!row) throw new AppError('INTERNAL', `sequence of ${owner.code} vanished`);
  const format = creditNoteFormat(owner, row);
  await trx('sequences')
    .where('owner_company_id', owner.id)
    .update({ credit_note_next: format.next + 1, credit_notes_issued: Number(row.credit_notes_issued) + 1, updated_at: now });
  return { prefix: format.prefix, padding: format.padding, value: format.next };
}

/** The number the owner's next credit note would take (a dry run). */
export async function peekCreditNoteNumber(db: Knex | Knex.Transaction, owner: { id: number; code: string }): Promise<SequenceFormat & { value: number }> {
  const row = await db('sequences')
    .where('owner_company_id', owner.id)
    .first<CreditNoteCounter | undefined>('credit_note_prefix as prefix', 'padding', 'credit_note_next', 'credit_notes_issued');
  const format = row ? creditNoteFormat(owner, row) : { prefix: defaultCreditNotePrefix(owner.code), padding: DEFAULT_SEQUENCE_PADDING, next: 1 };
  return { prefix: format.prefix, padding: format.padding, value: format.next };
}
