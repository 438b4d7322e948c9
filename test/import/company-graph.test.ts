/**
 * The company graph a load is checked against: the load laid over what is stored, parents, cycles and
 * the nearest supplier.
 */
import { describe, expect, it } from 'vitest';
import { buildCompanyGraph, findParentCycle, nearestSupplier, selfAndAncestors, type CompanyNode } from '../../src/import/company-graph.js';
import type { CompanyInput } from '../../src/import/import-schema.js';

const node = (code: string, type: string, parentCode: string | null, extra: Partial<CompanyNode> = {}): CompanyNode => ({
  code,
  type,
  parentCode,
  tradeTier: null,
  currency: null,
  pricingStrategy: 'default',
  id: null,
  ...extra,
});
const input = (c: Partial<CompanyInput> & Pick<CompanyInput, 'code' | 'type'>): CompanyInput => ({ name: c.code, ...c });

describe('buildCompanyGraph', () => {
  const stored = [
    node('ADM', 'admin', null, { id: 1 }),
    node('SUP', 'supplier', 'ADM', { id: 2, pricingStrategy: 'default' }),
    node('RET', 'dropship', 'SUP', { id: 3, tradeTier: 'gold', currency: 'EUR' }),
  ];

  it('keeps stored values for the fields a loaded company leaves out, and its stored id', () => {
    const graph = buildCompanyGraph(stored, [input({ code: 'RET', type: 'dropship' })]);
    expect(graph.get('RET')).toEqual(node('RET', 'dropship', 'SUP', { id: 3, tradeTier: 'gold', currency: 'EUR' }));
  });

  it('takes what the load gives, null included; a new company has no id and the default strategy', () => {
    const graph = buildCompanyGraph(stored, [
      input({ code: 'RET', type: 'self_fulfilment', parent: null, tradeTier: null, invoicing: { currency: 'GBP' } }),
      input({ code: 'NEW', type: 'dropship', parent: 'RET' }),
    ]);
    expect(graph.get('RET')).toEqual(node('RET', 'self_fulfilment', null, { id: 3, currency: 'GBP' }));
    expect(graph.get('NEW')).toEqual(node('NEW', 'dropship', 'RET'));
    expect(graph.get('ADM')).toEqual(stored[0]);
  });
});

describe('findParentCycle', () => {
  const graphOf = (...nodes: CompanyNode[]) => new Map(nodes.map((n) => [n.code, n]));

  it('is null when the parents end at a company without one, or at one not in the graph', () => {
    const graph = graphOf(node('A', 'admin', null), node('B', 'supplier', 'A'), node('C', 'dropship', 'B'), node('D', 'dropship', 'GONE'));
    expect(findParentCycle(graph, 'C')).toBeNull();
    expect(findParentCycle(graph, 'A')).toBeNull();
    expect(findParentCycle(graph, 'D')).toBeNull();
  });

  it('names the chain back to the company: itself, two, or three companies round', () => {
    expect(findParentCycle(graphOf(node('A', 'supplier', 'A')), 'A')).toEqual(['A', 'A']);
    expect(findParentCycle(graphOf(node('A', 'supplier', 'B'), node('B', 'supplier', 'A')), 'A')).toEqual(['A', 'B', 'A']);
    const three = graphOf(node('A', 'supplier', 'B'), node('B', 'supplier', 'C'), node('C', 'supplier', 'A'));
    expect(findParentCycle(three, 'B')).toEqual(['B', 'C', 'A', 'B']);
  });

  it('does not blame a company for a cycle above it that does not pass through it (and stops)', () => {
    const graph = graphOf(node('X', 'dropship', 'A'), node('A', 'supplier', 'B'), node('B', 'supplier', 'A'));
    expect(findParentCycle(graph, 'X')).toBeNull();
    expect(findParentCycle(graph, 'A')).toEqual(['A', 'B', 'A']);
  });
});

describe('nearestSupplier and selfAndAncestors', () => {
  const graph = new Map(
    [
      node('ADM', 'admin', null),
      node('SUP', 'supplier', 'ADM', { pricingStrategy: 'special' }),
      node('RET', 'dropship', 'SUP'),
      node('ORPHAN', 'dropship', 'ADM'),
    ].map((n) => [n.code, n]),
  );

  it('walks up from the company, nearest first', () => {
    expect(selfAndAncestors(graph, 'RET').map((n) => n.code)).toEqual(['RET', 'SUP', 'ADM']);
    expect(selfAndAncestors(graph, 'NOPE')).toEqual([]);
  });

  it('finds the supplier above a retailer, the supplier itself, or none', () => {
    expect(nearestSupplier(graph, 'RET')?.pricingStrategy).toBe('special');
    expect(nearestSupplier(graph, 'SUP')?.code).toBe('SUP');
    expect(nearestSupplier(graph, 'ORPHAN')).toBeNull();
  });

  it('stops on a cycle of parents', () => {
    const cyclic = new Map([node('A', 'dropship', 'B'), node('B', 'dropship', 'A')].map((n) => [n.code, n]));
    expect(selfAndAncestors(cyclic, 'A').map((n) => n.code)).toEqual(['A', 'B']);
    expect(nearestSupplier(cyclic, 'A')).toBeNull();
  });
});
