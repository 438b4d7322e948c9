/**
 * Pricing strategies set an item's unit cost price when an imported or API order item has none.
 * Strategies are chosen per supplier (the `pricingStrategy` of the ordering company's supplier).
 */
export interface PricedProduct {
  sku: string;
  costPriceE4: number | null;
  tierPricesE4: ReadonlyMap<string, number>;
}

export interface PricingContext {
  /** The ordering company's trade tier */
  tradeTier: string | null;
  product: PricedProduct | null;
}

export interface PricingStrategy {
  readonly name: string;
  /** Unit cost price in ten-thousandths, or a sentence saying why there is none */
  unitCostPrice(ctx: PricingContext): number | string;
}

/** The default: the product's trade-tier price for the company's tier, else its cost price. */
export const defaultPricing: PricingStrategy = {
  name: 'default',
  unitCostPrice({ tradeTier, product }) {
    if (!product) return 'has no unitCostPrice and its SKU is not a known product';
    if (tradeTier !== null) {
      const tierPrice = product.tierPricesE4.get(tradeTier);
      if (tierPrice !== undefined) return tierPrice;
    }
    if (product.costPriceE4 !== null) return product.costPriceE4;
    return tradeTier === null
      ? `has no unitCostPrice and product ${product.sku} has no costPrice`
      : `has no unitCostPrice and product ${product.sku} has neither a "${tradeTier}" trade-tier price nor a costPrice`;
  },
};

export const pricingStrategies: ReadonlyMap<string, PricingStrategy> = new Map([[defaultPricing.name, defaultPricing]]);
