/**
 * Issuing a credit note (SPEC §8): the one orchestrator behind `credit-notes create`, the API's
 * `POST /invoices/:number/credit-notes` and the admin page.
 *
 *  1. check the request (reason, selectors) and find the invoice;
 *  2. one short transaction: lock the invoice's company row (as the invoicing transaction does, so the lock
 *     order stays company → sequence everywhere), then the invoice row (credit notes of one invoice
 *     serialise: a unit is never credited twice); read what is credited so far; work out what this credit
 *     note credits (src/domain/credit-amounts.ts); take the number from the invoice's sequence owner's
 *     credit-note counter; write the credit note (a row of kind `credit_note`, with its lines and tax
 *     groups), the invoice's new credited figures and status, the orders it reopens (`--reinvoice`), and a
 *     pending delivery per enabled integration of the buyer;
 *  3. after the commit, deliver it at once through the outbox, as a manual run does.
 *
 * A refusal (§8) throws an input error naming the field before anything is written: the transaction rolls
 * back and no number is consumed.
 */
import { findCompanyById, findUserByEmail } from '../db/companies-repo.js';
import { inTransaction } from '../db/connect.js';
import {
  findInvoiceOwners,
  lockCompanyForCredit,
  readCreditableInvoice,
  recordCredit,
  reopenOrders,
  type CreditableInvoice,
  type CreditableInvoiceLine,
} from '../db/credit-notes-repo.js';
import { queueDeliveries } from '../db/deliveries-repo.js';
import { insertInvoiceLines, insertInvoices, insertTaxGroups, type InvoiceRow, type InvoiceRows } from '../db/invoice-rows.js';
import { takeCreditNoteNumber } from '../db/sequences-repo.js';
import { computeCreditAmounts, invoiceStatus, type CreditableTaxGroup, type CreditAmounts } from '../domain/credit-amounts.js';
import { AppError, inputError, type Problem } from '../domain/errors.js';
import { localDate } from '../domain/eligibility.js';
import { formatInvoiceNumber } from '../domain/invoice-number.js';
import { formatAmount } from '../domain/money.js';
import { isSingleLine } from '../domain/text-rules.js';
import type { DeliveryOutcome } from './outbox.js';
import type { RunDeps } from './run-integrations.js';

export interface CreditNoteRequest {
  invoiceNumber: string;
  /** Order numbers: every line of each on the invoice */
  orders: readonly string[];
  /** Positions as `invoices show` and the PDF number them; quantity null: all still uncredited */
  lines: ReadonlyArray<{ position: number; quantity: number | null }>;
  reason: string | undefined;
  /** Reopen the orders this credit note credits whole, to be invoiced again */
  reinvoice: boolean;
  dryRun: boolean;
  /** The email of the person issuing it (recorded), if known */
  issuedBy: string | null;
}

/** `credit-notes create --json` (SPEC §5) */
export interface CreditNoteReport {
  /** null on a dry run */
  number: string | null;
  invoice: string;
  company: string;
  currency: string;
  /** How many of the invoice's lines it credits */
  lines: number;
  net: string;
  tax: string;
  total: string;
  reason: string;
  reinvoiced: string[];
  deliveries: Array<{ integration: string; status: string; error: string | null }>;
  /** Characters no configured font could draw, when a PDF was rendered */
  missingCharacters?: string[];
}

/**
 * Problems are reported with these paths (the API's body fields); front ends rename them (the command line
 * says `--reason`, `--order`, `--line`).
 */
export const CREDIT_PATHS = { invoice: 'invoice', reason: 'reason', orders: 'orders', lines: 'lines', reinvoice: 'reinvoice', issuedBy: 'as' } as const;

function checkReason(reason: string | undefined): string {
  const trimmed = reason?.trim() ?? '';
  if (trimmed === '' || reason!.length > 255 || !isSingleLine(reason!)) {
    throw inputError([{ path: CREDIT_PATHS.reason, message: 'a reason is required: one line of 1–255 characters' }]);
  }
  return reason!;
}

/**
 * The units to credit per line position: the selectors added up (no selector: everything still uncredited).
 * Problems: a position or order not on the invoice, more units than remain, nothing left.
 */
