/**
 * When an accounting integration runs (SPEC §4 "Schedule", seed 004). Pure: every instant is passed in as
 * UTC epoch milliseconds; nothing here reads the clock. See docs/schedules.md.
 *
 * Every schedule is a set of local wall-clock times in the company's IANA time zone. A slot is the instant
 * at which the local clock FIRST REACHES one of those times:
 * - a local time that occurs twice (clocks go back) runs once, at its first occurrence;
 * - a local time that does not exist (clocks go forward) runs at the first valid moment after the gap,
 *   once, even if several scheduled times fall into the same gap.
 * `hourly` follows the same rule: on a fall-back night the repeated hour runs once (New York, 1 Nov 2026:
 * 01:00 EDT and 02:00 EST run, 01:00 EST does not).
 */
import { AppError } from './errors.js';
import { CronSyntaxError, cronMatchesDay, parseCron, type CronSpec } from './schedule-cron.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, civilFromDays, dayOfWeek, daysFromCivil, daysInMonth, instantOfWallTime, wallTimeOf, zoneFor } from './schedule-zone.js';

export { isValidTimezone } from './schedule-zone.js';

export type Schedule = { kind: 'hourly' } | { kind: 'daily' } | { kind: 'weekly' } | { kind: 'monthly' } | { kind: 'cron'; expr: string };

/** SPEC §4: a company with no time zone configured uses this one. */
export const DEFAULT_TIMEZONE = 'Europe/London';

/** Seed 004: an integration whose schedule is unset runs weekly. */
export const DEFAULT_SCHEDULE: Schedule = Object.freeze({ kind: 'weekly' });

const PRESETS: Readonly<Record<'hourly' | 'daily' | 'weekly' | 'monthly', CronSpec>> = {
  hourly: parseCron('0 * * * *'),
  daily: parseCron('0 0 * * *'),
  weekly: parseCron('0 0 * * 0'),
  monthly: parseCron('0 0 1 * *'),
};

const EXPECTED = 'expected hourly, daily, weekly, monthly or cron:<minute hour day-of-month month day-of-week>';

/**
 * Parses the stored/imported schedule string: `hourly` | `daily` | `weekly` | `monthly` |
 * `cron:<5-field expression>`. Surrounding whitespace and the case of the keywords are ignored.
 * null / undefined / blank → weekly (the seed's default). Anything else throws an INPUT AppError whose
 * message quotes the text and says what is wrong (for cron: which field and why).
 */
export function parseSchedule(text: string | null | undefined): Schedule {
  if (text === null || text === undefined) return { ...DEFAULT_SCHEDULE };
  if (typeof text !== 'string') {
    throw new AppError('INPUT', `Invalid schedule ${String(text)}: ${EXPECTED}`);
  }
  const trimmed = text.trim();
  if (trimmed === '') return { ...DEFAULT_SCHEDULE };
  const lower = trimmed.toLowerCase();
  if (lower === 'hourly' || lower === 'daily' || lower === 'weekly' || lower === 'monthly') return { kind: lower };
  if (lower.startsWith('cron:')) {
    const spec = compileCron(trimmed.slice('cron:'.length), trimmed);
    return { kind: 'cron', expr: spec.expr };
  }
  throw new AppError('INPUT', `Invalid schedule ${JSON.stringify(text)}: ${EXPECTED}`);
}

/** The canonical stored form of a schedule (`weekly`, `cron:30 2 * * *`); parseSchedule reads it back. */
export function formatSchedule(schedule: Schedule): string {
  return schedule.kind === 'cron' ? `cron:${compileSchedule(schedule).expr}` : schedule.kind;
}

/** The first slot strictly after `after` (epoch ms), in the IANA `timezone`, as UTC epoch ms. */
export function nextSlotAfter(schedule: Schedule, timezone: string, after: number): number {
  assertInstant(after, 'after');
  const spec = compileSchedule(schedule);
  const zone = zoneFor(timezone);

  // A wall time at or before the local time of `after` was first reached at or before `after`, so the
  // search starts on the local date of `after`. A later wall time can still have been reached already
  // (when `after` lies in the second pass through a repeated hour): hence the `t > after` check.
  const wallAfter = wallTimeOf(zone, after);
  const startDays = Math.floor(wallAfter / DAY_MS);
  let { year, month, day } = civilFromDays(startDays);

  // 400 years is the whole Gregorian cycle: a valid spec (see parseCron) matches within it.
  for (let i = 0; i <= 400 * 12; i++) {
    if (spec.months[month]) {
      const first = daysFromCivil(year, month, 1);
      const last = daysInMonth(year, month);
      for (let d = day; d <= last; d++) {
        const days = first + d - 1;
        if (!cronMatchesDay(spec, month, d, dayOfWeek(days))) continue;
        const midnight = days * DAY_MS;
        for (const h of spec.hours) {
          if (midnight + h * HOUR_MS + 59 * MINUTE_MS <= wallAfter) continue;
          for (const m of spec.minutes) {
            const wall = midnight + h * HOUR_MS + m * MINUTE_MS;
            if (wall <= wallAfter) continue;
            const t = instantOfWallTime(zone, wall);
            if (t > after) return t;
          }
        }
      }
    }
    day = 1;
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
  throw new Error(`Schedule "${formatSchedule(schedule)}" has no slot after ${after}`);
}

/**
 * Seed 004: an enabled integration with no nextInvoiceAt first runs at the next full hour of the company's
 * local time strictly after `now` (exactly on the hour → the following hour). It is the next `hourly` slot,
 * so the same daylight-saving rules apply.
 */
export function firstRunAt(timezone: string, now: number): number {
  return nextSlotAfter({ kind: 'hourly' }, timezone, now);
}

/**
 * The next run after a run that happened at `ranAt`, possibly late (the service was down and slots were
 * missed): the first slot strictly after `ranAt`. Missed slots are not replayed: a missed run happens once.
 * `dueAt` (the slot the run was for), when given, guards against running the same slot twice should a run
 * start before its due time: the next run is then the first slot after max(ranAt, dueAt).
 */
export function nextRunAfterRun(schedule: Schedule, timezone: string, ranAt: number, dueAt?: number): number {
  assertInstant(ranAt, 'ranAt');
  if (dueAt !== undefined) assertInstant(dueAt, 'dueAt');
  return nextSlotAfter(schedule, timezone, dueAt === undefined ? ranAt : Math.max(ranAt, dueAt));
}

function compileSchedule(schedule: Schedule): CronSpec {
  switch (schedule.kind) {
    case 'hourly':
    case 'daily':
    case 'weekly':
    case 'monthly':
      return PRESETS[schedule.kind];
    case 'cron':
      return compileCron(schedule.expr, `cron:${schedule.expr}`);
    default: {
      const unknown: never = schedule;
      throw new AppError('INPUT', `Invalid schedule ${JSON.stringify(unknown)}: ${EXPECTED}`);
    }
  }
}

function compileCron(expr: string, original: string): CronSpec {
  try {
    return parseCron(expr);
  } catch (err) {
    if (err instanceof CronSyntaxError) {
      throw new AppError('INPUT', `Invalid schedule ${JSON.stringify(original)}: ${err.message}`);
    }
    throw err;
  }
}

function assertInstant(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${name} must be a finite epoch-milliseconds number, got ${String(value)}`);
  }
}
