/**
 * Rows of `orders` and `order_items` as the database returns them (numbers may come back as strings from
 * MySQL, booleans as 0/1), and what every reading of an order makes of them.
 */
import type { EligibleItem } from '../domain/build-invoices.js';
import type { OrderHeader } from '../domain/order.js';

export interface OrderRow {
  id: number | string;
  company_id: number | string;
  number: string;
  source: string;
  status: string;
  on_hold: number | boolean;
  has_errors: number | boolean;
  error_text: string | null;
  unique_invoice: number | boolean;
  relating_to: string | null;
  currency: string;
  shipping_minor: number | string;
  created_at: number | string;
  dispatched_at: number | string | null;
  invoice_id: number | string | null;
  updated_at: number | string;
}

export interface OrderItemRow {
  order_id: number | string;
  position: number | string;
  sku: string;
  description: string;
  quantity: number | string;
  unit_cost_price_e4: number | string;
  tax_rate_bp: number | string;
}

export function toOrderHeader(row: OrderRow): OrderHeader {
  return {
    number: row.number,
    source: row.source,
    status: row.status,
    onHold: Boolean(row.on_hold),
    hasErrors: Boolean(row.has_errors),
    errorText: row.error_text ?? null,
    uniqueInvoice: Boolean(row.unique_invoice),
    relatingTo: row.relating_to ?? null,
    currency: row.currency,
  };
}

/** A stored item with its price and rate in the integer units the engine computes with. */
export function toPricedItem(row: OrderItemRow): EligibleItem {
  return {
    sku: row.sku,
    description: row.description,
    quantity: Number(row.quantity),
    unitPriceE4: Number(row.unit_cost_price_e4),
    taxRateBp: Number(row.tax_rate_bp),
  };
}
