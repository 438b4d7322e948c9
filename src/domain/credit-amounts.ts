/**
 * What a credit note credits (SPEC §8), rounded cumulatively so that nothing drifts and nothing goes
 * negative. After any credit note:
 *  - a line's credited net is round(credited units × unit price, 2), half-up, plus the shipping folded into
 *    the line once all of its units are credited;
 *  - a tax rate's credited tax is round(credited net of all the rate's lines × rate / 100, 2);
 * and a credit note carries how much each of those figures grew. So one full credit mirrors the invoice,
 * any sequence of credit notes sums per line and per rate to exactly the invoice once everything is
 * credited, and no amount is ever negative (both figures only grow with the units credited).
 */
import { lineNetMinor, taxMinor } from './money.js';

/** An invoice line with what its earlier credit notes credited. */
export interface CreditableLine {
  position: number;
  orderNumber: string;
  quantity: number;
  unitPriceE4: number;
  taxRateBp: number;
  /** The order's shipping when it is folded into this line, else null */
  shippingMinor: number | null;
  creditedQuantity: number;
  creditedNetMinor: number;
}

/** An invoice's tax group with what its earlier credit notes credited. */
export interface CreditableTaxGroup {
  rateBp: number;
  creditedNetMinor: number;
  creditedTaxMinor: number;
}

export interface CreditedLine {
  position: number;
  /** Units this credit note credits */
  quantity: number;
  /** The shipping this credit note credits (with the line's last unit), else null */
  shippingMinor: number | null;
  /** How much the line's credited net grows */
  netMinor: number;
  /** The line's credited units and net after this credit note */
  creditedQuantity: number;
  creditedNetMinor: number;
}

export interface CreditedTaxGroup {
  rateBp: number;
  netMinor: number;
  taxMinor: number;
  /** The rate's credited net and tax after this credit note */
  creditedNetMinor: number;
  creditedTaxMinor: number;
}

export interface CreditAmounts {
  /** In position order; only the lines this credit note credits */
  lines: CreditedLine[];
  /** Highest rate first; only the rates this credit note touches */
  taxGroups: CreditedTaxGroup[];
  netMinor: number;
  taxMinor: number;
  totalMinor: number;
}

/** A line's credited net once `units` of it are credited. */
export function creditedNetAfter(line: Pick<CreditableLine, 'quantity' | 'unitPriceE4' | 'shippingMinor'>, units: number): number {
  return lineNetMinor(units, line.unitPriceE4) + (units === line.quantity ? (line.shippingMinor ?? 0) : 0);
}

/**
 * The amounts of a credit note crediting `units` (by position) of an invoice's lines. `units` must name
 * lines of the invoice and ask for at most what remains of each (checked by the caller, who names the
 * offending selector).
 */
export function computeCreditAmounts(
  lines: readonly CreditableLine[],
  groups: readonly CreditableTaxGroup[],
  units: ReadonlyMap<number, number>,
): CreditAmounts {
  const credited: CreditedLine[] = [];
  const netGrowthByRate = new Map<number, number>();
  for (const line of [...lines].sort((a, b) => a.position - b.position)) {
    const add = units.get(line.position) ?? 0;
    if (add === 0) continue;
    const creditedQuantity = line.creditedQuantity + add;
    if (add < 0 || creditedQuantity > line.quantity)
      throw new RangeError(`line ${line.position}: cannot credit ${add} of ${line.quantity - line.creditedQuantity} remaining`);
    const creditedNetMinor = creditedNetAfter(line, creditedQuantity);
    const netMinor = creditedNetMinor - line.creditedNetMinor;
    credited.push({
      position: line.position,
      quantity: add,
      shippingMinor: creditedQuantity === line.quantity && line.shippingMinor !== null ? line.shippingMinor : null,
      netMinor,
      creditedQuantity,
      creditedNetMinor,
    });
    netGrowthByRate.set(line.taxRateBp, (netGrowthByRate.get(line.taxRateBp) ?? 0) + netMinor);
  }
  const taxGroups: CreditedTaxGroup[] = [];
  for (const group of [...groups].sort((a, b) => b.rateBp - a.rateBp)) {
    const netMinor = netGrowthByRate.get(group.rateBp);
    if (netMinor === undefined) continue;
    const creditedNetMinor = group.creditedNetMinor + netMinor;
    const creditedTaxMinor = taxMinor(creditedNetMinor, group.rateBp);
    taxGroups.push({ rateBp: group.rateBp, netMinor, taxMinor: creditedTaxMinor - group.creditedTaxMinor, creditedNetMinor, creditedTaxMinor });
  }
  const net = credited.reduce((s, l) => s + l.netMinor, 0);
  const tax = taxGroups.reduce((s, g) => s + g.taxMinor, 0);
  return { lines: credited, taxGroups, netMinor: net, taxMinor: tax, totalMinor: net + tax };
}

/** An invoice's status from its lines' credited units. */
export function invoiceStatus(lines: ReadonlyArray<Pick<CreditableLine, 'quantity' | 'creditedQuantity'>>): 'issued' | 'partially_credited' | 'credited' {
  if (lines.every((l) => l.creditedQuantity >= l.quantity)) return 'credited';
  return lines.some((l) => l.creditedQuantity > 0) ? 'partially_credited' : 'issued';
}
