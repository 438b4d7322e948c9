/**
 * Credit-note amounts (SPEC §8): invariants over many generated invoices and random sequences of partial
 * credits, checked against an independent calculation (BigInt, half-up, written here from the spec's words),
 * and the hand-checked edge cases.
 */
import { describe, expect, it } from 'vitest';
import { computeDraft, type EligibleOrder } from '../../src/domain/build-invoices.js';
import { computeCreditAmounts, invoiceStatus, type CreditableLine, type CreditableTaxGroup } from '../../src/domain/credit-amounts.js';
import { prng } from '../support/prng.js';

/** round(n / d) half-up, for non-negative n */
const halfUp = (n: bigint, d: bigint): bigint => (n * 2n + d) / (2n * d);
/** §8: a line's credited net after `units`: round(units × price, 2) (+ shipping once every unit is credited) */
const refLineNet = (l: CreditableLine, units: number): bigint =>
  halfUp(BigInt(units) * BigInt(l.unitPriceE4), 100n) + (units === l.quantity ? BigInt(l.shippingMinor ?? 0) : 0n);
/** §8: a rate's credited tax: round(credited net × rate / 100, 2); rates are in basis points */
const refTax = (net: bigint, rateBp: number): bigint => halfUp(net * BigInt(rateBp), 10_000n);

/** The invoice as stored: its lines and groups with nothing credited */
function invoiceOf(orders: EligibleOrder[]) {
  const draft = computeDraft('GBP', orders);
  const lines: CreditableLine[] = draft.lines.map((l) => ({
    position: l.position,
    orderNumber: l.orderNumber,
    quantity: l.quantity,
    unitPriceE4: l.unitPriceE4,
    taxRateBp: l.taxRateBp,
    shippingMinor: l.shippingMinor,
    creditedQuantity: 0,
    creditedNetMinor: 0,
  }));
  const groups: CreditableTaxGroup[] = draft.taxGroups.map((g) => ({ rateBp: g.rateBp, creditedNetMinor: 0, creditedTaxMinor: 0 }));
  return { draft, lines, groups };
}

/** Applies a credit note to the stored state, as the credit-note transaction writes it back */
function apply(lines: CreditableLine[], groups: CreditableTaxGroup[], units: Map<number, number>) {
  const note = computeCreditAmounts(lines, groups, units);
  for (const c of note.lines)
    Object.assign(
      lines.find((l) => l.position === c.position)!,
      { creditedQuantity: c.creditedQuantity, creditedNetMinor: c.creditedNetMinor },
    );
  for (const g of note.taxGroups)
    Object.assign(
      groups.find((x) => x.rateBp === g.rateBp)!,
      { creditedNetMinor: g.creditedNetMinor, creditedTaxMinor: g.creditedTaxMinor },
    );
  return note;
}

const RATES = [0, 500, 550, 2000, 1750];

function generateOrders(rnd: () => number, count: number): EligibleOrder[] {
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    number: `O-${i}`,
    currency: 'GBP',
    shippingMinor: pick([0, 0, 1, 499, 999, 12_345]),
    uniqueInvoice: false,
    relatingTo: null,
    createdAt: i,
    items: Array.from({ length: 1 + Math.floor(rnd() * 4) }, (_, j) => ({
      sku: `S${j}`,
      description: `Item ${j}`,
      quantity: 1 + Math.floor(rnd() * 12),
      // Cheap and odd prices, where rounding bites: 0.0001–0.0099, then up to 199.9999
      unitPriceE4: rnd() < 0.4 ? 1 + Math.floor(rnd() * 99) : Math.floor(rnd() * 2_000_000),
      taxRateBp: pick(RATES),
    })),
  }));
}

/** A random selection of what is left: a whole order, a whole line, or some units of a line */
function randomUnits(rnd: () => number, lines: CreditableLine[]): Map<number, number> {
  const open = lines.filter((l) => l.creditedQuantity < l.quantity);
  const units = new Map<number, number>();
  const kind = rnd();
  const target = open[Math.floor(rnd() * open.length)]!;
  if (kind < 0.25) {
    for (const l of open.filter((x) => x.orderNumber === target.orderNumber)) units.set(l.position, l.quantity - l.creditedQuantity);
  } else if (kind < 0.5) {
    units.set(target.position, target.quantity - target.creditedQuantity);
  } else {
    units.set(target.position, 1 + Math.floor(rnd() * (target.quantity - target.creditedQuantity)));
  }
  return units;
}

