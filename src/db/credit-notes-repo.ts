/**
 * The credit-note transaction's reads and writes of the invoice it credits: the invoice row locked (so
 * credit notes of one invoice serialise and never credit a unit twice), its lines and tax groups with what
 * is credited so far, and the new credited figures, status and sum written back. The credit note itself is
 * written with the invoices' own functions (invoice-rows.ts), as a row of kind `credit_note`.
 */
import type { Knex } from 'knex';
import type { CreditableLine, CreditableTaxGroup, CreditedLine, CreditedTaxGroup } from '../domain/credit-amounts.js';
import { chunk, dialectOf } from './connect.js';
import {
  toInvoiceRow,
  toLineRow,
  type InvoiceLineRow,
  type InvoiceLineTableRow,
  type InvoiceRow,
  type InvoiceTableRow,
  type InvoiceTaxGroupTableRow,
} from './invoice-rows.js';

export type InvoiceStatus = 'issued' | 'partially_credited' | 'credited';

/** An invoice as a credit note needs it */
export interface CreditableInvoice extends Pick<
  InvoiceRow,
  'id' | 'number' | 'companyId' | 'sellerId' | 'sequenceOwnerId' | 'currency' | 'layout' | 'issueDate' | 'dueDate' | 'snapshot'
> {
  status: InvoiceStatus;
  creditedMinor: number;
}

export type CreditableInvoiceLine = CreditableLine & InvoiceLineRow;

/** Locks the company's row, as the invoicing transaction does (company rows first, in id order, always). */
export async function lockCompanyForCredit(trx: Knex.Transaction, companyId: number): Promise<void> {
  if (dialectOf(trx) === 'mysql') await trx('companies').where('id', companyId).forUpdate().first('id');
  else await trx('companies').where('id', companyId).increment('run_count', 1);
}

/** An invoice's id, company and sequence owner by its number (they never change), or null. */
export async function findInvoiceOwners(db: Knex, number: string): Promise<{ id: number; companyId: number; sequenceOwnerId: number } | null> {
  const row = await db('invoices')
    .where({ number, kind: 'invoice' })
    .first<Pick<InvoiceTableRow, 'id' | 'company_id' | 'sequence_owner_id'> | undefined>('id', 'company_id', 'sequence_owner_id');
  return row ? { id: Number(row.id), companyId: Number(row.company_id), sequenceOwnerId: Number(row.sequence_owner_id) } : null;
}

/**
 * The invoice with its lines and tax groups and what is credited so far. With `lock` (inside the credit-note
 * transaction), the invoice row stays locked until the transaction ends.
 */
export async function readCreditableInvoice(
  q: Knex | Knex.Transaction,
  invoiceId: number,
  lock: boolean,
): Promise<{ invoice: CreditableInvoice; lines: CreditableInvoiceLine[]; taxGroups: CreditableTaxGroup[] } | null> {
  const query = q('invoices').where({ id: invoiceId, kind: 'invoice' });
  const r = await (lock && dialectOf(q) === 'mysql' ? query.forUpdate() : query).first<InvoiceTableRow | undefined>();
  if (!r) return null;
  const lines = await q('invoice_lines').where('invoice_id', invoiceId).orderBy('position').select<InvoiceLineTableRow[]>('*');
  const groups = await q('invoice_tax_groups').where('invoice_id', invoiceId).select<InvoiceTaxGroupTableRow[]>('*');
  return {
    invoice: { ...toInvoiceRow(r), status: r.status as InvoiceStatus, creditedMinor: Number(r.credited_minor) },
    lines: lines.map((l) => ({ ...toLineRow(l), creditedQuantity: Number(l.credited_quantity), creditedNetMinor: Number(l.credited_net_minor) })),
    taxGroups: groups.map((g) => ({
      rateBp: Number(g.tax_rate_bp),
      creditedNetMinor: Number(g.credited_net_minor),
      creditedTaxMinor: Number(g.credited_tax_minor),
    })),
  };
}

/** Writes back what the invoice has credited after a credit note: per line, per rate, its status and sum. */
export async function recordCredit(
  trx: Knex.Transaction,
  invoiceId: number,
  credit: { lines: readonly CreditedLine[]; taxGroups: readonly CreditedTaxGroup[]; status: InvoiceStatus; creditedMinor: number },
): Promise<void> {
  // Lines and groups are keyed by (invoice, position) and (invoice, rate): a CASE on the second key
  const byKey = (column: string, entries: ReadonlyArray<readonly [number, number]>) =>
    trx.raw(`CASE ${column} ${entries.map(() => 'WHEN ? THEN ?').join(' ')} END`, entries.flat());
  for (const part of chunk(credit.lines, 500)) {
    await trx('invoice_lines')
      .where('invoice_id', invoiceId)
      .whereIn(
        'position',
        part.map((l) => l.position),
      )
      .update({
        credited_quantity: byKey(
          'position',
          part.map((l) => [l.position, l.creditedQuantity] as const),
        ),
        credited_net_minor: byKey(
          'position',
          part.map((l) => [l.position, l.creditedNetMinor] as const),
        ),
      });
  }
  for (const g of credit.taxGroups) {
    await trx('invoice_tax_groups')
      .where({ invoice_id: invoiceId, tax_rate_bp: g.rateBp })
      .update({ credited_net_minor: g.creditedNetMinor, credited_tax_minor: g.creditedTaxMinor });
  }
  await trx('invoices').where('id', invoiceId).update({ status: credit.status, credited_minor: credit.creditedMinor });
}

/**
 * Reopens orders a credit note credited whole, to be invoiced again by the next run: no longer invoiced
 * (only while still on this invoice). Returns how many were reopened.
 */
export async function reopenOrders(trx: Knex.Transaction, invoiceId: number, orderIds: readonly number[], now: number): Promise<number> {
  let reopened = 0;
  for (const part of chunk(orderIds, 500)) {
    reopened += await trx('orders').whereIn('id', part).where('invoice_id', invoiceId).update({ invoice_id: null, updated_at: now });
  }
  return reopened;
}
