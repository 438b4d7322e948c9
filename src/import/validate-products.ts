/**
 * The rules a load's products must keep beyond their own fields. Pure.
 */
import type { ProductInput } from './import-schema.js';
import { findDuplicates, type ImportProblem, type Located } from './locate-records.js';

export function checkDuplicateProducts(products: readonly Located<ProductInput>[]): ImportProblem[] {
  return findDuplicates(
    products,
    (p) => p.sku,
    '.sku',
    (p) => `product ${p.sku}`,
  );
}
