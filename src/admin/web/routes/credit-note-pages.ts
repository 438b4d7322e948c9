/**
 * Credit notes on the admin page (SPEC §8, §10): from an invoice, `Create credit note` leads to a form with
 * a `Reason` and, if only part of the invoice is to be credited, the orders or the units of each line;
 * `Issue credit note` issues it (the whole invoice unless lines or orders are chosen) through the same
 * orchestrator as `credit-notes create`, and delivers it at once. A credit note's PDF and XML are served here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { findCreditNoteByNumber, showInvoice, type InvoiceDetail } from '../../../db/invoices-repo.js';
import { AppError } from '../../../domain/errors.js';
import { creditInvoice, type CreditNoteRequest } from '../../../pipeline/credit-invoice.js';
import { loadBillingDocuments } from '../../../pipeline/invoice-documents.js';
import type { AppContext } from '../../app-context.js';
import { scopeIds, seesCompanyId } from '../../http/auth.js';
import { notFound } from '../../http/errors.js';
import { parseInput } from '../../http/input.js';
import { sendArtefact } from '../../http/send-artefact.js';
import { pathOf } from '../format.js';
import { pageContext } from '../page-context.js';
import { requireSession } from '../require-session.js';

/** One value or several (a form posts a repeated field as an array) */
const oneOrMore = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

/** The form: `reason`, `orders` (checked boxes), `line-N` (units of line N to credit; blank: none), `reinvoice`, `dryRun` */
const creditForm = z.looseObject({
  reason: z.string().optional(),
  orders: oneOrMore,
  reinvoice: z.literal('on').optional(),
  dryRun: z.literal('true').optional(),
});

const LINE_FIELD = /^line-([1-9]\d{0,8})$/;

/** The units asked for per line, from the `line-N` fields that are filled in. */
function lineSelections(body: Record<string, unknown>): { lines: CreditNoteRequest['lines']; problems: Array<{ path: string; message: string }> } {
  const lines: Array<{ position: number; quantity: number | null }> = [];
  const problems: Array<{ path: string; message: string }> = [];
  for (const [field, value] of Object.entries(body)) {
    const m = LINE_FIELD.exec(field);
    if (!m || typeof value !== 'string' || value.trim() === '') continue;
    const position = Number(m[1]);
    if (!/^\d{1,9}$/.test(value.trim())) problems.push({ path: `line ${position}`, message: 'must be a whole number of units' });
    else if (Number(value) > 0) lines.push({ position, quantity: Number(value) });
  }
  return { lines: lines.sort((a, b) => a.position - b.position), problems };
}

/** Where a problem points on the form, in a person's words */
const fieldOf = (path: string): string => {
  const line = /^lines\[(\d+)\]/.exec(path);
  if (path === 'reason') return 'Reason';
  if (path.startsWith('orders')) return 'Orders';
  if (path === 'reinvoice') return 'Re-invoice';
  return line ? 'Lines' : path;
};

export function registerCreditNotePages(web: FastifyInstance, ctx: AppContext): void {
  const visibleInvoice = async (request: FastifyRequest, number: string): Promise<InvoiceDetail> => {
    const ids = scopeIds(request.adminSession!.scope);
    const invoice = await showInvoice(await ctx.db(), number, ids === undefined ? {} : { companyIds: ids });
    if (!invoice) throw notFound(`There is no invoice "${number}".`);
    return invoice;
  };

  const showForm = (
    request: FastifyRequest,
    reply: FastifyReply,
    invoice: InvoiceDetail,
    state: {
      reason?: string;
      orders?: string[];
      units?: Record<number, string>;
      reinvoice?: boolean;
      problems?: Array<{ field: string; message: string }>;
      preview?: unknown;
    },
  ) =>
    reply.status(state.problems && state.problems.length > 0 ? 400 : 200).view('credit-note-form', {
      title: `Credit note for ${invoice.number}`,
      nav: 'invoices',
      invoice: { ...invoice, href: pathOf.invoice(invoice.number) },
      orders: invoice.orders.map((o) => ({ number: o, checked: state.orders?.includes(o) ?? false })),
      lines: invoice.lines.map((l) => ({ ...l, remaining: l.quantity - l.creditedQuantity, value: state.units?.[l.position] ?? '' })),
      reason: state.reason ?? '',
      reinvoice: state.reinvoice ?? false,
      problems: state.problems ?? [],
      preview: state.preview ?? null,
      action: `${pathOf.invoice(invoice.number)}/credit-notes`,
      ...pageContext(request, reply),
    });

  web.get<{ Params: { number: string } }>('/invoices/:number/credit-note', { preHandler: requireSession }, async (request, reply) => {
    return showForm(request, reply, await visibleInvoice(request, request.params.number), {});
  });

  web.post<{ Params: { number: string } }>('/invoices/:number/credit-notes', { preHandler: requireSession }, async (request, reply) => {
    const invoice = await visibleInvoice(request, request.params.number);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const form = parseInput(creditForm, body);
    const { lines, problems } = lineSelections(body);
    const units = Object.fromEntries(
      Object.entries(body).flatMap(([k, v]) => (LINE_FIELD.test(k) && typeof v === 'string' ? [[Number(LINE_FIELD.exec(k)![1]), v]] : [])),
    );
    const state = { reason: form.reason ?? '', orders: form.orders, units, reinvoice: form.reinvoice === 'on' };
    if (problems.length > 0) return showForm(request, reply, invoice, { ...state, problems: problems.map((p) => ({ field: p.path, message: p.message })) });
    try {
      const report = await creditInvoice(await ctx.runDeps(), {
        invoiceNumber: invoice.number,
        orders: form.orders,
        lines,
        reason: form.reason,
        reinvoice: form.reinvoice === 'on',
        dryRun: form.dryRun === 'true',
        issuedBy: request.adminSession!.scope.userEmail,
      });
      if (form.dryRun === 'true') return showForm(request, reply, invoice, { ...state, preview: report });
      request.log.info({ invoice: invoice.number, creditNote: report.number }, 'admin page: credit note issued');
      return reply.redirect(`${pathOf.invoice(invoice.number)}?credited=${encodeURIComponent(report.number!)}`, 303);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'INPUT') throw err;
      return showForm(request, reply, invoice, { ...state, problems: err.problems.map((p) => ({ field: fieldOf(p.path), message: p.message })) });
    }
  });

  const visibleCreditNote = async (request: FastifyRequest, number: string) => {
    const db = await ctx.db();
    const note = await findCreditNoteByNumber(db, number);
    if (!note || !seesCompanyId(request.adminSession!.scope, note.companyId)) throw notFound(`There is no credit note "${number}".`);
    return (await loadBillingDocuments(db, [note.id])).get(note.id)!;
  };

  web.get<{ Params: { number: string } }>('/credit-notes/:number/pdf', { preHandler: requireSession }, async (request, reply) => {
    const doc = await visibleCreditNote(request, request.params.number);
    return sendArtefact(reply, (await ctx.artefacts().renderPdf(doc)).bytes, 'pdf', doc.number, 'inline');
  });

  web.get<{ Params: { number: string } }>('/credit-notes/:number/xml', { preHandler: requireSession }, async (request, reply) => {
    const doc = await visibleCreditNote(request, request.params.number);
    return sendArtefact(reply, Buffer.from(ctx.artefacts().xml(doc), 'utf8'), 'xml', doc.number);
  });
}
