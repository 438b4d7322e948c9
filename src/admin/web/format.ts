/**
 * How the page prints times, run results and skip counts.
 */
import { DateTime } from 'luxon';
import { SKIP_REASONS, type SkipCounts, type SkipReason } from '../../domain/eligibility.js';

/** "2026-11-22 00:00 GMT" in the company's zone, and "2026-11-22 00:00 UTC". */
export function localAndUtc(ms: number | null, timezone: string): { local: string; utc: string; iso: string } | null {
  if (ms === null) return null;
  return {
    local: DateTime.fromMillis(ms, { zone: timezone }).toFormat('yyyy-MM-dd HH:mm ZZZZ'),
    utc: DateTime.fromMillis(ms, { zone: 'UTC' }).toFormat("yyyy-MM-dd HH:mm 'UTC'"),
    iso: new Date(ms).toISOString(),
  };
}

export const utcText = (ms: number | null): string => (ms === null ? '' : DateTime.fromMillis(ms, { zone: 'UTC' }).toFormat("yyyy-MM-dd HH:mm:ss 'UTC'"));

export const SKIP_LABELS: Record<SkipReason, string> = {
  onHold: 'on hold',
  withErrors: 'with errors',
  beforeStartingFrom: 'before starting date',
  cancelled: 'cancelled',
  notDispatched: 'not dispatched',
};

/** Each skip reason with its label and count, in the order runs apply them. */
export const skipRows = (counts: SkipCounts) => SKIP_REASONS.map((reason) => ({ reason, label: SKIP_LABELS[reason], count: counts[reason] }));

/** An integration's stored last result in a few words, and whether it went wrong. */
export function summariseResult(result: unknown): { text: string; ok: boolean } | null {
  if (!result || typeof result !== 'object') return null;
  const r = result as { status?: string; invoices?: string[]; failed?: number; error?: string };
  const ok = r.status === 'ok';
  const invoices = `${r.invoices?.length ?? 0} invoice${r.invoices?.length === 1 ? '' : 's'}`;
  const failed = r.failed ? `, ${r.failed} delivery failed` : '';
  return { text: `${r.status ?? 'unknown'}: ${invoices}${failed}${r.error ? ` (${r.error})` : ''}`, ok };
}

export const pathOf = {
  company: (code: string) => `/admin/companies/${encodeURIComponent(code)}`,
  invoice: (number: string) => `/admin/invoices/${encodeURIComponent(number)}`,
};
