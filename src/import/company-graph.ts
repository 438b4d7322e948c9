/**
 * The company graph as it will be after a load: the stored companies it touches, with the load's
 * companies laid over them. Pure: parents, cycles, nearest supplier.
 */
import type { StoredCompany } from '../db/import-reads.js';
import type { CompanyInput } from './import-schema.js';

/** A company of the graph: as stored, or new in this load (its id then null) */
export type CompanyNode = Omit<StoredCompany, 'id'> & { id: number | null };

export type CompanyGraph = ReadonlyMap<string, CompanyNode>;

/**
 * `stored` must hold every stored company the load names and all their ancestors; a field the load
 * leaves out keeps its stored value.
 */
export function buildCompanyGraph(stored: readonly CompanyNode[], loaded: readonly CompanyInput[]): CompanyGraph {
  const graph = new Map<string, CompanyNode>();
  for (const node of stored) graph.set(node.code, node);
  for (const c of loaded) {
    const old = graph.get(c.code);
    graph.set(c.code, {
      code: c.code,
      type: c.type,
      parentCode: c.parent === undefined ? (old?.parentCode ?? null) : c.parent,
      tradeTier: c.tradeTier === undefined ? (old?.tradeTier ?? null) : c.tradeTier,
      currency: c.invoicing?.currency ?? old?.currency ?? null,
      pricingStrategy: c.pricingStrategy ?? old?.pricingStrategy ?? 'default',
      id: old?.id ?? null,
    });
  }
  return graph;
}

/** The companies from `code` up through its parents, nearest first, each once. */
export function selfAndAncestors(graph: CompanyGraph, code: string): CompanyNode[] {
  const out: CompanyNode[] = [];
  const seen = new Set<string>();
  let node = graph.get(code);
  while (node && !seen.has(node.code)) {
    seen.add(node.code);
    out.push(node);
    node = node.parentCode === null ? undefined : graph.get(node.parentCode);
  }
  return out;
}

/**
 * The chain of parents that leads from `code` back to itself (`A → B → A`), or null when its parents
 * end at a company without one. A cycle further up that does not pass through `code` is that other
 * company's cycle, not this one's.
 */
export function findParentCycle(graph: CompanyGraph, code: string): string[] | null {
  const chain = [code];
  const seen = new Set<string>([code]);
  let node = graph.get(code);
  while (node?.parentCode != null) {
    chain.push(node.parentCode);
    if (node.parentCode === code) return chain;
    if (seen.has(node.parentCode)) return null;
    seen.add(node.parentCode);
    node = graph.get(node.parentCode);
  }
  return null;
}

/** The company itself if it is a supplier, else its nearest ancestor that is one. */
export function nearestSupplier(graph: CompanyGraph, code: string): CompanyNode | null {
  return selfAndAncestors(graph, code).find((n) => n.type === 'supplier') ?? null;
}
