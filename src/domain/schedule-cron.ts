/**
 * Standard 5-field cron expressions (`minute hour day-of-month month day-of-week`), parsed and matched
 * against local wall-clock dates. Pure: no clock, no time zone (schedule.ts maps wall-clock times to
 * instants).
 *
 * Syntax accepted in every field: `*`, `N`, `A-B`, `*∕S`, `A-B∕S`, `A∕S` (= `A-max∕S`) and comma lists of
 * those. Month and day-of-week also take English three-letter names (`jan`…`dec`, `sun`…`sat`, any case,
 * also inside ranges); day-of-week 7 is Sunday like 0. Nothing else (no `?`, `L`, `W`, `#`, seconds,
 * `@daily` macros): those are rejected with a message naming the field.
 *
 * Day-of-month and day-of-week combine as in Vixie cron / cronie: if either field starts with `*` the
 * day must match both; otherwise it must match either (`0 0 1,15 * 1` = the 1st, the 15th and every
 * Monday).
 */

export interface CronSpec {
  /** the expression with its fields separated by single spaces */
  readonly expr: string;
  /** ascending */
  readonly minutes: readonly number[];
  /** ascending */
  readonly hours: readonly number[];
  /** index 1..31 */
  readonly daysOfMonth: readonly boolean[];
  /** index 1..12 */
  readonly months: readonly boolean[];
  /** index 0..6, 0 = Sunday */
  readonly daysOfWeek: readonly boolean[];
  /** true when day-of-month or day-of-week starts with `*`: a day must then match both fields */
  readonly matchBothDayFields: boolean;
}

/** A cron expression that cannot be used; `message` says which field is wrong and why. */
export class CronSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronSyntaxError';
  }
}

interface FieldDef {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** index of names[0] */
  readonly namesFrom?: number;
}

const FIELDS: readonly FieldDef[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
    namesFrom: 1,
  },
  { name: 'day-of-week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], namesFrom: 0 },
];

/** The most days each month can have (February: 29, in leap years). */
const MAX_DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

const MONTH_NAMES = ['', 'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

/** Parses a 5-field cron expression; throws CronSyntaxError naming the offending field. */
export function parseCron(expr: string): CronSpec {
  const trimmed = expr.trim();
  if (trimmed === '') {
    throw new CronSyntaxError('the cron expression is empty (expected 5 fields: minute hour day-of-month month day-of-week)');
  }
  if (trimmed.startsWith('@')) {
    throw new CronSyntaxError(`"${trimmed}": cron macros are not supported; use the hourly, daily, weekly or monthly schedule or 5 cron fields`);
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 5) {
    throw new CronSyntaxError(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}: "${trimmed}"`);
  }
  const values = parts.map((part, i) => parseField(part, FIELDS[i]!));
  const [minutes, hours, doms, months, dows] = values as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  if (dows.delete(7)) dows.add(0);

  const daysOfMonth = flags(doms, 32);
  const monthFlags = flags(months, 13);
  const daysOfWeek = flags(dows, 7);
  const matchBothDayFields = parts[2]!.startsWith('*') || parts[4]!.startsWith('*');

  if (matchBothDayFields) {
    // The day-of-month set alone decides whether the expression can ever match: every real date falls
    // on every day of the week somewhere in the 400-year Gregorian cycle.
    const possible = [...months].some((m) => [...doms].some((d) => d <= MAX_DAYS_IN_MONTH[m]!));
    if (!possible) {
      const monthList = [...months]
        .sort((a, b) => a - b)
        .map((m) => MONTH_NAMES[m])
        .join(', ');
      throw new CronSyntaxError(`"${trimmed}" never matches: day-of-month "${parts[2]}" does not occur in ${monthList}`);
    }
  }

  return {
    expr: parts.join(' '),
    minutes: [...minutes].sort((a, b) => a - b),
    hours: [...hours].sort((a, b) => a - b),
    daysOfMonth,
    months: monthFlags,
    daysOfWeek,
    matchBothDayFields,
  };
}

/** Whether a calendar day (day of month 1..31, day of week 0..6 with 0 = Sunday) is selected. */
export function cronMatchesDay(spec: CronSpec, month: number, dayOfMonth: number, dayOfWeek: number): boolean {
  if (!spec.months[month]) return false;
  const dom = spec.daysOfMonth[dayOfMonth] === true;
  const dow = spec.daysOfWeek[dayOfWeek] === true;
  return spec.matchBothDayFields ? dom && dow : dom || dow;
}

function flags(values: Set<number>, size: number): boolean[] {
  const out = new Array<boolean>(size).fill(false);
  for (const v of values) out[v] = true;
  return out;
}

function parseField(text: string, def: FieldDef): Set<number> {
  const where = `${def.name} field "${text}"`;
  const out = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new CronSyntaxError(`${where}: empty item in a list`);
    const m = /^([^/]+)(?:\/(.*))?$/.exec(item);
    if (!m) throw new CronSyntaxError(`${where}: "${item}" is not a value, range or step`);
    const base = m[1]!;
    const stepText = m[2];
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText)) throw new CronSyntaxError(`${where}: step "${stepText}" is not a whole number`);
      step = Number(stepText);
      if (step < 1) throw new CronSyntaxError(`${where}: step must be at least 1`);
    }
    let from: number;
    let to: number;
    if (base === '*') {
      from = def.min;
      to = def.max;
    } else {
      const range = base.split('-');
      if (range.length > 2) throw new CronSyntaxError(`${where}: "${base}" is not a value or a range A-B`);
      from = parseValue(range[0]!, def, where);
      if (range.length === 2) {
        to = parseValue(range[1]!, def, where);
        if (from > to) {
          throw new CronSyntaxError(`${where}: range ${base} runs backwards (start is after end)`);
        }
      } else {
        to = stepText === undefined ? from : def.max;
      }
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

function parseValue(token: string, def: FieldDef, where: string): number {
  let value: number;
  if (/^\d+$/.test(token)) {
    value = Number(token);
  } else {
    const index = def.names?.indexOf(token.toLowerCase()) ?? -1;
    if (index < 0) {
      const hint = def.names ? ` or a name (${def.names[0]}…${def.names[def.names.length - 1]})` : '';
      throw new CronSyntaxError(`${where}: "${token}" is not a number${hint}`);
    }
    value = index + (def.namesFrom ?? 0);
  }
  if (value < def.min || value > def.max) {
    throw new CronSyntaxError(`${where}: ${value} is out of range ${def.min}-${def.max}`);
  }
  return value;
}