describe('credit-note amounts: invariants over generated invoices and random partial credits', () => {
  it('never credits a unit twice, adds up within each note, never goes negative, and sums to the invoice exactly once all is credited', () => {
    const rnd = prng(20261207);
    let notesChecked = 0;
    for (let invoice = 0; invoice < 300; invoice++) {
      const { draft, lines, groups } = invoiceOf(generateOrders(rnd, 1 + Math.floor(rnd() * 5)));
      const noteNet = new Map<number, bigint>();
      let netSum = 0n;
      let taxSum = 0n;
      const taxByRate = new Map<number, bigint>();
      while (lines.some((l) => l.creditedQuantity < l.quantity)) {
        const units = randomUnits(rnd, lines);
        const before = new Map(lines.map((l) => [l.position, l.creditedQuantity]));
        const note = apply(lines, groups, units);
        notesChecked++;
        // Each note: its lines sum to its net, its rate groups to its tax; nothing negative
        expect(note.lines.reduce((s, l) => s + l.netMinor, 0)).toBe(note.netMinor);
        expect(note.taxGroups.reduce((s, g) => s + g.taxMinor, 0)).toBe(note.taxMinor);
        expect(note.totalMinor).toBe(note.netMinor + note.taxMinor);
        for (const l of note.lines) expect(l.netMinor).toBeGreaterThanOrEqual(0);
        for (const g of note.taxGroups) expect(g.taxMinor).toBeGreaterThanOrEqual(0);
        for (const l of note.lines) {
          const line = lines.find((x) => x.position === l.position)!;
          // Exactly the units asked, on top of what was credited before; never more than the line holds
          expect(l.quantity).toBe(units.get(l.position));
          expect(l.creditedQuantity).toBe(before.get(l.position)! + l.quantity);
          expect(l.creditedQuantity).toBeLessThanOrEqual(line.quantity);
          // The independent calculation of the cumulative figure
          expect(BigInt(l.creditedNetMinor)).toBe(refLineNet(line, l.creditedQuantity));
          // Within a cent of rounding this note's units on their own (inside Peppol's tolerance)
          const own = halfUp(BigInt(l.quantity) * BigInt(line.unitPriceE4), 100n) + BigInt(l.shippingMinor ?? 0);
          expect(Math.abs(Number(BigInt(l.netMinor) - own))).toBeLessThanOrEqual(1);
          noteNet.set(l.position, (noteNet.get(l.position) ?? 0n) + BigInt(l.netMinor));
        }
        for (const g of note.taxGroups) {
          const ratesLinesNet = lines.filter((l) => l.taxRateBp === g.rateBp).reduce((s, l) => s + refLineNet(l, l.creditedQuantity), 0n);
          expect(BigInt(g.creditedNetMinor)).toBe(ratesLinesNet);
          expect(BigInt(g.creditedTaxMinor)).toBe(refTax(ratesLinesNet, g.rateBp));
          taxByRate.set(g.rateBp, (taxByRate.get(g.rateBp) ?? 0n) + BigInt(g.taxMinor));
        }
        netSum += BigInt(note.netMinor);
        taxSum += BigInt(note.taxMinor);
      }
      // Everything credited: per line, per rate and in total, exactly the invoice
      for (const l of draft.lines) expect(noteNet.get(l.position)).toBe(BigInt(l.netMinor));
      for (const g of draft.taxGroups) expect(taxByRate.get(g.rateBp) ?? 0n).toBe(BigInt(g.taxMinor));
      expect(netSum).toBe(BigInt(draft.netMinor));
      expect(taxSum).toBe(BigInt(draft.taxMinor));
      expect(invoiceStatus(lines)).toBe('credited');
    }
    expect(notesChecked).toBeGreaterThan(1000);
  });

  it('mirrors the invoice exactly with one full credit', () => {
    const rnd = prng(7);
    for (let i = 0; i < 200; i++) {
      const { draft, lines, groups } = invoiceOf(generateOrders(rnd, 1 + Math.floor(rnd() * 6)));
      const note = apply(lines, groups, new Map(lines.map((l) => [l.position, l.quantity])));
      expect(note.lines.map((l) => l.netMinor)).toEqual(draft.lines.map((l) => l.netMinor));
      expect(note.taxGroups.map((g) => [g.rateBp, g.netMinor, g.taxMinor])).toEqual(draft.taxGroups.map((g) => [g.rateBp, g.netMinor, g.taxMinor]));
      expect([note.netMinor, note.taxMinor, note.totalMinor]).toEqual([draft.netMinor, draft.taxMinor, draft.totalMinor]);
    }
  });
});

