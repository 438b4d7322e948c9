/**
 * Invariants over many generated orders, checked against an independent calculation.
 */
import { describe, expect, it } from 'vitest';
import { buildInvoiceDrafts, type EligibleOrder } from '../../src/domain/build-invoices.js';
import { skipReason } from '../../src/domain/eligibility.js';
import { prng } from '../support/prng.js';

const RATES = [0, 500, 2000, 550, 1750];

function generateOrders(seed: number, count: number): EligibleOrder[] {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    number: `O-${String(i).padStart(5, '0')}`,
    currency: pick(['GBP', 'GBP', 'GBP', 'EUR', 'USD']),
    shippingMinor: pick([0, 499, 1, 999, 12345]),
    uniqueInvoice: rnd() < 0.1,
    relatingTo: rnd() < 0.2 ? 'example.com' : null,
    createdAt: 1_700_000_000_000 + Math.floor(rnd() * 1e9),
    items: Array.from({ length: 1 + Math.floor(rnd() * 5) }, (_, j) => ({
      sku: `SKU-${j}`,
      description: `Item ${j}`,
      quantity: 1 + Math.floor(rnd() * 50),
      unitPriceE4: Math.floor(rnd() * 2_000_000), // up to 199.9999
      taxRateBp: pick(RATES),
    })),
  }));
}

/** Independent arithmetic: plain integer maths on small numbers, rounding by adding half and flooring. */
const refLineNet = (qty: number, priceE4: number) => Math.floor((qty * priceE4 + 50) / 100);
const refTax = (net: number, bp: number) => Math.floor((net * bp + 5000) / 10000);

describe('buildInvoiceDrafts', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('keeps every invariant for generated orders (seed %i)', (seed) => {
    const orders = generateOrders(seed, 300);
    const drafts = buildInvoiceDrafts(orders);

    // every order on exactly one invoice; unique-invoice orders alone; one shared invoice per currency
    const seen = drafts.flatMap((d) => d.orders.map((o) => o.id));
    expect(seen.sort((a, b) => a - b)).toEqual(orders.map((o) => o.id));
    const shared = drafts.filter((d) => d.orders.some((o) => !o.uniqueInvoice));
    expect(new Set(shared.map((d) => d.currency)).size).toBe(shared.length);
    for (const d of drafts) {
      if (d.orders.some((o) => o.uniqueInvoice)) expect(d.orders).toHaveLength(1);
      for (const o of d.orders) expect(o.currency).toBe(d.currency);
    }

    for (const d of drafts) {
      // lines sum to the net; tax groups sum to the tax; total = net + tax
      expect(d.lines.reduce((s, l) => s + l.netMinor, 0)).toBe(d.netMinor);
      expect(d.taxGroups.reduce((s, g) => s + g.netMinor, 0)).toBe(d.netMinor);
      expect(d.taxGroups.reduce((s, g) => s + g.taxMinor, 0)).toBe(d.taxMinor);
      expect(d.totalMinor).toBe(d.netMinor + d.taxMinor);
      // positions are 1..n
      expect(d.lines.map((l) => l.position)).toEqual(d.lines.map((_, i) => i + 1));
      // each order's shipping exactly once, on its first item
      for (const o of d.orders) {
        const lines = d.lines.filter((l) => l.orderId === o.id);
        expect(lines).toHaveLength(o.items.length);
        expect(lines.filter((l) => l.shippingMinor !== null)).toHaveLength(1);
        expect(lines[0]!.shippingMinor).toBe(o.shippingMinor);
        lines.forEach((l, j) => {
          expect(l.netMinor).toBe(refLineNet(o.items[j]!.quantity, o.items[j]!.unitPriceE4) + (j === 0 ? o.shippingMinor : 0));
        });
      }
      // independent tax per rate group
      const groups = new Map<number, number>();
      for (const l of d.lines) groups.set(l.taxRateBp, (groups.get(l.taxRateBp) ?? 0) + l.netMinor);
      expect(d.taxGroups.map((g) => [g.rateBp, g.netMinor, g.taxMinor]).sort()).toEqual([...groups].map(([bp, net]) => [bp, net, refTax(net, bp)]).sort());
    }
  });

  it('shows "(for …)" on every line of an order with relatingTo', () => {
    const [draft] = buildInvoiceDrafts([
      {
        id: 1,
        number: 'A',
        currency: 'GBP',
        shippingMinor: 499,
        uniqueInvoice: false,
        relatingTo: 'mydomain.com',
        createdAt: 0,
        items: [{ sku: 'H', description: 'Bronze Hosting', quantity: 1, unitPriceE4: 10000, taxRateBp: 2000 }],
      },
    ]);
    expect(draft!.lines[0]!.description).toBe('Bronze Hosting (for mydomain.com)');
    expect(draft!.lines[0]!.netMinor).toBe(100 + 499);
  });

  it('makes no invoice from no orders', () => {
    expect(buildInvoiceDrafts([])).toEqual([]);
  });
});

describe('skipReason', () => {
  const base = { status: 'dispatched', onHold: false, hasErrors: false, createdAt: 1000 };
  const rules = { includeErrors: false, startingFrom: 500 };
  it('takes dispatched and completed orders', () => {
    expect(skipReason(base, rules)).toBeNull();
    expect(skipReason({ ...base, status: 'completed' }, rules)).toBeNull();
  });
  it('names the first reason, in SPEC order', () => {
    expect(skipReason({ ...base, onHold: true, hasErrors: true, status: 'cancelled', createdAt: 0 }, rules)).toBe('onHold');
    expect(skipReason({ ...base, hasErrors: true, status: 'cancelled', createdAt: 0 }, rules)).toBe('withErrors');
    expect(skipReason({ ...base, status: 'cancelled', createdAt: 0 }, rules)).toBe('beforeStartingFrom');
    expect(skipReason({ ...base, status: 'cancelled' }, rules)).toBe('cancelled');
    expect(skipReason({ ...base, status: 'processing' }, rules)).toBe('notDispatched');
    expect(skipReason({ ...base, status: 'under_review' }, rules)).toBe('notDispatched');
  });
  it('includes orders with errors when asked', () => {
    expect(skipReason({ ...base, hasErrors: true }, { ...rules, includeErrors: true })).toBeNull();
  });
  it('treats startingFrom as inclusive', () => {
    expect(skipReason({ ...base, createdAt: 500 }, rules)).toBeNull();
    expect(skipReason({ ...base, createdAt: 499 }, rules)).toBe('beforeStartingFrom');
  });
});
