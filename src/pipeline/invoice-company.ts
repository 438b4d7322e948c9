/**
 * The invoicing transaction: one short transaction that locks the company, selects its eligible orders,
 * takes numbers from the owner's counter row, inserts the invoices with their lines and tax groups,
 * marks the orders invoiced and queues one pending delivery per enabled integration.
 *
 * Lock order is always company row → sequence row, so runs cannot deadlock each other: two runs of one
 * company serialise on the company row (the second finds nothing left), runs of different companies
 * meet only at the sequence row. Nothing slow (PDF, SMTP, SFTP) happens in here.
 */
import type { Knex } from 'knex';
import { batchSizeFor, chunk, dialectOf, inTransaction } from '../db/connect.js';
import { buildInvoiceDrafts, type EligibleOrder, type InvoiceDraft } from '../domain/build-invoices.js';
import { emptySkipCounts, localDate, addDays, skipReason, type EligibilityRules, type SkipCounts } from '../domain/eligibility.js';
import { AppError } from '../domain/errors.js';
import { defaultSequencePrefix, DEFAULT_SEQUENCE_PADDING, formatInvoiceNumber } from '../domain/invoice-number.js';
import { formatAmount } from '../domain/money.js';
import { toParty } from '../db/companies-repo.js';
import type { RunParties } from './resolve-parties.js';

export interface InvoiceCompanyOptions {
  parties: RunParties;
  mode: 'auto' | 'manual';
  /** The run's time: orders created after it are not considered; the issue date derives from it */
  asOf: number;
  rules: EligibilityRules;
  dryRun: boolean;
  runId: number | null;
  now: number;
}

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

export interface InvoiceCompanyResult {
  invoices: IssuedInvoice[];
  skipped: SkipCounts;
  /** Queries issued by the transaction (for the batching guarantee; see the engine tests) */
  queries: number;
}

/** What an invoice keeps of its parties as they were at issue time (see invoices.snapshot). */
export interface InvoiceSnapshot {
  seller: ReturnType<typeof toParty>;
  buyer: ReturnType<typeof toParty>;
  payment: { details: string | null; iban: string | null; bic: string | null; termsDays: number };
  logoSha256: string | null;
  timezone: string;
}

interface CandidateRow {
  id: number | string;
  number: string;
  status: string;
  on_hold: number | boolean;
  has_errors: number | boolean;
  created_at: number | string;
  currency: string;
  shipping_minor: number | string;
  unique_invoice: number | boolean;
  relating_to: string | null;
}

interface ItemRow {
  order_id: number | string;
  sku: string;
  description: string;
  quantity: number | string;
  unit_cost_price_e4: number | string;
  tax_rate_bp: number | string;
}

