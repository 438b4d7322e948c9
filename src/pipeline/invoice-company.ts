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
import { bulkInsert, consecutiveIdsGuaranteed, insertReturningIds, valueById } from '../db/bulk-insert.js';
import { buildInvoiceDrafts, type EligibleOrder, type InvoiceDraft } from '../domain/build-invoices.js';
import { emptySkipCounts, localDate, addDays, skipReason, type EligibilityRules, type SkipCounts } from '../domain/eligibility.js';
import { AppError } from '../domain/errors.js';
import { defaultSequencePrefix, DEFAULT_SEQUENCE_PADDING, formatInvoiceNumber } from '../domain/invoice-number.js';
import { formatAmount } from '../domain/money.js';
import { toParty } from '../db/companies-repo.js';
import { toPricedItem, type OrderItemRow } from '../db/orders-repo.js';
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

/** Owners known to have a sequence row, per database: sequences are never deleted. */
const knownSequences = new WeakMap<Knex, Set<number>>();

/** Creates the owner's sequence with its defaults if it has none yet (race-safe, outside the run). */
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

/** Whether invoice ids can be derived from the first one (see consecutiveIdsGuaranteed), per database. */
const derivableIds = new WeakMap<Knex, Promise<boolean>>();

export function idsAreDerivable(db: Knex): Promise<boolean> {
  let derivable = derivableIds.get(db);
  if (!derivable) derivableIds.set(db, (derivable = consecutiveIdsGuaranteed(db)));
  return derivable;
}

/**
 * The companies' open orders as of `asOf`, with their items, whatever their number in a fixed number of
 * queries. With `lock` (MySQL), the company rows are locked first, in id order (serialising runs of each
 * company; batches cannot deadlock), then the orders read (exclusively) and their items (shared, so they
 * are read as last committed and held until the transaction ends). Neither read asks the database for an
 * order: sorting 100,000 orders there costs more than the read, and the engine orders them itself
 * (orders chronologically; here, each order's items by position).
 */
async function selectCandidates(
  q: Knex,
  companyIds: readonly number[],
  asOf: number,
  lock: boolean,
  onStatement: () => void = () => undefined,
): Promise<{ byCompany: Map<number, { rows: CandidateRow[] }>; itemsByOrder: Map<number, OrderItemRow[]> }> {
  const forCompanies = <T extends Knex.QueryBuilder>(query: T, column: string): T =>
    (companyIds.length === 1 ? query.where(column, companyIds[0]!) : query.whereIn(column, companyIds)) as T;
  if (lock) {
    onStatement();
    await forCompanies(q('companies').select('id').orderBy('id'), 'id').forUpdate();
  }
  // Locking reads lock every row they scan: they are held to the (company, invoice, created) index, so
  // that a plan scanning more could never lock (and wait for) other companies' orders
  const ordersTable = (alias: string) =>
    lock ? q.raw(`\`orders\` AS \`${alias}\` FORCE INDEX (\`orders_company_id_invoice_id_created_at_index\`)`) : `orders as ${alias}`;
  const orders = forCompanies(
    q
      .queryBuilder()
      .from(ordersTable('orders'))
      .whereNull('invoice_id')
      .where('created_at', '<=', asOf)
      .select('company_id', 'id', 'number', 'status', 'on_hold', 'has_errors', 'created_at', 'currency', 'shipping_minor', 'unique_invoice', 'relating_to'),
    'company_id',
  );
  if (lock) orders.forUpdate();
  onStatement();
  const orderRows = (await orders) as Array<CandidateRow & { company_id: number | string }>;
  const out = new Map<number, { rows: CandidateRow[] }>();
  for (const id of companyIds) out.set(id, { rows: [] });
  const itemsByOrder = new Map<number, Array<OrderItemRow & { position: number | string }>>();
  if (orderRows.length === 0) return { byCompany: out, itemsByOrder };

  const items = forCompanies(
    q
      .queryBuilder()
      .from(ordersTable('o'))
      .join('order_items as oi', 'oi.order_id', 'o.id')
      .whereNull('o.invoice_id')
      .where('o.created_at', '<=', asOf)
      .select('oi.order_id', 'oi.position', 'oi.sku', 'oi.description', 'oi.quantity', 'oi.unit_cost_price_e4', 'oi.tax_rate_bp'),
    'o.company_id',
  );
  if (lock) items.forShare();
  onStatement();
  for (const item of (await items) as Array<OrderItemRow & { position: number | string }>) {
    const key = Number(item.order_id);
    const list = itemsByOrder.get(key);
    if (list) list.push(item);
    else itemsByOrder.set(key, [item]);
  }
  for (const list of itemsByOrder.values()) if (list.length > 1) list.sort((a, b) => Number(a.position) - Number(b.position));
  for (const r of orderRows) out.get(Number(r.company_id))?.rows.push(r);
  return { byCompany: out, itemsByOrder };
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
    { prefix: string; padding: number; next_value: number | string; issued: number | string } | undefined;
  if (!seq) throw new AppError('INTERNAL', `sequence ${ownerId} vanished`);
  const first = Number(seq.next_value);
  await q(
    trx('sequences')
      .where('owner_company_id', ownerId)
      .update({ next_value: first + count, issued: Number(seq.issued) + count, updated_at: now }),
  );
  const format = { prefix: seq.prefix, padding: Number(seq.padding) };
  // A sequence that had issued numbers before this transaction has a frozen format (load refuses
  // changes), so it can be remembered; one issuing its first number might still roll back
  if (Number(seq.issued) > 0) formats.set(ownerId, format);
  return { first, ...format };
}

