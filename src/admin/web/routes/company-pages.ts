/**
 * Companies: the tree with schedules, runs and open orders; one company with `Preview run` and `Run now`.
 */
import type { FastifyInstance } from 'fastify';
import { listCompanyTree, listCompanyViews } from '../../../db/companies-repo.js';
import { listIntegrations } from '../../../db/integrations-repo.js';
import { listInvoices } from '../../../db/invoices-repo.js';
import { countOpenOrders, type OpenOrderGroup } from '../../../db/open-order-counts-repo.js';
import { listRuns } from '../../../db/runs-repo.js';
import type { RunReport } from '../../../pipeline/run-company.js';
import type { AppContext } from '../../app-context.js';
import { findVisibleCompany, scopeIds, seesCompanyCode } from '../../http/auth.js';
import { buildCompanyTree, integrationRow, isInvoiced, openOrdersOf } from '../company-view-model.js';
import { pathOf, skipRows, utcText } from '../format.js';
import { requireSession } from '../require-session.js';
import { invoiceRow } from '../invoice-view-model.js';
import { pageContext } from '../page-context.js';
import { describeRun, runCompanyForToken } from '../run-for-token.js';

function reportView(report: RunReport) {
  return {
    company: report.company,
    mode: report.mode,
    dryRun: report.dryRun,
    invoices: report.invoices.map((i) => ({ ...i, href: report.dryRun ? null : pathOf.invoice(i.number), orders: i.orders.join(', ') })),
    skipped: skipRows(report.skipped),
    deliveries: report.deliveries,
    integrations: report.integrations?.map((g) => ({ type: g.type, invoices: g.invoices.join(', ') })) ?? null,
    missingCharacters: report.missingCharacters?.join(' ') ?? null,
  };
}

export function registerCompanyPages(web: FastifyInstance, ctx: AppContext): void {
  web.get('/companies', { preHandler: requireSession }, async (request, reply) => {
    const db = await ctx.db();
    const scope = request.adminSession!.scope;
    const ids = scopeIds(scope);
    const [companies, integrations, tree, groups] = await Promise.all([
      listCompanyViews(db, ids),
      listIntegrations(db),
      listCompanyTree(db),
      countOpenOrders(db, ids),
    ]);
    const codeOf = new Map(tree.map((c) => [c.id, c.code]));
    const openOrders = new Map<string, OpenOrderGroup[]>();
    for (const g of groups) {
      const code = codeOf.get(g.companyId);
      if (code !== undefined) openOrders.set(code, [...(openOrders.get(code) ?? []), g]);
    }
    const visible = integrations.filter((g) => seesCompanyCode(scope, g.companyCode));
    return reply.view('companies', {
      title: 'Companies',
      nav: 'companies',
      roots: buildCompanyTree(companies, visible, openOrders, ctx.clock.now()),
      ...pageContext(request, reply),
    });
  });

  web.get<{ Params: { code: string } }>('/companies/:code', { preHandler: requireSession }, async (request, reply) => {
    const db = await ctx.db();
    const scope = request.adminSession!.scope;
    const company = await findVisibleCompany(db, scope, request.params.code);
    const now = ctx.clock.now();
    const [[view], integrations, groups, runs, invoices, children] = await Promise.all([
      listCompanyViews(db, [company.id]),
      listIntegrations(db, { companyCode: company.code }),
      countOpenOrders(db, [company.id]),
      listRuns(db, { companyId: company.id, limit: 10, offset: 0 }),
      listInvoices(db, { companyIds: [company.id], newestFirst: true, limit: 10 }),
      listCompanyViews(db, scopeIds(scope)).then((all) => all.filter((c) => c.parent === company.code)),
    ]);
    const parent = view!.parent !== null && seesCompanyCode(scope, view!.parent) ? { code: view!.parent, href: pathOf.company(view!.parent) } : null;
    return reply.view('company', {
      title: `${company.code} · ${company.name}`,
      nav: 'companies',
      company: { ...view!, invoiced: isInvoiced(company.type) },
      parent,
      children: children.map((c) => ({ code: c.code, name: c.name, type: c.type, href: pathOf.company(c.code) })),
      integrations: integrations.map((g) => integrationRow(g, now)),
      openOrders: isInvoiced(company.type) ? openOrdersOf(groups) : null,
      runDescription: describeRun(
        scope,
        company.code,
        integrations.filter((g) => g.enabled),
      ),
      runs: runs.items.map((r) => ({
        ...r,
        startedAt: utcText(Date.parse(r.startedAt)),
        invoices: (r.report as { invoices?: Array<string | { number: string }> } | null)?.invoices?.length ?? 0,
      })),
      invoices: invoices.map(invoiceRow),
      previewHref: `${pathOf.company(company.code)}/preview`,
      runHref: `${pathOf.company(company.code)}/runs`,
      invoicesHref: `/admin/invoices?company=${encodeURIComponent(company.code)}`,
      ...pageContext(request, reply),
    });
  });

  web.get<{ Params: { code: string } }>('/companies/:code/preview', { preHandler: requireSession }, async (request, reply) => {
    const db = await ctx.db();
    const scope = request.adminSession!.scope;
    const company = await findVisibleCompany(db, scope, request.params.code);
    const report = await runCompanyForToken(ctx, scope, company.code, true);
    return reply.view('run-report', {
      title: `Preview: ${company.code}`,
      nav: 'companies',
      companyHref: pathOf.company(company.code),
      report: reportView(report),
      ...pageContext(request, reply),
    });
  });

  web.post<{ Params: { code: string } }>('/companies/:code/runs', { preHandler: requireSession }, async (request, reply) => {
    const db = await ctx.db();
    const scope = request.adminSession!.scope;
    const company = await findVisibleCompany(db, scope, request.params.code);
    const report = await runCompanyForToken(ctx, scope, company.code, false);
    request.log.info({ company: company.code, invoices: report.invoices.length }, 'admin page: run');
    return reply.view('run-report', {
      title: `Run: ${company.code}`,
      nav: 'companies',
      companyHref: pathOf.company(company.code),
      report: reportView(report),
      ...pageContext(request, reply),
    });
  });
}
