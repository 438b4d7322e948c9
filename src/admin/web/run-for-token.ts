/**
 * The one place the page starts runs (SPEC §10). `Run now` with a token that belongs to a user is a
 * manual run numbered from that user's primary company (`run --company C --as EMAIL`); with a token
 * without a user it runs the company's enabled integrations (`run --company C`). `Preview run` is the
 * same with `dryRun`: what would be invoiced, writing nothing.
 */
import type { IntegrationRecord } from '../../db/integrations-repo.js';
import { runCompanyIntegrations, runManual, type RunReport } from '../../pipeline/run-company.js';
import type { AppContext } from '../app-context.js';
import type { Scope } from '../http/auth.js';
import { runUserFor } from '../http/runs.js';

export async function runCompanyForToken(ctx: AppContext, scope: Scope, companyCode: string, dryRun: boolean): Promise<RunReport> {
  // The same rule as the API's runs: the token's user, who must belong to a company the token sees
  const userEmail = await runUserFor(await ctx.db(), scope, undefined);
  const deps = await ctx.runDeps();
  return userEmail !== undefined
    ? runManual(deps, { companyCode, userEmail, dryRun, includeErrors: false, from: null })
    : runCompanyIntegrations(deps, { companyCode, dryRun });
}

/** What `Run now` will do, in words, for the company page. */
export function describeRun(scope: Scope, companyCode: string, enabled: readonly IntegrationRecord[]): string {
  const { userEmail } = scope;
  if (userEmail !== null)
    return `Run now invoices ${companyCode}'s eligible orders as ${userEmail} (a manual run, numbered from that user's primary company), and delivers through every enabled integration.`;
  if (enabled.length === 0) return `${companyCode} has no enabled integration, so Run now has nothing to do.`;
  return `Run now runs ${companyCode}'s enabled integrations (${enabled.map((g) => g.type).join(', ')}) one after another, as the scheduler would.`;
}
