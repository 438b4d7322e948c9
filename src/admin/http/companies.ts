/**
 * Companies and their accounting integrations (SPEC §7, §4). Settings are changed through the import
 * schema, so the API accepts exactly what `load` accepts, under the same operator policy (SPEC §9). The
 * settings that point the server at files and secrets are the operator's: only an admin token may send
 * them; a company token that does gets 403 naming each such field, and nothing is stored.
 */
import type { FastifyInstance } from 'fastify';
import { findSequence, listCompanyViews } from '../../db/companies-repo.js';
import { integrationAsImport, listIntegrations, scheduleText, upcomingRunAt, type IntegrationRecord } from '../../db/integrations-repo.js';
import type { IntegrationType } from '../../domain/integration-settings.js';
import { saveIntegration } from '../../import/save-integration.js';
import type { AppContext } from '../app-context.js';
import { isoTime } from '../output.js';
import { AppError } from '../../domain/errors.js';
import { findVisibleCompany, scopeIds, type Scope } from './auth.js';
import { notFound } from './errors.js';
import { BODY_LIMITS } from './input.js';

const TYPES: readonly IntegrationType[] = ['pdf-emailer', 'xml-sftp'];
/** Where files are written, which key file is read, which variable is read, which server is trusted */
const OPERATOR_FIELDS = ['target', 'privateKeyFile', 'passwordEnv', 'hostKeySha256'] as const;

/** 403 when a company token sends any operator field (whatever its value, `null` included). */
function refuseOperatorFields(scope: Scope, body: unknown): void {
  if (scope.companies === null || typeof body !== 'object' || body === null) return;
  const sent = OPERATOR_FIELDS.filter((field) => Object.hasOwn(body, field));
  if (sent.length === 0) return;
  const problems = sent.map((path) => ({ path, message: "only an admin token can change this setting (it is the operator's)" }));
  throw new AppError('FORBIDDEN', problems.map((p) => `${p.path}: ${p.message}`).join('\n'), { problems });
}
/**
 * An integration in the import format (what PATCH accepts), plus `state`: what the scheduler made of it.
 * State is read-only.
 */
export function integrationJson(g: IntegrationRecord, now: number) {
  return {
    ...integrationAsImport(g),
    nextInvoiceAt: isoTime(g.nextInvoiceAt),
    state: {
      schedule: scheduleText(g),
      nextRunAt: isoTime(upcomingRunAt(g, now)),
      lastRunAt: isoTime(g.lastRunAt),
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
      sequence: await findSequence(db, company),
      integrations: (await listIntegrations(db, { companyCode: company.code })).map((g) => integrationJson(g, now)),
    };
  });

  app.patch<{ Params: { code: string; type: string } }>('/companies/:code/integrations/:type', { bodyLimit: BODY_LIMITS.settings }, async (request) => {
    const db = await ctx.db();
    const company = await findVisibleCompany(db, request.scope, request.params.code);
    const type = TYPES.find((t) => t === request.params.type);
    if (!type) throw notFound(`unknown integration type "${request.params.type}" (known: ${TYPES.join(', ')})`);
    refuseOperatorFields(request.scope, request.body);
    const now = ctx.clock.now();
    return integrationJson(await saveIntegration(db, company.code, type, request.body, now, ctx.config.policy), now);
  });
}
