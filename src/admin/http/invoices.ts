/**
 * Invoices (SPEC §7): the list of `invoices list --json`, and each invoice's PDF and UBL XML, rendered by
 * the same renderers as the deliveries, so the bytes are those that were delivered.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { countInvoices, findInvoiceByNumber, listInvoices, showInvoice } from '../../db/invoices-repo.js';
import { findCompanyByCode } from '../../db/companies-repo.js';
import { inputError } from '../../domain/errors.js';
import type { BillingDocument } from '../../domain/invoice-document.js';
import { loadBillingDocuments } from '../../pipeline/invoice-documents.js';
import type { AppContext } from '../app-context.js';
import { scopeIds, seesCompanyCode, seesCompanyId, type Scope } from './auth.js';
import { notFound } from './errors.js';
import { codeParam, pageParams, parseInput } from './input.js';
import { sendArtefact } from './send-artefact.js';

export const listQuery = z.strictObject({ ...pageParams, company: codeParam.optional() });

export function registerInvoiceRoutes(app: FastifyInstance, ctx: AppContext): void {
  const visibleInvoice = async (scope: Scope, number: string): Promise<BillingDocument> => {
    const db = await ctx.db();
    const invoice = await findInvoiceByNumber(db, number);
    if (!invoice || !seesCompanyId(scope, invoice.companyId)) throw notFound(`unknown invoice "${number}"`);
    return (await loadBillingDocuments(db, [invoice.id])).get(invoice.id)!;
  };

  app.get('/invoices', async (request) => {
    const q = parseInput(listQuery, request.query);
    const db = await ctx.db();
    if (q.company !== undefined && !(seesCompanyCode(request.scope, q.company) && (await findCompanyByCode(db, q.company)))) {
      throw inputError([{ path: 'company', message: `unknown company "${q.company}"` }]);
    }
    const ids = scopeIds(request.scope);
    const filter = { ...(q.company !== undefined ? { company: q.company } : {}), ...(ids !== undefined ? { companyIds: ids } : {}) };
    const [items, count] = await Promise.all([listInvoices(db, { ...filter, limit: q.limit, offset: q.offset }), countInvoices(db, filter)]);
    return { items, count };
  });

  app.get<{ Params: { number: string } }>('/invoices/:number', async (request) => {
    const ids = scopeIds(request.scope);
    const invoice = await showInvoice(await ctx.db(), request.params.number, ids === undefined ? {} : { companyIds: ids });
    if (!invoice) throw notFound(`unknown invoice "${request.params.number}"`);
    return invoice;
  });

  app.get<{ Params: { number: string } }>('/invoices/:number/pdf', async (request, reply) => {
    const doc = await visibleInvoice(request.scope, request.params.number);
    const rendered = await ctx.artefacts().renderPdf(doc);
    return sendArtefact(reply, rendered.bytes, 'pdf', doc.number);
  });

  app.get<{ Params: { number: string } }>('/invoices/:number/xml', async (request, reply) => {
    const doc = await visibleInvoice(request.scope, request.params.number);
    return sendArtefact(reply, Buffer.from(ctx.artefacts().xml(doc), 'utf8'), 'xml', doc.number);
  });
}
