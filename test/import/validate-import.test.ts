/**
 * The checks of a load that need more than one value, each on its own and together, without a
 * database: every problem with its file, JSON path and message.
 */
import { describe, expect, it } from 'vitest';
import type { StoredCompany, StoredSequence } from '../../src/db/import-reads.js';
import { buildCompanyGraph } from '../../src/import/company-graph.js';
import { importFileSchema } from '../../src/import/import-schema.js';
import { locateRecords, type LocatedImport } from '../../src/import/locate-records.js';
import { orderKey, type StoredOrder } from '../../src/import/resolve-orders.js';
import {
  checkDuplicateCompanies,
  checkIntegrationOwners,
  checkOneIntegrationPerType,
  checkParents,
  checkPricingStrategies,
  checkSharedSequences,
} from '../../src/import/validate-companies.js';
import { validateImport, type StoredState } from '../../src/import/validate-import.js';
import { checkDuplicateProducts } from '../../src/import/validate-products.js';
import { checkSequences } from '../../src/import/validate-sequences.js';
import { checkDuplicateUsers, checkPrimaryCompanies } from '../../src/import/validate-users.js';
import { dropship, order, product, supplier, type ImportDoc } from '../support/fixtures.js';

const loadOf = (...docs: ImportDoc[]): LocatedImport => locateRecords(docs.map((doc, i) => ({ file: `f${i}.json`, data: importFileSchema.parse(doc) })));

const storedCompany = (id: number, code: string, type: string, parentCode: string | null): StoredCompany => ({
  id,
  code,
  type,
  parentCode,
  tradeTier: null,
  currency: 'GBP',
  pricingStrategy: 'default',
});
/** SUPA (supplier, id 1) with RETB (dropship, id 2) below it, as stored */
const STORED_TREE = [storedCompany(1, 'SUPA', 'supplier', null), storedCompany(2, 'RETB', 'dropship', 'SUPA')];
const nothingStored = (companies: StoredCompany[] = []): StoredState => ({ companies, products: new Map(), sequences: new Map(), orders: new Map() });
const graphFor = (load: LocatedImport, stored: StoredCompany[] = STORED_TREE) =>
  buildCompanyGraph(
    stored,
    load.companies.map((c) => c.value),
  );

