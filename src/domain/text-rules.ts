/**
 * Rules for values that arrive from outside (import files, the API), shared by every validator.
 */

// These patterns look for control characters on purpose
/* eslint-disable no-control-regex */
/** Control characters (C0, DEL, C1) and the Unicode line/paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** Multi-line text may hold line breaks and tabs, but no other control characters. */
const CONTROL_EXCEPT_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/* eslint-enable no-control-regex */

export const isSingleLine = (s: string): boolean => !CONTROL.test(s);
export const isCleanMultiLine = (s: string): boolean => !CONTROL_EXCEPT_BREAKS.test(s);

export const CODE = /^[A-Z0-9_-]{1,32}$/;
/** No white space, control characters (a NUL or line break would end up in a mail header) or separators */
export const EMAIL = /^[^\s\p{Cc}@,;<>()"\\]+@[^\s\p{Cc}@,;<>()"\\]+\.[^\s\p{Cc}@,;<>()"\\]+$/u;

/** Comma-separated addresses with no spaces (SPEC §4); returns the offending part or null when valid. */
export function invalidAddressList(list: string): string | null {
  if (/\s/.test(list)) return 'contains white space (addresses are separated by commas only, with no spaces)';
  const parts = list.split(',');
  for (const part of parts) {
    if (part === '') return 'has an empty address (a doubled or trailing comma)';
    if (!EMAIL.test(part) || part.length > 254) return `"${part}" is not an email address`;
  }
  return null;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

/** A calendar date 'YYYY-MM-DD' that exists. */
export function isValidDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && y >= 1970;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** An ISO 8601 instant with an explicit offset (Z or ±hh:mm) → epoch ms; null when invalid. */
export function parseInstant(s: string): number | null {
  const m = DATE_TIME.exec(s);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const sec = m[6] === undefined ? 0 : Number(m[6]);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1) return null;
  if (d > (mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1]!)) return null;
  if (h > 23 || mi > 59 || sec > 59) return null;
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  let offset = 0;
  const tz = m[8]!;
  if (tz !== 'Z') {
    const oh = Number(tz.slice(1, 3));
    const om = Number(tz.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offset = (tz[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offset;
}

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
export const isCurrency = (s: string): boolean => /^[A-Z]{3}$/.test(s) && CURRENCIES.has(s);

// ISO 3166-1 alpha-2, officially assigned codes.
const COUNTRIES = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO ' +
    'FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE ' +
    'JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO ' +
    'MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW ' +
    'PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM ' +
    'TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);
export const isCountry = (s: string): boolean => COUNTRIES.has(s);

/** IBAN structure and ISO 13616 mod-97 check digits. */
export function isValidIban(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const digits = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of digits) remainder = (remainder * 10 + Number(d)) % 97;
  }
  return remainder === 1;
}

export const BIC = /^[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$/;

/** Formats a path of keys/indices the way users read them: `orders[3].items[0].quantity`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
