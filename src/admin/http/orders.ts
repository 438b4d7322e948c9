/**
 * Orders (SPEC §7, seed 003): list with paging, ordering and search; create; read; change; hold and release.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findCompanyByCode } from '../../db/companies-repo.js';
import { findOrder, listOrders, type OrderSort } from '../../db/orders-repo.js';
import { inputError } from '../../domain/errors.js';
import { isSingleLine } from '../../domain/text-rules.js';
import { holdOrder, saveOrder, updateOrder } from '../../import/save-order.js';
import type { AppContext } from '../app-context.js';
import { scopeIds, seesCompanyCode, type Scope } from './auth.js';
import { notFound } from './errors.js';
import { BODY_LIMITS, booleanParam, codeParam, idParam, pageParams, parseInput } from './input.js';

const SORT = /^(createdAt|number)(?::(ASC|DESC))?$/i;
const SORT_HELP = 'must be createdAt or number, optionally followed by :ASC or :DESC (e.g. createdAt:DESC)';

/** `orderBy=createdAt:DESC`, repeated or comma-separated for several keys (`number:ASC,createdAt:DESC`). */
const orderByParam = z.union([z.string(), z.array(z.string())], { error: SORT_HELP }).transform((v, ctx): OrderSort[] => {
  const terms = (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim());
  const out: OrderSort[] = [];
  for (const term of terms) {
    const m = SORT.exec(term);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `${SORT_HELP}; got "${term}"` });
      return z.NEVER;
    }
    const field = m[1]!.toLowerCase() === 'number' ? 'number' : 'createdAt';
    if (out.some((s) => s.field === field)) {
      ctx.addIssue({ code: 'custom', message: `names ${field} twice` });
      return z.NEVER;
    }
    out.push({ field, direction: (m[2] ?? 'ASC').toUpperCase() === 'DESC' ? 'desc' : 'asc' });
  }
  return out;
});

export const listQuery = z.strictObject({
  ...pageParams,
  orderBy: orderByParam.optional(),
  search: z
    .string({ error: 'must be a string, given once' })
    .max(255, { error: 'must be at most 255 characters' })
    .refine(isSingleLine, { error: 'must be one line of text, without control characters' })
    .optional(),
  invoiced: booleanParam.optional(),
  company: codeParam.optional(),
});

export function registerOrderRoutes(app: FastifyInstance, ctx: AppContext): void {
  const visibleOrder = async (scope: Scope, idText: string) => {
    const id = idParam(idText);
    const order = id === null ? null : await findOrder(await ctx.db(), id);
    if (!order || !seesCompanyCode(scope, order.company)) throw notFound(`unknown order ${idText}`);
    return order;
  };

  app.get('/orders', async (request) => {
    const q = parseInput(listQuery, request.query);
    const db = await ctx.db();
    if (q.company !== undefined && !(seesCompanyCode(request.scope, q.company) && (await findCompanyByCode(db, q.company)))) {
      throw inputError([{ path: 'company', message: `unknown company "${q.company}"` }]);
    }
    const ids = scopeIds(request.scope);
    return listOrders(db, {
      ...(q.company !== undefined ? { company: q.company } : {}),
      ...(ids !== undefined ? { companyIds: ids } : {}),
      ...(q.invoiced !== undefined ? { invoiced: q.invoiced } : {}),
      ...(q.search !== undefined ? { search: q.search } : {}),
      ...(q.orderBy !== undefined ? { orderBy: q.orderBy } : {}),
      limit: q.limit,
      offset: q.offset,
    });
  });

  app.post('/orders', { bodyLimit: BODY_LIMITS.order }, async (request, reply) => {
    const body = request.body as { company?: unknown } | null;
    // A company outside the token's scope reads exactly like one that does not exist
    if (body && typeof body === 'object' && typeof body.company === 'string' && !seesCompanyCode(request.scope, body.company)) {
      throw inputError([{ path: 'company', message: `unknown company "${body.company}"` }]);
    }
    const { order, created } = await saveOrder(await ctx.db(), request.body, ctx.clock.now());
    return reply.status(created ? 201 : 200).send(order);
  });

  app.get<{ Params: { id: string } }>('/orders/:id', async (request) => visibleOrder(request.scope, request.params.id));

  app.patch<{ Params: { id: string } }>('/orders/:id', { bodyLimit: BODY_LIMITS.order }, async (request) => {
    const order = await visibleOrder(request.scope, request.params.id);
    return updateOrder(await ctx.db(), order.id, request.body, ctx.clock.now());
  });

  for (const [action, onHold] of [
    ['hold', true],
    ['release', false],
  ] as const) {
    app.post<{ Params: { id: string } }>(`/orders/:id/${action}`, async (request) => {
      const order = await visibleOrder(request.scope, request.params.id);
      return holdOrder(await ctx.db(), order.id, onHold, ctx.clock.now());
    });
  }
}
