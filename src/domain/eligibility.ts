/**
 * Which of a company's not-yet-invoiced orders a run picks up, and why it leaves the others (SPEC §2).
 * Every order left behind is counted under the first reason that applies, in this order.
 */
import { DateTime } from 'luxon';

export const SKIP_REASONS = ['onHold', 'withErrors', 'beforeStartingFrom', 'cancelled', 'notDispatched'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];
export type SkipCounts = Record<SkipReason, number>;

export interface EligibilityRules {
  includeErrors: boolean;
  /** Orders created before this instant are skipped; null: no lower bound */
  startingFrom: number | null;
}

export interface OrderFacts {
  status: string;
  onHold: boolean;
  hasErrors: boolean;
  createdAt: number;
}

export const emptySkipCounts = (): SkipCounts => ({ onHold: 0, withErrors: 0, beforeStartingFrom: 0, cancelled: 0, notDispatched: 0 });

/** null when the order is eligible; else the first reason it is skipped. */
export function skipReason(order: OrderFacts, rules: EligibilityRules): SkipReason | null {
  if (order.onHold) return 'onHold';
  if (order.hasErrors && !rules.includeErrors) return 'withErrors';
  if (rules.startingFrom !== null && order.createdAt < rules.startingFrom) return 'beforeStartingFrom';
  if (order.status === 'cancelled') return 'cancelled';
  if (order.status !== 'dispatched' && order.status !== 'completed') return 'notDispatched';
  return null;
}

/**
 * `startingFrom` as an instant: a date means 00:00 of that day in the company's timezone; a date-time
 * with an offset is taken as it is.
 */
export function startingFromInstant(text: string, timezone: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    return DateTime.fromISO(text, { zone: timezone }).startOf('day').toMillis();
  }
  return DateTime.fromISO(text, { setZone: true }).toMillis();
}

/** The calendar date of an instant in a timezone, 'YYYY-MM-DD'. */
export function localDate(at: number, timezone: string): string {
  return DateTime.fromMillis(at, { zone: timezone }).toISODate()!;
}

export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}
