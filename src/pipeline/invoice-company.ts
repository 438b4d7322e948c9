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
import { bulkInsert, consecutiveIdsGuaranteed, insertReturningIds } from '../db/bulk-insert.js';
import { buildInvoiceDrafts, type EligibleOrder, type InvoiceDraft } from '../domain/build-invoices.js';
import { emptySkipCounts, localDate, addDays, skipReason, type EligibilityRules, type SkipCounts } from '../domain/eligibility.js';
import { AppError } from '../domain/errors.js';
import { defaultSequencePrefix, DEFAULT_SEQUENCE_PADDING, formatInvoiceNumber } from '../domain/invoice-number.js';
import { formatAmount } from '../domain/money.js';
import { toParty } from '../db/companies-repo.js';
import type { RunParties } from './resolve-parties.js';
import type { InvoiceRows } from './load-invoice-document.js';

const INVOICE_COLUMNS = [
  'number',
  'company_id',
  'seller_id',
  'sequence_owner_id',
  'run_id',
  'mode',
  'currency',
  'layout',
  'issue_date',
  'due_date',
  'net_minor',
  'tax_minor',
  'total_minor',
  'line_count',
  'order_count',
  'snapshot',
  'created_at',
];

const LINE_COLUMNS = [
  'invoice_id',
  'position',
  'order_id',
  'order_number',
  'sku',
  'description',
  'quantity',
  'unit_price_e4',
  'tax_rate_bp',
  'shipping_minor',
  'net_minor',
];

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

/** Owners known to have a sequence row, per database: sequences are never deleted. */
const knownSequences = new WeakMap<Knex, Set<number>>();

/** Creates the owner's sequence with its defaults if it has none yet (race-safe, outside the run). */
export async function ensureSequence(db: Knex, owner: { id: number; code: string }, now: number): Promise<void> {
  let known = knownSequences.get(db);
  if (!known) knownSequences.set(db, (known = new Set()));
  if (known.has(owner.id)) return;
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
  known.add(owner.id);
}

/** Whether invoice ids can be derived from the first one (see consecutiveIdsGuaranteed), per database. */
const derivableIds = new WeakMap<Knex, Promise<boolean>>();

/**
 * The company's open orders as of `asOf`, with their items, in one query whatever their number: one row
 * per item, the order's columns repeated. With `lock` (MySQL), the same statement locks the company row
 * (serialising runs of the company) and the orders it reads.
 */
async function selectCandidates(q: Knex, companyId: number, asOf: number, lock: boolean): Promise<{ rows: CandidateRow[]; items: ItemRow[] }> {
  const query = q('companies as c')
    .leftJoin('orders as o', (j) => j.on('o.company_id', '=', 'c.id').andOnNull('o.invoice_id').andOnVal('o.created_at', '<=', asOf))
    .leftJoin('order_items as oi', 'oi.order_id', 'o.id')
    .where('c.id', companyId)
    .orderBy([
      { column: 'o.id', order: 'asc' },
      { column: 'oi.position', order: 'asc' },
    ])
    .select(
      'o.id',
      'o.number',
      'o.status',
      'o.on_hold',
      'o.has_errors',
      'o.created_at',
      'o.currency',
      'o.shipping_minor',
      'o.unique_invoice',
      'o.relating_to',
      'oi.order_id',
      'oi.sku',
      'oi.description',
      'oi.quantity',
      'oi.unit_cost_price_e4',
      'oi.tax_rate_bp',
    );
  if (lock) query.forUpdate();
  const joined = (await query) as Array<CandidateRow & ItemRow>;
  const rows: CandidateRow[] = [];
  const items: ItemRow[] = [];
  let lastId: number | string | null = null;
  for (const r of joined) {
    if (r.id === null) continue; // the company row alone: no open orders
    if (r.id !== lastId) {
      rows.push(r);
      lastId = r.id;
    }
    if (r.order_id !== null) items.push(r);
  }
  return { rows, items };
}

/** Prefix and padding of sequences that have issued numbers (and so can no longer change), per database. */
const frozenFormats = new WeakMap<Knex, Map<number, { prefix: string; padding: number }>>();

/**
 * Takes `count` numbers from the owner's counter row; returns the first and the format. The row stays
 * locked until the transaction ends, so numbers are consumed only if it commits.
 */
