/**
 * An order as it will be stored: defaults, prices from the supplier's strategy, and the problems that
 * stop it, each with its path relative to the order.
 */
import { describe, expect, it } from 'vitest';
import type { OrderContent } from '../../src/db/import-reads.js';
import { defaultPricing } from '../../src/domain/pricing.js';
import type { CompanyNode } from '../../src/import/company-graph.js';
import { orderSchema } from '../../src/import/import-schema.js';
import { resolveOrder, sameOrderContent, type KnownProduct } from '../../src/import/resolve-orders.js';
import { order } from '../support/fixtures.js';

const company = (extra: Partial<CompanyNode> = {}): CompanyNode => ({
  code: 'RETB',
  type: 'dropship',
  parentCode: 'SUPA',
  tradeTier: 'gold',
  currency: 'GBP',
  pricingStrategy: 'default',
  id: 2,
  ...extra,
});
const products = new Map<string, KnownProduct>([
  ['TS', { sku: 'TS', costPriceE4: 75000, tierPricesE4: new Map([['gold', 69000]]), taxRateBp: 2000 }],
  ['BARE', { sku: 'BARE', costPriceE4: null, tierPricesE4: new Map(), taxRateBp: 500 }],
]);
const parse = (extra: Record<string, unknown>) => orderSchema.parse(order('RETB', 'B-1', extra as never));

describe('resolveOrder', () => {
  it('fills in the defaults: currency from the company, description from the SKU, price and rate from the product', () => {
    const { currency: _c, ...noCurrency } = order('RETB', 'B-1', { items: [{ sku: 'TS', quantity: 3 }] });
    const content = resolveOrder(orderSchema.parse(noCurrency), company({ currency: 'EUR' }), defaultPricing, products) as OrderContent;
    expect(content).toMatchObject({
      number: 'B-1',
      currency: 'EUR',
      shippingMinor: 499,
      createdAt: Date.parse('2026-11-02T10:00:00Z'),
      dispatchedAt: Date.parse('2026-11-03T09:00:00Z'),
      errorText: null,
      relatingTo: null,
      items: [{ sku: 'TS', description: 'TS', quantity: 3, unitPriceE4: 69000, taxRateBp: 2000 }],
    });
    // without a tier price: the cost price
    const silver = resolveOrder(parse({ items: [{ sku: 'TS', quantity: 1 }] }), company({ tradeTier: 'silver' }), defaultPricing, products) as OrderContent;
    expect(silver.items[0]!.unitPriceE4).toBe(75000);
  });

  it('an explicit price and rate win over the product', () => {
    const content = resolveOrder(
      parse({ items: [{ sku: 'TS', quantity: 1, unitCostPrice: '1.5', taxRate: '0' }] }),
      company(),
      defaultPricing,
      products,
    ) as OrderContent;
    expect(content.items[0]).toMatchObject({ unitPriceE4: 15000, taxRateBp: 0 });
  });

  it('lists every problem of the order with its path relative to the order', () => {
    const { currency: _c, ...noCurrency } = order('RETB', 'B-1', {
      items: [
        { sku: 'NOPE', quantity: 1 },
        { sku: 'BARE', quantity: 1 },
        { sku: 'TS', quantity: 1 },
      ],
    });
    expect(resolveOrder(orderSchema.parse(noCurrency), company({ currency: null, tradeTier: null }), defaultPricing, products)).toEqual([
      { field: '.currency', message: 'is required: RETB has no invoicing currency to default to' },
      { field: '.items[0].unitCostPrice', message: 'has no unitCostPrice and its SKU is not a known product' },
      { field: '.items[0].taxRate', message: 'is required: SKU NOPE is not a known product to take the rate from' },
      { field: '.items[1].unitCostPrice', message: 'has no unitCostPrice and product BARE has no costPrice' },
    ]);
  });
});

describe('sameOrderContent', () => {
  const base = resolveOrder(parse({}), company(), defaultPricing, products) as OrderContent;

  it('is true for the same content, false for any field or item that differs', () => {
    expect(sameOrderContent(base, structuredClone(base))).toBe(true);
    expect(sameOrderContent(base, { ...base, onHold: !base.onHold })).toBe(false);
    expect(sameOrderContent(base, { ...base, dispatchedAt: null })).toBe(false);
    expect(sameOrderContent(base, { ...base, items: [{ ...base.items[0]!, quantity: 3 }] })).toBe(false);
    expect(sameOrderContent(base, { ...base, items: [...base.items, base.items[0]!] })).toBe(false);
  });
});