function classify(
  rows: CandidateRow[],
  itemsByOrder: Map<number, OrderItemRow[]>,
  rules: EligibilityRules,
): { eligible: EligibleOrder[]; skipped: SkipCounts } {
  const skipped = emptySkipCounts();
  const eligible: EligibleOrder[] = [];
  for (const r of rows) {
    const reason = skipReason({ status: r.status, onHold: Boolean(r.on_hold), hasErrors: Boolean(r.has_errors), createdAt: Number(r.created_at) }, rules);
    if (reason) {
      skipped[reason]++;
      continue;
    }
    eligible.push({
      id: Number(r.id),
      number: r.number,
      currency: r.currency,
      shippingMinor: Number(r.shipping_minor),
      uniqueInvoice: Boolean(r.unique_invoice),
      relatingTo: r.relating_to,
      createdAt: Number(r.created_at),
      items: (itemsByOrder.get(Number(r.id)) ?? []).map(toPricedItem),
    });
  }
  return { eligible, skipped };
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
  const { byCompany, itemsByOrder } = await selectCandidates(db, [o.parties.buyer.id], o.asOf, false);
  const { eligible, skipped } = classify(byCompany.get(o.parties.buyer.id)?.rows ?? [], itemsByOrder, o.rules);
  const drafts = buildInvoiceDrafts(eligible);
  const seq = (await db('sequences').where('owner_company_id', o.parties.sequenceOwner.id).first()) as
    { prefix: string; padding: number; next_value: number | string } | undefined;
  const prefix = seq?.prefix ?? defaultSequencePrefix(o.parties.sequenceOwner.code);
  const padding = seq ? Number(seq.padding) : DEFAULT_SEQUENCE_PADDING;
  const next = seq ? Number(seq.next_value) : 1;
  return {
    invoices: drafts.map((d, i) => summarise(d, formatInvoiceNumber(prefix, padding, next + i), null, o.parties.buyer.invoicing.layout)),
    skipped,
    queries: 0,
  };
}

export type InvoiceCompanyOutcome = InvoiceCompanyResult & { drafts: InvoiceDraft[]; rows: (() => InvoiceRows) | null };

