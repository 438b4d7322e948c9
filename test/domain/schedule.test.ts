import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCHEDULE,
  DEFAULT_TIMEZONE,
  firstRunAt,
  formatSchedule,
  isValidTimezone,
  nextRunAfterRun,
  nextSlotAfter,
  parseSchedule,
  type Schedule,
} from '../../src/domain/schedule.js';
import { AppError } from '../../src/domain/errors.js';

const LON = 'Europe/London';
const NY = 'America/New_York';
const KOL = 'Asia/Kolkata';
const LHI = 'Australia/Lord_Howe';
const SCL = 'America/Santiago';

const ms = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad ISO in test: ${iso}`);
  return t;
};
const iso = (t: number): string => new Date(t).toISOString();

const HOURLY: Schedule = { kind: 'hourly' };
const DAILY: Schedule = { kind: 'daily' };
const WEEKLY: Schedule = { kind: 'weekly' };
const MONTHLY: Schedule = { kind: 'monthly' };
const cron = (expr: string): Schedule => parseSchedule(`cron:${expr}`);

/** `n` successive slots strictly after `fromIso`, as UTC ISO strings. */
function slots(schedule: Schedule, tz: string, fromIso: string, n: number): string[] {
  const out: string[] = [];
  let t = ms(fromIso);
  for (let i = 0; i < n; i++) {
    t = nextSlotAfter(schedule, tz, t);
    out.push(iso(t));
  }
  return out;
}

const next = (schedule: Schedule, tz: string, afterIso: string): string => iso(nextSlotAfter(schedule, tz, ms(afterIso)));

describe('parseSchedule', () => {
  it('reads the four presets', () => {
    expect(parseSchedule('hourly')).toEqual({ kind: 'hourly' });
    expect(parseSchedule('daily')).toEqual({ kind: 'daily' });
    expect(parseSchedule('weekly')).toEqual({ kind: 'weekly' });
    expect(parseSchedule('monthly')).toEqual({ kind: 'monthly' });
  });

  it('defaults an unset schedule to weekly (seed 004)', () => {
    expect(parseSchedule(undefined)).toEqual({ kind: 'weekly' });
    expect(parseSchedule(null)).toEqual({ kind: 'weekly' });
    expect(parseSchedule('')).toEqual({ kind: 'weekly' });
    expect(parseSchedule('   ')).toEqual({ kind: 'weekly' });
    expect(DEFAULT_SCHEDULE).toEqual({ kind: 'weekly' });
    expect(DEFAULT_TIMEZONE).toBe('Europe/London');
  });

  it('returns a fresh default object each time (callers may not share it by accident)', () => {
    const a = parseSchedule(null);
    expect(a).not.toBe(DEFAULT_SCHEDULE);
  });

  it('ignores surrounding whitespace and keyword case', () => {
    expect(parseSchedule('  Daily ')).toEqual({ kind: 'daily' });
    expect(parseSchedule('WEEKLY')).toEqual({ kind: 'weekly' });
    expect(parseSchedule('CRON:0 9 * * MON-FRI')).toEqual({ kind: 'cron', expr: '0 9 * * MON-FRI' });
  });

  it('reads cron expressions and normalises their spacing', () => {
    expect(parseSchedule('cron:30 2 * * *')).toEqual({ kind: 'cron', expr: '30 2 * * *' });
    expect(parseSchedule('cron:  0   9 *\t* 1-5 ')).toEqual({ kind: 'cron', expr: '0 9 * * 1-5' });
    expect(parseSchedule('cron:*/15 * * * *')).toEqual({ kind: 'cron', expr: '*/15 * * * *' });
  });

  it('accepts the standard cron syntax: lists, ranges, steps, names, 7 = Sunday', () => {
    for (const expr of [
      '0,30 * * * *',
      '0 8-18/2 * * *',
      '5/20 * * * *',
      '0 0 1,15 jan,Jul *',
      '0 0 * * sun',
      '0 0 * * 7',
      '0 0 * * 5-7',
      '0 0 29 2 *',
      '59 23 31 12 *',
    ]) {
      expect(parseSchedule(`cron:${expr}`)).toEqual({ kind: 'cron', expr });
    }
  });

  it('round-trips through formatSchedule', () => {
    for (const text of ['hourly', 'daily', 'weekly', 'monthly', 'cron:30 2 * * *', 'cron:0 9 * * 1-5']) {
      expect(formatSchedule(parseSchedule(text))).toBe(text);
      expect(parseSchedule(formatSchedule(parseSchedule(text)))).toEqual(parseSchedule(text));
    }
    expect(formatSchedule(parseSchedule('cron: 0  9 * * 1-5'))).toBe('cron:0 9 * * 1-5');
  });

  it.each([
    ['fortnightly', /Invalid schedule "fortnightly": expected hourly, daily, weekly, monthly or cron:/],
    ['every day', /Invalid schedule "every day": expected/],
    ['0 9 * * *', /Invalid schedule "0 9 \* \* \*": expected .*cron:/],
    ['cron', /Invalid schedule "cron": expected/],
    ['hourly daily', /Invalid schedule "hourly daily"/],
  ])('rejects the schedule string %j', (text, message) => {
    expect(() => parseSchedule(text)).toThrow(message);
  });

  it.each([
    ['cron:', /Invalid schedule "cron:": the cron expression is empty/],
    ['cron:* * * *', /expected 5 fields \(minute hour day-of-month month day-of-week\), got 4/],
    ['cron:0 * * * * *', /expected 5 fields .*got 6/],
    ['cron:60 * * * *', /minute field "60": 60 is out of range 0-59/],
    ['cron:0 24 * * *', /hour field "24": 24 is out of range 0-23/],
    ['cron:0 0 0 * *', /day-of-month field "0": 0 is out of range 1-31/],
    ['cron:0 0 32 * *', /day-of-month field "32": 32 is out of range 1-31/],
    ['cron:0 0 * 13 *', /month field "13": 13 is out of range 1-12/],
    ['cron:0 0 * 0 *', /month field "0": 0 is out of range 1-12/],
    ['cron:0 0 * * 8', /day-of-week field "8": 8 is out of range 0-7/],
    ['cron:0 0 * * funday', /day-of-week field "funday": "funday" is not a number or a name \(sun…sat\)/],
    ['cron:0 0 * smarch *', /month field "smarch": "smarch" is not a number or a name \(jan…dec\)/],
    ['cron:a * * * *', /minute field "a": "a" is not a number$/],
    ['cron:5-1 * * * *', /minute field "5-1": range 5-1 runs backwards/],
    ['cron:*/0 * * * *', /minute field "\*\/0": step must be at least 1/],
    ['cron:*/x * * * *', /minute field "\*\/x": step "x" is not a whole number/],
    ['cron:1-2-3 * * * *', /minute field "1-2-3": "1-2-3" is not a value or a range/],
    ['cron:1,,2 * * * *', /minute field "1,,2": empty item in a list/],
    ['cron:-5 * * * *', /minute field "-5": "" is not a number/],
    ['cron:0 0 ? * *', /day-of-month field "\?": "\?" is not a number/],
    ['cron:0 0 L * *', /day-of-month field "L": "L" is not a number/],
    ['cron:0 0 * * 1#2', /day-of-week field "1#2": "1#2" is not a number/],
    ['cron:1.5 * * * *', /minute field "1.5": "1.5" is not a number/],
    ['cron:@daily', /cron macros are not supported/],
    ['cron:0 0 30 2 *', /"0 0 30 2 \*" never matches: day-of-month "30" does not occur in February/],
    ['cron:0 0 31 4,6,9,11 *', /never matches: day-of-month "31" does not occur in April, June, September, November/],
  ])('rejects the cron schedule %j with a message naming the problem', (text, message) => {
    let caught: unknown;
    try {
      parseSchedule(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('INPUT');
    expect((caught as AppError).message).toMatch(new RegExp(`^Invalid schedule ${JSON.stringify(text).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    expect((caught as AppError).message).toMatch(message);
  });

  it('rejects a bad cron expression handed straight to nextSlotAfter too', () => {
    expect(() => nextSlotAfter({ kind: 'cron', expr: '61 * * * *' }, LON, 0)).toThrow(
      /Invalid schedule "cron:61 \* \* \* \*": minute field "61": 61 is out of range 0-59/,
    );
  });

  it('accepts day 31 / Feb 29 when some selected month has it, and OR-ed weekdays rescue impossible dates', () => {
    expect(() => parseSchedule('cron:0 0 31 2,3 *')).not.toThrow();
    expect(() => parseSchedule('cron:0 0 29 2 *')).not.toThrow();
    // both day fields restricted: "the 30th of February OR any Monday in February"
    expect(next(cron('0 0 30 2 1'), 'UTC', '2026-01-01T00:00:00Z')).toBe('2026-02-02T00:00:00.000Z');
  });
});