async function takeNumbers(
  trx: Knex.Transaction,
  db: Knex,
  ownerId: number,
  count: number,
  now: number,
  q: <T>(p: Promise<T> | Knex.QueryBuilder) => Promise<T>,
): Promise<{ first: number; prefix: string; padding: number }> {
  let formats = frozenFormats.get(db);
  if (!formats) frozenFormats.set(db, (formats = new Map()));
  const known = formats.get(ownerId);
  if (known) {
    // One statement: the increment returns the new value (MySQL through LAST_INSERT_ID, SQLite RETURNING)
    if (dialectOf(trx) === 'mysql') {
      const [result] = (await q(
        trx.raw('UPDATE sequences SET next_value = LAST_INSERT_ID(next_value + ?), issued = issued + ?, updated_at = ? WHERE owner_company_id = ?', [
          count,
          count,
          now,
          ownerId,
        ]),
      )) as [{ insertId: number; affectedRows: number }];
      if (result.affectedRows !== 1) throw new AppError('INTERNAL', `sequence ${ownerId} vanished`);
      return { first: Number(result.insertId) - count, ...known };
    }
    const rows = (await q(
      trx.raw('UPDATE sequences SET next_value = next_value + ?, issued = issued + ?, updated_at = ? WHERE owner_company_id = ? RETURNING next_value', [
        count,
        count,
        now,
        ownerId,
      ]),
    )) as Array<{ next_value: number }>;
    if (rows.length !== 1) throw new AppError('INTERNAL', `sequence ${ownerId} vanished`);
    return { first: Number(rows[0]!.next_value) - count, ...known };
  }
  const seqQuery = trx('sequences').where('owner_company_id', ownerId);
  const seq = (await q(dialectOf(trx) === 'mysql' ? seqQuery.forUpdate().first() : seqQuery.first())) as
    | { prefix: string; padding: number; next_value: number | string; issued: number | string }
    | undefined;
  if (!seq) throw new AppError('INTERNAL', `sequence ${ownerId} vanished`);
  const first = Number(seq.next_value);
  await q(trx('sequences').where('owner_company_id', ownerId).update({ next_value: first + count, issued: Number(seq.issued) + count, updated_at: now }));
  const format = { prefix: seq.prefix, padding: Number(seq.padding) };
  // A sequence that had issued numbers before this transaction has a frozen format (load refuses
  // changes), so it can be remembered; one issuing its first number might still roll back
  if (Number(seq.issued) > 0) formats.set(ownerId, format);
  return { first, ...format };
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
  const { rows, items } = await selectCandidates(db, o.parties.buyer.id, o.asOf, false);
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

export async function invoiceCompany(db: Knex, o: InvoiceCompanyOptions): Promise<InvoiceCompanyResult & { drafts: InvoiceDraft[]; rows: (() => InvoiceRows) | null }> {
  if (o.dryRun) {
    const preview = await previewCompany(db, o);
    return { ...preview, drafts: [], rows: null };
  }
  const { buyer, sequenceOwner } = o.parties;
  await ensureSequence(db, sequenceOwner, o.now);
  const layout = buyer.invoicing.layout;
  const issueDate = localDate(o.asOf, buyer.timezone);
  const dueDate = addDays(issueDate, buyer.invoicing.paymentTermsDays);
  const snapshot = JSON.stringify(snapshotOf(o.parties));
  const isMysql = dialectOf(db) === 'mysql';
  let derivable = derivableIds.get(db);
  if (!derivable) derivableIds.set(db, (derivable = consecutiveIdsGuaranteed(db)));

  return inTransaction(db, async (trx) => {
    let queries = 0;
    const q = <T>(p: Promise<T> | Knex.QueryBuilder): Promise<T> => {
      queries++;
      return p as Promise<T>;
    };
    // 1. Lock the company row (concurrent runs of this company wait here, then find nothing left) and
    //    read its open orders with their items. MySQL does both in one locking SELECT; SQLite takes the
    //    database's write lock with the first write.
    if (!isMysql) await q(trx('companies').where('id', buyer.id).increment('run_count', 1));
    const { rows, items } = await selectCandidates(trx, buyer.id, o.asOf, isMysql);
    queries += 1;
    const { eligible, skipped } = classify(rows, items, o.rules);
    const drafts = buildInvoiceDrafts(eligible);
    if (drafts.length === 0) return { invoices: [], skipped, queries, drafts, rows: null };

    // 2. Numbers from the owner's counter row, consumed only if this transaction commits
    const seq = await takeNumbers(trx, db, sequenceOwner.id, drafts.length, o.now, q);
    const numbers = drafts.map((_, i) => formatInvoiceNumber(seq.prefix, seq.padding, seq.first + i));

    // 3. Invoices (the unique index on the number is the backstop against reuse), and their ids
    const invoiceRows = drafts.map((d, i) => [
      numbers[i],
      buyer.id,
      o.parties.seller.id,
      sequenceOwner.id,
      o.runId,
      o.mode,
      d.currency,
      layout,
      issueDate,
      dueDate,
      d.netMinor,
      d.taxMinor,
      d.totalMinor,
      d.lines.length,
      d.orders.length,
      snapshot,
      o.now,
    ]);
    let ids: number[];
    if (await derivable) {
      queries++;
      ids = await insertReturningIds(trx, 'invoices', INVOICE_COLUMNS, invoiceRows);
    } else {
      await q(bulkInsert(trx, 'invoices', INVOICE_COLUMNS, invoiceRows));
      const idRows = (await q(trx('invoices').whereIn('number', numbers).select('id', 'number'))) as Array<{ id: number | string; number: string }>;
      const idByNumber = new Map(idRows.map((r) => [r.number, Number(r.id)]));
      ids = numbers.map((n) => idByNumber.get(n)!);
    }

    // 4. Lines and tax groups, in batches
    const count = () => queries++;
    const lineRows = drafts.flatMap((d, i) =>
      d.lines.map((l) => [ids[i], l.position, l.orderId, l.orderNumber, l.sku, l.description, l.quantity, l.unitPriceE4, l.taxRateBp, l.shippingMinor, l.netMinor]),
    );
    await bulkInsert(trx, 'invoice_lines', LINE_COLUMNS, lineRows, count);
    const groupRows = drafts.flatMap((d, i) => d.taxGroups.map((g) => [ids[i], g.rateBp, g.netMinor, g.taxMinor]));
    await bulkInsert(trx, 'invoice_tax_groups', ['invoice_id', 'tax_rate_bp', 'net_minor', 'tax_minor'], groupRows, count);

    // 5. Mark the orders; each must still be uninvoiced, or the whole run rolls back
    for (let i = 0; i < drafts.length; i++) {
      for (const part of chunk(drafts[i]!.orders.map((ord) => ord.id), batchSizeFor(trx, 1))) {
        const changed = await q(trx('orders').whereIn('id', part).whereNull('invoice_id').update({ invoice_id: ids[i], updated_at: o.now }));
        if (changed !== part.length) {
          throw new AppError('CONFLICT', `orders of ${buyer.code} changed while being invoiced; run again`, { retryable: true });
        }
      }
    }

    // 6. The outbox: one pending delivery per enabled integration of the company
    const integrations = o.parties.enabledIntegrationIds.map((id) => ({ id }));
    const deliveryRows = ids.flatMap((invoiceId) => integrations.map((integ) => [invoiceId, integ.id, 'pending', 0, o.now, o.now, o.now]));
    await bulkInsert(trx, 'deliveries', ['invoice_id', 'integration_id', 'status', 'attempts', 'next_attempt_at', 'created_at', 'updated_at'], deliveryRows, count);

    // The rows just written, as a read would return them: built only if the run hands them to the outbox,
    // after the transaction
    const written = (): InvoiceRows => ({
      invoices: invoiceRows.map((r, i) => Object.fromEntries([['id', ids[i]], ...INVOICE_COLUMNS.map((c, k) => [c, r[k]])])),
      lines: lineRows.map((r) => Object.fromEntries(LINE_COLUMNS.map((c, k) => [c, r[k]]))),
      groups: groupRows.map(([invoiceId, rateBp, net, tax]) => ({ invoice_id: invoiceId, tax_rate_bp: rateBp, net_minor: net, tax_minor: tax })),
      orders: drafts.flatMap((d) => d.orders.map((ord) => ({ id: ord.id, number: ord.number, relating_to: ord.relatingTo, created_at: ord.createdAt }))),
    });
    return { invoices: drafts.map((d, i) => summarise(d, numbers[i]!, ids[i]!, layout)), skipped, queries, drafts, rows: written };
  });
}
