import { describe, expect, it } from 'vitest';
import {
  divideHalfUp,
  formatAmount,
  formatTaxRate,
  formatUnitPrice,
  lineNetMinor,
  parseAmount,
  parseTaxRate,
  parseUnitPrice,
  taxMinor,
} from '../../src/domain/money.js';

describe('money', () => {
  it('parses decimal strings exactly, refusing what is not one', () => {
    expect(parseAmount('4.99')).toBe(499);
    expect(parseAmount('0.1')).toBe(10);
    expect(parseAmount('12')).toBe(1200);
    expect(parseAmount('4.999')).toBeNull();
    expect(parseAmount('-1.00')).toBeNull();
    expect(parseAmount('1e3')).toBeNull();
    expect(parseAmount(' 1.00')).toBeNull();
    expect(parseUnitPrice('1.2345')).toBe(12345);
    expect(parseUnitPrice('1.23456')).toBeNull();
    expect(parseTaxRate('20')).toBe(2000);
    expect(parseTaxRate('5.5')).toBe(550);
    expect(parseTaxRate('100.01')).toBeNull();
  });

  it('formats canonically', () => {
    expect(formatAmount(0)).toBe('0.00');
    expect(formatAmount(5)).toBe('0.05');
    expect(formatAmount(123456789)).toBe('1234567.89');
    expect(formatUnitPrice(75000)).toBe('7.50');
    expect(formatUnitPrice(12345)).toBe('1.2345');
    expect(formatUnitPrice(12340)).toBe('1.234');
    expect(formatUnitPrice(10000)).toBe('1.00');
    expect(formatTaxRate(2000)).toBe('20');
    expect(formatTaxRate(550)).toBe('5.5');
    expect(formatTaxRate(0)).toBe('0');
    expect(formatTaxRate(1000)).toBe('10');
    expect(formatTaxRate(5)).toBe('0.05');
  });

  it('rounds half-up at the half cent (hand-checked)', () => {
    // 3 × 0.0050 = 0.015 → 0.02 (half-up), not 0.01 (banker's)
    expect(lineNetMinor(3, 50)).toBe(2);
    // 1 × 0.0049 = 0.0049 → 0.00
    expect(lineNetMinor(1, 49)).toBe(0);
    // 7 × 1.2345 = 8.6415 → 8.64
    expect(lineNetMinor(7, 12345)).toBe(864);
    // 5 × 1.2345 = 6.1725 → 6.17
    expect(lineNetMinor(5, 12345)).toBe(617);
    // 2 × 0.0125 = 0.025 → 0.03
    expect(lineNetMinor(2, 125)).toBe(3);
    // 0.1 + 0.2 in floats is 0.30000000000000004; in minor units it is exact
    expect(parseAmount('0.10')! + parseAmount('0.20')!).toBe(parseAmount('0.30'));
    // tax: 18.79 × 20 % = 3.758 → 3.76; 0.25 × 20 % = 0.05; 0.125 → 10.25 × 5 % = 0.5125 → 0.51
    expect(taxMinor(1879, 2000)).toBe(376);
    expect(taxMinor(25, 2000)).toBe(5);
    expect(taxMinor(1025, 500)).toBe(51);
    // 0.10 × 5 % = 0.005 → 0.01 (the half cent rounds up)
    expect(taxMinor(10, 500)).toBe(1);
    // zero rate
    expect(taxMinor(123456, 0)).toBe(0);
    // 17.5 %: 9.99 × 17.5 % = 1.74825 → 1.75
    expect(taxMinor(999, 1750)).toBe(175);
  });

  it('rounds negative halves away from zero', () => {
    expect(divideHalfUp(-15n, 10n)).toBe(-2n);
    expect(divideHalfUp(15n, 10n)).toBe(2n);
    expect(divideHalfUp(-14n, 10n)).toBe(-1n);
  });

  it('stays exact where floating point would not', () => {
    // 1,000,000 × 9,999,999.9999 is past 2^53 in ten-thousandths: computed through BigInt
    expect(lineNetMinor(1_000_000, 99_999_999_999)).toBe(999_999_999_990_000);
    expect(formatAmount(lineNetMinor(1_000_000, 99_999_999_999))).toBe('9999999999900.00');
  });
});
