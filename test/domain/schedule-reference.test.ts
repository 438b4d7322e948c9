/**
 * Checks nextSlotAfter against two independent references:
 * 1. a brute-force walk, minute by minute, around every 2026 daylight-saving change of several zones,
 *    using the definition in docs/schedules.md: a slot is an instant at which the local wall clock first
 *    reaches (or jumps past) a scheduled wall-clock time. Matching of wall-clock times is cron-parser's,
 *    evaluated in UTC where it has no daylight saving to get wrong.
 * 2. cron-parser itself in zones without daylight saving, from many pseudo-random starting points.
 */
import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { nextSlotAfter, parseSchedule, type Schedule } from '../../src/domain/schedule.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** UTC offset (ms) of `tz` at `t`, straight from Intl (independent of luxon, which the code uses). */
function offset(tz: string, t: number): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' });
    formatters.set(tz, f);
  }
  const name = f.formatToParts(t).find((p) => p.type === 'timeZoneName')!.value; // "GMT", "GMT+05:30"
  const m = /^GMT(?:([+-])(\d\d):(\d\d))?$/.exec(name);
  if (!m) throw new Error(`unexpected offset ${name}`);
  return m[1] === undefined ? 0 : (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * MIN;
}

/** Wall clock of `tz` at `t`, encoded as UTC ms. */
function wall(tz: string, t: number): number {
  return t + offset(tz, t);
}

/** Successive wall-clock times matching `expr` strictly after wall time `w` (cron-parser, in UTC). */
function matchingWallTimes(expr: string, w: number): { nextAfter(w: number): number } {
  const it = CronExpressionParser.parse(expr, { currentDate: new Date(w), tz: 'UTC' });
  let current = it.next().getTime();
  return {
    nextAfter(x: number): number {
      while (current <= x) current = it.next().getTime();
      return current;
    },
  };
}

/**
 * Every slot in (from, to]. The walk starts a day before `from` so that the clock's high-water mark
 * knows about a repeated hour that began before `from`.
 */
function referenceSlots(expr: string, tz: string, from: number, to: number): string[] {
  const out: string[] = [];
  const start = from - DAY;
  let highWater = wall(tz, start);
  const matches = matchingWallTimes(expr, highWater);
  let target = matches.nextAfter(highWater);
  for (let t = start + MIN; t <= to; t += MIN) {
    const w = wall(tz, t);
    if (w <= highWater) continue; // the clock went back: times already reached do not run again
    if (target <= w) {
      if (t > from) out.push(new Date(t).toISOString());
      target = matches.nextAfter(w);
    }
    highWater = w;
  }
  return out;
}

function implementationSlots(schedule: Schedule, tz: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let t = nextSlotAfter(schedule, tz, from); t <= to; t = nextSlotAfter(schedule, tz, t)) {
    out.push(new Date(t).toISOString());
  }
  return out;
}

/** 2026 transitions (UTC) of each zone. */
const TRANSITIONS: Record<string, string[]> = {
  'Europe/London': ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z'],
  'America/New_York': ['2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z'],
  'Australia/Lord_Howe': ['2026-04-04T15:00:00Z', '2026-10-03T15:30:00Z'],
  'America/Santiago': ['2026-04-05T03:00:00Z', '2026-09-06T04:00:00Z'],
  'Asia/Kolkata': ['2026-03-08T07:00:00Z'],
  // Samoa skipped a whole day (30 Dec 2011) moving across the date line: a 24-hour gap
  'Pacific/Apia': ['2011-12-30T10:00:00Z'],
};

const PRESETS: Array<[string, string]> = [
  ['hourly', '0 * * * *'],
  ['daily', '0 0 * * *'],
  ['weekly', '0 0 * * 0'],
];

const EXPRESSIONS = [
  '* * * * *',
  '*/15 * * * *',
  '7,37 * * * *',
  '59 * * * *',
  '30 * * * *',
  '30 0 * * *',
  '30 1 * * *',
  '45 1 * * *',
  '0 2 * * *',
  '15 2 * * *',
  '30 2 * * *',
  '0 3 * * *',
  '30 23 * * *',
  '0 1-3 * * *',
  '0 9 * * 1-5',
  '0 0 * * 1',
];

