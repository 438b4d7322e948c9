/**
 * A dry run: what a run would invoice now, with the numbers it would take; writes nothing, locks nothing,
 * consumes no number.
 */
import type { Knex } from 'knex';
import { selectOpenOrders } from '../db/open-orders-repo.js';
import { peekSequence } from '../db/sequences-repo.js';
import { buildInvoiceDrafts } from '../domain/build-invoices.js';
import type { RunParties } from '../domain/company.js';
import type { EligibilityRules, SkipCounts } from '../domain/eligibility.js';
import { formatInvoiceNumber } from '../domain/invoice-number.js';
import { classifyOpenOrders, summariseDraft, type IssuedInvoice } from './invoice-companies.js';

export async function previewInvoices(
  db: Knex,
  parties: RunParties,
  rules: EligibilityRules,
  asOf: number,
): Promise<{ invoices: IssuedInvoice[]; skipped: SkipCounts }> {
  const { eligible, skipped } = classifyOpenOrders(await selectOpenOrders(db, [parties.buyer.id], asOf, false), rules);
  const drafts = buildInvoiceDrafts(eligible);
  const seq = await peekSequence(db, parties.sequenceOwner);
  return {
    invoices: drafts.map((d, i) => summariseDraft(d, formatInvoiceNumber(seq.prefix, seq.padding, seq.next + i), null, parties.buyer.invoicing.layout)),
    skipped,
  };
}