export async function invoiceCompany(db: Knex, o: InvoiceCompanyOptions): Promise<InvoiceCompanyOutcome> {
  if (o.dryRun) {
    const preview = await previewCompany(db, o);
    return { ...preview, drafts: [], rows: null };
  }
  const batch = await invoiceCompanies(db, { mode: o.mode, asOf: o.asOf, now: o.now, members: [{ parties: o.parties, rules: o.rules, runId: o.runId }] });
  const only = batch.members[0]!;
  return { invoices: only.invoices, skipped: only.skipped, drafts: only.drafts, queries: batch.queries, rows: only.invoices.length > 0 ? batch.rows : null };
}

/** One company of a batch: its parties, its rules, and the run (if any) its invoices belong to. */
export interface BatchMember {
  parties: RunParties;
  rules: EligibilityRules;
  runId: number | null;
}

export interface InvoiceBatchOptions {
  mode: 'auto' | 'manual';
  asOf: number;
  now: number;
  /** Distinct companies that share one sequence owner */
  members: BatchMember[];
}

export interface InvoiceBatchResult {
  /** In the order of the members given */
  members: Array<{ invoices: IssuedInvoice[]; skipped: SkipCounts; drafts: InvoiceDraft[] }>;
  queries: number;
  /** Every invoice written, as a read would return them (for the outbox) */
  rows: () => InvoiceRows;
}

/** Pairs per `UPDATE … SET invoice_id = CASE id …` (the CASE is evaluated per row, so it stays short) */
const CASE_PAIRS = 500;

/**
 * The invoicing transaction for one or more companies that share a sequence owner: the scheduler
 * invoices the companies due in one tick together, a batch per owner, since their runs would queue at
 * the owner's counter row anyway. One transaction for the batch: the companies are locked in id order
 * (then the counter row, as for one company), so batches and single runs cannot deadlock; a company is
 * never in two batches of one tick; and if anything fails, the whole batch rolls back.
 */
