/**
 * The invoicing transaction (one short transaction per batch of companies sharing a sequence owner):
 *  1. lock the companies' rows (in id order) and read their open orders with their items;
 *  2. keep the eligible ones and build the invoices (src/domain/build-invoices.ts);
 *  3. take as many numbers from the owner's counter row as there are invoices;
 *  4. insert the invoices, their lines and tax groups;
 *  5. mark the orders invoiced (each must still be open, or everything rolls back);
 *  6. queue a pending delivery per enabled integration of each invoice's company.
 *
 * Lock order is always company rows → sequence row, so runs and batches cannot deadlock each other: two
 * runs of one company serialise on its row (the second finds nothing left), runs of different companies
 * meet only at the sequence row. Nothing slow (PDF, SMTP, SFTP) happens in here; a number is consumed
 * only if the transaction commits. SQL is in src/db/.
 */
import type { Knex } from 'knex';
import { dialectOf, inTransaction } from '../db/connect.js';
import { insertInvoiceLines, insertInvoices, insertTaxGroups, type InvoiceLineRow, type InvoiceRow, type InvoiceRows } from '../db/invoice-rows.js';
import { lockCompaniesForInvoicing, markOrdersInvoiced, selectOpenOrders, type OpenOrder } from '../db/open-orders-repo.js';
import { queueDeliveries } from '../db/deliveries-repo.js';
import { ensureSequence, takeNumbers } from '../db/sequences-repo.js';
import { buildInvoiceDrafts, type EligibleOrder, type InvoiceDraft } from '../domain/build-invoices.js';
import type { RunParties } from '../domain/company.js';
import { addDays, emptySkipCounts, localDate, skipReason, type EligibilityRules, type SkipCounts } from '../domain/eligibility.js';
import { AppError } from '../domain/errors.js';
import { groupBy } from '../domain/group-by.js';
import { formatInvoiceNumber } from '../domain/invoice-number.js';
import { snapshotOf } from '../domain/invoice-snapshot.js';
import { formatAmount } from '../domain/money.js';

/** An invoice as a run reports it. */
export interface IssuedInvoice {
  id: number | null;
  number: string;
  currency: string;
  orders: string[];
  lines: number;
  net: string;
  tax: string;
  total: string;
  layout: string;
}

/** One company of a batch: its parties, its rules, and the run (if any) its invoices belong to. */
export interface BatchMember {
  parties: RunParties;
  rules: EligibilityRules;
  runId: number | null;
}

export interface InvoiceBatchOptions {
  mode: 'auto' | 'manual';
  /** The run's time: orders created after it are not considered; the issue date derives from it */
  asOf: number;
  now: number;
  /** Distinct companies that share one sequence owner */
  members: BatchMember[];
}

export interface InvoiceBatchResult {
  /** In the order of the members given */
  members: Array<{ invoices: IssuedInvoice[]; skipped: SkipCounts; drafts: InvoiceDraft[] }>;
  /** Statements the transaction issued (for the batching guarantee; see the engine tests) */
  queries: number;
  /** Every invoice written, as a read would return it (handed to the outbox) */
  rows: InvoiceRows;
}

/** Sorts a company's open orders into the eligible ones and the counts of those skipped, by first reason. */
export function classifyOpenOrders(orders: readonly OpenOrder[], rules: EligibilityRules): { eligible: EligibleOrder[]; skipped: SkipCounts } {
  const skipped = emptySkipCounts();
  const eligible: EligibleOrder[] = [];
  for (const o of orders) {
    const reason = skipReason(o, rules);
    if (reason) skipped[reason]++;
    else eligible.push(o);
  }
  return { eligible, skipped };
}

export function summariseDraft(draft: InvoiceDraft, number: string, id: number | null, layout: string): IssuedInvoice {
  return {
    id,
    number,
    currency: draft.currency,
    orders: draft.orders.map((o) => o.number),
    lines: draft.lines.length,
    net: formatAmount(draft.netMinor),
    tax: formatAmount(draft.taxMinor),
    total: formatAmount(draft.totalMinor),
    layout,
  };
}

const noRows = (): InvoiceRows => ({ invoices: [], lines: [], taxGroups: [], orders: [] });

/** Checks that a batch's members are distinct companies sharing one sequence owner; returns that owner. */
function batchOwner(members: readonly BatchMember[]): RunParties['sequenceOwner'] {
  const owner = members[0]!.parties.sequenceOwner;
  const buyerIds = new Set<number>();
  for (const m of members) {
    if (m.parties.sequenceOwner.id !== owner.id) throw new AppError('INTERNAL', 'a batch shares one sequence owner');
    if (buyerIds.has(m.parties.buyer.id)) throw new AppError('INTERNAL', `company ${m.parties.buyer.code} is twice in one batch`);
    buyerIds.add(m.parties.buyer.id);
  }
  return owner;
}

/**
 * Invoices one or more companies that share a sequence owner, in one transaction: the scheduler invoices
 * the companies due in one tick together, a batch per owner, since their runs would queue at the owner's
 * counter row anyway. If anything fails, the whole batch rolls back.
 */
