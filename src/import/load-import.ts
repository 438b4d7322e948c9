/**
 * `load`: checks an import against itself and the database, then writes it — all in one transaction, so
 * a load either happens whole or not at all. Records are upserted by natural key (company code, user
 * email, product SKU, company + order number).
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { chunk, dialectOf, inTransaction } from '../db/connect.js';
import { bulkInsert, consecutiveIdsGuaranteed, insertReturningIds } from '../db/bulk-insert.js';
import { toPricedItem, type OrderItemRow } from '../db/orders-repo.js';
import type { Problem } from '../domain/errors.js';
import { parseLogoDataUri } from '../domain/logo.js';
import { parseAmount, parseTaxRate, parseUnitPrice } from '../domain/money.js';
import { pricingStrategies, type PricedProduct } from '../domain/pricing.js';
import { parseInstant } from '../domain/text-rules.js';
import type { OperatorPolicy } from '../../config/index.js';
import { checkIntegrationPolicy } from './check-integration-policy.js';
import type { CompanyInput, IntegrationInput, OrderInput } from './import-schema.js';
import { inputErrorFor, type ImportSource } from './read-import-files.js';

export interface LoadSummary {
  companies: { inserted: number; updated: number };
  users: { inserted: number; updated: number };
  products: { inserted: number; updated: number };
  integrations: number;
  orders: { inserted: number; updated: number; unchanged: number };
  items: number;
}

export interface LoadOptions {
  now: number;
  /** Where integrations may point the server (SPEC §9); required when the load holds xml-sftp integrations */
  policy?: OperatorPolicy;
  onProgress?: (done: number, total: number) => void;
}

interface Located<T> {
  value: T;
  /** `file: orders[3]`-style prefix for messages */
  file: string;
  path: string;
}

interface CompanyNode {
  code: string;
  type: string;
  parentCode: string | null;
  tradeTier: string | null;
  currency: string | null;
  pricingStrategy: string;
  id: number | null;
}

interface ExistingCompanyRow {
  id: number;
  code: string;
  type: string;
  parent_id: number | null;
  trade_tier: string | null;
  inv_currency: string | null;
  pricing_strategy: string;
}

/** An order as it will be stored, with its items priced. */
interface OrderRecord {
  companyCode: string;
  number: string;
  source: string;
  status: string;
  onHold: boolean;
  hasErrors: boolean;
  errorText: string | null;
  uniqueInvoice: boolean;
  relatingTo: string | null;
  currency: string;
  shippingMinor: number;
  createdAt: number;
  dispatchedAt: number | null;
  items: Array<{ sku: string; description: string; quantity: number; unitPriceE4: number; taxRateBp: number }>;
}

class ProblemList {
  readonly items: Array<Problem & { file: string }> = [];
  add(file: string, path: string, message: string): void {
    this.items.push({ file, path, message });
  }
  throwIfAny(): void {
    if (this.items.length > 0) throw inputErrorFor(this.items);
  }
}

function locate<T>(sources: readonly ImportSource[], pick: (s: ImportSource) => readonly T[], name: string): Located<T>[] {
  const out: Located<T>[] = [];
  for (const source of sources) {
    const list = pick(source);
    for (let i = 0; i < list.length; i++) out.push({ value: list[i]!, file: source.file, path: `${name}[${i}]` });
  }
  return out;
}

const sha256 = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');

function nearestSupplier(graph: Map<string, CompanyNode>, code: string): CompanyNode | null {
  const seen = new Set<string>();
  let node = graph.get(code);
  while (node && !seen.has(node.code)) {
    seen.add(node.code);
    if (node.type === 'supplier') return node;
    node = node.parentCode ? graph.get(node.parentCode) : undefined;
  }
  return null;
}