export async function invoiceCompanies(db: Knex, o: InvoiceBatchOptions): Promise<InvoiceBatchResult> {
  if (o.members.length === 0) return { members: [], queries: 0, rows: () => ({ invoices: [], lines: [], groups: [], orders: [] }) };
  const owner = o.members[0]!.parties.sequenceOwner;
  const buyerIds = new Set<number>();
  for (const m of o.members) {
    if (m.parties.sequenceOwner.id !== owner.id) throw new AppError('INTERNAL', 'a batch shares one sequence owner');
    if (buyerIds.has(m.parties.buyer.id)) throw new AppError('INTERNAL', `company ${m.parties.buyer.code} is twice in one batch`);
    buyerIds.add(m.parties.buyer.id);
  }
  await ensureSequence(db, owner, o.now);
  const isMysql = dialectOf(db) === 'mysql';
  const derivable = idsAreDerivable(db);
  // Per member, what does not depend on the database
  const issueDates = new Map<string, string>();
  const fixed = o.members.map((m) => {
    const { buyer } = m.parties;
    let issueDate = issueDates.get(buyer.timezone);
    if (issueDate === undefined) issueDates.set(buyer.timezone, (issueDate = localDate(o.asOf, buyer.timezone)));
    return {
      issueDate,
      dueDate: addDays(issueDate, buyer.invoicing.paymentTermsDays),
      snapshot: JSON.stringify(snapshotOf(m.parties)),
      layout: buyer.invoicing.layout,
    };
  });

  return inTransaction(db, async (trx) => {
    let queries = 0;
    const q = <T>(p: Promise<T> | Knex.QueryBuilder): Promise<T> => {
      queries++;
      return p as Promise<T>;
    };
    const companyIds = [...buyerIds].sort((a, b) => a - b);
    // 1. Lock the companies' rows (concurrent runs of these companies wait here, then find nothing left)
    //    and read their open orders with their items. MySQL locks with the SELECTs; SQLite takes the
    //    database's write lock with the first write.
    if (!isMysql) await q(trx('companies').whereIn('id', companyIds).increment('run_count', 1));
    const { byCompany, itemsByOrder } = await selectCandidates(trx, companyIds, o.asOf, isMysql, () => queries++);
    const perMember = o.members.map((m) => {
      const { eligible, skipped } = classify(byCompany.get(m.parties.buyer.id)?.rows ?? [], itemsByOrder, m.rules);
      return { skipped, drafts: buildInvoiceDrafts(eligible) };
    });
    const total = perMember.reduce((s, m) => s + m.drafts.length, 0);
    const empty = () => ({ invoices: [], lines: [], groups: [], orders: [] });
    if (total === 0) return { members: perMember.map((m) => ({ invoices: [], skipped: m.skipped, drafts: m.drafts })), queries, rows: empty };

    // 2. Numbers from the owner's counter row, consumed only if this transaction commits; the members'
    //    invoices take them in the members' order
    const seq = await takeNumbers(trx, db, owner.id, total, o.now, q);
    const all = perMember.flatMap((m, k) => m.drafts.map((d) => ({ d, k })));
    const numbers = all.map((_, i) => formatInvoiceNumber(seq.prefix, seq.padding, seq.first + i));

    // 3. Invoices (the unique index on the number is the backstop against reuse), and their ids
    const invoiceRows = all.map(({ d, k }, i) => {
      const m = o.members[k]!;
      const f = fixed[k]!;
      return [
        numbers[i],
        m.parties.buyer.id,
        m.parties.seller.id,
        owner.id,
        m.runId,
        o.mode,
        d.currency,
        f.layout,
        f.issueDate,
        f.dueDate,
        d.netMinor,
        d.taxMinor,
        d.totalMinor,
        d.lines.length,
        d.orders.length,
        f.snapshot,
        o.now,
      ];
    });
    let ids: number[];
    if (await derivable) {
      queries++;
      ids = await insertReturningIds(trx, 'invoices', INVOICE_COLUMNS, invoiceRows);
    } else {
      await q(bulkInsert(trx, 'invoices', INVOICE_COLUMNS, invoiceRows));
      const idByNumber = new Map<string, number>();
      for (const part of chunk(numbers, batchSizeFor(trx, 1))) {
        const idRows = (await q(trx('invoices').whereIn('number', part).select('id', 'number'))) as Array<{ id: number | string; number: string }>;
        for (const r of idRows) idByNumber.set(r.number, Number(r.id));
      }
      ids = numbers.map((n) => idByNumber.get(n)!);
    }

    // 4. Lines and tax groups, in batches
    const count = () => queries++;
    const lineRows = all.flatMap(({ d }, i) =>
      d.lines.map((l) => [
        ids[i],
        l.position,
        l.orderId,
        l.orderNumber,
        l.sku,
        l.description,
        l.quantity,
        l.unitPriceE4,
        l.taxRateBp,
        l.shippingMinor,
        l.netMinor,
      ]),
    );
    await bulkInsert(trx, 'invoice_lines', LINE_COLUMNS, lineRows, count);
    const groupRows = all.flatMap(({ d }, i) => d.taxGroups.map((g) => [ids[i], g.rateBp, g.netMinor, g.taxMinor]));
    await bulkInsert(trx, 'invoice_tax_groups', ['invoice_id', 'tax_rate_bp', 'net_minor', 'tax_minor'], groupRows, count);

    // 5. Mark the orders; each must still be uninvoiced, or the whole batch rolls back
    const marked = await markOrders(
      trx,
      all.map(({ d }, i) => ({ invoiceId: ids[i]!, orderIds: d.orders.map((ord) => ord.id) })),
      o.now,
      count,
    );
    if (!marked) {
      const codes = o.members.map((m) => m.parties.buyer.code).join(', ');
      throw new AppError('CONFLICT', `orders of ${codes} changed while being invoiced; run again`, { retryable: true });
    }

    // 6. The outbox: one pending delivery per integration of each invoice's company enabled as of now
    //    (read here, not with the parties: a scheduler tick resolves its parties minutes before some batches)
    const enabled = new Map<number, number[]>();
    for (const g of (await q(trx('integrations').whereIn('company_id', companyIds).where('enabled', true).orderBy('id').select('id', 'company_id'))) as Array<{
      id: number | string;
      company_id: number | string;
    }>) {
      const list = enabled.get(Number(g.company_id)) ?? [];
      list.push(Number(g.id));
      enabled.set(Number(g.company_id), list);
    }
    const deliveryRows = all.flatMap(({ k }, i) =>
      (enabled.get(o.members[k]!.parties.buyer.id) ?? []).map((integrationId) => [ids[i], integrationId, 'pending', 0, o.now, o.now, o.now]),
    );
    await bulkInsert(
      trx,
      'deliveries',
      ['invoice_id', 'integration_id', 'status', 'attempts', 'next_attempt_at', 'created_at', 'updated_at'],
      deliveryRows,
      count,
    );

    // The rows just written, as a read would return them: built only if the run hands them to the outbox,
    // after the transaction
    const written = (): InvoiceRows => ({
      invoices: invoiceRows.map((r, i) => Object.fromEntries([['id', ids[i]], ...INVOICE_COLUMNS.map((c, k) => [c, r[k]])])),
      lines: lineRows.map((r) => Object.fromEntries(LINE_COLUMNS.map((c, k) => [c, r[k]]))),
      groups: groupRows.map(([invoiceId, rateBp, net, tax]) => ({ invoice_id: invoiceId, tax_rate_bp: rateBp, net_minor: net, tax_minor: tax })),
      orders: all.flatMap(({ d }) => d.orders.map((ord) => ({ id: ord.id, number: ord.number, relating_to: ord.relatingTo, created_at: ord.createdAt }))),
    });
    const issued: IssuedInvoice[][] = o.members.map(() => []);
    all.forEach(({ d, k }, i) => issued[k]!.push(summarise(d, numbers[i]!, ids[i]!, fixed[k]!.layout)));
    return { members: perMember.map((m, k) => ({ invoices: issued[k]!, skipped: m.skipped, drafts: m.drafts })), queries, rows: written };
  });
}

