/**
 * What a run reports: to the command line and the API (`run --json`, SPEC §5), to the run log, and as an
 * integration's last result. Pure functions of a run's outcome.
 */
import { emptySkipCounts, type SkipCounts } from '../domain/eligibility.js';
import type { IntegrationType } from '../domain/integration-settings.js';
import type { IssuedInvoice } from './invoice-companies.js';
import { missingCharactersOf, type DeliveryOutcome } from './outbox.js';

export interface RunReport {
  company: string;
  mode: 'auto' | 'manual';
  dryRun: boolean;
  invoices: Array<Omit<IssuedInvoice, 'id'>>;
  skipped: SkipCounts;
  deliveries: Array<{ invoice: string; integration: IntegrationType; status: string; error: string | null }>;
  /** Auto runs: each integration that ran */
  integrations?: Array<{ type: IntegrationType; invoices: string[]; skipped: SkipCounts }>;
  /** Characters no configured font could draw, when a PDF was rendered */
  missingCharacters?: string[];
}

/** What a run invoiced, skipped and delivered. */
export interface RunResult {
  invoices: IssuedInvoice[];
  skipped: SkipCounts;
  deliveries: DeliveryOutcome[];
}

export const publicInvoice = ({ id: _id, ...rest }: IssuedInvoice): Omit<IssuedInvoice, 'id'> => rest;

export const publicDeliveries = (outcomes: readonly DeliveryOutcome[]): RunReport['deliveries'] =>
  outcomes.map((d) => ({ invoice: d.invoice, integration: d.integration, status: d.status, error: d.error }));

/** The report of one run of a company. */
export function runReportOf(company: string, mode: RunReport['mode'], result: RunResult): RunReport {
  const missing = missingCharactersOf(result.deliveries);
  return {
    company,
    mode,
    dryRun: false,
    invoices: result.invoices.map(publicInvoice),
    skipped: result.skipped,
    deliveries: publicDeliveries(result.deliveries),
    ...(missing ? { missingCharacters: missing } : {}),
  };
}

/** An empty report, for runs that issue nothing (a company with no enabled integration). */
export const emptyRunReport = (company: string, mode: RunReport['mode'], dryRun: boolean): RunReport => ({
  company,
  mode,
  dryRun,
  invoices: [],
  skipped: emptySkipCounts(),
  deliveries: [],
});

/** What an automatic run keeps in the run log. */
export function runLogSummary(result: RunResult): { invoices: string[]; skipped: SkipCounts; deliveries: { sent: number; failed: number } } {
  return {
    invoices: result.invoices.map((i) => i.number),
    skipped: result.skipped,
    deliveries: {
      sent: result.deliveries.filter((d) => d.status === 'sent').length,
      failed: result.deliveries.filter((d) => d.status === 'failed').length,
    },
  };
}

/** An integration's last result (`integrations list`, the API): what its last run did, or why it failed. */
export function lastResultOf(result: RunResult | { error: Error }): Record<string, unknown> {
  if ('error' in result) return { status: 'error', error: result.error.message };
  const failed = result.deliveries.filter((d) => d.status === 'failed');
  const missing = missingCharactersOf(result.deliveries);
  return {
    status: failed.length > 0 ? 'delivery_failed' : 'ok',
    invoices: result.invoices.map((i) => i.number),
    skipped: result.skipped,
    delivered: result.deliveries.filter((d) => d.status === 'sent').length,
    failed: failed.length,
    ...(failed.length > 0 ? { error: failed[0]!.error } : {}),
    ...(missing ? { missingCharacters: missing } : {}),
  };
}