const cases: Array<[string, string, string]> = [];
for (const [tz, transitions] of Object.entries(TRANSITIONS)) {
  for (const at of transitions) {
    for (const [name] of PRESETS) cases.push([tz, at, name]);
    for (const expr of EXPRESSIONS) cases.push([tz, at, `cron:${expr}`]);
  }
}

describe('brute-force reference around every 2026 daylight-saving change', () => {
  it.each(cases)('%s around %s: %s', (tz, at, text) => {
    const schedule = parseSchedule(text);
    const expr = text.startsWith('cron:') ? text.slice(5) : PRESETS.find(([n]) => n === text)![1];
    const from = Date.parse(at) - 2 * DAY - 17 * MIN;
    const to = Date.parse(at) + 2 * DAY;
    const expected = referenceSlots(expr, tz, from, to);
    expect(expected.length).toBeGreaterThan(0);
    expect(implementationSlots(schedule, tz, from, to)).toEqual(expected);
  });

  it('also from every minute (and second) inside the London, New York and Lord Howe overlaps and gaps', () => {
    for (const [tz, at] of [
      ['Europe/London', '2026-03-29T01:00:00Z'],
      ['Europe/London', '2026-10-25T01:00:00Z'],
      ['America/New_York', '2026-03-08T07:00:00Z'],
      ['America/New_York', '2026-11-01T06:00:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T15:00:00Z'],
      ['Australia/Lord_Howe', '2026-10-03T15:30:00Z'],
    ] as const) {
      for (const expr of ['0 * * * *', '*/15 * * * *', '30 1 * * *', '30 2 * * *', '0 0 * * *']) {
        const schedule = parseSchedule(`cron:${expr}`);
        const first = Date.parse(at) - 3 * 60 * MIN;
        const last = Date.parse(at) + 3 * 60 * MIN;
        const expected = referenceSlots(expr, tz, first - MIN, last + 2 * DAY).map(Date.parse);
        for (let from = first; from <= last; from += 30_000) {
          const want = expected.find((t) => t > from)!;
          const label = `${tz} ${expr} after ${new Date(from).toISOString()}`;
          expect(new Date(nextSlotAfter(schedule, tz, from)).toISOString(), label).toBe(new Date(want).toISOString());
        }
      }
    }
  });
});

/** Small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Expressions whose day fields mean the same to cron-parser and to Vixie cron (no `*/n` in day fields).
const DIFFERENTIAL = [
  '0 0 1 * *',
  '0 0 * * 0',
  '0 0 29 2 *',
  '0 0 31 * *',
  '15 10 1,15 * 1',
  '0 12 * jan,jul mon-fri',
  '5-10/2 */6 * * *',
  '0 0 1 */3 *',
  '23 4 13 * 5',
  '59 23 28-31 * *',
  '0 8 * * 6,7',
  '*/7 9-17 * * 1-5',
];

describe('differential against cron-parser where there is no daylight saving', () => {
  it.each(DIFFERENTIAL.flatMap((expr) => ['UTC', 'Asia/Kolkata', 'Asia/Tokyo', 'Etc/GMT+11'].map((tz) => [expr, tz] as const)))('cron:%s in %s', (expr, tz) => {
    const random = prng(expr.length * 7919 + tz.length);
    const schedule = parseSchedule(`cron:${expr}`);
    const lo = Date.parse('2000-01-01T00:00:00Z');
    const hi = Date.parse('2110-01-01T00:00:00Z');
    for (let i = 0; i < 150; i++) {
      // whole minutes, whole seconds and arbitrary milliseconds
      let after = lo + Math.floor(random() * (hi - lo));
      if (i % 3 === 0) after -= after % MIN;
      else if (i % 3 === 1) after -= after % 1000;
      const expected = CronExpressionParser.parse(expr, { currentDate: new Date(after), tz })
        .next()
        .getTime();
      expect(new Date(nextSlotAfter(schedule, tz, after)).toISOString(), `after ${new Date(after).toISOString()}`).toBe(new Date(expected).toISOString());
    }
  });
});