/**
 * Sets each order's invoice, only where it is still uninvoiced; false if any was not. An invoice with
 * many orders gets `SET invoice_id = ? WHERE id IN (…)` statements; invoices with few are written
 * together through a short CASE.
 */
async function markOrders(trx: Knex.Transaction, invoices: Array<{ invoiceId: number; orderIds: number[] }>, now: number, count: () => void): Promise<boolean> {
  let pairs: Array<[number, number]> = [];
  const flushPairs = async (): Promise<boolean> => {
    if (pairs.length === 0) return true;
    const part = pairs;
    pairs = [];
    count();
    const changed = (await trx('orders')
      .whereIn(
        'id',
        part.map(([orderId]) => orderId),
      )
      .whereNull('invoice_id')
      .update({
        invoice_id: valueById(trx, part),
        updated_at: now,
      })) as number;
    return changed === part.length;
  };
  for (const inv of invoices) {
    if (inv.orderIds.length >= CASE_PAIRS) {
      for (const part of chunk(inv.orderIds, batchSizeFor(trx, 1))) {
        count();
        const changed = (await trx('orders').whereIn('id', part).whereNull('invoice_id').update({ invoice_id: inv.invoiceId, updated_at: now })) as number;
        if (changed !== part.length) return false;
      }
      continue;
    }
    if (pairs.length + inv.orderIds.length > CASE_PAIRS && !(await flushPairs())) return false;
    for (const orderId of inv.orderIds) pairs.push([orderId, inv.invoiceId]);
  }
  return flushPairs();
}