export async function loadImport(db: Knex, sources: readonly ImportSource[], options: LoadOptions): Promise<LoadSummary> {
  const companies = locate(sources, (s) => s.data.companies, 'companies');
  const users = locate(sources, (s) => s.data.users, 'users');
  const products = locate(sources, (s) => s.data.products, 'products');
  const orders = locate(sources, (s) => s.data.orders, 'orders');
  const now = options.now;
  // Resolved on the file system before the transaction, so no lock waits on it
  const policyProblems = await checkIntegrationPolicy(options.policy, sources);

  return inTransaction(db, async (trx) => {
    const problems = new ProblemList();
    problems.items.push(...policyProblems);
    if (dialectOf(trx) === 'mysql') await lockCompanies(trx, [...companies.map((c) => c.value.code), ...orders.map((o) => o.value.company)]);

    // ---- companies: the graph as it will be after this load
    const existingRows = (await trx('companies').select(
      'id',
      'code',
      'type',
      'parent_id',
      'trade_tier',
      'inv_currency',
      'pricing_strategy',
    )) as ExistingCompanyRow[];
    const codeById = new Map(existingRows.map((r) => [r.id, r.code]));
    const graph = new Map<string, CompanyNode>();
    for (const r of existingRows) {
      graph.set(r.code, {
        code: r.code,
        type: r.type,
        parentCode: r.parent_id === null ? null : (codeById.get(r.parent_id) ?? null),
        tradeTier: r.trade_tier,
        currency: r.inv_currency,
        pricingStrategy: r.pricing_strategy,
        id: r.id,
      });
    }
    const companyFirstSeen = new Map<string, string>();
    for (const { value: c, file, path } of companies) {
      const earlier = companyFirstSeen.get(c.code);
      if (earlier) problems.add(file, `${path}.code`, `company ${c.code} appears twice in this load (also ${earlier})`);
      companyFirstSeen.set(c.code, path);
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
    for (const { value: c, file, path } of companies) {
      const node = graph.get(c.code)!;
      if (node.parentCode !== null) {
        if (!graph.has(node.parentCode)) {
          problems.add(file, `${path}.parent`, `unknown company "${node.parentCode}"`);
        } else {
          // Walk up: meeting this company again means the parents form a cycle
          const chain = [c.code];
          let cur = graph.get(node.parentCode);
          while (cur) {
            chain.push(cur.code);
            if (cur.code === c.code) {
              problems.add(file, `${path}.parent`, `parents form a cycle: ${chain.join(' → ')}`);
              break;
            }
            if (chain.length > graph.size + 1) break;
            cur = cur.parentCode ? graph.get(cur.parentCode) : undefined;
          }
        }
      }
      if (c.sharedSequence && c.type !== 'admin') {
        problems.add(file, `${path}.sharedSequence`, 'only an admin company can share its sequence with the companies below it');
      }
      if (!pricingStrategies.has(node.pricingStrategy)) {
        problems.add(
          file,
          `${path}.pricingStrategy`,
          `unknown pricing strategy "${node.pricingStrategy}" (known: ${[...pricingStrategies.keys()].join(', ')})`,
        );
      }
      if (c.integrations && c.integrations.length > 0) {
        if (c.type !== 'dropship' && c.type !== 'self_fulfilment') {
          problems.add(
            file,
            `${path}.integrations`,
            `accounting integrations belong to dropship or self-fulfilment companies; ${c.code} is ${c.type === 'admin' ? 'an' : 'a'} ${c.type}`,
          );
        }
        const types = new Set<string>();
        c.integrations.forEach((integ, j) => {
          if (types.has(integ.type)) problems.add(file, `${path}.integrations[${j}].type`, `a company has at most one ${integ.type} integration`);
          types.add(integ.type);
        });
      }
    }

    // ---- users
    const userFirstSeen = new Map<string, string>();
    for (const { value: u, file, path } of users) {
      const key = u.email.toLowerCase();
      const earlier = userFirstSeen.get(key);
      if (earlier) problems.add(file, `${path}.email`, `user ${u.email} appears twice in this load (also ${earlier})`);
      userFirstSeen.set(key, path);
      if (u.primaryCompany && !graph.has(u.primaryCompany)) {
        problems.add(file, `${path}.primaryCompany`, `unknown company "${u.primaryCompany}"`);
      }
    }

    // ---- products: those in the load, and those in the database that orders refer to
    const productBySku = new Map<string, PricedProduct>();
    const productFirstSeen = new Map<string, string>();
    for (const { value: p, file, path } of products) {
      const earlier = productFirstSeen.get(p.sku);
      if (earlier) problems.add(file, `${path}.sku`, `product ${p.sku} appears twice in this load (also ${earlier})`);
      productFirstSeen.set(p.sku, path);
      productBySku.set(p.sku, {
        sku: p.sku,
        costPriceE4: p.costPrice == null ? null : parseUnitPrice(p.costPrice),
        tierPricesE4: new Map(Object.entries(p.tradeTierPrices ?? {}).map(([k, v]) => [k, parseUnitPrice(v)!])),
      });
    }
    const productTaxBp = new Map<string, number>();
    for (const { value: p } of products) productTaxBp.set(p.sku, parseTaxRate(p.taxRate)!);
    const wantedSkus = new Set<string>();
    for (const { value: o } of orders) for (const it of o.items) if (!productBySku.has(it.sku)) wantedSkus.add(it.sku);
    for (const skus of chunk([...wantedSkus], 500)) {
      const rows = (await trx('products').whereIn('sku', skus).select('id', 'sku', 'cost_price_e4', 'tax_rate_bp')) as Array<{
        id: number;
        sku: string;
        cost_price_e4: number | null;
        tax_rate_bp: number;
      }>;
      const tiers = (await trx('product_tier_prices')
        .whereIn(
          'product_id',
          rows.map((r) => r.id),
        )
        .select('product_id', 'tier', 'price_e4')) as Array<{ product_id: number; tier: string; price_e4: number }>;
      for (const r of rows) {
        productBySku.set(r.sku, {
          sku: r.sku,
          costPriceE4: r.cost_price_e4 === null ? null : Number(r.cost_price_e4),
          tierPricesE4: new Map(tiers.filter((t) => t.product_id === r.id).map((t) => [t.tier, Number(t.price_e4)])),
        });
        productTaxBp.set(r.sku, r.tax_rate_bp);
      }
    }

    // ---- orders: references, prices, currencies
    const records: Array<{ record: OrderRecord; file: string; path: string }> = [];
    const orderFirstSeen = new Map<string, string>();
    for (const { value: o, file, path } of orders) {
      const key = `${o.company}\u0000${o.number}`;
      const earlier = orderFirstSeen.get(key);
      if (earlier) problems.add(file, `${path}.number`, `order ${o.number} of ${o.company} appears twice in this load (also ${earlier})`);
      orderFirstSeen.set(key, path);
      const company = graph.get(o.company);
      if (!company) {
        problems.add(file, `${path}.company`, `unknown company "${o.company}"`);
        continue;
      }
      if (company.type !== 'dropship' && company.type !== 'self_fulfilment') {
        problems.add(
          file,
          `${path}.company`,
          `orders belong to dropship or self-fulfilment companies; ${o.company} is ${company.type === 'admin' ? 'an' : 'a'} ${company.type}`,
        );
        continue;
      }
      const record = toOrderRecord(o, company, graph, productBySku, productTaxBp, (p, m) => problems.add(file, `${path}${p}`, m));
      if (record) records.push({ record, file, path });
    }

    // ---- sequences: frozen once a number has been issued
    const sequenceInputs = companies.filter((c) => c.value.sequence);
    const existingSequences = new Map<number, { prefix: string; padding: number; next_value: number; issued: number }>();
    const ownerIds = sequenceInputs.map((c) => graph.get(c.value.code)?.id).filter((id): id is number => typeof id === 'number');
    for (const ids of chunk(ownerIds, 500)) {
      const rows = (await trx('sequences').whereIn('owner_company_id', ids).select('owner_company_id', 'prefix', 'padding', 'next_value', 'issued')) as Array<{
        owner_company_id: number;
        prefix: string;
        padding: number;
        next_value: number;
        issued: number;
      }>;
      for (const r of rows) existingSequences.set(r.owner_company_id, { ...r, next_value: Number(r.next_value), issued: Number(r.issued) });
    }
    for (const { value: c, file, path } of sequenceInputs) {
      const id = graph.get(c.code)?.id;
      const seq = id === undefined || id === null ? undefined : existingSequences.get(id);
      if (!seq || seq.issued === 0) continue;
      const s = c.sequence!;
      const frozen = (field: string) =>
        problems.add(file, `${path}.sequence.${field}`, `cannot change: ${c.code}'s sequence has already issued ${seq.issued} number(s)`);
      if (s.prefix !== undefined && s.prefix !== seq.prefix) frozen('prefix');
      if (s.padding !== undefined && s.padding !== seq.padding) frozen('padding');
      // `next` in a file is where the sequence starts; numbering is gap-free, so it started at next − issued
      if (s.next !== undefined && s.next !== seq.next_value - seq.issued) frozen('next');
    }

    // ---- orders already stored: invoiced ones are immutable
    const existingOrders = await findExistingOrders(
      trx,
      records.map((r) => r.record),
      graph,
    );
    const toWrite: OrderRecord[] = [];
    let unchanged = 0;
    const invoicedIds: number[] = [];
    for (const r of records) {
      const existing = existingOrders.get(`${r.record.companyCode}\u0000${r.record.number}`);
      if (existing && existing.invoice_id !== null) invoicedIds.push(existing.id);
    }
    const storedInvoiced = await readStoredOrders(trx, invoicedIds);
    for (const r of records) {
      const existing = existingOrders.get(`${r.record.companyCode}\u0000${r.record.number}`);
      if (existing && existing.invoice_id !== null) {
        const stored = storedInvoiced.get(existing.id);
        if (stored && sameOrder(stored, r.record)) {
          unchanged++;
          continue;
        }
        problems.add(
          r.file,
          r.path,
          `order ${r.record.number} of ${r.record.companyCode} is already invoiced and cannot be changed (issue a credit note instead)`,
        );
        continue;
      }
      toWrite.push(r.record);
    }

    problems.throwIfAny();

    // ---- writes
    const summary: LoadSummary = {
      companies: { inserted: 0, updated: 0 },
      users: { inserted: 0, updated: 0 },
      products: { inserted: 0, updated: 0 },
      integrations: 0,
      orders: { inserted: 0, updated: 0, unchanged },
      items: 0,
    };
    const companyIds = await writeCompanies(
      trx,
      companies.map((c) => c.value),
      graph,
      now,
      summary,
    );
    await writeSequences(
      trx,
      sequenceInputs.map((c) => c.value),
      companyIds,
      existingSequences,
      now,
    );
    await writeIntegrations(
      trx,
      companies.map((c) => c.value),
      companyIds,
      now,
      summary,
    );
    await writeUsers(
      trx,
      users.map((u) => u.value),
      companyIds,
      now,
      summary,
    );
    await writeProducts(
      trx,
      products.map((p) => p.value),
      now,
      summary,
    );
    await writeOrders(trx, toWrite, companyIds, existingOrders, now, summary, options.onProgress);
    return summary;
  });
}

function toOrderRecord(
  o: OrderInput,
  company: CompanyNode,
  graph: Map<string, CompanyNode>,
  products: Map<string, PricedProduct>,
  productTaxBp: Map<string, number>,
  problem: (path: string, message: string) => void,
): OrderRecord | null {
  let ok = true;
  const currency = o.currency ?? company.currency;
  if (!currency) {
    problem('.currency', `is required: ${o.company} has no invoicing currency to default to`);
    ok = false;
  }
  const createdAt = parseInstant(o.createdAt)!;
  const dispatchedAt = o.dispatchedAt ? parseInstant(o.dispatchedAt) : null;
  const strategyName = nearestSupplier(graph, company.code)?.pricingStrategy ?? 'default';
  const strategy = pricingStrategies.get(strategyName) ?? pricingStrategies.get('default')!;
  const items: OrderRecord['items'] = [];
  o.items.forEach((it, j) => {
    const product = products.get(it.sku) ?? null;
    let price: number | string;
    if (it.unitCostPrice != null) price = parseUnitPrice(it.unitCostPrice)!;
    else price = strategy.unitCostPrice({ tradeTier: company.tradeTier, product });
    if (typeof price === 'string') {
      problem(`.items[${j}].unitCostPrice`, price);
      ok = false;
    }
    let taxRateBp: number | undefined;
    if (it.taxRate != null) taxRateBp = parseTaxRate(it.taxRate)!;
    else taxRateBp = productTaxBp.get(it.sku);
    if (taxRateBp === undefined) {
      problem(`.items[${j}].taxRate`, `is required: SKU ${it.sku} is not a known product to take the rate from`);
      ok = false;
    }
    if (ok) {
      items.push({
        sku: it.sku,
        description: it.description ?? it.sku,
        quantity: it.quantity,
        unitPriceE4: price as number,
        taxRateBp: taxRateBp!,
      });
    }
  });
  if (!ok) return null;
  return {
    companyCode: o.company,
    number: o.number,
    source: o.source,
    status: o.status,
    onHold: o.onHold,
    hasErrors: o.hasErrors,
    errorText: o.errorText ?? null,
    uniqueInvoice: o.uniqueInvoice,
    relatingTo: o.relatingTo ?? null,
    currency: currency!,
    shippingMinor: parseAmount(o.shippingCost)!,
    createdAt,
    dispatchedAt,
    items,
  };
}

/**
 * MySQL: locks the stored companies this load names (its companies, and those its orders belong to)
 * before it reads or writes anything, in id order as the invoicing transaction locks them. A run of one
 * of these companies that is under way finishes first, so its orders are then seen invoiced and a change
 * to them is refused; no run starts on them until the load commits; and as both lock companies first and
 * in the same order, a load and a run cannot deadlock. (SQLite has one writer at a time.)
 */
async function lockCompanies(trx: Knex.Transaction, codes: string[]): Promise<void> {
  const ids: number[] = [];
  for (const part of chunk([...new Set(codes)], 1000)) {
    for (const r of (await trx('companies').whereIn('code', part).select('id')) as Array<{ id: number | string }>) ids.push(Number(r.id));
  }
  ids.sort((a, b) => a - b);
  for (const part of chunk(ids, 1000)) await trx('companies').whereIn('id', part).orderBy('id').select('id').forUpdate();
}

interface ExistingOrder {
  id: number;
  company_id: number;
  number: string;
  invoice_id: number | null;
}

async function findExistingOrders(trx: Knex.Transaction, records: OrderRecord[], graph: Map<string, CompanyNode>): Promise<Map<string, ExistingOrder>> {
  const found = new Map<string, ExistingOrder>();
  const byCompany = new Map<number, { code: string; numbers: string[] }>();
  for (const r of records) {
    const id = graph.get(r.companyCode)?.id;
    if (id == null) continue; // a company new in this load has no stored orders
    let entry = byCompany.get(id);
    if (!entry) byCompany.set(id, (entry = { code: r.companyCode, numbers: [] }));
    entry.numbers.push(r.number);
  }
  // Which of these companies have any stored orders at all (a first load of their orders needs no look-up)
  const withOrders = new Set<number>();
  for (const part of chunk([...byCompany.keys()], 500)) {
    const rows = (await trx('orders').whereIn('company_id', part).distinct('company_id')) as Array<{ company_id: number }>;
    for (const row of rows) withOrders.add(Number(row.company_id));
  }
  for (const [companyId, { code, numbers }] of byCompany) {
    if (!withOrders.has(companyId)) continue;
    for (const part of chunk(numbers, 500)) {
      const rows = (await trx('orders')
        .where('company_id', companyId)
        .whereIn('number', part)
        .select('id', 'company_id', 'number', 'invoice_id')) as ExistingOrder[];
      for (const row of rows) found.set(`${code}\u0000${row.number}`, row);
    }
  }
  return found;
}

async function readStoredOrders(trx: Knex.Transaction, ids: number[]): Promise<Map<number, OrderRecord>> {
  const out = new Map<number, OrderRecord>();
  for (const part of chunk(ids, 500)) {
    const rows = await trx('orders').whereIn('id', part).select('*');
    const items = (await trx('order_items').whereIn('order_id', part).orderBy(['order_id', 'position']).select('*')) as OrderItemRow[];
    for (const r of rows) {
      out.set(Number(r.id), {
        companyCode: '',
        number: r.number,
        source: r.source,
        status: r.status,
        onHold: Boolean(r.on_hold),
        hasErrors: Boolean(r.has_errors),
        errorText: r.error_text,
        uniqueInvoice: Boolean(r.unique_invoice),
        relatingTo: r.relating_to,
        currency: r.currency,
        shippingMinor: Number(r.shipping_minor),
        createdAt: Number(r.created_at),
        dispatchedAt: r.dispatched_at === null ? null : Number(r.dispatched_at),
        items: [],
      });
    }
    for (const it of items) {
      out.get(Number(it.order_id))?.items.push(toPricedItem(it));
    }
  }
  return out;
}

function sameOrder(a: OrderRecord, b: OrderRecord): boolean {
  const strip = (r: OrderRecord) => JSON.stringify({ ...r, companyCode: '' });
  return strip(a) === strip(b);
}

// ---------------------------------------------------------------------------------------------- writes

async function writeCompanies(
  trx: Knex.Transaction,
  companies: CompanyInput[],
  graph: Map<string, CompanyNode>,
  now: number,
  summary: LoadSummary,
): Promise<Map<string, number>> {
  for (const c of companies) {
    const logo = c.invoicing?.logo ? parseLogoDataUri(c.invoicing.logo) : null;
    let logoSha: string | null | undefined = undefined;
    if (logo && typeof logo !== 'string') {
      logoSha = sha256(logo.data);
      await trx('blobs')
        .insert({ sha256: logoSha, mime: logo.mime, data_base64: Buffer.from(logo.data).toString('base64') })
        .onConflict('sha256')
        .ignore();
    } else if (c.invoicing && c.invoicing.logo === null) {
      logoSha = null;
    }
    const row: Record<string, unknown> = {
      code: c.code,
      name: c.name,
      type: c.type,
      updated_at: now,
    };
    const set = (column: string, value: unknown) => {
      if (value !== undefined) row[column] = value;
    };
    set('timezone', c.timezone);
    set('email', c.email);
    set('trade_tier', c.tradeTier);
    set('vat_number', c.vatNumber);
    if (c.endpoint !== undefined) {
      row.endpoint_scheme = c.endpoint?.scheme ?? null;
      row.endpoint_id = c.endpoint?.id ?? null;
    }
    if (c.address !== undefined) row.address = c.address === null ? null : JSON.stringify(c.address);
    set('shared_sequence', c.sharedSequence);
    set('pricing_strategy', c.pricingStrategy);
    if (c.invoicing) {
      set('inv_currency', c.invoicing.currency);
      set('payment_terms_days', c.invoicing.paymentTermsDays);
      set('payment_details', c.invoicing.paymentDetails);
      set('iban', c.invoicing.iban);
      set('bic', c.invoicing.bic);
      set('layout', c.invoicing.layout);
      set('logo_sha256', logoSha);
    }
    const existingId = graph.get(c.code)?.id;
    if (existingId != null) {
      await trx('companies').where('id', existingId).update(row);
      summary.companies.updated++;
    } else {
      await trx('companies').insert({ ...row, created_at: now });
      summary.companies.inserted++;
    }
  }
  const ids = new Map<string, number>();
  const rows = (await trx('companies').select('id', 'code')) as Array<{ id: number; code: string }>;
  for (const r of rows) ids.set(r.code, r.id);
  // Parents are set once every company of the load has an id (a parent may come later in the file)
  for (const c of companies) {
    if (c.parent === undefined) continue;
    await trx('companies')
      .where('id', ids.get(c.code)!)
      .update({ parent_id: c.parent === null ? null : ids.get(c.parent)! });
  }
  return ids;
}

async function writeSequences(
  trx: Knex.Transaction,
  companies: CompanyInput[],
  ids: Map<string, number>,
  existing: Map<number, { prefix: string; padding: number; next_value: number; issued: number }>,
  now: number,
): Promise<void> {
  for (const c of companies) {
    const ownerId = ids.get(c.code)!;
    const s = c.sequence!;
    const old = existing.get(ownerId);
    if (old && old.issued > 0) continue; // unchanged (checked above)
    const row = {
      prefix: s.prefix ?? old?.prefix ?? `${c.code}-`,
      padding: s.padding ?? old?.padding ?? 6,
      next_value: s.next ?? old?.next_value ?? 1,
      updated_at: now,
    };
    if (old) await trx('sequences').where('owner_company_id', ownerId).update(row);
    else await trx('sequences').insert({ ...row, owner_company_id: ownerId, issued: 0, created_at: now });
  }
}

function integrationSettings(i: IntegrationInput): Record<string, unknown> {
  if (i.type === 'pdf-emailer') return { emailTo: i.emailTo, emailBcc: i.emailBcc ?? null };
  return {
    target: i.target,
    privateKeyFile: i.privateKeyFile ?? null,
    passwordEnv: i.passwordEnv ?? null,
    hostKeySha256: i.hostKeySha256 ?? null,
    includePdf: i.includePdf,
  };
}

async function writeIntegrations(trx: Knex.Transaction, companies: CompanyInput[], ids: Map<string, number>, now: number, summary: LoadSummary): Promise<void> {
  // The stored integrations of these companies, read once
  const stored = new Map<string, number>();
  const companyIds = companies.filter((c) => c.integrations?.length).map((c) => ids.get(c.code)!);
  for (const part of chunk(companyIds, 500)) {
    const rows = (await trx('integrations').whereIn('company_id', part).select('id', 'company_id', 'type')) as Array<{
      id: number;
      company_id: number;
      type: string;
    }>;
    for (const r of rows) stored.set(`${r.company_id}\u0000${r.type}`, Number(r.id));
  }
  for (const c of companies) {
    for (const i of c.integrations ?? []) {
      const companyId = ids.get(c.code)!;
      const row: Record<string, unknown> = {
        enabled: i.enabled,
        include_orders_with_errors: i.includeOrdersWithErrors,
        starting_from: i.startingFrom ?? null,
        schedule: i.schedule ?? null,
        settings: JSON.stringify(integrationSettings(i)),
        updated_at: now,
      };
      // An explicit nextInvoiceAt is taken; null keeps the one the scheduler computed
      if (i.nextInvoiceAt) row.next_invoice_at = parseInstant(i.nextInvoiceAt);
      const existingId = stored.get(`${companyId}\u0000${i.type}`);
      if (existingId !== undefined) await trx('integrations').where('id', existingId).update(row);
      else await trx('integrations').insert({ ...row, company_id: companyId, type: i.type, created_at: now });
      summary.integrations++;
    }
  }
}

async function writeUsers(
  trx: Knex.Transaction,
  users: Array<{ email: string; name: string; primaryCompany?: string | null | undefined }>,
  ids: Map<string, number>,
  now: number,
  summary: LoadSummary,
): Promise<void> {
  for (const u of users) {
    const row: Record<string, unknown> = { email: u.email, name: u.name, updated_at: now };
    if (u.primaryCompany !== undefined) row.primary_company_id = u.primaryCompany === null ? null : ids.get(u.primaryCompany)!;
    const existing = await trx('users').whereRaw('lower(email) = ?', [u.email.toLowerCase()]).first('id');
    if (existing) {
      await trx('users').where('id', existing.id).update(row);
      summary.users.updated++;
    } else {
      await trx('users').insert({ ...row, created_at: now });
      summary.users.inserted++;
    }
  }
}

async function writeProducts(
  trx: Knex.Transaction,
  products: Array<{ sku: string; name: string; taxRate: string; costPrice?: string | null | undefined; tradeTierPrices?: Record<string, string> | undefined }>,
  now: number,
  summary: LoadSummary,
): Promise<void> {
  for (const p of products) {
    const row: Record<string, unknown> = {
      sku: p.sku,
      name: p.name,
      tax_rate_bp: parseTaxRate(p.taxRate)!,
      cost_price_e4: p.costPrice == null ? null : parseUnitPrice(p.costPrice)!,
      updated_at: now,
    };
    const existing = await trx('products').where('sku', p.sku).first('id');
    let id: number;
    if (existing) {
      id = existing.id;
      await trx('products').where('id', id).update(row);
      summary.products.updated++;
    } else {
      await trx('products').insert({ ...row, created_at: now });
      id = (await trx('products').where('sku', p.sku).first('id')).id;
      summary.products.inserted++;
    }
    if (p.tradeTierPrices !== undefined) {
      await trx('product_tier_prices').where('product_id', id).delete();
      const tiers = Object.entries(p.tradeTierPrices).map(([tier, price]) => ({ product_id: id, tier, price_e4: parseUnitPrice(price)! }));
      if (tiers.length > 0) await trx('product_tier_prices').insert(tiers);
    }
  }
}

const ORDER_COLUMNS = [
  'company_id',
  'number',
  'source',
  'status',
  'on_hold',
  'has_errors',
  'error_text',
  'unique_invoice',
  'relating_to',
  'currency',
  'shipping_minor',
  'created_at',
  'dispatched_at',
  'updated_at',
] as const;
const ITEM_COLUMNS = ['order_id', 'position', 'sku', 'description', 'quantity', 'unit_cost_price_e4', 'tax_rate_bp'] as const;

async function writeOrders(
  trx: Knex.Transaction,
  records: OrderRecord[],
  companyIds: Map<string, number>,
  existing: Map<string, ExistingOrder>,
  now: number,
  summary: LoadSummary,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const orderBatch = 2000;
  let done = 0;
  const derivableIds = await consecutiveIdsGuaranteed(trx);
  onProgress?.(0, records.length);
  for (const part of chunk(records, orderBatch)) {
    const updatedIds: number[] = [];
    const rows = part.map((r) => {
      const companyId = companyIds.get(r.companyCode)!;
      const old = existing.get(`${r.companyCode}\u0000${r.number}`);
      if (old) updatedIds.push(old.id);
      return {
        company_id: companyId,
        number: r.number,
        source: r.source,
        status: r.status,
        on_hold: r.onHold,
        has_errors: r.hasErrors,
        error_text: r.errorText,
        unique_invoice: r.uniqueInvoice,
        relating_to: r.relatingTo,
        currency: r.currency,
        shipping_minor: r.shippingMinor,
        created_at: r.createdAt,
        dispatched_at: r.dispatchedAt,
        updated_at: now,
      };
    });
    summary.orders.updated += updatedIds.length;
    summary.orders.inserted += part.length - updatedIds.length;
    const idByKey = new Map<string, number>();
    if (updatedIds.length === 0 && derivableIds) {
      const ids = await insertReturningIds(
        trx,
        'orders',
        ORDER_COLUMNS,
        rows.map((r) => ORDER_COLUMNS.map((c) => r[c])),
      );
      rows.forEach((row, i) => idByKey.set(`${row.company_id}\u0000${row.number}`, ids[i]!));
    } else {
      if (updatedIds.length > 0) {
        await trx('order_items').whereIn('order_id', updatedIds).delete();
        await trx('orders')
          .insert(rows)
          .onConflict(['company_id', 'number'])
          .merge(ORDER_COLUMNS.filter((c) => c !== 'company_id' && c !== 'number'));
      } else {
        await bulkInsert(
          trx,
          'orders',
          ORDER_COLUMNS,
          rows.map((r) => ORDER_COLUMNS.map((c) => r[c])),
        );
      }
      // Read the ids back by natural key
      const byCompany = new Map<number, string[]>();
      for (const row of rows) {
        let list = byCompany.get(row.company_id);
        if (!list) byCompany.set(row.company_id, (list = []));
        list.push(row.number);
      }
      for (const [companyId, numbers] of byCompany) {
        const found = (await trx('orders').where('company_id', companyId).whereIn('number', numbers).select('id', 'number')) as Array<{
          id: number;
          number: string;
        }>;
        for (const f of found) idByKey.set(`${companyId}\u0000${f.number}`, Number(f.id));
      }
    }
    const itemRows: unknown[][] = [];
    for (const r of part) {
      const orderId = idByKey.get(`${companyIds.get(r.companyCode)!}\u0000${r.number}`)!;
      r.items.forEach((it, position) => {
        itemRows.push([orderId, position, it.sku, it.description, it.quantity, it.unitPriceE4, it.taxRateBp]);
      });
    }
    await bulkInsert(trx, 'order_items', ITEM_COLUMNS, itemRows);
    summary.items += itemRows.length;
    done += part.length;
    onProgress?.(done, records.length);
  }
}
