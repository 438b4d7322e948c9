/**
 * The companies page's tree (admin → supplier → retailers) and what each company shows: its integrations'
 * schedules, next and last runs, and its open orders by the reason a run would leave them.
 */
import type { CompanyView } from '../../db/companies-repo.js';
import { scheduleText, upcomingRunAt, type IntegrationRecord } from '../../db/integrations-repo.js';
import type { OpenOrderGroup } from '../../db/open-order-counts-repo.js';
import { emptySkipCounts, skipReason } from '../../domain/eligibility.js';
import { localAndUtc, pathOf, skipRows, summariseResult } from './format.js';

export interface IntegrationRow {
  type: string;
  enabled: boolean;
  schedule: string;
  timezone: string;
  nextRun: ReturnType<typeof localAndUtc>;
  lastRun: ReturnType<typeof localAndUtc>;
  lastResult: ReturnType<typeof summariseResult>;
}

export interface OpenOrders {
  total: number;
  /** Eligible as far as the order itself goes (an integration's starting date may still leave some out) */
  ready: number;
  skipped: Array<{ reason: string; label: string; count: number }>;
}

export interface CompanyNode {
  code: string;
  name: string;
  type: string;
  href: string;
  invoiced: boolean;
  integrations: IntegrationRow[];
  openOrders: OpenOrders | null;
  children: CompanyNode[];
}

export function integrationRow(g: IntegrationRecord, now: number): IntegrationRow {
  return {
    type: g.type,
    enabled: g.enabled,
    schedule: scheduleText(g),
    timezone: g.timezone,
    nextRun: localAndUtc(upcomingRunAt(g, now), g.timezone),
    lastRun: localAndUtc(g.lastRunAt, g.timezone),
    lastResult: summariseResult(g.lastResult),
  };
}

/**
 * Open orders counted under the first reason a run would skip them, before any integration's starting
 * date (which differs per integration: `Preview run` applies it).
 */
export function openOrdersOf(groups: readonly OpenOrderGroup[]): OpenOrders {
  const counts = emptySkipCounts();
  let ready = 0;
  let total = 0;
  for (const g of groups) {
    total += g.count;
    const reason = skipReason({ status: g.status, onHold: g.onHold, hasErrors: g.hasErrors, createdAt: 0 }, { includeErrors: false, startingFrom: null });
    if (reason === null) ready += g.count;
    else counts[reason] += g.count;
  }
  return { total, ready, skipped: skipRows(counts).filter((r) => r.reason !== 'beforeStartingFrom') };
}

export const isInvoiced = (type: string) => type === 'dropship' || type === 'self_fulfilment';

/**
 * The visible companies as a forest: a company whose parent is not visible (a company token's own
 * company) is a root. Children in code order.
 */
export function buildCompanyTree(
  companies: readonly CompanyView[],
  integrations: readonly IntegrationRecord[],
  openOrders: ReadonlyMap<string, OpenOrderGroup[]>,
  now: number,
): CompanyNode[] {
  const byCode = new Map(companies.map((c) => [c.code, c]));
  const nodes = new Map<string, CompanyNode>(
    companies.map((c) => [
      c.code,
      {
        code: c.code,
        name: c.name,
        type: c.type,
        href: pathOf.company(c.code),
        invoiced: isInvoiced(c.type),
        integrations: integrations.filter((g) => g.companyCode === c.code).map((g) => integrationRow(g, now)),
        openOrders: isInvoiced(c.type) ? openOrdersOf(openOrders.get(c.code) ?? []) : null,
        children: [],
      },
    ]),
  );
  const roots: CompanyNode[] = [];
  for (const c of [...companies].sort((a, b) => a.code.localeCompare(b.code))) {
    const node = nodes.get(c.code)!;
    const parent = c.parent !== null && byCode.has(c.parent) && c.parent !== c.code ? nodes.get(c.parent)! : null;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}
