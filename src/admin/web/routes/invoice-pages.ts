/**
 * Invoices: the list with filters (company, status, a failed delivery), one invoice with its PDF in the
 * page, `Download XML`, its lines, its credit notes and its deliveries with each attempt.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listCompanyViews } from '../../../db/companies-repo.js';
import { listDeliveries } from '../../../db/deliveries-repo.js';
import { listDeliveryAttempts } from '../../../db/delivery-attempts-repo.js';
import { countInvoices, findInvoiceByNumber, listCreditNotes, listInvoices, showInvoice } from '../../../db/invoices-repo.js';
import { inputError } from '../../../domain/errors.js';
import type { InvoiceDocument } from '../../../domain/invoice-document.js';
import { loadBillingDocuments } from '../../../pipeline/invoice-documents.js';
import type { AppContext } from '../../app-context.js';
import { scopeIds, seesCompanyCode, seesCompanyId, type Scope } from '../../http/auth.js';
import { notFound } from '../../http/errors.js';
import { codeParam, parseInput, wholeNumberParam } from '../../http/input.js';
import { sendArtefact } from '../../http/send-artefact.js';
import { isInvoiced } from '../company-view-model.js';
import { pathOf, utcText } from '../format.js';
import { INVOICE_STATUSES, invoiceRow, STATUS_LABELS } from '../invoice-view-model.js';
import { pageContext } from '../page-context.js';
import { requireSession } from '../require-session.js';

const PAGE_SIZE = 50;

/** An empty select means "any". */
const any = <S extends z.ZodType>(schema: S) => z.union([z.literal('').transform(() => undefined), schema]).optional();

const listQuery = z.object({
  company: any(codeParam),
  status: any(z.enum(INVOICE_STATUSES, { error: `must be one of ${INVOICE_STATUSES.join(', ')}` })),
  delivery: any(z.literal('failed', { error: 'must be failed' })),
  page: wholeNumberParam(1, 1_000_000).optional().default(1),
});

const notAnInvoice = (number: string) => notFound(`There is no invoice "${number}".`);

export function registerInvoicePages(web: FastifyInstance, ctx: AppContext): void {
  /** The invoice's document, to render, if the token sees it. */
  const visibleDocument = async (scope: Scope, number: string): Promise<InvoiceDocument> => {
    const db = await ctx.db();
    const invoice = await findInvoiceByNumber(db, number);
    if (!invoice || !seesCompanyId(scope, invoice.companyId)) throw notAnInvoice(number);
    const doc = (await loadBillingDocuments(db, [invoice.id])).get(invoice.id);
    if (doc?.kind !== 'invoice') throw notAnInvoice(number);
    return doc;
  };

  web.get('/invoices', { preHandler: requireSession }, async (request, reply) => {
    const db = await ctx.db();
    const scope = request.adminSession!.scope;
    const q = parseInput(listQuery, request.query);
    if (q.company !== undefined && !seesCompanyCode(scope, q.company)) throw inputError([{ path: 'company', message: `unknown company "${q.company}"` }]);
    const ids = scopeIds(scope);
    const filter = {
      ...(ids !== undefined ? { companyIds: ids } : {}),
      ...(q.company !== undefined ? { company: q.company } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.delivery === 'failed' ? { deliveryFailed: true } : {}),
    };
    const [companies, items, count] = await Promise.all([
      listCompanyViews(db, ids),
      listInvoices(db, { ...filter, newestFirst: true, limit: PAGE_SIZE, offset: (q.page - 1) * PAGE_SIZE }),
      countInvoices(db, filter),
    ]);
    const pageHref = (page: number) =>
      `/admin/invoices?${new URLSearchParams({ company: q.company ?? '', status: q.status ?? '', delivery: q.delivery ?? '', page: String(page) }).toString()}`;
    return reply.view('invoices', {
      title: 'Invoices',
      nav: 'invoices',
      filter: { company: q.company ?? '', status: q.status ?? '', delivery: q.delivery ?? '' },
      companies: companies.filter((c) => isInvoiced(c.type)).map((c) => c.code),
      statuses: INVOICE_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] })),
      invoices: items.map(invoiceRow),
      count,
      from: count === 0 ? 0 : (q.page - 1) * PAGE_SIZE + 1,
      to: (q.page - 1) * PAGE_SIZE + items.length,
      newerHref: q.page > 1 ? pageHref(q.page - 1) : null,
      olderHref: q.page * PAGE_SIZE < count ? pageHref(q.page + 1) : null,
      ...pageContext(request, reply),
    });
  });

  web.get<{ Params: { number: string }; Querystring: { retried?: string; credited?: string } }>(
    '/invoices/:number',
    { preHandler: requireSession },
    async (request, reply) => {
      const db = await ctx.db();
      const ids = scopeIds(request.adminSession!.scope);
      const invoice = await showInvoice(db, request.params.number, ids === undefined ? {} : { companyIds: ids });
      if (!invoice) throw notAnInvoice(request.params.number);
      const deliveries = await listDeliveries(db, { invoiceNumber: invoice.number });
      const creditNotes = await listCreditNotes(db, { invoice: invoice.number });
      const attempts = await listDeliveryAttempts(
        db,
        deliveries.map((d) => d.id),
      );
      const retried = deliveries.find((d) => String(d.id) === request.query.retried) ?? null;
      const base = pathOf.invoice(invoice.number);
      return reply.view('invoice', {
        title: `Invoice ${invoice.number}`,
        nav: 'invoices',
        invoice: {
          ...invoice,
          companyHref: pathOf.company(invoice.company),
          statusLabel: STATUS_LABELS[invoice.status],
          pdfHref: `${base}/pdf`,
          xmlHref: `${base}/xml`,
          creditNoteHref: `${base}/credit-note`,
        },
        creditNotes: creditNotes.map((n) => ({
          ...n,
          pdfHref: `/admin/credit-notes/${encodeURIComponent(n.number)}/pdf`,
          xmlHref: `/admin/credit-notes/${encodeURIComponent(n.number)}/xml`,
        })),
        credited: creditNotes.some((n) => n.number === request.query.credited) ? request.query.credited : null,
        deliveries: deliveries.map((d) => ({
          ...d,
          nextAttemptAt: d.status === 'failed' ? (d.nextAttemptAt === null ? 'none: retry by hand' : utcText(d.nextAttemptAt)) : '',
          sentAt: utcText(d.sentAt),
          attemptCount: d.attempts,
          attempts: (attempts.get(d.id) ?? []).map((a) => ({ ...a, finishedAt: utcText(a.finishedAt), iso: new Date(a.finishedAt).toISOString() })),
        })),
        retried: retried ? { id: retried.id, integration: retried.integration, status: retried.status, error: retried.error } : null,
        ...pageContext(request, reply),
      });
    },
  );

  // The PDF shown in the page (inline), byte for byte what `invoices pdf` prints and the email carried
  web.get<{ Params: { number: string } }>('/invoices/:number/pdf', { preHandler: requireSession }, async (request, reply) => {
    const doc = await visibleDocument(request.adminSession!.scope, request.params.number);
    const rendered = await ctx.artefacts().renderPdf(doc);
    return sendArtefact(reply, rendered.bytes, 'pdf', doc.number, 'inline');
  });

  web.get<{ Params: { number: string } }>('/invoices/:number/xml', { preHandler: requireSession }, async (request, reply) => {
    const doc = await visibleDocument(request.adminSession!.scope, request.params.number);
    return sendArtefact(reply, Buffer.from(ctx.artefacts().xml(doc), 'utf8'), 'xml', doc.number);
  });
}
