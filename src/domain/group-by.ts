/**
 * Items grouped by a numeric key (an invoice's lines by invoice id, a company's orders by company id), each
 * group in the order the items came. (Map.groupBy arrives with Node 21.)
 */
export function groupBy<T>(items: readonly T[], key: (item: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const list = out.get(key(item));
    if (list) list.push(item);
    else out.set(key(item), [item]);
  }
  return out;
}
