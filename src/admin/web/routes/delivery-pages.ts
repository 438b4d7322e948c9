/**
 * Failed deliveries across companies, the most recently failed first, and `Retry` (the same as
 * `deliveries retry ID`: a fresh set of attempts, sent now).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listDeliveries } from '../../../db/deliveries-repo.js';
import { listFailedDeliveries } from '../../../db/delivery-queue-repo.js';
import { retryDeliveries } from '../../../pipeline/retry-deliveries.js';
import type { AppContext } from '../../app-context.js';
import { scopeIds, seesCompanyCode } from '../../http/auth.js';
import { notFound } from '../../http/errors.js';
import { idParam, parseInput, wholeNumberParam } from '../../http/input.js';
import { pathOf, utcText } from '../format.js';
import { pageContext } from '../page-context.js';
import { requireSession } from '../require-session.js';

const PAGE_SIZE = 50;
const queueQuery = z.object({ page: wholeNumberParam(1, 1_000_000).optional().default(1), retried: z.string().optional() });
const retryBody = z.object({ back: z.enum(['invoice', 'failed']).optional().default('failed') });

export function registerDeliveryPages(web: FastifyInstance, ctx: AppContext): void {
  web.get('/deliveries/failed', { preHandler: requireSession }, async (request, reply) => {
    const db = await ctx.db();
    const scope = request.adminSession!.scope;
    const q = parseInput(queueQuery, request.query);
    const ids = scopeIds(scope);
    const found = await listFailedDeliveries(db, { ...(ids !== undefined ? { companyIds: ids } : {}), limit: PAGE_SIZE, offset: (q.page - 1) * PAGE_SIZE });
    const retriedId = q.retried === undefined ? null : idParam(q.retried);
    const [retried] = retriedId === null ? [] : await listDeliveries(db, { id: retriedId });
    return reply.view('failed-deliveries', {
      title: 'Failed deliveries',
      nav: 'failed',
      deliveries: found.items.map((d) => ({
        ...d,
        failedAt: utcText(d.failedAt),
        nextAttemptAt: d.nextAttemptAt === null ? 'none: retry by hand' : utcText(d.nextAttemptAt),
        // A credit note's deliveries are shown on the page of the invoice it credits
        href: pathOf.invoice(d.ofInvoice),
        companyHref: pathOf.company(d.company),
      })),
      count: found.count,
      retried: retried && seesCompanyCode(scope, retried.company) ? retried : null,
      newerHref: q.page > 1 ? `/admin/deliveries/failed?page=${q.page - 1}` : null,
      olderHref: q.page * PAGE_SIZE < found.count ? `/admin/deliveries/failed?page=${q.page + 1}` : null,
      ...pageContext(request, reply),
    });
  });

  web.post<{ Params: { id: string } }>('/deliveries/:id/retry', { preHandler: requireSession }, async (request, reply) => {
    const scope = request.adminSession!.scope;
    const id = idParam(request.params.id);
    const [delivery] = id === null ? [] : await listDeliveries(await ctx.db(), { id });
    if (id === null || !delivery || !seesCompanyCode(scope, delivery.company)) throw notFound(`There is no delivery "${request.params.id}".`);
    const { back } = parseInput(retryBody, request.body);
    const results = await retryDeliveries(await ctx.runDeps(), String(id), 'delivery');
    request.log.info({ delivery: id, status: results.find((r) => r.id === id)?.status }, 'admin page: delivery retried');
    const target = back === 'invoice' ? pathOf.invoice(delivery.ofInvoice) : '/admin/deliveries/failed';
    return reply.redirect(`${target}?retried=${id}`, 303);
  });
}
