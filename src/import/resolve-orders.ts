/**
 * A load's orders as they will be stored: defaults filled in (currency, description, tax rate), items
 * without a price priced by the supplier's pricing strategy, and the problems that stop an order from
 * being stored. Pure.
 */
import type { OrderContent } from '../db/import-reads.js';
import type { OrderWrite } from '../db/import-writes.js';
import { parseAmount, parseTaxRate, parseUnitPrice } from '../domain/money.js';
import { defaultPricing, pricingStrategies, type PricedProduct, type PricingStrategy } from '../domain/pricing.js';
import { parseInstant } from '../domain/text-rules.js';
import { nearestSupplier, type CompanyGraph, type CompanyNode } from './company-graph.js';
import type { OrderInput, ProductInput } from './import-schema.js';
import { findDuplicates, problemAt, type ImportProblem, type Located } from './locate-records.js';
import { companyTypeWithArticle, isRetailer } from './validate-companies.js';

/** What an order item can take from a product: prices, and the tax rate when it names none. */
export interface KnownProduct extends PricedProduct {
  taxRateBp: number;
}

/** A stored order with the same company and number as one in the load. */
export interface StoredOrder {
  id: number;
  invoiced: boolean;
  /** An invoiced order's stored content (which cannot change); undefined for an open one */
  content: OrderContent | undefined;
}

export const orderKey = (companyCode: string, number: string): string => `${companyCode}\u0000${number}`;

/** The load's products over the stored ones the orders name. */
export function knownProducts(products: readonly Located<ProductInput>[], stored: ReadonlyMap<string, KnownProduct>): Map<string, KnownProduct> {
  const out = new Map(stored);
  for (const { value: p } of products) {
    out.set(p.sku, {
      sku: p.sku,
      costPriceE4: p.costPrice == null ? null : parseUnitPrice(p.costPrice),
      tierPricesE4: new Map(Object.entries(p.tradeTierPrices ?? {}).map(([tier, price]) => [tier, parseUnitPrice(price)!])),
      taxRateBp: parseTaxRate(p.taxRate)!,
    });
  }
  return out;
}

export function checkDuplicateOrders(orders: readonly Located<OrderInput>[]): ImportProblem[] {
  return findDuplicates(
    orders,
    (o) => orderKey(o.company, o.number),
    '.number',
    (o) => `order ${o.number} of ${o.company}`,
  );
}

/** Orders belong to a known dropship or self-fulfilment company; each is priced, or its problems are listed. */
export function resolveOrders(
  orders: readonly Located<OrderInput>[],
  graph: CompanyGraph,
  products: ReadonlyMap<string, KnownProduct>,
  stored: ReadonlyMap<string, StoredOrder>,
): { resolved: Located<OrderWrite>[]; problems: ImportProblem[] } {
  const resolved: Located<OrderWrite>[] = [];
  const problems: ImportProblem[] = [];
  const strategies = new Map<string, PricingStrategy>();
  for (const located of orders) {
    const o = located.value;
    const company = graph.get(o.company);
    if (!company) {
      problems.push(problemAt(located, '.company', `unknown company "${o.company}"`));
      continue;
    }
    if (!isRetailer(company.type)) {
      problems.push(
        problemAt(located, '.company', `orders belong to dropship or self-fulfilment companies; ${o.company} is ${companyTypeWithArticle(company.type)}`),
      );
      continue;
    }
    let strategy = strategies.get(company.code);
    if (!strategy) strategies.set(company.code, (strategy = pricingStrategyOf(graph, company)));
    const result = resolveOrder(o, company, strategy, products, stored.get(orderKey(o.company, o.number))?.id ?? null);
    if (Array.isArray(result)) {
      for (const p of result) problems.push(problemAt(located, p.field, p.message));
      continue;
    }
    resolved.push({ value: result, file: located.file, path: located.path });
  }
  return { resolved, problems };
}

/** The strategy of the company's nearest supplier; the default when there is none. */
function pricingStrategyOf(graph: CompanyGraph, company: CompanyNode): PricingStrategy {
  return pricingStrategies.get(nearestSupplier(graph, company.code)?.pricingStrategy ?? 'default') ?? defaultPricing;
}