/** Creates the owner's sequence with its defaults if it has none yet (race-safe, outside the run). */
export async function ensureSequence(db: Knex, owner: { id: number; code: string }, now: number): Promise<void> {
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

async function selectCandidates(q: Knex, companyId: number, asOf: number): Promise<{ rows: CandidateRow[]; items: ItemRow[] }> {
  const rows = (await q('orders')
    .where('company_id', companyId)
    .whereNull('invoice_id')
    .where('created_at', '<=', asOf)
    .select('id', 'number', 'status', 'on_hold', 'has_errors', 'created_at', 'currency', 'shipping_minor', 'unique_invoice', 'relating_to')) as CandidateRow[];
  // One query for every candidate's items, whatever their number
  const items = (await q('order_items as oi')
    .join('orders as o', 'o.id', 'oi.order_id')
    .where('o.company_id', companyId)
    .whereNull('o.invoice_id')
    .where('o.created_at', '<=', asOf)
    .orderBy([
      { column: 'oi.order_id', order: 'asc' },
      { column: 'oi.position', order: 'asc' },
    ])
    .select('oi.order_id', 'oi.sku', 'oi.description', 'oi.quantity', 'oi.unit_cost_price_e4', 'oi.tax_rate_bp')) as ItemRow[];
  return { rows, items };
}

function classify(rows: CandidateRow[], items: ItemRow[], rules: EligibilityRules): { eligible: EligibleOrder[]; skipped: SkipCounts } {
  const skipped = emptySkipCounts();
  const eligible = new Map<number, EligibleOrder>();
  for (const r of rows) {
    const reason = skipReason(
      { status: r.status, onHold: Boolean(r.on_hold), hasErrors: Boolean(r.has_errors), createdAt: Number(r.created_at) },
      rules,
    );
    if (reason) {
      skipped[reason]++;
      continue;
    }
    eligible.set(Number(r.id), {
      id: Number(r.id),
      number: r.number,
      currency: r.currency,
      shippingMinor: Number(r.shipping_minor),
      uniqueInvoice: Boolean(r.unique_invoice),
      relatingTo: r.relating_to,
      createdAt: Number(r.created_at),
      items: [],
    });
  }
  for (const it of items) {
    eligible.get(Number(it.order_id))?.items.push({
      sku: it.sku,
      description: it.description,
      quantity: Number(it.quantity),
      unitPriceE4: Number(it.unit_cost_price_e4),
      taxRateBp: Number(it.tax_rate_bp),
    });
  }
  return { eligible: [...eligible.values()], skipped };
}

function summarise(draft: InvoiceDraft, number: string, id: number | null, layout: string): IssuedInvoice {
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

export function snapshotOf(parties: RunParties): InvoiceSnapshot {
  const inv = parties.buyer.invoicing;
  return {
    seller: toParty(parties.seller),
    buyer: toParty(parties.buyer),
    payment: { details: inv.paymentDetails, iban: inv.iban, bic: inv.bic, termsDays: inv.paymentTermsDays },
    logoSha256: inv.logoSha256,
    timezone: parties.buyer.timezone,
  };
}

/** A dry run: what would be invoiced, with the numbers it would take; writes nothing, locks nothing. */
async function previewCompany(db: Knex, o: InvoiceCompanyOptions): Promise<InvoiceCompanyResult> {
  const { rows, items } = await selectCandidates(db, o.parties.buyer.id, o.asOf);
  const { eligible, skipped } = classify(rows, items, o.rules);
  const drafts = buildInvoiceDrafts(eligible);
  const seq = (await db('sequences').where('owner_company_id', o.parties.sequenceOwner.id).first()) as
    | { prefix: string; padding: number; next_value: number | string }
    | undefined;
  const prefix = seq?.prefix ?? defaultSequencePrefix(o.parties.sequenceOwner.code);
  const padding = seq ? Number(seq.padding) : DEFAULT_SEQUENCE_PADDING;
  const next = seq ? Number(seq.next_value) : 1;
  return {
    invoices: drafts.map((d, i) => summarise(d, formatInvoiceNumber(prefix, padding, next + i), null, o.parties.buyer.invoicing.layout)),
    skipped,
    queries: 0,
  };
}

export async function invoiceCompany(db: Knex, o: InvoiceCompanyOptions): Promise<InvoiceCompanyResult & { drafts: InvoiceDraft[] }> {
  if (o.dryRun) {
    const preview = await previewCompany(db, o);
    return { ...preview, drafts: [] };
  }
  const { buyer, sequenceOwner } = o.parties;
  await ensureSequence(db, sequenceOwner, o.now);
  const layout = buyer.invoicing.layout;
  const issueDate = localDate(o.asOf, buyer.timezone);
  const dueDate = addDays(issueDate, buyer.invoicing.paymentTermsDays);
  const snapshot = JSON.stringify(snapshotOf(o.parties));
  const isMysql = dialectOf(db) === 'mysql';

  return inTransaction(db, async (trx) => {
    let queries = 0;
    const q = <T>(p: Promise<T> | Knex.QueryBuilder): Promise<T> => {
      queries++;
      return p as Promise<T>;
    };
    // 1. The company row lock: concurrent runs of this company wait here and then find nothing left
    await q(trx('companies').where('id', buyer.id).increment('run_count', 1));
    // 2. Candidates and their items
    const { rows, items } = await selectCandidates(trx, buyer.id, o.asOf);
    queries += 2;
    const { eligible, skipped } = classify(rows, items, o.rules);
    const drafts = buildInvoiceDrafts(eligible);
    if (drafts.length === 0) return { invoices: [], skipped, queries, drafts };

    // 3. Numbers from the owner's counter row, consumed only if this transaction commits
    const seqQuery = trx('sequences').where('owner_company_id', sequenceOwner.id);
    const seq = (await q(isMysql ? seqQuery.forUpdate().first() : seqQuery.first())) as
      | { prefix: string; padding: number; next_value: number | string; issued: number | string }
      | undefined;
    if (!seq) throw new AppError('INTERNAL', `sequence of ${sequenceOwner.code} vanished`);
    const first = Number(seq.next_value);
    await q(
      trx('sequences')
        .where('owner_company_id', sequenceOwner.id)
        .update({ next_value: first + drafts.length, issued: Number(seq.issued) + drafts.length, updated_at: o.now }),
    );
    const numbers = drafts.map((_, i) => formatInvoiceNumber(seq.prefix, Number(seq.padding), first + i));

    // 4. Invoices, then their ids by number (the unique index is the backstop against reuse)
    await q(
      trx('invoices').insert(
        drafts.map((d, i) => ({
          number: numbers[i],
          company_id: buyer.id,
          seller_id: o.parties.seller.id,
          sequence_owner_id: sequenceOwner.id,
          run_id: o.runId,
          mode: o.mode,
          currency: d.currency,
          layout,
          issue_date: issueDate,
          due_date: dueDate,
          net_minor: d.netMinor,
          tax_minor: d.taxMinor,
          total_minor: d.totalMinor,
          line_count: d.lines.length,
          order_count: d.orders.length,
          snapshot,
          created_at: o.now,
        })),
      ),
    );
    const idRows = (await q(trx('invoices').whereIn('number', numbers).select('id', 'number'))) as Array<{ id: number | string; number: string }>;
    const idByNumber = new Map(idRows.map((r) => [r.number, Number(r.id)]));
    const ids = numbers.map((n) => idByNumber.get(n)!);

    // 5. Lines and tax groups, in batches
    const lineRows = drafts.flatMap((d, i) =>
      d.lines.map((l) => ({
        invoice_id: ids[i],
        position: l.position,
        order_id: l.orderId,
        order_number: l.orderNumber,
        sku: l.sku,
        description: l.description,
        quantity: l.quantity,
        unit_price_e4: l.unitPriceE4,
        tax_rate_bp: l.taxRateBp,
        shipping_minor: l.shippingMinor,
        net_minor: l.netMinor,
      })),
    );
    for (const part of chunk(lineRows, batchSizeFor(trx, 11))) await q(trx('invoice_lines').insert(part));
    const groupRows = drafts.flatMap((d, i) =>
      d.taxGroups.map((g) => ({ invoice_id: ids[i], tax_rate_bp: g.rateBp, net_minor: g.netMinor, tax_minor: g.taxMinor })),
    );
    for (const part of chunk(groupRows, batchSizeFor(trx, 4))) await q(trx('invoice_tax_groups').insert(part));

    // 6. Mark the orders; each must still be uninvoiced, or the whole run rolls back
    for (let i = 0; i < drafts.length; i++) {
      for (const part of chunk(drafts[i]!.orders.map((ord) => ord.id), batchSizeFor(trx, 1))) {
        const changed = await q(trx('orders').whereIn('id', part).whereNull('invoice_id').update({ invoice_id: ids[i], updated_at: o.now }));
        if (changed !== part.length) {
          throw new AppError('CONFLICT', `orders of ${buyer.code} changed while being invoiced; run again`, { retryable: true });
        }
      }
    }

    // 7. The outbox: one pending delivery per enabled integration of the company
    const integrations = (await q(trx('integrations').where({ company_id: buyer.id, enabled: true }).select('id'))) as Array<{ id: number }>;
    const deliveryRows = ids.flatMap((invoiceId) =>
      integrations.map((integ) => ({
        invoice_id: invoiceId,
        integration_id: integ.id,
        status: 'pending',
        attempts: 0,
        next_attempt_at: o.now,
        created_at: o.now,
        updated_at: o.now,
      })),
    );
    for (const part of chunk(deliveryRows, batchSizeFor(trx, 7))) await q(trx('deliveries').insert(part));

    return { invoices: drafts.map((d, i) => summarise(d, numbers[i]!, ids[i]!, layout)), skipped, queries, drafts };
  });
}
