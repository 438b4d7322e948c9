/**
 * Invoices: the list with filters (company, status, delivery state), one invoice with its PDF in the page,
 * `Download XML`, its lines and its deliveries with each attempt.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { listCompanyViews } from '../../../db/companies-repo.js';
import { listDeliveryAttempts } from '../../../db/delivery-attempts-repo.js';
import { listInvoiceDeliveries } from '../../../db/delivery-queue-repo.js';
import { DELIVERY_STATES, findInvoiceStatus, INVOICE_STATUSES, searchInvoices } from '../../../db/invoice-search-repo.js';
import { findInvoiceByNumber } from '../../../db/invoices-repo.js';
import { inputError } from '../../../domain/errors.js';
import type { InvoiceDocument } from '../../../domain/invoice-document.js';
import { loadInvoiceDocuments } from '../../../pipeline/load-invoice-document.js';
import type { AppContext } from '../../app-context.js';
import { scopeIds, seesCompanyCode, seesCompanyId, type Scope } from '../../http/auth.js';
import { notFound } from '../../http/errors.js';
import { codeParam, parseInput, wholeNumberParam } from '../../http/input.js';
import { isInvoiced } from '../company-view-model.js';
import { pathOf, utcText } from '../format.js';
import { DELIVERY_LABELS, invoiceRow, STATUS_LABELS } from '../invoice-view-model.js';
import { pageContext } from '../page-context.js';
import { requireSession } from '../require-session.js';

const PAGE_SIZE = 50;

/** An empty select means "any". */
const any = <S extends z.ZodType>(schema: S) => z.union([z.literal('').transform(() => undefined), schema]).optional();

const listQuery = z.object({
  company: any(codeParam),
  status: any(z.enum(INVOICE_STATUSES, { error: `must be one of ${INVOICE_STATUSES.join(', ')}` })),
  delivery: any(z.enum(DELIVERY_STATES, { error: `must be one of ${DELIVERY_STATES.join(', ')}` })),
  page: wholeNumberParam(1, 1_000_000).optional().default(1),
});

/** Invoice numbers may hold `/` (a prefix like `INV/2026/`); a file name may not. */
const fileName = (number: string, ext: string) => `${number.replace(/[^A-Za-z0-9_.-]/g, '_')}.${ext}`;

const sendBytes = (reply: FastifyReply, bytes: Uint8Array, type: string, disposition: string) =>
  reply
    .type(type)
    .header('content-disposition', disposition)
    .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