/**
 * The order as it will be stored (replacing the stored order `storedId`, if any), or what is wrong with
 * it, each with its field's path.
 */
export function resolveOrder(
  o: OrderInput,
  company: CompanyNode,
  strategy: PricingStrategy,
  products: ReadonlyMap<string, KnownProduct>,
  storedId: number | null = null,
): OrderWrite | Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  const currency = o.currency ?? company.currency;
  if (!currency) problems.push({ field: '.currency', message: `is required: ${o.company} has no invoicing currency to default to` });
  const items: OrderContent['items'] = [];
  o.items.forEach((it, j) => {
    const product = products.get(it.sku) ?? null;
    const price = it.unitCostPrice != null ? parseUnitPrice(it.unitCostPrice)! : strategy.unitCostPrice({ tradeTier: company.tradeTier, product });
    if (typeof price === 'string') problems.push({ field: `.items[${j}].unitCostPrice`, message: price });
    const taxRateBp = it.taxRate != null ? parseTaxRate(it.taxRate)! : product?.taxRateBp;
    if (taxRateBp === undefined) {
      problems.push({ field: `.items[${j}].taxRate`, message: `is required: SKU ${it.sku} is not a known product to take the rate from` });
    }
    if (typeof price === 'number' && taxRateBp !== undefined) {
      items.push({ sku: it.sku, description: it.description ?? it.sku, quantity: it.quantity, unitPriceE4: price, taxRateBp });
    }
  });
  if (problems.length > 0 || !currency) return problems;
  // One literal with every field (no spreads): a load builds one of these per order
  return {
    companyCode: o.company,
    storedId,
    number: o.number,
    source: o.source,
    status: o.status,
    onHold: o.onHold,
    hasErrors: o.hasErrors,
    errorText: o.errorText ?? null,
    uniqueInvoice: o.uniqueInvoice,
    relatingTo: o.relatingTo ?? null,
    currency,
    shippingMinor: parseAmount(o.shippingCost)!,
    createdAt: parseInstant(o.createdAt)!,
    dispatchedAt: o.dispatchedAt ? parseInstant(o.dispatchedAt) : null,
    items,
  };
}

/**
 * An invoiced order cannot change: the same content again is accepted (counted unchanged and not
 * written), any difference is a problem. The other orders are written.
 */
export function checkInvoicedOrders(
  resolved: readonly Located<OrderWrite>[],
  stored: ReadonlyMap<string, StoredOrder>,
): { toWrite: OrderWrite[]; unchanged: number; problems: ImportProblem[] } {
  const toWrite: OrderWrite[] = [];
  const problems: ImportProblem[] = [];
  let unchanged = 0;
  for (const r of resolved) {
    const s = stored.get(orderKey(r.value.companyCode, r.value.number));
    if (!s?.invoiced) toWrite.push(r.value);
    else if (s.content && sameOrderContent(s.content, r.value)) unchanged++;
    else {
      problems.push(
        problemAt(r, '', `order ${r.value.number} of ${r.value.companyCode} is already invoiced and cannot be changed (issue a credit note instead)`),
      );
    }
  }
  return { toWrite, unchanged, problems };
}

export function sameOrderContent(a: OrderContent, b: OrderContent): boolean {
  return (
    a.number === b.number &&
    a.source === b.source &&
    a.status === b.status &&
    a.onHold === b.onHold &&
    a.hasErrors === b.hasErrors &&
    a.errorText === b.errorText &&
    a.uniqueInvoice === b.uniqueInvoice &&
    a.relatingTo === b.relatingTo &&
    a.currency === b.currency &&
    a.shippingMinor === b.shippingMinor &&
    a.createdAt === b.createdAt &&
    a.dispatchedAt === b.dispatchedAt &&
    a.items.length === b.items.length &&
    a.items.every((x, i) => {
      const y = b.items[i]!;
      return x.sku === y.sku && x.description === y.description && x.quantity === y.quantity && x.unitPriceE4 === y.unitPriceE4 && x.taxRateBp === y.taxRateBp;
    })
  );
}
