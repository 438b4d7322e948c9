/**
 * Companies and their accounting integrations (SPEC §7, §4). Settings are changed through the import
 * schema, so the API accepts exactly what `load` accepts.
 */
import type { FastifyInstance } from 'fastify';
import { findSequence, listCompanyViews } from '../../db/companies-repo.js';
import { integrationAsImport, listIntegrations, scheduleText, upcomingRunAt, type IntegrationRecord } from '../../db/integrations-repo.js';
import type { IntegrationType } from '../../domain/integration-settings.js';
import { saveIntegration } from '../../import/save-integration.js';
import type { AppContext } from '../app-context.js';
import { findVisibleCompany, scopeIds } from './auth.js';
import { notFound } from './errors.js';

const TYPES: readonly IntegrationType[] = ['pdf-emailer', 'xml-sftp'];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * An integration in the import format (what PATCH accepts), plus `state`: what the scheduler made of it.
 * State is read-only.
 */
export function integrationJson(g: IntegrationRecord, now: number) {
  return {
    ...integrationAsImport(g),
    nextInvoiceAt: iso(g.nextInvoiceAt),
    state: {
      schedule: scheduleText(g),
      nextRunAt: iso(upcomingRunAt(g, now)),
      lastRunAt: iso(g.lastRunAt),
      lastResult: g.lastResult,
    },
  };
}

export function registerCompanyRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/companies', async (request) => {
    const items = await listCompanyViews(await ctx.db(), scopeIds(request.scope));
    return { items, count: items.length };
  });

  app.get<{ Params: { code: string } }>('/companies/:code', async (request) => {
    const db = await ctx.db();
    const company = await findVisibleCompany(db, request.scope, request.params.code);
    const [view] = await listCompanyViews(db, [company.id]);
    const now = ctx.clock.now();
    return {
      ...view!,
      sequence: await findSequence(db, company.id),
      integrations: (await listIntegrations(db, { companyCode: company.code })).map((g) => integrationJson(g, now)),
    };
  });

  app.patch<{ Params: { code: string; type: string } }>('/companies/:code/integrations/:type', async (request) => {
    const db = await ctx.db();
    const company = await findVisibleCompany(db, request.scope, request.params.code);
    const type = TYPES.find((t) => t === request.params.type);
    if (!type) throw notFound(`unknown integration type "${request.params.type}" (known: ${TYPES.join(', ')})`);
    const now = ctx.clock.now();
    return integrationJson(await saveIntegration(db, company.code, type, request.body, now), now);
  });
}
