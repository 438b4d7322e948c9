/**
 * Exact money. Decimal strings at the edges; integers inside:
 *  - amounts in minor units (cents, 2 decimals),
 *  - unit prices in ten-thousandths ("e4", 4 decimals),
 *  - tax rates in basis points (1/100 of a percent, so "20" → 2000, "5.5" → 550).
 * Products of these can exceed 2^53, so multiplication and rounding go through BigInt. Rounding is
 * half-up (half away from zero for negative amounts, as commercial rounding does).
 */

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** Largest amount accepted anywhere (keeps every derived integer well inside 2^53). */
export const MAX_AMOUNT_MINOR = 10n ** 13n; // 100,000,000,000.00

const POW10 = [1, 10, 100, 1000, 10000];

/**
 * Parses a non-negative decimal string with at most `scale` decimals into an integer scaled by
 * 10^scale, or null when it is not one (callers turn that into an input error). Exact, since every
 * intermediate is an integer below 2^53.
 */
function parseScaledNumber(text: string, scale: number, max: number): number | null {
  const m = DECIMAL.exec(text);
  if (!m || m[1]) return null;
  const whole = m[2]!;
  const frac = m[3] ?? '';
  if (frac.length > scale || whole.length > 15) return null;
  const value = Number(whole) * POW10[scale]! + (frac === '' ? 0 : Number(frac) * POW10[scale - frac.length]!);
  return Number.isSafeInteger(value) && value <= max ? value : null;
}

/** Formats an integer scaled by 10^scale as a decimal string with exactly `scale` decimals. */
export function formatScaled(value: bigint | number, scale: number): string {
  const v = BigInt(value);
  const negative = v < 0n;
  const abs = negative ? -v : v;
  const unit = 10n ** BigInt(scale);
  const whole = abs / unit;
  const frac = (abs % unit).toString().padStart(scale, '0');
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${frac}` : ''}`;
}

/** Integer division rounding half away from zero. */
export function divideHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const abs = negative ? -numerator : numerator;
  const q = (abs * 2n + denominator) / (denominator * 2n);
  return negative ? -q : q;
}

export const toNumber = (v: bigint): number => {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`amount ${v} is out of the exact range`);
  }
  return Number(v);
};

/** "12.34" → 1234 (minor units). */
export function parseAmount(text: string): number | null {
  return parseScaledNumber(text, 2, Number(MAX_AMOUNT_MINOR));
}

/** "7.5" / "1.2345" → 75000 / 12345 (ten-thousandths). */
export function parseUnitPrice(text: string): number | null {
  return parseScaledNumber(text, 4, Number(MAX_AMOUNT_MINOR * 100n));
}

/** "20" / "5.5" → 2000 / 550 (basis points); rates from 0 to 100 with at most 2 decimals. */
export function parseTaxRate(text: string): number | null {
  return parseScaledNumber(text, 2, 10000);
}

export const formatAmount = (minor: number | bigint): string => formatScaled(minor, 2);

/** Unit prices print with 2 to 4 decimals: 75000 → "7.50", 12345 → "1.2345", 69000 → "6.90". */
export function formatUnitPrice(e4: number | bigint): string {
  const s = formatScaled(e4, 4);
  return s.replace(/(\.\d\d\d?)0+$/, '$1').replace(/(\.\d\d)0$/, '$1');
}

/** Basis points as a percentage with no trailing zeros: 2000 → "20", 550 → "5.5", 0 → "0". */
export function formatTaxRate(bp: number): string {
  return formatScaled(bp, 2).replace(/\.?0+$/, '') || '0';
}

/** Line net in minor units: round(quantity × unit price, 2), half-up. */
export function lineNetMinor(quantity: number, unitPriceE4: number): number {
  return toNumber(divideHalfUp(BigInt(quantity) * BigInt(unitPriceE4), 100n));
}

/** Tax in minor units on a group's net: round(net × rate / 100, 2), half-up. */
export function taxMinor(netMinor: number, rateBp: number): number {
  return toNumber(divideHalfUp(BigInt(netMinor) * BigInt(rateBp), 10000n));
}
