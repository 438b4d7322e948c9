/**
 * Credit notes over HTTP (SPEC §8): issue one for an invoice, list them, and their PDF and UBL XML. A
 * company token reaches only invoices and credit notes within its scope; one outside it is answered exactly
 * as one that does not exist.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findCompanyByCode } from '../../db/companies-repo.js';
import { countCreditNotes, findCreditNoteByNumber, findInvoiceByNumber, listCreditNotes } from '../../db/invoices-repo.js';
import { inputError } from '../../domain/errors.js';
import { creditInvoice } from '../../pipeline/credit-invoice.js';
import { loadBillingDocuments } from '../../pipeline/invoice-documents.js';
import type { AppContext } from '../app-context.js';
import { scopeIds, seesCompanyCode, seesCompanyId } from './auth.js';
import { notFound } from './errors.js';
import { codeParam, pageParams, parseInput } from './input.js';
import { sendArtefact } from './send-artefact.js';

const positiveInt = z.number({ error: 'must be a positive whole number' }).int({ error: 'must be a positive whole number' }).min(1).max(1_000_000_000);

export const creditNoteBody = z.strictObject(
  {
    orders: z
      .array(z.string({ error: 'must be an order number' }).min(1).max(64), { error: 'must be an array of order numbers' })
      .max(10_000)
      .optional()
      .default([]),
    lines: z
      .array(z.strictObject({ position: positiveInt, quantity: positiveInt.nullable().optional() }, { error: 'must be an object { position, quantity }' }), {
        error: 'must be an array of { position, quantity }',
      })
      .max(10_000)
      .optional()
      .default([]),
    reason: z.string({ error: 'a reason is required: one line of 1–255 characters' }).optional(),
    reinvoice: z.boolean({ error: 'must be true or false' }).optional().default(false),
    dryRun: z.boolean({ error: 'must be true or false' }).optional().default(false),
  },
  { error: 'must be an object' },
);

export const listQuery = z.strictObject({ ...pageParams, company: codeParam.optional(), invoice: z.string().max(64).optional() });

export function registerCreditNoteRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Params: { number: string } }>('/invoices/:number/credit-notes', async (request, reply) => {
    const db = await ctx.db();
    const body = parseInput(creditNoteBody, request.body);
    const invoice = await findInvoiceByNumber(db, request.params.number);
    // Outside the token's scope reads as unknown, as everywhere
    if (!invoice || !seesCompanyId(request.scope, invoice.companyId))
      throw inputError([{ path: 'invoice', message: `unknown invoice "${request.params.number}"` }]);
    const report = await creditInvoice(await ctx.runDeps(), {
      invoiceNumber: request.params.number,
      orders: body.orders,
      lines: body.lines.map((l) => ({ position: l.position, quantity: l.quantity ?? null })),
      reason: body.reason,
      reinvoice: body.reinvoice,
      dryRun: body.dryRun,
      issuedBy: request.scope.userEmail,
    });
    return reply.status(body.dryRun ? 200 : 201).send(report);
  });

  app.get('/credit-notes', async (request) => {
    const q = parseInput(listQuery, request.query);
    const db = await ctx.db();
    if (q.company !== undefined && !(seesCompanyCode(request.scope, q.company) && (await findCompanyByCode(db, q.company)))) {
      throw inputError([{ path: 'company', message: `unknown company "${q.company}"` }]);
    }
    const ids = scopeIds(request.scope);
    const filter = {
      ...(q.company !== undefined ? { company: q.company } : {}),
      ...(q.invoice !== undefined ? { invoice: q.invoice } : {}),
      ...(ids !== undefined ? { companyIds: ids } : {}),
    };
    const [items, count] = await Promise.all([listCreditNotes(db, { ...filter, limit: q.limit, offset: q.offset }), countCreditNotes(db, filter)]);
    return { items, count };
  });

  const visibleCreditNote = async (scope: Parameters<typeof seesCompanyId>[0], number: string) => {
    const db = await ctx.db();
    const note = await findCreditNoteByNumber(db, number);
    if (!note || !seesCompanyId(scope, note.companyId)) throw notFound(`unknown credit note "${number}"`);
    return (await loadBillingDocuments(db, [note.id])).get(note.id)!;
  };

  app.get<{ Params: { number: string } }>('/credit-notes/:number/pdf', async (request, reply) => {
    const doc = await visibleCreditNote(request.scope, request.params.number);
    return sendArtefact(reply, (await ctx.artefacts().renderPdf(doc)).bytes, 'pdf', doc.number);
  });

  app.get<{ Params: { number: string } }>('/credit-notes/:number/xml', async (request, reply) => {
    const doc = await visibleCreditNote(request.scope, request.params.number);
    return sendArtefact(reply, Buffer.from(ctx.artefacts().xml(doc), 'utf8'), 'xml', doc.number);
  });
}