export function selectUnits(
  lines: readonly CreditableInvoiceLine[],
  request: Pick<CreditNoteRequest, 'orders' | 'lines' | 'reinvoice'>,
): { units: Map<number, number>; problems: Problem[] } {
  const problems: Problem[] = [];
  const units = new Map<number, number>();
  const byPosition = new Map(lines.map((l) => [l.position, l]));
  const remaining = (l: CreditableInvoiceLine) => l.quantity - l.creditedQuantity;
  const add = (position: number, quantity: number) => units.set(position, (units.get(position) ?? 0) + quantity);
  if (request.orders.length === 0 && request.lines.length === 0) {
    for (const l of lines) if (remaining(l) > 0) add(l.position, remaining(l));
  }
  [...new Set(request.orders)].forEach((order) => {
    const path = `${CREDIT_PATHS.orders}[${request.orders.indexOf(order)}]`;
    const ofOrder = lines.filter((l) => l.orderNumber === order);
    if (ofOrder.length === 0) problems.push({ path, message: `order "${order}" is not on this invoice` });
    for (const l of ofOrder) if (remaining(l) > 0) add(l.position, remaining(l));
  });
  request.lines.forEach((sel, i) => {
    const path = `${CREDIT_PATHS.lines}[${i}]`;
    const line = byPosition.get(sel.position);
    if (!line) return problems.push({ path: `${path}.position`, message: `there is no line ${sel.position} on this invoice (positions 1–${lines.length})` });
    if (sel.quantity !== null && (!Number.isInteger(sel.quantity) || sel.quantity < 1)) {
      return problems.push({ path: `${path}.quantity`, message: 'must be a positive whole number of units' });
    }
    add(sel.position, sel.quantity ?? remaining(line));
  });
  for (const [position, quantity] of units) {
    const line = byPosition.get(position)!;
    if (quantity > remaining(line)) {
      const index = request.lines.findIndex((l) => l.position === position);
      problems.push({
        path: index >= 0 ? `${CREDIT_PATHS.lines}[${index}].quantity` : CREDIT_PATHS.orders,
        message: `line ${position} has ${remaining(line)} of ${line.quantity} unit(s) left to credit; ${quantity} asked`,
      });
    }
  }
  for (const [position, quantity] of units) if (quantity === 0) units.delete(position);
  if (problems.length === 0 && units.size === 0) {
    problems.push({
      path:
        request.orders.length > 0 || request.lines.length > 0 ? (request.lines.length > 0 ? CREDIT_PATHS.lines : CREDIT_PATHS.orders) : CREDIT_PATHS.invoice,
      message: 'nothing left to credit: every unit selected is already credited',
    });
  }
  return { units, problems };
}

/**
 * The orders this credit note leaves fully credited (every unit of every line of the order on the
 * invoice), which `--reinvoice` reopens; an order it touches but leaves partly credited is a problem.
 */
export function ordersToReopen(
  lines: readonly CreditableInvoiceLine[],
  units: ReadonlyMap<number, number>,
): { orders: Array<{ id: number; number: string }>; partial: string[] } {
  const touched = new Set(lines.filter((l) => units.has(l.position)).map((l) => l.orderNumber));
  const orders: Array<{ id: number; number: string }> = [];
  const partial: string[] = [];
  for (const number of touched) {
    const ofOrder = lines.filter((l) => l.orderNumber === number);
    const whole = ofOrder.every((l) => l.creditedQuantity + (units.get(l.position) ?? 0) === l.quantity);
    if (whole) orders.push({ id: ofOrder[0]!.orderId, number });
    else partial.push(number);
  }
  return { orders, partial };
}

interface Planned {
  invoice: CreditableInvoice;
  lines: CreditableInvoiceLine[];
  amounts: CreditAmounts;
  reopen: Array<{ id: number; number: string }>;
}

/** What the credit note credits: the refusals of §8 as one input error, or the plan. */
function plan(read: { invoice: CreditableInvoice; lines: CreditableInvoiceLine[]; taxGroups: CreditableTaxGroup[] }, request: CreditNoteRequest): Planned {
  const { units, problems } = selectUnits(read.lines, request);
  if (problems.length > 0) throw inputError(problems);
  const reopen = request.reinvoice ? ordersToReopen(read.lines, units) : { orders: [], partial: [] };
  if (reopen.partial.length > 0) {
    throw inputError([
      {
        path: CREDIT_PATHS.reinvoice,
        message: `--reinvoice needs whole orders: ${reopen.partial.join(', ')} would be left partly credited (credit all of its lines, or leave out --reinvoice)`,
      },
    ]);
  }
  return { invoice: read.invoice, lines: read.lines, amounts: computeCreditAmounts(read.lines, read.taxGroups, units), reopen: reopen.orders };
}

/** The credit note's rows, as inserted and as handed to the outbox. */
function creditNoteRows(
  p: Planned,
  o: { number: string; issueDate: string; reason: string; userId: number | null; now: number },
): { row: Omit<InvoiceRow, 'id'>; lines: (id: number) => InvoiceRows['lines']; taxGroups: (id: number) => InvoiceRows['taxGroups'] } {
  const { invoice, amounts } = p;
  const byPosition = new Map(p.lines.map((l) => [l.position, l]));
  return {
    row: {
      kind: 'credit_note',
      credits: {
        invoiceId: invoice.id,
        invoiceNumber: invoice.number,
        invoiceIssueDate: invoice.issueDate,
        reason: o.reason,
        issuedByUserId: o.userId,
        reinvoiced: p.reopen.map((r) => r.number),
      },
      number: o.number,
      companyId: invoice.companyId,
      sellerId: invoice.sellerId,
      sequenceOwnerId: invoice.sequenceOwnerId,
      runId: null,
      // Issued by a person and delivered at once, as a manual run's invoices are
      mode: 'manual',
      currency: invoice.currency,
      layout: invoice.layout,
      issueDate: o.issueDate,
      // A credit note asks for no payment: its "due date" column holds its issue date
      dueDate: o.issueDate,
      netMinor: amounts.netMinor,
      taxMinor: amounts.taxMinor,
      totalMinor: amounts.totalMinor,
      lineCount: amounts.lines.length,
      orderCount: new Set(amounts.lines.map((l) => byPosition.get(l.position)!.orderId)).size,
      snapshot: invoice.snapshot,
      createdAt: o.now,
    },
    lines: (id) =>
      amounts.lines.map((l) => {
        const line = byPosition.get(l.position)!;
        return {
          invoiceId: id,
          position: l.position,
          orderId: line.orderId,
          orderNumber: line.orderNumber,
          sku: line.sku,
          description: line.description,
          quantity: l.quantity,
          unitPriceE4: line.unitPriceE4,
          taxRateBp: line.taxRateBp,
          shippingMinor: l.shippingMinor,
          netMinor: l.netMinor,
        };
      }),
    taxGroups: (id) => amounts.taxGroups.map((g) => ({ invoiceId: id, rateBp: g.rateBp, netMinor: g.netMinor, taxMinor: g.taxMinor })),
  };
}