describe('company checks', () => {
  it('the same code twice, in one file or across files, names the later one and the earlier path', () => {
    const load = loadOf({ companies: [supplier('A'), supplier('B')] }, { companies: [supplier('X'), supplier('A')] });
    expect(checkDuplicateCompanies(load.companies)).toEqual([
      { file: 'f1.json', path: 'companies[1].code', message: 'company A appears twice in this load (also companies[0])' },
    ]);
  });

  it('a parent must exist, in the load or stored, and parents must not lead back to the company', () => {
    const load = loadOf({
      companies: [
        dropship('NEW', 'RETB'),
        dropship('LOST', 'NOPE'),
        supplier('C1', { parent: 'C2' }),
        supplier('C2', { parent: 'C1' }),
        supplier('SUPA', { parent: 'RETB' }),
      ],
    });
    expect(checkParents(load.companies, graphFor(load))).toEqual([
      { file: 'f0.json', path: 'companies[1].parent', message: 'unknown company "NOPE"' },
      { file: 'f0.json', path: 'companies[2].parent', message: 'parents form a cycle: C1 → C2 → C1' },
      { file: 'f0.json', path: 'companies[3].parent', message: 'parents form a cycle: C2 → C1 → C2' },
      // SUPA's stored child RETB becomes its parent
      { file: 'f0.json', path: 'companies[4].parent', message: 'parents form a cycle: SUPA → RETB → SUPA' },
    ]);
  });

  it('a stored parent is checked too when the load leaves parent out', () => {
    const { parent: _parent, ...noParent } = dropship('RETB', 'SUPA');
    const load = loadOf({ companies: [noParent] });
    expect(checkParents(load.companies, graphFor(load))).toEqual([]);
    const cyclic = [storedCompany(1, 'SUPA', 'supplier', 'RETB'), storedCompany(2, 'RETB', 'dropship', 'SUPA')];
    expect(checkParents(load.companies, graphFor(load, cyclic))).toEqual([
      { file: 'f0.json', path: 'companies[0].parent', message: 'parents form a cycle: RETB → SUPA → RETB' },
    ]);
  });

  it('only an admin company shares its sequence', () => {
    const load = loadOf({ companies: [{ code: 'ADM', name: 'Admin', type: 'admin', sharedSequence: true }, supplier('S', { sharedSequence: true })] });
    expect(checkSharedSequences(load.companies)).toEqual([
      { file: 'f0.json', path: 'companies[1].sharedSequence', message: 'only an admin company can share its sequence with the companies below it' },
    ]);
  });

  it('a pricing strategy must be a known one, whether given now or stored', () => {
    const load = loadOf({ companies: [supplier('S', { pricingStrategy: 'cheapest' }), supplier('SUPA')] });
    const stored = [{ ...STORED_TREE[0]!, pricingStrategy: 'retired' }];
    expect(checkPricingStrategies(load.companies, graphFor(load, stored))).toEqual([
      { file: 'f0.json', path: 'companies[0].pricingStrategy', message: 'unknown pricing strategy "cheapest" (known: default)' },
      { file: 'f0.json', path: 'companies[1].pricingStrategy', message: 'unknown pricing strategy "retired" (known: default)' },
    ]);
  });

  it('integrations belong to dropship and self-fulfilment companies, one of each type', () => {
    const emailer = { type: 'pdf-emailer', emailTo: 'a@b.example' };
    const load = loadOf({
      companies: [
        supplier('S', { integrations: [emailer] }),
        { code: 'ADM', name: 'Admin', type: 'admin', integrations: [emailer] },
        dropship('R', 'S', { integrations: [emailer, { type: 'xml-sftp', target: 'file:///srv/x' }, emailer] }),
        dropship('Q', 'S', { type: 'self_fulfilment', integrations: [emailer] }),
      ],
    });
    expect(checkIntegrationOwners(load.companies)).toEqual([
      {
        file: 'f0.json',
        path: 'companies[0].integrations',
        message: 'accounting integrations belong to dropship or self-fulfilment companies; S is a supplier',
      },
      {
        file: 'f0.json',
        path: 'companies[1].integrations',
        message: 'accounting integrations belong to dropship or self-fulfilment companies; ADM is an admin',
      },
    ]);
    expect(checkOneIntegrationPerType(load.companies)).toEqual([
      { file: 'f0.json', path: 'companies[2].integrations[2].type', message: 'a company has at most one pdf-emailer integration' },
    ]);
  });
});

describe('user and product checks', () => {
  it('a user is the same user whatever the case of the email; a primary company must exist', () => {
    const load = loadOf({
      users: [
        { email: 'Ann@x.example', name: 'Ann', primaryCompany: 'SUPA' },
        { email: 'ann@X.example', name: 'Ann again', primaryCompany: null },
        { email: 'bob@x.example', name: 'Bob', primaryCompany: 'GHOST' },
      ],
    });
    expect(checkDuplicateUsers(load.users)).toEqual([
      { file: 'f0.json', path: 'users[1].email', message: 'user ann@X.example appears twice in this load (also users[0])' },
    ]);
    expect(checkPrimaryCompanies(load.users, graphFor(load))).toEqual([
      { file: 'f0.json', path: 'users[2].primaryCompany', message: 'unknown company "GHOST"' },
    ]);
  });

  it('a SKU appears once', () => {
    const load = loadOf({ products: [product('A'), product('B'), product('A')] });
    expect(checkDuplicateProducts(load.products)).toEqual([
      { file: 'f0.json', path: 'products[2].sku', message: 'product A appears twice in this load (also products[0])' },
    ]);
  });
});

describe('sequence checks', () => {
  const issued = (n: number): StoredSequence => ({ prefix: 'SUPA-', padding: 6, nextValue: 1 + n, issued: n, creditNotePrefix: null, creditNotesIssued: 0 });

  it('nothing can change once a number has been issued; the same values again are fine', () => {
    const load = loadOf({
      companies: [
        supplier('SUPA', { sequence: { prefix: 'S/', padding: 8, next: 5 } }),
        supplier('SUPA', { sequence: { prefix: 'SUPA-', padding: 6, next: 1 } }),
      ],
    });
    const graph = graphFor(load);
    expect(checkSequences(load.companies, graph, new Map([[1, issued(3)]]))).toEqual(
      ['prefix', 'padding', 'next'].map((field) => ({
        file: 'f0.json',
        path: `companies[0].sequence.${field}`,
        message: "cannot change: SUPA's sequence has already issued 3 number(s)",
      })),
    );
    expect(checkSequences(load.companies, graph, new Map([[1, issued(0)]]))).toEqual([]);
  });
});

