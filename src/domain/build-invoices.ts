/**
 * From eligible orders to invoice drafts (SPEC §3): one invoice per currency, plus one for each order
 * that asks for a unique invoice. Lines, shipping, tax groups and totals are computed here, exactly,
 * in integer minor units; nothing downstream recomputes them.
 */
import { lineNetMinor, taxMinor } from './money.js';

export interface EligibleItem {
  sku: string;
  description: string;
  quantity: number;
  unitPriceE4: number;
  taxRateBp: number;
}

export interface EligibleOrder {
  id: number;
  number: string;
  currency: string;
  shippingMinor: number;
  uniqueInvoice: boolean;
  relatingTo: string | null;
  createdAt: number;
  items: EligibleItem[];
}

export interface DraftLine {
  position: number;
  orderId: number;
  orderNumber: string;
  sku: string;
  description: string;
  quantity: number;
  unitPriceE4: number;
  taxRateBp: number;
  /** The order's shipping, folded into this line (its first item); null on other lines */
  shippingMinor: number | null;
  /** round(quantity × unit price, 2) + shipping */
  netMinor: number;
}

export interface DraftTaxGroup {
  rateBp: number;
  netMinor: number;
  taxMinor: number;
}

export interface InvoiceDraft {
  currency: string;
  orders: EligibleOrder[];
  lines: DraftLine[];
  taxGroups: DraftTaxGroup[];
  netMinor: number;
  taxMinor: number;
  totalMinor: number;
}

/** Invoice order within a run: chronological, ties broken by order number, then id. */
export function compareOrders(a: EligibleOrder, b: EligibleOrder): number {
  return a.createdAt - b.createdAt || (a.number < b.number ? -1 : a.number > b.number ? 1 : 0) || a.id - b.id;
}

export const describeItem = (description: string, relatingTo: string | null): string => (relatingTo ? `${description} (for ${relatingTo})` : description);

export function computeDraft(currency: string, orders: EligibleOrder[]): InvoiceDraft {
  const lines: DraftLine[] = [];
  const groups = new Map<number, number>();
  let netMinor = 0;
  for (const order of orders) {
    order.items.forEach((item, index) => {
      const shippingMinor = index === 0 ? order.shippingMinor : null;
      const net = lineNetMinor(item.quantity, item.unitPriceE4) + (shippingMinor ?? 0);
      lines.push({
        position: lines.length + 1,
        orderId: order.id,
        orderNumber: order.number,
        sku: item.sku,
        description: describeItem(item.description, order.relatingTo),
        quantity: item.quantity,
        unitPriceE4: item.unitPriceE4,
        taxRateBp: item.taxRateBp,
        shippingMinor,
        netMinor: net,
      });
      groups.set(item.taxRateBp, (groups.get(item.taxRateBp) ?? 0) + net);
      netMinor += net;
    });
  }
  const taxGroups = [...groups.entries()]
    .sort(([a], [b]) => b - a)
    .map(([rateBp, groupNet]) => ({ rateBp, netMinor: groupNet, taxMinor: taxMinor(groupNet, rateBp) }));
  const tax = taxGroups.reduce((sum, g) => sum + g.taxMinor, 0);
  return { currency, orders, lines, taxGroups, netMinor, taxMinor: tax, totalMinor: netMinor + tax };
}

export function buildInvoiceDrafts(eligible: readonly EligibleOrder[]): InvoiceDraft[] {
  const sorted = [...eligible].sort(compareOrders);
  const byCurrency = new Map<string, EligibleOrder[]>();
  const unique: EligibleOrder[] = [];
  for (const order of sorted) {
    if (order.uniqueInvoice) {
      unique.push(order);
      continue;
    }
    let list = byCurrency.get(order.currency);
    if (!list) byCurrency.set(order.currency, (list = []));
    list.push(order);
  }
  const drafts = [...byCurrency.keys()].sort().map((currency) => computeDraft(currency, byCurrency.get(currency)!));
  for (const order of unique) drafts.push(computeDraft(order.currency, [order]));
  return drafts;
}