describe('credit-note amounts: hand-checked cases', () => {
  const order = (items: EligibleOrder['items'], shippingMinor = 0, number = 'A'): EligibleOrder => ({
    id: number.charCodeAt(0),
    number,
    currency: 'GBP',
    shippingMinor,
    uniqueInvoice: false,
    relatingTo: null,
    createdAt: 0,
    items,
  });
  const item = (quantity: number, unitPriceE4: number, taxRateBp = 2000) => ({ sku: 'S', description: 'd', quantity, unitPriceE4, taxRateBp });
  const creditEach = (orders: EligibleOrder[], steps: Array<Array<[number, number]>>) => {
    const { lines, groups } = invoiceOf(orders);
    return steps.map((s) => apply(lines, groups, new Map(s)));
  };

  it('a one-cent line split over three credits: 0.00, 0.01, 0.00 (never negative, sums to the cent)', () => {
    // 3 × 0.0033 = 0.0099 → 0.01 on the invoice
    const notes = creditEach([order([item(3, 33)])], [[[1, 1]], [[1, 1]], [[1, 1]]]);
    expect(notes.map((n) => n.lines[0]!.netMinor)).toEqual([0, 1, 0]);
    expect(notes.map((n) => n.taxMinor)).toEqual([0, 0, 0]);
  });

  it('a 4-decimal unit price: cumulative rounding does not drift where rounding each credit would', () => {
    // 2 × 0.0050 = 0.0100 → 0.01; crediting 1 then 1 unit on its own would give 0.01 + 0.01
    const notes = creditEach([order([item(2, 50)])], [[[1, 1]], [[1, 1]]]);
    expect(notes.map((n) => n.netMinor)).toEqual([1, 0]);
    // 7 × 1.2345 = 8.6415 → 8.64: 3 units → 3.70, then 4 more → 4.94
    expect(creditEach([order([item(7, 12_345)])], [[[1, 3]], [[1, 4]]]).map((n) => n.netMinor)).toEqual([370, 494]);
  });

  it("shipping on a first item credited unit by unit comes with the line's last unit", () => {
    // 3 × 10.00 + shipping 4.99 = 34.99 at 20 %: tax 7.00
    const notes = creditEach([order([item(3, 100_000), item(1, 50_000)], 499)], [[[1, 1]], [[1, 1]], [[1, 1]]]);
    expect(notes.map((n) => n.lines[0]!.netMinor)).toEqual([1000, 1000, 1499]);
    expect(notes.map((n) => n.lines[0]!.shippingMinor)).toEqual([null, null, 499]);
    // 20 % of 10.00, 20.00 and 34.99 cumulatively: 2.00, 4.00, 7.00
    expect(notes.map((n) => n.taxMinor)).toEqual([200, 200, 300]);
  });

  it('a 0 % rate carries no tax, whatever is credited', () => {
    const notes = creditEach(
      [order([item(5, 19_999, 0), item(1, 10_000, 2000)])],
      [
        [[1, 2]],
        [
          [1, 3],
          [2, 1],
        ],
      ],
    );
    // 2 × 1.9999 = 3.9998 → 4.00; then 5 units: 9.9995 → 10.00, so 6.00 more
    expect(notes[0]!.taxGroups).toEqual([{ rateBp: 0, netMinor: 400, taxMinor: 0, creditedNetMinor: 400, creditedTaxMinor: 0 }]);
    expect(notes[1]!.taxGroups.map((g) => [g.rateBp, g.netMinor, g.taxMinor])).toEqual([
      [2000, 100, 20],
      [0, 600, 0],
    ]);
  });

  it('tax per rate is rounded on the cumulative net: three notes of 0.03 at 20 % carry 0.01, 0.00, 0.01', () => {
    // Lines of 0.03 at 20 %: tax of 0.03 → 0.01; of 0.06 → 0.01; of 0.09 → 0.02
    const notes = creditEach([order([item(1, 300), item(1, 300), item(1, 300)])], [[[1, 1]], [[2, 1]], [[3, 1]]]);
    expect(notes.map((n) => n.taxMinor)).toEqual([1, 0, 1]);
  });

  it('an invoice is issued, then partially credited, then credited', () => {
    const { lines, groups } = invoiceOf([order([item(2, 10_000)])]);
    expect(invoiceStatus(lines)).toBe('issued');
    apply(lines, groups, new Map([[1, 1]]));
    expect(invoiceStatus(lines)).toBe('partially_credited');
    apply(lines, groups, new Map([[1, 1]]));
    expect(invoiceStatus(lines)).toBe('credited');
  });
});