export function registerInvoicePages(web: FastifyInstance, ctx: AppContext): void {
  const visibleInvoice = async (scope: Scope, number: string): Promise<{ id: number; company: string; doc: InvoiceDocument }> => {
    const db = await ctx.db();
    const invoice = await findInvoiceByNumber(db, number);
    if (!invoice || !seesCompanyId(scope, invoice.companyId)) throw notFound(`There is no invoice "${number}".`);
    return { id: invoice.id, company: invoice.company, doc: (await loadInvoiceDocuments(db, [invoice.id])).get(invoice.id)! };
  };

  web.get('/invoices', { preHandler: requireSession }, async (request, reply) => {
    const db = await ctx.db();
    const scope = request.adminSession!.scope;
    const q = parseInput(listQuery, request.query);
    if (q.company !== undefined && !seesCompanyCode(scope, q.company)) throw inputError([{ path: 'company', message: `unknown company "${q.company}"` }]);
    const companies = (await listCompanyViews(db, scopeIds(scope))).filter((c) => isInvoiced(c.type));
    const ids = scopeIds(scope);
    const found = await searchInvoices(db, {
      ...(ids !== undefined ? { companyIds: ids } : {}),
      ...(q.company !== undefined ? { company: q.company } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.delivery !== undefined ? { delivery: q.delivery } : {}),
      limit: PAGE_SIZE,
      offset: (q.page - 1) * PAGE_SIZE,
    });
    const pageHref = (page: number) =>
      `/admin/invoices?${new URLSearchParams({ company: q.company ?? '', status: q.status ?? '', delivery: q.delivery ?? '', page: String(page) }).toString()}`;
    return reply.view('invoices', {
      title: 'Invoices',
      nav: 'invoices',
      filter: { company: q.company ?? '', status: q.status ?? '', delivery: q.delivery ?? '' },
      companies: companies.map((c) => c.code),
      statuses: INVOICE_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] })),
      deliveryStates: DELIVERY_STATES.map((s) => ({ value: s, label: DELIVERY_LABELS[s] })),
      invoices: found.items.map(invoiceRow),
      count: found.count,
      from: found.count === 0 ? 0 : (q.page - 1) * PAGE_SIZE + 1,
      to: (q.page - 1) * PAGE_SIZE + found.items.length,
      newerHref: q.page > 1 ? pageHref(q.page - 1) : null,
      olderHref: q.page * PAGE_SIZE < found.count ? pageHref(q.page + 1) : null,
      ...pageContext(request, reply),
    });
  });

  web.get<{ Params: { number: string }; Querystring: { retried?: string } }>('/invoices/:number', { preHandler: requireSession }, async (request, reply) => {
    const db = await ctx.db();
    const { id, company, doc } = await visibleInvoice(request.adminSession!.scope, request.params.number);
    const [deliveries, status] = await Promise.all([listInvoiceDeliveries(db, id), findInvoiceStatus(db, id)]);
    const attempts = await listDeliveryAttempts(
      db,
      deliveries.map((d) => d.id),
    );
    const retried = deliveries.find((d) => String(d.id) === request.query.retried) ?? null;
    const base = pathOf.invoice(doc.number);
    return reply.view('invoice', {
      title: `Invoice ${doc.number}`,
      nav: 'invoices',
      invoice: {
        number: doc.number,
        company,
        companyHref: pathOf.company(company),
        seller: doc.seller.name,
        buyer: doc.buyer.name,
        issueDate: doc.issueDate,
        dueDate: doc.dueDate,
        currency: doc.currency,
        net: doc.net,
        tax: doc.tax,
        total: doc.total,
        status: STATUS_LABELS[status],
        pdfHref: `${base}/pdf`,
        xmlHref: `${base}/xml`,
      },
      lines: doc.orders.flatMap((o) => o.lines),
      taxGroups: doc.taxGroups,
      deliveries: deliveries.map((d) => ({
        ...d,
        nextAttemptAt: d.status === 'failed' ? (d.nextAttemptAt === null ? 'none: retry by hand' : utcText(d.nextAttemptAt)) : '',
        sentAt: utcText(d.sentAt),
        attempts: (attempts.get(d.id) ?? []).map((a) => ({ ...a, finishedAt: utcText(a.finishedAt), iso: new Date(a.finishedAt).toISOString() })),
        attemptCount: d.attempts,
      })),
      retried: retried ? { id: retried.id, integration: retried.integration, status: retried.status, error: retried.error } : null,
      ...pageContext(request, reply),
    });
  });

  // The PDF shown in the page (inline), byte for byte what `invoices pdf` prints and the email carried
  web.get<{ Params: { number: string } }>('/invoices/:number/pdf', { preHandler: requireSession }, async (request, reply) => {
    const { doc } = await visibleInvoice(request.adminSession!.scope, request.params.number);
    const rendered = await ctx.artefacts().renderPdf(doc);
    return sendBytes(reply, rendered.bytes, 'application/pdf', `inline; filename="${fileName(doc.number, 'pdf')}"`);
  });

  web.get<{ Params: { number: string } }>('/invoices/:number/xml', { preHandler: requireSession }, async (request, reply) => {
    const { doc } = await visibleInvoice(request.adminSession!.scope, request.params.number);
    return sendBytes(reply, Buffer.from(ctx.artefacts().xml(doc), 'utf8'), 'application/xml', `attachment; filename="${fileName(doc.number, 'xml')}"`);
  });
}
