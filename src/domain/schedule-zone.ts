/**
 * Local wall-clock time ↔ instant, for one IANA time zone, with explicit daylight-saving rules.
 *
 * A "wall time" here is a local date and time encoded as if it were UTC: Date.UTC(y, m-1, d, h, min).
 * Pure: the zone data comes from Intl (through luxon); there is no clock.
 */
import { IANAZone } from 'luxon';
import { AppError } from './errors.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Zones already validated (Intl.DateTimeFormat construction is slow; zone data does not change). */
const validZones = new Map<string, IANAZone>();

/** Whether `tz` is an IANA time zone name this runtime knows (e.g. `Europe/London`, `UTC`). */
export function isValidTimezone(tz: string): boolean {
  if (typeof tz !== 'string') return false;
  if (validZones.has(tz)) return true;
  if (tz.trim() === '' || tz !== tz.trim()) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    return false;
  }
  if (!IANAZone.isValidZone(tz)) return false;
  validZones.set(tz, IANAZone.create(tz));
  return true;
}

/** The zone for `tz`; an unknown name throws an INPUT AppError naming it. */
export function zoneFor(tz: string): IANAZone {
  const zone = isValidTimezone(tz) ? validZones.get(tz) : undefined;
  if (!zone) {
    throw new AppError('INPUT', `Invalid timezone ${JSON.stringify(tz)}: not an IANA time zone name (e.g. Europe/London)`);
  }
  return zone;
}

/** UTC offset (ms, east positive) of `zone` at instant `t`. */
export function offsetMs(zone: IANAZone, t: number): number {
  return zone.offset(t) * MINUTE_MS;
}

/** The local wall time (encoded as UTC ms) shown in `zone` at instant `t`. */
export function wallTimeOf(zone: IANAZone, t: number): number {
  return t + offsetMs(zone, t);
}

/**
 * The instant at which the local clock of `zone` first reaches wall time `wall`:
 * - a time that exists once: that instant;
 * - a time that occurs twice (the clocks went back): the first occurrence;
 * - a time that does not exist (skipped when the clocks went forward): the end of the gap, i.e. the first
 *   valid moment after it (02:30 on New York's spring-forward day → 03:00 EDT).
 */
export function instantOfWallTime(zone: IANAZone, wall: number): number {
  // Offsets that may apply near `wall`: one transition at most lies in any two-day window.
  const before = offsetMs(zone, wall - DAY_MS);
  const after = offsetMs(zone, wall + DAY_MS);
  const offsets = new Set([before, after, offsetMs(zone, wall - before), offsetMs(zone, wall - after)]);

  let first = Number.POSITIVE_INFINITY;
  for (const o of offsets) {
    const t = wall - o;
    if (offsetMs(zone, t) === o && t < first) first = t;
  }
  if (first !== Number.POSITIVE_INFINITY) return first;

  // In a gap: find the transition, the first instant whose wall time is at or past `wall`.
  let lo = wall - Math.max(...offsets);
  let hi = wall - Math.min(...offsets);
  if (!(wallTimeOf(zone, lo) < wall && wallTimeOf(zone, hi) > wall)) {
    throw new Error(`Cannot place local time ${formatWallTime(wall)} in ${zone.name}`);
  }
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (wallTimeOf(zone, mid) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date `days` after 1970-01-01 (H. Hinnant's civil_from_days). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: month <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, month, day };
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Day of the week of a day number, 0 = Sunday (1970-01-01 was a Thursday). */
export function dayOfWeek(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

/** `YYYY-MM-DD HH:MM` of a wall time, for messages. */
export function formatWallTime(wall: number): string {
  const days = Math.floor(wall / DAY_MS);
  const { year, month, day } = civilFromDays(days);
  const minutes = Math.floor((wall - days * DAY_MS) / MINUTE_MS);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${year}-${two(month)}-${two(day)} ${two(Math.floor(minutes / 60))}:${two(minutes % 60)}`;
}