function reportOf(p: Planned, number: string | null, company: string, reason: string, deliveries: readonly DeliveryOutcome[]): CreditNoteReport {
  const missing = [...new Set(deliveries.flatMap((d) => d.missingCharacters ?? []))].sort();
  return {
    number,
    invoice: p.invoice.number,
    company,
    currency: p.invoice.currency,
    lines: p.amounts.lines.length,
    net: formatAmount(p.amounts.netMinor),
    tax: formatAmount(p.amounts.taxMinor),
    total: formatAmount(p.amounts.totalMinor),
    reason,
    reinvoiced: p.reopen.map((r) => r.number),
    deliveries: deliveries.map((d) => ({ integration: d.integration, status: d.status, error: d.error })),
    ...(missing.length > 0 ? { missingCharacters: missing } : {}),
  };
}

export async function creditInvoice(deps: RunDeps, request: CreditNoteRequest): Promise<CreditNoteReport> {
  const { db, clock } = deps;
  const reason = checkReason(request.reason);
  const found = await findInvoiceOwners(db, request.invoiceNumber);
  if (!found) throw inputError([{ path: CREDIT_PATHS.invoice, message: `unknown invoice "${request.invoiceNumber}"` }]);
  let userId: number | null = null;
  if (request.issuedBy !== null) {
    const user = await findUserByEmail(db, request.issuedBy);
    if (!user) throw inputError([{ path: CREDIT_PATHS.issuedBy, message: `unknown user "${request.issuedBy}"` }]);
    userId = user.id;
  }
  const [company, owner] = await Promise.all([findCompanyById(db, found.companyId), findCompanyById(db, found.sequenceOwnerId)]);
  if (!company || !owner) throw new AppError('INTERNAL', `the companies of invoice ${request.invoiceNumber} vanished`);

  if (request.dryRun) {
    // As it stands: nothing locked, nothing written, no number taken
    const p = plan((await readCreditableInvoice(db, found.id, false))!, request);
    return reportOf(p, null, company.code, reason, []);
  }

  const issued = await inTransaction(db, async (trx) => {
    await lockCompanyForCredit(trx, found.companyId);
    const p = plan((await readCreditableInvoice(trx, found.id, true))!, request);
    const now = clock.now();
    const seq = await takeCreditNoteNumber(trx, owner, now);
    const rows = creditNoteRows(p, {
      number: formatInvoiceNumber(seq.prefix, seq.padding, seq.value),
      issueDate: localDate(now, p.invoice.snapshot.timezone),
      reason,
      userId,
      now,
    });
    const count = () => undefined;
    const [id] = await insertInvoices(trx, db, [rows.row], count);
    await insertInvoiceLines(trx, rows.lines(id!), count);
    await insertTaxGroups(trx, rows.taxGroups(id!), count);
    const after = new Map(p.amounts.lines.map((l) => [l.position, l.creditedQuantity]));
    await recordCredit(trx, p.invoice.id, {
      lines: p.amounts.lines,
      taxGroups: p.amounts.taxGroups,
      status: invoiceStatus(p.lines.map((l) => ({ quantity: l.quantity, creditedQuantity: after.get(l.position) ?? l.creditedQuantity }))),
      creditedMinor: p.invoice.creditedMinor + p.amounts.totalMinor,
    });
    if (p.reopen.length > 0) {
      const ids = p.reopen.map((r) => r.id);
      if ((await reopenOrders(trx, p.invoice.id, ids, now)) !== ids.length) {
        throw new AppError('CONFLICT', `orders of invoice ${p.invoice.number} changed while being credited; try again`, { retryable: true });
      }
    }
    await queueDeliveries(trx, [{ invoiceId: id!, companyId: found.companyId }], now, count);
    return { id: id!, plan: p, number: rows.row.number };
  });
  // Read back by the outbox (one small read), so what is delivered is exactly what a later render gives
  const deliveries = await deps.deliverer.deliverPending({ invoiceIds: [issued.id] });
  return reportOf(issued.plan, issued.number, company.code, reason, deliveries);
}