describe('validateImport', () => {
  it('lists every problem of a load, with its file and path, and no writes', () => {
    const load = loadOf(
      { companies: [dropship('NEW', 'NOPE')], users: [{ email: 'u@x.example', name: 'U', primaryCompany: 'GHOST' }] },
      { orders: [order('RETB', 'B-1'), order('RETB', 'B-1'), order('GHOST', 'G-1'), order('SUPA', 'S-1')] },
    );
    const result = validateImport(load, nothingStored(STORED_TREE));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => `${p.file}: ${p.path}`)).toEqual([
      'f0.json: companies[0].parent',
      'f0.json: users[0].primaryCompany',
      'f1.json: orders[1].number',
      'f1.json: orders[2].company',
      'f1.json: orders[3].company',
    ]);
  });

  it("lists the problems record by record, files in order, each record's in the order of the checks", () => {
    const load = loadOf(
      { companies: [supplier('S1', { sharedSequence: true, pricingStrategy: 'cheap' }), dropship('R1', 'NOPE')] },
      {
        companies: [
          dropship('R2', 'GONE', {
            integrations: [
              { type: 'pdf-emailer', emailTo: 'a@b.example' },
              { type: 'pdf-emailer', emailTo: 'c@b.example' },
            ],
          }),
          supplier('S1'),
        ],
      },
    );
    const result = validateImport(load, nothingStored());
    expect(!result.ok && result.problems.map((p) => `${p.file}: ${p.path}`)).toEqual([
      'f1.json: companies[1].code',
      'f0.json: companies[0].sharedSequence',
      'f0.json: companies[0].pricingStrategy',
      'f0.json: companies[1].parent',
      'f1.json: companies[0].parent',
      'f1.json: companies[0].integrations[1].type',
      // the second S1 keeps the strategy the first one gave
      'f1.json: companies[1].pricingStrategy',
    ]);
  });

  it('an invoiced order loaded again unchanged is counted, not written; with a change it is refused', () => {
    const load = loadOf({ orders: [order('RETB', 'B-1', { createdAt: '2026-11-02T10:00:00Z' })] });
    const first = validateImport(load, nothingStored(STORED_TREE));
    if (!first.ok) throw new Error('expected no problems');
    const { companyCode: _code, storedId: _id, ...content } = first.writes.orders[0]!;
    const stored = (s: StoredOrder): StoredState => ({ ...nothingStored(STORED_TREE), orders: new Map([[orderKey('RETB', 'B-1'), s]]) });

    const same = validateImport(load, stored({ id: 7, invoiced: true, content }));
    expect(same.ok && { orders: same.writes.orders, unchanged: same.writes.unchangedOrders }).toEqual({ orders: [], unchanged: 1 });

    const changed = validateImport(load, stored({ id: 7, invoiced: true, content: { ...content, shippingMinor: content.shippingMinor + 1 } }));
    expect(!changed.ok && changed.problems).toEqual([
      { file: 'f0.json', path: 'orders[0]', message: 'order B-1 of RETB is already invoiced and cannot be changed (issue a credit note instead)' },
    ]);

    const open = validateImport(load, stored({ id: 7, invoiced: false, content: undefined }));
    expect(open.ok && open.writes.orders.map((o) => o.storedId)).toEqual([7]);
  });

  it('plans the writes: stored ids, the sequence defaults of the domain, integrations, products in integer units', () => {
    const load = loadOf({
      companies: [
        supplier('NEWS', { sequence: {} }),
        dropship('NEWR', 'NEWS', { integrations: [{ type: 'pdf-emailer', emailTo: 'a@b.example', nextInvoiceAt: '2026-12-01T00:00:00Z' }] }),
      ],
      products: [product('P', { costPrice: '1.2345', taxRate: '5.5', tradeTierPrices: { gold: '1.00' } })],
      orders: [order('NEWR', 'N-1', { items: [{ sku: 'P', quantity: 2 }] })],
    });
    const result = validateImport(load, nothingStored(STORED_TREE));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const w = result.writes;
    expect([...w.storedCompanyIds]).toEqual([
      ['SUPA', 1],
      ['RETB', 2],
    ]);
    expect(w.sequences).toEqual([{ ownerCode: 'NEWS', stored: false, numbering: { prefix: 'NEWS-', padding: 6, nextValue: 1 } }]);
    expect(w.integrations).toEqual([
      expect.objectContaining({
        companyCode: 'NEWR',
        type: 'pdf-emailer',
        settings: { emailTo: 'a@b.example', emailBcc: null },
        nextInvoiceAt: Date.parse('2026-12-01T00:00:00Z'),
      }),
    ]);
    expect(w.products).toEqual([{ sku: 'P', name: 'T-shirt white M', taxRateBp: 550, costPriceE4: 12345, tierPricesE4: [['gold', 10000]] }]);
    // NEWR's tier is gold: the load's own product prices the item
    expect(w.orders[0]).toMatchObject({
      companyCode: 'NEWR',
      storedId: null,
      items: [{ sku: 'P', description: 'P', quantity: 2, unitPriceE4: 10000, taxRateBp: 550 }],
    });
    expect(w.companies[1]!.invoicing?.logo).toMatchObject({ mime: 'image/png', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string });
  });

  it('keeps a stored sequence value the load leaves out, and leaves a sequence that has issued numbers alone', () => {
    const load = loadOf({ companies: [supplier('SUPA', { sequence: { padding: 4 } })] });
    const withSequence = (s: StoredSequence): StoredState => ({ ...nothingStored(STORED_TREE), sequences: new Map([[1, s]]) });
    const open = validateImport(load, withSequence({ prefix: 'S/', padding: 6, nextValue: 40, issued: 0, creditNotePrefix: null, creditNotesIssued: 0 }));
    expect(open.ok && open.writes.sequences).toEqual([{ ownerCode: 'SUPA', stored: true, numbering: { prefix: 'S/', padding: 4, nextValue: 40 } }]);
    const used = validateImport(
      loadOf({ companies: [supplier('SUPA', { sequence: { padding: 6 } })] }),
      withSequence({ prefix: 'S/', padding: 6, nextValue: 40, issued: 2, creditNotePrefix: null, creditNotesIssued: 0 }),
    );
    expect(used.ok && used.writes.sequences).toEqual([]);
  });

  it('sets the credit-note prefix until a credit note is issued, even after invoices; never one that could repeat an invoice number', () => {
    const withSequence = (s: StoredSequence): StoredState => ({ ...nothingStored(STORED_TREE), sequences: new Map([[1, s]]) });
    const load = (sequence: { prefix?: string; creditNotePrefix?: string }) => loadOf({ companies: [supplier('SUPA', { sequence })] });
    const issued = (n: number): StoredSequence => ({ prefix: 'SUPA-', padding: 6, nextValue: 1 + n, issued: n, creditNotePrefix: null, creditNotesIssued: 0 });
    const invoicesOnly = validateImport(load({ creditNotePrefix: 'SUPA-CR-' }), withSequence({ ...issued(5) }));
    expect(invoicesOnly.ok && invoicesOnly.writes.sequences).toEqual([{ ownerCode: 'SUPA', stored: true, creditNotePrefix: 'SUPA-CR-' }]);
    const creditNotesToo = validateImport(load({ creditNotePrefix: 'SUPA-CR-' }), withSequence({ ...issued(5), creditNotesIssued: 1 }));
    expect(creditNotesToo.ok).toBe(false);
    expect(!creditNotesToo.ok && creditNotesToo.problems).toEqual([
      { file: 'f0.json', path: 'companies[0].sequence.creditNotePrefix', message: 'cannot change: SUPA has already issued 1 credit note(s)' },
    ]);
    // The same value again (the default, spelt out) is fine
    expect(validateImport(load({ creditNotePrefix: 'SUPA-CN-' }), withSequence({ ...issued(5), creditNotesIssued: 1 })).ok).toBe(true);
    for (const creditNotePrefix of ['SUPA-', 'SUPA-1', 'SUPA-000']) {
      const clash = validateImport(load({ creditNotePrefix }), withSequence(issued(0)));
      expect(!clash.ok && clash.problems.map((p) => p.path), creditNotePrefix).toEqual(['companies[0].sequence.creditNotePrefix']);
    }
    const prefixClash = validateImport(load({ prefix: 'SUPA-CN-' }), withSequence(issued(0)));
    expect(!prefixClash.ok && prefixClash.problems.map((p) => p.path)).toEqual(['companies[0].sequence.prefix']);
  });
});