describe('isValidTimezone', () => {
  it.each(['Europe/London', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC', 'Etc/GMT+5'])('accepts %s', (tz) =>
    expect(isValidTimezone(tz)).toBe(true),
  );
  it.each(['', ' ', 'Mars/Olympus', 'Europe/Londres', 'local', '+05:30', 'GMT+25', ' Europe/London'])('rejects %j', (tz) =>
    expect(isValidTimezone(tz)).toBe(false),
  );
  it('makes nextSlotAfter and firstRunAt throw a clear INPUT error', () => {
    expect(() => nextSlotAfter(DAILY, 'Mars/Olympus', 0)).toThrow(/Invalid timezone "Mars\/Olympus": not an IANA time zone name/);
    expect(() => firstRunAt('', 0)).toThrow(AppError);
  });
  it('rejects non-finite instants', () => {
    expect(() => nextSlotAfter(DAILY, LON, Number.NaN)).toThrow(/after must be a finite epoch-milliseconds number/);
    expect(() => nextRunAfterRun(DAILY, LON, Number.POSITIVE_INFINITY)).toThrow(/ranAt must be a finite/);
  });
});

describe('default schedule: unset → weekly, Sunday 00:00 local', () => {
  it('runs on Sunday at midnight London time (BST in summer, GMT in winter)', () => {
    const unset = parseSchedule(undefined);
    // Wed 10 Jun 2026 → Sun 14 Jun 00:00 BST
    expect(next(unset, LON, '2026-06-10T12:00:00Z')).toBe('2026-06-13T23:00:00.000Z');
    // Wed 9 Dec 2026 → Sun 13 Dec 00:00 GMT
    expect(next(unset, LON, '2026-12-09T12:00:00Z')).toBe('2026-12-13T00:00:00.000Z');
  });
  it('exactly at the slot → the following Sunday', () => {
    expect(next(parseSchedule(null), LON, '2026-06-13T23:00:00Z')).toBe('2026-06-20T23:00:00.000Z');
    expect(next(parseSchedule(null), LON, '2026-06-13T22:59:59.999Z')).toBe('2026-06-13T23:00:00.000Z');
  });
});

describe('firstRunAt: the next full local hour strictly after now', () => {
  it('rounds up to the next hour', () => {
    expect(iso(firstRunAt(LON, ms('2026-06-10T12:34:56.789Z')))).toBe('2026-06-10T13:00:00.000Z');
    expect(iso(firstRunAt(NY, ms('2026-01-15T08:00:00.001Z')))).toBe('2026-01-15T09:00:00.000Z');
  });
  it('exactly on the hour → the following hour', () => {
    expect(iso(firstRunAt(LON, ms('2026-06-10T13:00:00Z')))).toBe('2026-06-10T14:00:00.000Z');
    expect(iso(firstRunAt(LON, ms('2026-06-10T12:59:59.999Z')))).toBe('2026-06-10T13:00:00.000Z');
  });
  it('crosses midnight, month end and year end', () => {
    expect(iso(firstRunAt(LON, ms('2026-12-31T23:30:00Z')))).toBe('2027-01-01T00:00:00.000Z');
    expect(iso(firstRunAt(NY, ms('2027-01-01T04:59:00Z')))).toBe('2027-01-01T05:00:00.000Z');
  });
  it('uses the local full hour in half-hour zones (Kolkata +05:30, Lord Howe +10:30)', () => {
    // 18:04 IST → 19:00 IST
    expect(iso(firstRunAt(KOL, ms('2026-06-10T12:34:00Z')))).toBe('2026-06-10T13:30:00.000Z');
    expect(iso(firstRunAt(KOL, ms('2026-06-10T13:30:00Z')))).toBe('2026-06-10T14:30:00.000Z');
    // Lord Howe winter (+10:30): 22:34 → 23:00
    expect(iso(firstRunAt(LHI, ms('2026-06-10T12:04:00Z')))).toBe('2026-06-10T12:30:00.000Z');
    // Lord Howe summer (+11): 23:34 → 00:00
    expect(iso(firstRunAt(LHI, ms('2026-12-10T12:34:00Z')))).toBe('2026-12-10T13:00:00.000Z');
  });
  it('in the spring-forward gap: the first valid moment after it', () => {
    // New York 8 Mar 2026, 01:30 EST → 02:00 does not exist → 03:00 EDT
    expect(iso(firstRunAt(NY, ms('2026-03-08T06:30:00Z')))).toBe('2026-03-08T07:00:00.000Z');
    // Lord Howe 4 Oct 2026, 01:45 +10:30 → 02:00 does not exist → 02:30 +11 (the gap is 30 minutes)
    expect(iso(firstRunAt(LHI, ms('2026-10-03T15:15:00Z')))).toBe('2026-10-03T15:30:00.000Z');
  });
  it('across fall-back: the repeated local hour is not a new hour', () => {
    // New York 1 Nov 2026: 00:30 EDT → 01:00 EDT
    expect(iso(firstRunAt(NY, ms('2026-11-01T04:30:00Z')))).toBe('2026-11-01T05:00:00.000Z');
    // 01:30 EDT → 01:00 EST is a repeat of 01:00 → 02:00 EST
    expect(iso(firstRunAt(NY, ms('2026-11-01T05:30:00Z')))).toBe('2026-11-01T07:00:00.000Z');
    // 01:30 EST (second pass) → 02:00 EST
    expect(iso(firstRunAt(NY, ms('2026-11-01T06:30:00Z')))).toBe('2026-11-01T07:00:00.000Z');
  });
});

describe('presets', () => {
  it('hourly: every full local hour', () => {
    expect(slots(HOURLY, LON, '2026-06-10T22:10:00Z', 3)).toEqual(['2026-06-10T23:00:00.000Z', '2026-06-11T00:00:00.000Z', '2026-06-11T01:00:00.000Z']);
    expect(slots(HOURLY, KOL, '2026-06-10T22:10:00Z', 2)).toEqual(['2026-06-10T22:30:00.000Z', '2026-06-10T23:30:00.000Z']);
  });

  it('daily: 00:00 local', () => {
    expect(slots(DAILY, LON, '2026-06-10T12:00:00Z', 2)).toEqual(['2026-06-10T23:00:00.000Z', '2026-06-11T23:00:00.000Z']);
    expect(slots(DAILY, NY, '2026-01-10T12:00:00Z', 2)).toEqual(['2026-01-11T05:00:00.000Z', '2026-01-12T05:00:00.000Z']);
    expect(slots(DAILY, KOL, '2026-06-10T12:00:00Z', 2)).toEqual(['2026-06-10T18:30:00.000Z', '2026-06-11T18:30:00.000Z']);
    expect(next(DAILY, 'UTC', '2026-06-10T00:00:00Z')).toBe('2026-06-11T00:00:00.000Z');
  });

  it('weekly: Sunday 00:00 local', () => {
    // Sun 4 Jan, 11 Jan 2026 (GMT = UTC)
    expect(slots(WEEKLY, LON, '2026-01-01T09:00:00Z', 2)).toEqual(['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z']);
    // Saturday 23:59:59 local → an instant later
    expect(next(WEEKLY, NY, '2026-01-11T04:59:59Z')).toBe('2026-01-11T05:00:00.000Z');
    expect(next(WEEKLY, KOL, '2026-06-10T12:00:00Z')).toBe('2026-06-13T18:30:00.000Z');
  });

  it('monthly: the 1st at 00:00 local, across month lengths and the year end', () => {
    expect(slots(MONTHLY, LON, '2026-01-15T00:00:00Z', 13)).toEqual([
      '2026-02-01T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
      '2026-03-31T23:00:00.000Z', // 1 Apr 00:00 BST
      '2026-04-30T23:00:00.000Z',
      '2026-05-31T23:00:00.000Z',
      '2026-06-30T23:00:00.000Z',
      '2026-07-31T23:00:00.000Z',
      '2026-08-31T23:00:00.000Z',
      '2026-09-30T23:00:00.000Z',
      '2026-11-01T00:00:00.000Z', // 1 Nov 00:00 GMT
      '2026-12-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
      '2027-02-01T00:00:00.000Z',
    ]);
    expect(slots(MONTHLY, NY, '2026-12-01T05:00:00Z', 2)).toEqual(['2027-01-01T05:00:00.000Z', '2027-02-01T05:00:00.000Z']);
    expect(next(MONTHLY, KOL, '2026-12-15T00:00:00Z')).toBe('2026-12-31T18:30:00.000Z');
  });
});

describe('cron expressions', () => {
  it('cron:30 2 * * * — 02:30 every day', () => {
    expect(slots(cron('30 2 * * *'), LON, '2026-06-10T12:00:00Z', 2)).toEqual(['2026-06-11T01:30:00.000Z', '2026-06-12T01:30:00.000Z']);
  });

  it('cron:0 9 * * 1-5 — weekdays at 09:00, skipping the weekend', () => {
    // Fri 9 Jan 2026 10:00 GMT → Mon 12 Jan
    expect(slots(cron('0 9 * * 1-5'), LON, '2026-01-09T10:00:00Z', 6)).toEqual([
      '2026-01-12T09:00:00.000Z',
      '2026-01-13T09:00:00.000Z',
      '2026-01-14T09:00:00.000Z',
      '2026-01-15T09:00:00.000Z',
      '2026-01-16T09:00:00.000Z',
      '2026-01-19T09:00:00.000Z',
    ]);
    expect(next(cron('0 9 * * mon-fri'), KOL, '2026-01-09T10:00:00Z')).toBe('2026-01-12T03:30:00.000Z');
  });

  it('cron:*/15 * * * * — every quarter hour', () => {
    expect(slots(cron('*/15 * * * *'), NY, '2026-06-10T12:07:00Z', 4)).toEqual([
      '2026-06-10T12:15:00.000Z',
      '2026-06-10T12:30:00.000Z',
      '2026-06-10T12:45:00.000Z',
      '2026-06-10T13:00:00.000Z',
    ]);
  });

  it('day-of-month and day-of-week: OR when both are restricted, AND when one starts with * (Vixie cron)', () => {
    // 1st, 15th or any Monday; Jan 2026 Mondays: 5, 12, 19, 26
    expect(slots(cron('0 0 1,15 * 1'), 'UTC', '2026-01-01T00:00:00Z', 4)).toEqual([
      '2026-01-05T00:00:00.000Z',
      '2026-01-12T00:00:00.000Z',
      '2026-01-15T00:00:00.000Z',
      '2026-01-19T00:00:00.000Z',
    ]);
    // */2 starts with *: odd days that are Mondays
    expect(slots(cron('0 0 */2 * 1'), 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-05T00:00:00.000Z',
      '2026-01-19T00:00:00.000Z',
      '2026-02-09T00:00:00.000Z',
    ]);
    // 1-31/2 does not: odd days OR Mondays
    expect(slots(cron('0 0 1-31/2 * 1'), 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-03T00:00:00.000Z',
      '2026-01-05T00:00:00.000Z',
      '2026-01-07T00:00:00.000Z',
    ]);
    // 7 and 0 are both Sunday
    expect(next(cron('0 0 * * 7'), 'UTC', '2026-01-01T00:00:00Z')).toBe('2026-01-04T00:00:00.000Z');
  });

  it('day 31 skips the short months; day 30 skips February', () => {
    expect(slots(cron('0 0 31 * *'), LON, '2026-01-31T00:00:00Z', 4)).toEqual([
      '2026-03-30T23:00:00.000Z', // 31 Mar 00:00 BST
      '2026-05-30T23:00:00.000Z',
      '2026-07-30T23:00:00.000Z',
      '2026-08-30T23:00:00.000Z',
    ]);
    expect(slots(cron('0 12 30 * *'), 'UTC', '2026-01-30T12:00:00Z', 2)).toEqual(['2026-03-30T12:00:00.000Z', '2026-04-30T12:00:00.000Z']);
  });

  it('29 February waits for the next leap year, and 2100 is not one', () => {
    expect(next(cron('0 0 29 2 *'), 'UTC', '2026-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next(cron('0 0 29 2 *'), 'UTC', '2096-03-01T00:00:00Z')).toBe('2104-02-29T00:00:00.000Z');
    // Feb 29 that is a Sunday (AND because day-of-week starts with *): 2032, then 2060
    expect(slots(cron('0 0 29 2 */7'), 'UTC', '2026-01-01T00:00:00Z', 2)).toEqual(['2032-02-29T00:00:00.000Z', '2060-02-29T00:00:00.000Z']);
  });

  it('crosses the year end', () => {
    expect(slots(cron('59 23 31 12 *'), NY, '2026-06-01T00:00:00Z', 2)).toEqual(['2027-01-01T04:59:00.000Z', '2028-01-01T04:59:00.000Z']);
    expect(next(cron('0 0 1 1 *'), LON, '2026-12-31T23:59:59.999Z')).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe('Europe/London, daylight saving 2026 (29 Mar: 01:00 GMT → 02:00 BST; 25 Oct: 02:00 BST → 01:00 GMT)', () => {
  it('hourly across spring-forward: one run per real hour, none lost', () => {
    expect(slots(HOURLY, LON, '2026-03-28T23:30:00Z', 4)).toEqual([
      '2026-03-29T00:00:00.000Z', // 00:00 GMT
      '2026-03-29T01:00:00.000Z', // 01:00 does not exist → 02:00 BST (also the 02:00 slot)
      '2026-03-29T02:00:00.000Z', // 03:00 BST
      '2026-03-29T03:00:00.000Z',
    ]);
  });
  it('hourly across fall-back: the repeated 01:00 runs once', () => {
    expect(slots(HOURLY, LON, '2026-10-24T22:30:00Z', 4)).toEqual([
      '2026-10-24T23:00:00.000Z', // 00:00 BST
      '2026-10-25T00:00:00.000Z', // 01:00 BST
      // 01:00 GMT (01:00Z) is the same local time again: no run
      '2026-10-25T02:00:00.000Z', // 02:00 GMT
      '2026-10-25T03:00:00.000Z',
    ]);
  });
  it('daily and weekly midnight runs move with the offset', () => {
    expect(slots(DAILY, LON, '2026-03-27T12:00:00Z', 3)).toEqual(['2026-03-28T00:00:00.000Z', '2026-03-29T00:00:00.000Z', '2026-03-29T23:00:00.000Z']);
    expect(slots(DAILY, LON, '2026-10-23T12:00:00Z', 3)).toEqual(['2026-10-23T23:00:00.000Z', '2026-10-24T23:00:00.000Z', '2026-10-26T00:00:00.000Z']);
    expect(slots(WEEKLY, LON, '2026-03-25T12:00:00Z', 2)).toEqual(['2026-03-29T00:00:00.000Z', '2026-04-04T23:00:00.000Z']);
    expect(slots(WEEKLY, LON, '2026-10-21T12:00:00Z', 2)).toEqual(['2026-10-24T23:00:00.000Z', '2026-11-01T00:00:00.000Z']);
  });
  it('cron time in the gap (01:30 on 29 Mar) runs once at 02:00 BST', () => {
    expect(slots(cron('30 1 * * *'), LON, '2026-03-27T12:00:00Z', 3)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
  });
  it('cron time in the overlap (01:30 on 25 Oct) runs once, at the first (BST) occurrence', () => {
    expect(slots(cron('30 1 * * *'), LON, '2026-10-24T12:00:00Z', 2)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    // after the first occurrence ran, the second (01:30 GMT = 01:30Z) is not a slot
    expect(next(cron('30 1 * * *'), LON, '2026-10-25T00:30:00Z')).toBe('2026-10-26T01:30:00.000Z');
  });
  it('cron:0 9 * * 1-5 across the fall-back weekend', () => {
    expect(slots(cron('0 9 * * 1-5'), LON, '2026-10-23T09:00:00Z', 2)).toEqual(['2026-10-26T09:00:00.000Z', '2026-10-27T09:00:00.000Z']);
  });
  it('every quarter hour across both changes', () => {
    expect(slots(cron('*/15 * * * *'), LON, '2026-03-29T00:40:00Z', 4)).toEqual([
      '2026-03-29T00:45:00.000Z',
      '2026-03-29T01:00:00.000Z', // 01:00, 01:15, 01:30, 01:45 (gap) and 02:00 BST: one run
      '2026-03-29T01:15:00.000Z',
      '2026-03-29T01:30:00.000Z',
    ]);
    expect(slots(cron('*/15 * * * *'), LON, '2026-10-25T00:40:00Z', 3)).toEqual([
      '2026-10-25T00:45:00.000Z', // 01:45 BST
      '2026-10-25T02:00:00.000Z', // 01:00…01:45 GMT repeat: no runs; 02:00 GMT
      '2026-10-25T02:15:00.000Z',
    ]);
  });
});

describe('America/New_York, daylight saving 2026 (8 Mar: 02:00 EST → 03:00 EDT; 1 Nov: 02:00 EDT → 01:00 EST)', () => {
  it('cron:30 2 * * * on the spring-forward day runs at 03:00 EDT (07:00Z): never skipped, never twice', () => {
    expect(slots(cron('30 2 * * *'), NY, '2026-03-06T12:00:00Z', 3)).toEqual([
      '2026-03-07T07:30:00.000Z', // 02:30 EST
      '2026-03-08T07:00:00.000Z', // 02:30 does not exist → 03:00 EDT
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
    ]);
    expect(next(cron('30 2 * * *'), NY, '2026-03-08T06:59:59.999Z')).toBe('2026-03-08T07:00:00.000Z');
    expect(next(cron('30 2 * * *'), NY, '2026-03-08T07:00:00Z')).toBe('2026-03-09T06:30:00.000Z');
  });
  it('several gap times and the first time after the gap share one run', () => {
    expect(slots(cron('*/15 * * * *'), NY, '2026-03-08T06:40:00Z', 3)).toEqual([
      '2026-03-08T06:45:00.000Z', // 01:45 EST
      '2026-03-08T07:00:00.000Z', // 02:00…02:45 (gap) and 03:00 EDT
      '2026-03-08T07:15:00.000Z', // 03:15 EDT
    ]);
    expect(slots(cron('0 2,3 * * *'), NY, '2026-03-08T00:00:00Z', 2)).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-09T06:00:00.000Z']);
  });
  it('hourly across spring-forward', () => {
    expect(slots(HOURLY, NY, '2026-03-08T05:30:00Z', 3)).toEqual([
      '2026-03-08T06:00:00.000Z', // 01:00 EST
      '2026-03-08T07:00:00.000Z', // 03:00 EDT (02:00 does not exist)
      '2026-03-08T08:00:00.000Z', // 04:00 EDT
    ]);
  });
  it('hourly across fall-back: 01:00 EDT runs, 01:00 EST does not (one run per local wall-clock time)', () => {
    expect(slots(HOURLY, NY, '2026-11-01T04:30:00Z', 3)).toEqual([
      '2026-11-01T05:00:00.000Z', // 01:00 EDT
      '2026-11-01T07:00:00.000Z', // 02:00 EST
      '2026-11-01T08:00:00.000Z',
    ]);
  });
  it('a cron time in the overlap runs once, even when asked from inside the second pass', () => {
    expect(slots(cron('30 1 * * *'), NY, '2026-10-31T12:00:00Z', 2)).toEqual([
      '2026-11-01T05:30:00.000Z', // 01:30 EDT
      '2026-11-02T06:30:00.000Z', // 01:30 EST, next day
    ]);
    // 01:10 EST on 1 Nov: 01:30 EST is a repeat of the 01:30 that already ran at 05:30Z
    expect(next(cron('30 1 * * *'), NY, '2026-11-01T06:10:00Z')).toBe('2026-11-02T06:30:00.000Z');
    expect(slots(cron('*/15 * * * *'), NY, '2026-11-01T05:40:00Z', 3)).toEqual([
      '2026-11-01T05:45:00.000Z',
      '2026-11-01T07:00:00.000Z',
      '2026-11-01T07:15:00.000Z',
    ]);
  });
  it('daily, weekly and weekday crons across both changes', () => {
    expect(slots(DAILY, NY, '2026-03-06T12:00:00Z', 3)).toEqual(['2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z']);
    expect(slots(DAILY, NY, '2026-10-30T12:00:00Z', 3)).toEqual(['2026-10-31T04:00:00.000Z', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
    expect(slots(WEEKLY, NY, '2026-03-04T12:00:00Z', 2)).toEqual(['2026-03-08T05:00:00.000Z', '2026-03-15T04:00:00.000Z']);
    expect(slots(WEEKLY, NY, '2026-10-28T12:00:00Z', 2)).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-08T05:00:00.000Z']);
    // Fri 6 Mar 10:00 EST → Mon 9 Mar 09:00 EDT
    expect(slots(cron('0 9 * * 1-5'), NY, '2026-03-06T15:00:00Z', 2)).toEqual(['2026-03-09T13:00:00.000Z', '2026-03-10T13:00:00.000Z']);
    expect(next(cron('0 9 * * 1-5'), NY, '2026-10-30T14:00:00Z')).toBe('2026-11-02T14:00:00.000Z');
  });
});

describe('Asia/Kolkata (+05:30, no daylight saving)', () => {
  it('runs at local times all year', () => {
    expect(slots(cron('30 2 * * *'), KOL, '2026-03-07T00:00:00Z', 2)).toEqual(['2026-03-07T21:00:00.000Z', '2026-03-08T21:00:00.000Z']);
    expect(next(MONTHLY, KOL, '2026-02-15T00:00:00Z')).toBe('2026-02-28T18:30:00.000Z');
  });
});

describe('Australia/Lord_Howe (30-minute shift: +11 ⇄ +10:30)', () => {
  // 5 Apr 2026: 02:00 +11 → 01:30 +10:30 (15:00Z). 4 Oct 2026: 02:00 +10:30 → 02:30 +11 (15:30Z).
  it('hourly across fall-back: 01:00 +11, then 02:00 +10:30', () => {
    expect(slots(HOURLY, LHI, '2026-04-04T13:30:00Z', 3)).toEqual([
      '2026-04-04T14:00:00.000Z', // 01:00 +11
      '2026-04-04T15:30:00.000Z', // 02:00 +10:30
      '2026-04-04T16:30:00.000Z',
    ]);
  });
  it('a time in the half-hour overlap runs once', () => {
    expect(slots(cron('45 1 * * *'), LHI, '2026-04-04T12:00:00Z', 2)).toEqual([
      '2026-04-04T14:45:00.000Z', // 01:45 +11 (01:45 +10:30 = 15:15Z does not run)
      '2026-04-05T15:15:00.000Z', // next day 01:45 +10:30
    ]);
  });
  it('hourly across spring-forward: 02:00 does not exist → 02:30 +11, then 03:00 +11', () => {
    expect(slots(HOURLY, LHI, '2026-10-03T13:00:00Z', 5)).toEqual([
      '2026-10-03T13:30:00.000Z', // 00:00 +10:30
      '2026-10-03T14:30:00.000Z', // 01:00 +10:30
      '2026-10-03T15:30:00.000Z', // 02:00 in the gap → 02:30 +11
      '2026-10-03T16:00:00.000Z', // 03:00 +11
      '2026-10-03T17:00:00.000Z',
    ]);
  });
  it('a cron time in the gap runs at its end; one just after it is unaffected', () => {
    expect(next(cron('15 2 * * *'), LHI, '2026-10-03T12:00:00Z')).toBe('2026-10-03T15:30:00.000Z');
    expect(next(cron('45 2 * * *'), LHI, '2026-10-03T12:00:00Z')).toBe('2026-10-03T15:45:00.000Z');
  });
  it('daily midnight on both sides of the change', () => {
    expect(slots(DAILY, LHI, '2026-10-03T00:00:00Z', 2)).toEqual(['2026-10-03T13:30:00.000Z', '2026-10-04T13:00:00.000Z']);
  });
});

describe('America/Santiago: midnight itself falls in the gap (6 Sep 2026, 00:00 -04 → 01:00 -03)', () => {
  it('daily and weekly (6 Sep is a Sunday) run at 01:00 -03 instead of the missing midnight', () => {
    expect(slots(DAILY, SCL, '2026-09-04T12:00:00Z', 3)).toEqual([
      '2026-09-05T04:00:00.000Z',
      '2026-09-06T04:00:00.000Z', // 01:00 -03
      '2026-09-07T03:00:00.000Z',
    ]);
    expect(next(WEEKLY, SCL, '2026-09-01T00:00:00Z')).toBe('2026-09-06T04:00:00.000Z');
  });
  it('on fall-back (5 Apr 2026, 00:00 -03 → 23:00 -04) the repeated 23:30 runs once', () => {
    expect(slots(cron('30 23 * * *'), SCL, '2026-04-04T12:00:00Z', 2)).toEqual([
      '2026-04-05T02:30:00.000Z', // 23:30 -03
      '2026-04-06T03:30:00.000Z', // next day 23:30 -04
    ]);
    expect(next(DAILY, SCL, '2026-04-04T12:00:00Z')).toBe('2026-04-05T04:00:00.000Z');
  });
});

describe('Pacific/Apia: 30 Dec 2011 did not exist (Samoa moved across the date line)', () => {
  it('the missing day and the day after it share one daily run', () => {
    expect(slots(DAILY, 'Pacific/Apia', '2011-12-28T12:00:00Z', 3)).toEqual([
      '2011-12-29T10:00:00.000Z', // 29 Dec 00:00 -10
      '2011-12-30T10:00:00.000Z', // 30 Dec 00:00 does not exist → 31 Dec 00:00 +14
      '2011-12-31T10:00:00.000Z', // 1 Jan 00:00 +14
    ]);
  });
});

describe('missed runs and nextRunAfterRun', () => {
  it('service down for three weeks: one late run, then the first slot after it (no backlog)', () => {
    const weekly = parseSchedule('weekly');
    const due = ms('2026-06-06T23:00:00Z'); // Sun 7 Jun 00:00 BST
    expect(nextSlotAfter(weekly, LON, due - 1)).toBe(due);
    // back on Wed 24 Jun 10:15Z, runs once; missed 14 and 21 Jun are not replayed
    const ranAt = ms('2026-06-24T10:15:00Z');
    expect(iso(nextRunAfterRun(weekly, LON, ranAt))).toBe('2026-06-27T23:00:00.000Z');
    expect(iso(nextRunAfterRun(weekly, LON, ranAt, due))).toBe('2026-06-27T23:00:00.000Z');
  });
  it('daily and hourly: the next slot after the late run', () => {
    const ranAt = ms('2026-06-24T10:15:00Z');
    expect(iso(nextRunAfterRun(DAILY, LON, ranAt))).toBe('2026-06-24T23:00:00.000Z');
    expect(iso(nextRunAfterRun(HOURLY, LON, ranAt))).toBe('2026-06-24T11:00:00.000Z');
    expect(iso(nextRunAfterRun(MONTHLY, LON, ranAt))).toBe('2026-06-30T23:00:00.000Z');
  });
  it('a run exactly at its slot schedules the following slot', () => {
    const due = ms('2026-06-24T23:00:00Z');
    expect(iso(nextRunAfterRun(DAILY, LON, due, due))).toBe('2026-06-25T23:00:00.000Z');
  });
  it('a run that started before its due time (clock skew) does not repeat that slot', () => {
    const due = ms('2026-06-24T23:00:00Z');
    expect(iso(nextRunAfterRun(DAILY, LON, due - 500))).toBe('2026-06-24T23:00:00.000Z');
    expect(iso(nextRunAfterRun(DAILY, LON, due - 500, due))).toBe('2026-06-25T23:00:00.000Z');
  });
  it('first run at the next full hour, after that on the schedule (seed 004)', () => {
    const now = ms('2026-06-10T12:34:00Z'); // Wed 13:34 BST
    const first = firstRunAt(LON, now);
    expect(iso(first)).toBe('2026-06-10T13:00:00.000Z');
    expect(iso(nextRunAfterRun(parseSchedule(undefined), LON, first))).toBe('2026-06-13T23:00:00.000Z');
  });
});
