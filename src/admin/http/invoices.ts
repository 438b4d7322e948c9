/**
 * Invoices (SPEC §7): the list of `invoices list --json`, and each invoice's PDF and UBL XML, rendered by
 * the same renderers as the deliveries, so the bytes are those that were delivered.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { countInvoices, findInvoiceByNumber, listInvoices } from '../../db/invoices-repo.js';
import { findCompanyByCode } from '../../db/companies-repo.js';
import { inputError } from '../../domain/errors.js';
import type { InvoiceDocument } from '../../domain/invoice-document.js';
import { loadInvoiceDocuments } from '../../pipeline/invoice-documents.js';
import type { AppContext } from '../app-context.js';
import { scopeIds, seesCompanyCode, seesCompanyId, type Scope } from './auth.js';
import { notFound } from './errors.js';
import { codeParam, pageParams, parseInput } from './input.js';

const listQuery = z.strictObject({ ...pageParams, company: codeParam.optional() });

/** Invoice numbers may hold `/` (a prefix like `INV/2026/`); a file name may not. */
const fileName = (number: string, ext: string) => `${number.replace(/[^A-Za-z0-9_.-]/g, '_')}.${ext}`;

export function registerInvoiceRoutes(app: FastifyInstance, ctx: AppContext): void {
  const visibleInvoice = async (scope: Scope, number: string): Promise<InvoiceDocument> => {
    const db = await ctx.db();
    const invoice = await findInvoiceByNumber(db, number);
    if (!invoice || !seesCompanyId(scope, invoice.companyId)) throw notFound(`unknown invoice "${number}"`);
    return (await loadInvoiceDocuments(db, [invoice.id])).get(invoice.id)!;
  };
  const sendFile = (reply: FastifyReply, bytes: Uint8Array, type: string, name: string) =>
    reply
      .type(type)
      .header('content-disposition', `attachment; filename="${name}"`)
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

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

  app.get<{ Params: { number: string } }>('/invoices/:number/pdf', async (request, reply) => {
    const doc = await visibleInvoice(request.scope, request.params.number);
    const rendered = await ctx.artefacts().renderPdf(doc);
    return sendFile(reply, rendered.bytes, 'application/pdf', fileName(doc.number, 'pdf'));
  });

  app.get<{ Params: { number: string } }>('/invoices/:number/xml', async (request, reply) => {
    const doc = await visibleInvoice(request.scope, request.params.number);
    return sendFile(reply, Buffer.from(ctx.artefacts().xml(doc), 'utf8'), 'application/xml', fileName(doc.number, 'xml'));
  });
}