export async function invoiceCompanies(db: Knex, o: InvoiceBatchOptions): Promise<InvoiceBatchResult> {
  if (o.members.length === 0) return { members: [], queries: 0, rows: noRows() };
  const owner = batchOwner(o.members);
  await ensureSequence(db, owner, o.now);
  const lockReads = dialectOf(db) === 'mysql';
  // Per member, what does not depend on the database
  const issueDates = new Map<string, string>();
  const fixed = o.members.map((m) => {
    const { buyer } = m.parties;
    let issueDate = issueDates.get(buyer.timezone);
    if (issueDate === undefined) issueDates.set(buyer.timezone, (issueDate = localDate(o.asOf, buyer.timezone)));
    return { issueDate, dueDate: addDays(issueDate, buyer.invoicing.paymentTermsDays), snapshot: snapshotOf(m.parties), layout: buyer.invoicing.layout };
  });

  return inTransaction(db, async (trx) => {
    let queries = 0;
    const count = () => void queries++;
    // 1. Concurrent runs of these companies wait here, then find nothing left
    const companyIds = o.members.map((m) => m.parties.buyer.id);
    await lockCompaniesForInvoicing(trx, companyIds, count);
    const openByCompany = groupBy(await selectOpenOrders(trx, companyIds, o.asOf, lockReads, count), (order) => order.companyId);

    // 2. Eligible orders → invoice drafts
    const perMember = o.members.map((m) => {
      const { eligible, skipped } = classifyOpenOrders(openByCompany.get(m.parties.buyer.id) ?? [], m.rules);
      return { skipped, drafts: buildInvoiceDrafts(eligible) };
    });
    const all = perMember.flatMap((m, k) => m.drafts.map((d) => ({ d, k })));
    if (all.length === 0) return { members: perMember.map((m) => ({ invoices: [], skipped: m.skipped, drafts: m.drafts })), queries, rows: noRows() };

    // 3. Numbers from the owner's counter row, consumed only if this transaction commits; the members'
    //    invoices take them in the members' order
    const seq = await takeNumbers(trx, db, owner.id, all.length, o.now, count);
    const invoiceRows: Array<Omit<InvoiceRow, 'id'>> = all.map(({ d, k }, i) => {
      const m = o.members[k]!;
      const f = fixed[k]!;
      return {
        kind: 'invoice',
        credits: null,
        number: formatInvoiceNumber(seq.prefix, seq.padding, seq.first + i),
        companyId: m.parties.buyer.id,
        sellerId: m.parties.seller.id,
        sequenceOwnerId: owner.id,
        runId: m.runId,
        mode: o.mode,
        currency: d.currency,
        layout: f.layout,
        issueDate: f.issueDate,
        dueDate: f.dueDate,
        netMinor: d.netMinor,
        taxMinor: d.taxMinor,
        totalMinor: d.totalMinor,
        lineCount: d.lines.length,
        orderCount: d.orders.length,
        snapshot: f.snapshot,
        createdAt: o.now,
      };
    });

    // 4. Invoices (the unique index on the number is the backstop against reuse), lines and tax groups
    const ids = await insertInvoices(trx, db, invoiceRows, count);
    const lines: InvoiceLineRow[] = all.flatMap(({ d }, i) => d.lines.map((l) => ({ invoiceId: ids[i]!, ...l })));
    await insertInvoiceLines(trx, lines, count);
    const taxGroups = all.flatMap(({ d }, i) => d.taxGroups.map((g) => ({ invoiceId: ids[i]!, ...g })));
    await insertTaxGroups(trx, taxGroups, count);

    // 5. The orders; each must still be open, or the whole batch rolls back
    const marked = await markOrdersInvoiced(
      trx,
      all.map(({ d }, i) => ({ invoiceId: ids[i]!, orderIds: d.orders.map((ord) => ord.id) })),
      o.now,
      count,
    );
    if (!marked) {
      const codes = o.members.map((m) => m.parties.buyer.code).join(', ');
      throw new AppError('CONFLICT', `orders of ${codes} changed while being invoiced; run again`, { retryable: true });
    }

    // 6. The outbox
    await queueDeliveries(
      trx,
      all.map(({ k }, i) => ({ invoiceId: ids[i]!, companyId: o.members[k]!.parties.buyer.id })),
      o.now,
      count,
    );

    const issued: IssuedInvoice[][] = o.members.map(() => []);
    all.forEach(({ d, k }, i) => issued[k]!.push(summariseDraft(d, invoiceRows[i]!.number, ids[i]!, fixed[k]!.layout)));
    return {
      members: perMember.map((m, k) => ({ invoices: issued[k]!, skipped: m.skipped, drafts: m.drafts })),
      queries,
      rows: {
        invoices: invoiceRows.map((r, i) => ({ ...r, id: ids[i]! })),
        lines,
        taxGroups,
        orders: all.flatMap(({ d }) => d.orders.map((ord) => ({ id: ord.id, number: ord.number, relatingTo: ord.relatingTo, createdAt: ord.createdAt }))),
      },
    };
  });
}

/** One company's invoicing transaction (a batch of one). */
export async function invoiceCompany(
  db: Knex,
  o: { parties: RunParties; mode: 'auto' | 'manual'; asOf: number; rules: EligibilityRules; runId: number | null; now: number },
): Promise<{ invoices: IssuedInvoice[]; skipped: SkipCounts; drafts: InvoiceDraft[]; queries: number; rows: InvoiceRows }> {
  const batch = await invoiceCompanies(db, { mode: o.mode, asOf: o.asOf, now: o.now, members: [{ parties: o.parties, rules: o.rules, runId: o.runId }] });
  return { ...batch.members[0]!, queries: batch.queries, rows: batch.rows };
}
