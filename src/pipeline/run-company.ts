/**
 * Running one company now, as a person asks for it (`run --company C [--as EMAIL]`, the API's
 * `POST /companies/:code/runs`, the admin page): a manual run, or each of the company's enabled integrations
 * one after another as the scheduler would run them. Both go through the run orchestrator
 * (run-integrations.ts), a batch of one; a dry run previews instead and writes nothing.
 */
import { listIntegrations } from '../db/integrations-repo.js';
import { missingCharactersOf } from './outbox.js';
import { previewInvoices } from './preview-invoices.js';
import { resolveParties } from './resolve-parties.js';
import { runIntegrations, rulesOf, type RunDeps, type RunMember } from './run-integrations.js';
import { emptyRunReport, publicDeliveries, publicInvoice, runReportOf, type RunReport, type RunResult } from './run-report.js';

export type { RunDeps, RunReport };

export interface ManualRunOptions {
  companyCode: string;
  userEmail: string;
  dryRun: boolean;
  includeErrors: boolean;
  from: string | null;
}

export interface IntegrationsRunOptions {
  companyCode: string;
  dryRun: boolean;
  /** Overrides: include orders with errors / use this startingFrom, whatever the integration says */
  includeErrors?: boolean;
  from?: string | null;
}

/** One member now: previewed (dry run) or run through the orchestrator; a failed run throws its error. */
async function runMember(deps: RunDeps, member: RunMember & { parties: Exclude<RunMember['parties'], Error> }, dryRun: boolean): Promise<RunResult> {
  const asOf = deps.clock.now();
  if (dryRun) return { ...(await previewInvoices(deps.db, member.parties, rulesOf(member, member.parties), asOf)), deliveries: [] };
  const [outcome] = await runIntegrations(deps, { asOf, members: [member] });
  if (outcome!.status === 'failed') throw outcome!.error;
  return outcome!;
}

/** A manual run: numbered from the user's primary company, delivered through every enabled integration. */
export async function runManual(deps: RunDeps, o: ManualRunOptions): Promise<RunReport> {
  const parties = await resolveParties(deps.db, o.companyCode, o.userEmail);
  const result = await runMember(
    deps,
    { companyCode: parties.buyer.code, parties, trigger: { kind: 'manual', user: parties.user! }, overrides: { includeErrors: o.includeErrors, from: o.from } },
    o.dryRun,
  );
  return { ...runReportOf(parties.buyer.code, 'manual', result), dryRun: o.dryRun };
}

/** The company's enabled integrations, one after another, as the scheduler would run them (none: nothing to do). */
export async function runCompanyIntegrations(deps: RunDeps, o: IntegrationsRunOptions): Promise<RunReport> {
  const parties = await resolveParties(deps.db, o.companyCode, null);
  const integrations = await listIntegrations(deps.db, { companyCode: o.companyCode, enabledOnly: true });
  const ran: NonNullable<RunReport['integrations']> = [];
  const report: RunReport = { ...emptyRunReport(parties.buyer.code, 'auto', o.dryRun), integrations: ran };
  const overrides = { ...(o.includeErrors !== undefined ? { includeErrors: o.includeErrors } : {}), ...(o.from !== undefined ? { from: o.from } : {}) };
  for (const integration of integrations) {
    const result = await runMember(deps, { companyCode: parties.buyer.code, parties, trigger: { kind: 'integration', integration }, overrides }, o.dryRun);
    report.invoices.push(...result.invoices.map(publicInvoice));
    // What is still left after the last integration's pass is what this run skipped
    report.skipped = result.skipped;
    report.deliveries.push(...publicDeliveries(result.deliveries));
    const missing = new Set([...(report.missingCharacters ?? []), ...(missingCharactersOf(result.deliveries) ?? [])]);
    if (missing.size > 0) report.missingCharacters = [...missing].sort();
    ran.push({ type: integration.type, invoices: result.invoices.map((i) => i.number), skipped: result.skipped });
  }
  return report;
}
