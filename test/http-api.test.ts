/**
 * The HTTP API of SPEC §7 on both databases, through fastify's inject() (the same handlers `serve`
 * listens with): token auth and company scope, order paging/ordering/search/filters, one validation path
 * with `load`, immutability of invoiced orders, integration settings, a manual run and its artefacts,
 * run history. One test starts the real binary.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/domain/clock.js';
import { injectAs, startApi } from './support/api.js';
import { parseJsonOutput, runCli, startCli } from './support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { dropship, order, product, supplier, writeJson, type ImportDoc } from './support/fixtures.js';

const AT = Date.parse('2026-11-21T12:00:00Z');

interface OrderJson {
  id: number;
  company: string;
  number: string;
  status: string;
  onHold: boolean;
  invoiced: boolean;
  invoice: string | null;
  createdAt: string;
  shippingCost: string;
  relatingTo: string | null;
  items: Array<{ sku: string; description: string; quantity: number; unitCostPrice: string; taxRate: string }>;
}
interface Page<T> {
  items: T[];
  count: number;
}
interface ErrorJson {
  error: { code: string; message: string; problems: Array<{ path: string; message: string }> };
}

/** B-01 … B-12: numbers and creation days in different orders (day = 5n mod 13 + 1), so the two sorts differ. */
const retbOrders = Array.from({ length: 12 }, (_, i) => {
  const n = i + 1;
  const day = ((n * 5) % 13) + 1;
  return order('RETB', `B-${String(n).padStart(2, '0')}`, {
    createdAt: `2026-11-${String(day).padStart(2, '0')}T10:00:00Z`,
    ...(n === 3 ? { items: [{ sku: 'MUG', description: 'Mug from Łódź', quantity: 1, unitCostPrice: '3.00', taxRate: '20' }] } : {}),
    ...(n === 4 ? { relatingTo: 'shop-50%-off' } : {}),
  });
});

function dataset(dropDir: string): ImportDoc {
  return {
    companies: [
      { code: 'ADM1', name: 'Admin One', type: 'admin', parent: null },
      supplier('SUPA', { parent: 'ADM1', sequence: { prefix: 'SUPA-', padding: 6, next: 1 } }),
      dropship('RETB', 'SUPA', { integrations: [{ type: 'pdf-emailer', enabled: false, emailTo: 'ap@retb.example', emailBcc: 'a@x.example' }] }),
      dropship('RETC', 'SUPA'),
      dropship('RETD', 'SUPA', {
        name: 'Retailer D — Łódź',
        integrations: [
          { type: 'pdf-emailer', enabled: true, emailTo: 'ap@retd.example' },
          { type: 'xml-sftp', enabled: true, target: `file://${dropDir}`, includePdf: true },
        ],
      }),
      supplier('SUPX', { parent: null }),
      dropship('RETX', 'SUPX'),
    ],
    users: [
      { email: 'ann@supa.example', name: 'Ann', primaryCompany: 'SUPA' },
      { email: 'xav@supx.example', name: 'Xav', primaryCompany: 'SUPX' },
    ],
    products: [product('TS-WHT-M'), product('MUG', { name: 'Mug', taxRate: '20', costPrice: '3.00', tradeTierPrices: {} })],
    orders: [
      ...retbOrders,
      order('RETC', 'C-1', { createdAt: '2026-11-05T10:00:00Z' }),
      order('RETC', 'C-2', { createdAt: '2026-11-06T10:00:00Z' }),
      order('RETD', 'D-1', {
        createdAt: '2026-11-07T10:00:00Z',
        items: [{ sku: 'TS-WHT-M', description: 'T-shirt white M — Łódź', quantity: 3, unitCostPrice: '7.50', taxRate: '20' }],
      }),
      order('RETD', 'D-2', { createdAt: '2026-11-08T10:00:00Z', shippingCost: '0.00' }),
      order('RETX', 'X-1'),
    ],
  };
}

describe.each(databaseKinds)('HTTP API on %s', (kind) => {
  let t: TestDatabase;
  let env: Record<string, string>;
  let app: FastifyInstance;
  let logs = '';
  let dropDir: string;
  const tokens: Record<'admin' | 'supa' | 'retb' | 'supx', string> = { admin: '', supa: '', retb: '', supx: '' };

  const call = (token: string | null, opts: InjectOptions): Promise<LightMyRequestResponse> => injectAs(app, token, opts);
  const get = async <T>(token: string, url: string, status = 200): Promise<T> => {
    const r = await call(token, { method: 'GET', url });
    expect(r.statusCode, r.body).toBe(status);
    return r.json<T>();
  };
  const send = async <T>(token: string, method: 'POST' | 'PATCH', url: string, payload: unknown, status: number): Promise<T> => {
    const r = await call(token, { method, url, payload: payload as InjectOptions['payload'] });
    expect(r.statusCode, r.body).toBe(status);
    return r.json<T>();
  };
  const problemPaths = (e: ErrorJson) => e.error.problems.map((p) => p.path).sort();
  const orderId = async (company: string, number: string) =>
    (await get<Page<OrderJson>>(tokens.admin, `/orders?company=${company}&search=${encodeURIComponent(number)}&limit=1000`)).items.find(
      (o) => o.number === number,
    )!.id;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    dropDir = path.join(t.dataDir, 'drop');
    // The operator allows file:// targets in the drop folder only (SPEC §9)
    env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir, OMS_FILE_TARGET_DIRS: dropDir };
    fs.mkdirSync(dropDir);
    const loaded = await runCli(['load', writeJson(dataset(dropDir))], env, { at: AT });
    expect(loaded.code, loaded.stderr).toBe(0);
    for (const [name, company] of [
      ['admin', null],
      ['supa', 'SUPA'],
      ['retb', 'RETB'],
      ['supx', 'SUPX'],
    ] as const) {
      const r = await runCli(['tokens', 'create', '--label', `${name} token`, ...(company ? ['--company', company] : []), '--json'], env, { at: AT });
      expect(r.code, r.stderr).toBe(0);
      const created = parseJsonOutput<{ token: string; label: string; company: string | null }>(r);
      expect(created).toMatchObject({ label: `${name} token`, company });
      tokens[name] = created.token;
    }
    // RETC's orders are invoiced before the API sees them: the immutability tests use them
    const run = await runCli(['run', '--company', 'RETC', '--as', 'ann@supa.example', '--json'], env, { at: AT });
    expect(run.code, run.stderr).toBe(0);
    app = await startApi(env, t.dataDir, { clock: fixedClock(AT), log: (s) => (logs += s) });
  });
  afterAll(async () => {
    await app?.close();
    await t?.destroy();
  });

  describe('auth', () => {
    it('refuses requests without a token, with a malformed one or an unknown one (401)', async () => {
      for (const headers of [{}, { authorization: 'Basic YWRtaW46YWRtaW4=' }, { authorization: 'Bearer' }, { authorization: 'Bearer oms_not-a-real-token' }]) {
        const r = await app.inject({ method: 'GET', url: '/orders', headers });
        expect(r.statusCode).toBe(401);
        expect(r.headers['www-authenticate']).toBe('Bearer');
        expect(r.json<ErrorJson>().error.code).toBe('UNAUTHORIZED');
      }
      // Unknown endpoints too: nothing about the API is visible without a token
      expect((await app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(401);
      expect((await call(tokens.admin, { method: 'GET', url: '/nope' })).statusCode).toBe(404);
    });

    it('stores tokens hashed, lists them without the secret, and never logs them', async () => {
      const rows = await t.db('api_tokens').select<Array<{ token_sha256: string }>>('token_sha256');
      expect(rows).toHaveLength(4);
      // Requests are logged with the token's label
      await get(tokens.admin, '/orders?search=logged');
      expect(logs).toContain('"token":"admin token"');
      for (const token of Object.values(tokens)) {
        expect(rows.some((r) => r.token_sha256 === token)).toBe(false);
        expect(logs).not.toContain(token);
      }
      const list = parseJsonOutput<Array<Record<string, unknown>>>(await runCli(['tokens', 'list', '--json'], env));
      expect(list.map((x) => [x.label, x.company])).toEqual([
        ['admin token', null],
        ['supa token', 'SUPA'],
        ['retb token', 'RETB'],
        ['supx token', 'SUPX'],
      ]);
      expect(JSON.stringify(list)).not.toContain(tokens.admin);
      const bad = await runCli(['tokens', 'create', '--label', 'x', '--company', 'NOPE', '--json'], env);
      expect(bad.code).toBe(2);
      expect(bad.stdout).toContain('--company');
    });

    it('an admin token sees every company; a company token its own and those below it', async () => {
      const codes = async (token: string) => (await get<Page<{ code: string }>>(token, '/companies')).items.map((c) => c.code);
      expect(await codes(tokens.admin)).toEqual(['ADM1', 'RETB', 'RETC', 'RETD', 'RETX', 'SUPA', 'SUPX']);
      expect(await codes(tokens.supa)).toEqual(['RETB', 'RETC', 'RETD', 'SUPA']);
      expect(await codes(tokens.retb)).toEqual(['RETB']);
      const companiesOf = async (token: string) => new Set((await get<Page<OrderJson>>(token, '/orders?limit=1000')).items.map((o) => o.company));
      expect(await companiesOf(tokens.admin)).toEqual(new Set(['RETB', 'RETC', 'RETD', 'RETX']));
      expect(await companiesOf(tokens.supa)).toEqual(new Set(['RETB', 'RETC', 'RETD']));
      expect(await companiesOf(tokens.retb)).toEqual(new Set(['RETB']));
    });

    it("a company token cannot see or touch a sibling's orders and companies: they read as unknown", async () => {
      const sibling = await orderId('RETC', 'C-1');
      const open = await orderId('RETD', 'D-2');
      expect((await get<ErrorJson>(tokens.retb, `/orders/${sibling}`, 404)).error.code).toBe('NOT_FOUND');
      await send<ErrorJson>(tokens.retb, 'PATCH', `/orders/${open}`, { onHold: true }, 404);
      expect((await call(tokens.retb, { method: 'POST', url: `/orders/${open}/hold` })).statusCode).toBe(404);
      await get<ErrorJson>(tokens.retb, '/companies/RETC', 404);
      await get<ErrorJson>(tokens.supa, '/companies/SUPX', 404);
      await get<ErrorJson>(tokens.supa, '/companies/NOPE', 404);
      // A code in a query or a body: 400 "unknown company", the same answer as for a company that does not exist
      const viaQuery = await get<ErrorJson>(tokens.retb, '/orders?company=RETC', 400);
      const missing = await get<ErrorJson>(tokens.retb, '/orders?company=NOPE', 400);
      expect(viaQuery.error.problems).toEqual([{ path: 'company', message: 'unknown company "RETC"' }]);
      expect(missing.error.problems).toEqual([{ path: 'company', message: 'unknown company "NOPE"' }]);
      const posted = await send<ErrorJson>(tokens.retb, 'POST', '/orders', order('RETC', 'C-SNEAK'), 400);
      expect(posted.error.problems).toEqual([{ path: 'company', message: 'unknown company "RETC"' }]);
      expect(await t.db('orders').where('number', 'C-SNEAK').first()).toBeUndefined();
      expect((await get<Page<unknown>>(tokens.retb, '/invoices')).count).toBe(0);
      const invoice = (await get<Page<{ number: string }>>(tokens.admin, '/invoices?company=RETC')).items[0]!.number;
      await get<ErrorJson>(tokens.retb, `/invoices/${invoice}/pdf`, 404);
      await get<ErrorJson>(tokens.supx, `/invoices/${invoice}/xml`, 404);
      await get<ErrorJson>(tokens.retb, '/companies/RETC/runs', 404);
    });

    it('a revoked token is refused from then on', async () => {
      const created = parseJsonOutput<{ token: string }>(await runCli(['tokens', 'create', '--label', 'temp', '--json'], env));
      await get(created.token, '/companies');
      const id = parseJsonOutput<Array<{ id: number; label: string }>>(await runCli(['tokens', 'list', '--json'], env)).find((x) => x.label === 'temp')!.id;
      expect((await runCli(['tokens', 'revoke', String(id)], env)).code).toBe(0);
      expect((await call(created.token, { method: 'GET', url: '/companies' })).statusCode).toBe(401);
      expect((await runCli(['tokens', 'revoke', String(id)], env)).code).toBe(2);
    });
  });

  describe('GET /orders', () => {
    const numbers = (page: Page<OrderJson>) => page.items.map((o) => o.number);

    it('pages with limit (default 10, at most 1000) and offset; count is every match', async () => {
      const first = await get<Page<OrderJson>>(tokens.retb, '/orders');
      expect(first.count).toBe(12);
      expect(first.items).toHaveLength(10);
      const rest = await get<Page<OrderJson>>(tokens.retb, '/orders?offset=10');
      expect(rest).toMatchObject({ count: 12 });
      expect(rest.items).toHaveLength(2);
      const pages = [];
      for (let offset = 0; offset < 12; offset += 5) pages.push(...numbers(await get<Page<OrderJson>>(tokens.retb, `/orders?limit=5&offset=${offset}`)));
      expect(pages).toEqual(numbers(await get<Page<OrderJson>>(tokens.retb, '/orders?limit=1000')));
      expect(new Set(pages).size).toBe(12);
      expect((await get<Page<OrderJson>>(tokens.retb, '/orders?limit=0')).items).toEqual([]);
      // Amounts are decimal strings
      expect(first.items[0]).toMatchObject({ shippingCost: '4.99', items: [{ unitCostPrice: '7.50', taxRate: '20', quantity: 2 }] });
    });

    it('refuses bad paging and unknown parameters (400, with the parameter as path)', async () => {
      for (const [query, paths] of [
        ['limit=1001', ['limit']],
        ['limit=abc', ['limit']],
        ['limit=-1', ['limit']],
        ['offset=1.5', ['offset']],
        ['limit=1&limit=2', ['limit']],
        ['invoiced=maybe', ['invoiced']],
        ['limt=5', ['limt']],
        ['company=lower', ['company']],
      ] as const) {
        const e = await get<ErrorJson>(tokens.admin, `/orders?${query}`, 400);
        expect(e.error.code, query).toBe('INPUT');
        expect(problemPaths(e), query).toEqual(paths);
      }
    });

    it('orders by createdAt (newest first by default) or number, ascending or descending', async () => {
      const byDate = (dir: 1 | -1) => [...retbOrders].sort((a, b) => dir * (a.createdAt as string).localeCompare(b.createdAt as string)).map((o) => o.number);
      const byNumber = retbOrders.map((o) => o.number);
      const all = (q: string) => get<Page<OrderJson>>(tokens.retb, `/orders?limit=1000${q}`).then(numbers);
      expect(await all('')).toEqual(byDate(-1));
      expect(await all('&orderBy=createdAt:DESC')).toEqual(byDate(-1));
      expect(await all('&orderBy=createdAt:ASC')).toEqual(byDate(1));
      expect(await all('&orderBy=createdAt')).toEqual(byDate(1));
      expect(await all('&orderBy=number:ASC')).toEqual(byNumber);
      expect(await all('&orderBy=number:desc')).toEqual([...byNumber].reverse());
      expect(await all('&orderBy=number:ASC,createdAt:DESC')).toEqual(byNumber);
      expect(await all('&orderBy=number:DESC&orderBy=createdAt:ASC')).toEqual([...byNumber].reverse());
      expect(byDate(1)).not.toEqual(byNumber);
    });

    it('refuses an unknown sort key or direction (400, path orderBy)', async () => {
      for (const orderBy of ['price:DESC', 'createdAt:UP', 'createdAt:DESC,createdAt:ASC', '', 'createdAt;DROP TABLE orders']) {
        const e = await get<ErrorJson>(tokens.admin, `/orders?orderBy=${encodeURIComponent(orderBy)}`, 400);
        expect(problemPaths(e), orderBy).toEqual(['orderBy']);
      }
    });

    it('searches numbers, relating-to, descriptions (any script), literally', async () => {
      expect(numbers(await get<Page<OrderJson>>(tokens.retb, '/orders?search=b-1&orderBy=number'))).toEqual(['B-10', 'B-11', 'B-12']);
      for (const text of ['Łódź', 'łÓdŹ', 'mug FROM']) {
        expect(numbers(await get<Page<OrderJson>>(tokens.retb, `/orders?search=${encodeURIComponent(text)}`)), text).toEqual(['B-03']);
      }
      expect(numbers(await get<Page<OrderJson>>(tokens.retb, `/orders?search=${encodeURIComponent('50%')}`))).toEqual(['B-04']);
      expect((await get<Page<OrderJson>>(tokens.retb, `/orders?search=${encodeURIComponent('5_%')}`)).count).toBe(0);
      // Search stays inside the token's scope
      expect((await get<Page<OrderJson>>(tokens.retb, '/orders?search=C-1')).count).toBe(0);
      expect((await get<Page<OrderJson>>(tokens.admin, '/orders?search=C-1')).count).toBe(1);
    });

    it('filters by invoiced and company', async () => {
      const invoiced = await get<Page<OrderJson>>(tokens.supa, '/orders?invoiced=true&limit=1000');
      expect(invoiced.items.every((o) => o.invoiced && o.invoice !== null)).toBe(true);
      expect(invoiced.items.map((o) => o.number).sort()).toEqual(expect.arrayContaining(['C-1', 'C-2']));
      const open = await get<Page<OrderJson>>(tokens.supa, '/orders?invoiced=false&company=RETC');
      expect(open.count).toBe(0);
      const retc = await get<Page<OrderJson>>(tokens.supa, '/orders?invoiced=true&company=RETC');
      expect(retc.count).toBe(2);
      const notRetb = await get<Page<OrderJson>>(tokens.supa, '/orders?invoiced=false&company=RETB&limit=1000');
      expect(notRetb.items.every((o) => o.company === 'RETB' && !o.invoiced)).toBe(true);
    });
  });

  describe('POST, GET, PATCH /orders, hold and release', () => {
    const countOrders = async () => Number(((await t.db('orders').count({ n: '*' }).first()) as { n: number | string }).n);

    it('creates an order validated exactly as load validates it, and returns it as stored', async () => {
      // No unitCostPrice: the supplier's pricing strategy sets it (RETB's trade tier "gold" → 6.90)
      const { currency: _currency, ...body } = order('RETB', 'B-NEW', { items: [{ sku: 'TS-WHT-M', quantity: 2 }], shippingCost: '1.5' });
      const created = await send<OrderJson>(tokens.retb, 'POST', '/orders', body, 201);
      expect(created).toMatchObject({
        company: 'RETB',
        number: 'B-NEW',
        shippingCost: '1.50',
        invoiced: false,
        items: [{ sku: 'TS-WHT-M', description: 'TS-WHT-M', quantity: 2, unitCostPrice: '6.90', taxRate: '20' }],
      });
      expect(await get<OrderJson>(tokens.retb, `/orders/${created.id}`)).toEqual(created);
      // The same company and number again replaces it (load's upsert): 200, same id
      const again = await send<OrderJson>(tokens.retb, 'POST', '/orders', { ...body, status: 'completed' }, 200);
      expect(again).toMatchObject({ id: created.id, status: 'completed' });
    });

    it('refuses invalid orders with every problem and its JSON path, writing nothing', async () => {
      const before = await countOrders();
      const bad = order('RETB', 'B-BAD', {
        currency: 'XXQ',
        createdAt: 'yesterday',
        colour: 'red',
        items: [
          { sku: 'TS-WHT-M', quantity: 0, unitCostPrice: '7.50', taxRate: '20' },
          { sku: 'TS-WHT-M', quantity: 1, unitCostPrice: '7.50505', taxRate: '20' },
        ],
      });
      const e = await send<ErrorJson>(tokens.admin, 'POST', '/orders', bad, 400);
      expect(e.error.code).toBe('INPUT');
      expect(problemPaths(e)).toEqual(['colour', 'createdAt', 'currency', 'items[0].quantity', 'items[1].unitCostPrice']);
      expect(e.error.problems.find((p) => p.path === 'colour')!.message).toBe('is not a known field');
      // Rules that need the database come from load too, with paths relative to the order
      const unknownSku = await send<ErrorJson>(tokens.admin, 'POST', '/orders', order('RETB', 'B-BAD', { items: [{ sku: 'NOPE', quantity: 1 }] }), 400);
      expect(problemPaths(unknownSku)).toEqual(['items[0].taxRate', 'items[0].unitCostPrice']);
      // Many problems: the first 100 are listed, then how many more there are
      const many = await send<ErrorJson>(
        tokens.admin,
        'POST',
        '/orders',
        order('RETB', 'B-BAD', { items: Array.from({ length: 150 }, () => ({ sku: 'MUG', quantity: 0 })) }),
        400,
      );
      expect(many.error.problems).toHaveLength(101);
      expect(many.error.problems[100]).toEqual({ path: '', message: '… and 50 more problems' });
      const supplierOrder = await send<ErrorJson>(tokens.admin, 'POST', '/orders', order('SUPA', 'S-1'), 400);
      expect(problemPaths(supplierOrder)).toEqual(['company']);
      for (const payload of ['{"company": ', '[1,2]', 'null']) {
        const r = await call(tokens.admin, { method: 'POST', url: '/orders', payload, headers: { 'content-type': 'application/json' } });
        expect(r.statusCode, payload).toBe(400);
        expect(r.json<ErrorJson>().error.code).toBe('INPUT');
      }
      expect(await countOrders()).toBe(before);
    });

    it('changes fields of an open order through the same rules; company and number are fixed', async () => {
      const id = await orderId('RETB', 'B-05');
      const changed = await send<OrderJson>(tokens.retb, 'PATCH', `/orders/${id}`, { status: 'completed', shippingCost: '2.25', relatingTo: 'ref-77' }, 200);
      expect(changed).toMatchObject({
        id,
        number: 'B-05',
        status: 'completed',
        shippingCost: '2.25',
        relatingTo: 'ref-77',
        items: [{ sku: 'TS-WHT-M', quantity: 2, unitCostPrice: '7.50' }],
      });
      const items = await send<OrderJson>(tokens.retb, 'PATCH', `/orders/${id}`, { items: [{ sku: 'MUG', quantity: 4 }] }, 200);
      expect(items.items).toEqual([{ sku: 'MUG', description: 'MUG', quantity: 4, unitCostPrice: '3.00', taxRate: '20' }]);
      const e = await send<ErrorJson>(tokens.retb, 'PATCH', `/orders/${id}`, { number: 'B-99', status: 'shipped', items: [{ sku: 'MUG', quantity: -1 }] }, 400);
      expect(problemPaths(e)).toEqual(['number']);
      const e2 = await send<ErrorJson>(tokens.retb, 'PATCH', `/orders/${id}`, { status: 'shipped', items: [{ sku: 'MUG', quantity: -1 }] }, 400);
      expect(problemPaths(e2)).toEqual(['items[0].quantity', 'status']);
      expect(await get<OrderJson>(tokens.retb, `/orders/${id}`)).toEqual(items);
      await send<ErrorJson>(tokens.retb, 'PATCH', '/orders/999999999', { status: 'completed' }, 404);
      await get<ErrorJson>(tokens.retb, '/orders/abc', 404);
    });

    it('holds and releases an open order', async () => {
      const id = await orderId('RETB', 'B-06');
      const held = await send<OrderJson>(tokens.retb, 'POST', `/orders/${id}/hold`, undefined, 200);
      expect(held.onHold).toBe(true);
      expect((await send<OrderJson>(tokens.retb, 'POST', `/orders/${id}/hold`, undefined, 200)).onHold).toBe(true);
      expect((await send<OrderJson>(tokens.retb, 'POST', `/orders/${id}/release`, undefined, 200)).onHold).toBe(false);
      await send<ErrorJson>(tokens.retb, 'POST', '/orders/999999999/hold', undefined, 404);
    });

    it('refuses to change an invoiced order: PATCH, hold, release and a re-POST with changes are 409', async () => {
      const id = await orderId('RETC', 'C-1');
      const stored = await get<OrderJson>(tokens.supa, `/orders/${id}`);
      expect(stored.invoiced).toBe(true);
      for (const [method, url, payload] of [
        ['PATCH', `/orders/${id}`, { shippingCost: '0.00' }],
        ['POST', `/orders/${id}/hold`, undefined],
        ['POST', `/orders/${id}/release`, undefined],
        ['POST', '/orders', order('RETC', 'C-1', { createdAt: '2026-11-05T10:00:00Z', shippingCost: '0.01' })],
      ] as const) {
        const e = await send<ErrorJson>(tokens.supa, method, url, payload, 409);
        expect(e.error.code, url).toBe('CONFLICT');
        expect(e.error.message).toMatch(/invoiced/);
      }
      expect(await get<OrderJson>(tokens.supa, `/orders/${id}`)).toEqual(stored);
      // The same content again is accepted, unchanged (as load counts it)
      const same = await send<OrderJson>(tokens.supa, 'POST', '/orders', order('RETC', 'C-1', { createdAt: '2026-11-05T10:00:00Z' }), 200);
      expect(same).toEqual(stored);
    });
  });

  describe('companies and integration settings', () => {
    it('shows a company with its sequence and integrations', async () => {
      const c = await get<Record<string, unknown>>(tokens.supa, '/companies/RETD');
      expect(c).toMatchObject({
        code: 'RETD',
        name: 'Retailer D — Łódź',
        type: 'dropship',
        parent: 'SUPA',
        invoicing: { currency: 'GBP', hasLogo: true },
        sequence: null,
      });
      expect(c.integrations).toEqual([
        expect.objectContaining({
          type: 'pdf-emailer',
          enabled: true,
          emailTo: 'ap@retd.example',
          emailBcc: null,
          state: expect.objectContaining({ schedule: 'weekly', nextRunAt: '2026-11-21T13:00:00.000Z' }) as unknown,
        }),
        expect.objectContaining({ type: 'xml-sftp', enabled: true, target: `file://${dropDir}`, includePdf: true }),
      ]);
      expect(await get<Record<string, unknown>>(tokens.supa, '/companies/SUPA')).toMatchObject({ sequence: { prefix: 'SUPA-', padding: 6 } });
    });

    it('validates settings as the import does: BCC with spaces is refused and nothing changes', async () => {
      const url = '/companies/RETB/integrations/pdf-emailer';
      const before = await get<{ integrations: unknown[] }>(tokens.retb, '/companies/RETB');
      const e = await send<ErrorJson>(tokens.retb, 'PATCH', url, { emailBcc: 'a@x.example, b@y.example' }, 400);
      expect(problemPaths(e)).toEqual(['emailBcc']);
      const several = await send<ErrorJson>(tokens.retb, 'PATCH', url, { emailTo: 'not an address', schedule: 'fortnightly', colour: 'red' }, 400);
      expect(problemPaths(several)).toEqual(['colour', 'emailTo', 'schedule']);
      expect(problemPaths(await send<ErrorJson>(tokens.retb, 'PATCH', url, { type: 'xml-sftp' }, 400))).toEqual(['type']);
      expect(await get<{ integrations: unknown[] }>(tokens.retb, '/companies/RETB')).toEqual(before);
    });

    it('merges valid settings into the stored ones', async () => {
      const changed = await send<Record<string, unknown>>(
        tokens.retb,
        'PATCH',
        '/companies/RETB/integrations/pdf-emailer',
        { emailBcc: 'a@x.example,b@y.example', schedule: 'daily' },
        200,
      );
      expect(changed).toMatchObject({
        type: 'pdf-emailer',
        enabled: false,
        emailTo: 'ap@retb.example',
        emailBcc: 'a@x.example,b@y.example',
        schedule: 'daily',
        state: { schedule: 'daily', nextRunAt: null },
      });
      const cleared = await send<Record<string, unknown>>(tokens.retb, 'PATCH', '/companies/RETB/integrations/pdf-emailer', { emailBcc: null }, 200);
      expect(cleared).toMatchObject({ emailBcc: null, schedule: 'daily' });
      const cli = parseJsonOutput<Array<{ company: string; type: string; schedule: string; settings: { emailBcc: unknown } }>>(
        await runCli(['integrations', 'list', '--company', 'RETB', '--json'], env),
      );
      expect(cli).toEqual([expect.objectContaining({ type: 'pdf-emailer', schedule: 'daily', settings: { emailTo: 'ap@retb.example', emailBcc: null } })]);
    });

    it('adds an integration only when complete; sftp targets need a pinned host key; suppliers have none', async () => {
      const url = '/companies/RETB/integrations/xml-sftp';
      expect(problemPaths(await send<ErrorJson>(tokens.retb, 'PATCH', url, {}, 400))).toEqual(['target']);
      const sftp = await send<ErrorJson>(tokens.admin, 'PATCH', url, { target: 'sftp://acct@127.0.0.1:2222/inbox', privateKeyFile: '/etc/oms/k' }, 400);
      expect(problemPaths(sftp)).toEqual(['hostKeySha256']);
      // Where files go is the operator's: a company token may not say, an admin token only inside the allowed folders
      expect(problemPaths(await send<ErrorJson>(tokens.retb, 'PATCH', url, { target: `file://${dropDir}/retb`, enabled: false }, 403))).toEqual(['target']);
      expect(problemPaths(await send<ErrorJson>(tokens.admin, 'PATCH', url, { target: 'file:///srv/drop', enabled: false }, 400))).toEqual(['target']);
      const added = await send<Record<string, unknown>>(tokens.admin, 'PATCH', url, { target: `file://${dropDir}/retb`, enabled: false }, 200);
      expect(added).toMatchObject({ type: 'xml-sftp', target: `file://${dropDir}/retb`, includePdf: false, privateKeyFile: null });
      await send<ErrorJson>(tokens.retb, 'PATCH', '/companies/RETB/integrations/fax', { enabled: true }, 404);
      const onSupplier = await send<ErrorJson>(tokens.supa, 'PATCH', '/companies/SUPA/integrations/pdf-emailer', { emailTo: 'a@b.example' }, 400);
      expect(onSupplier.error.message).toMatch(/dropship or self-fulfilment/);
    });
  });

  describe('runs and invoices', () => {
    let number = '';

    it('a manual run through the API returns the report of run --json and records it', async () => {
      const dry = await send<Record<string, unknown>>(tokens.supa, 'POST', '/companies/RETD/runs', { as: 'ann@supa.example', dryRun: true }, 200);
      expect(dry).toMatchObject({ company: 'RETD', mode: 'manual', dryRun: true, deliveries: [] });
      expect(await t.db('invoices').whereIn('company_id', t.db('companies').where('code', 'RETD').select('id')).first()).toBeUndefined();

      const report = await send<{
        company: string;
        mode: string;
        dryRun: boolean;
        invoices: Array<{ number: string; orders: string[]; net: string; tax: string; total: string; lines: number }>;
        deliveries: Array<{ status: string; integration: string; error: string | null }>;
      }>(tokens.supa, 'POST', '/companies/RETD/runs', { as: 'ann@supa.example' }, 200);
      expect(Object.keys(report)).toEqual(['company', 'mode', 'invoices', 'skipped', 'deliveries', 'dryRun']);
      expect(report).toMatchObject({
        company: 'RETD',
        mode: 'manual',
        dryRun: false,
        skipped: { onHold: 0, withErrors: 0, beforeStartingFrom: 0, cancelled: 0, notDispatched: 0 },
      });
      expect(report.invoices).toHaveLength(1);
      // 3 × 7.50 + 4.99 shipping, and 2 × 7.50: net 42.49, tax 8.50
      expect(report.invoices[0]).toMatchObject({ orders: ['D-1', 'D-2'], lines: 2, net: '42.49', tax: '8.50', total: '50.99' });
      expect(report.deliveries.map((d) => [d.integration, d.status, d.error]).sort()).toEqual([
        ['pdf-emailer', 'sent', null],
        ['xml-sftp', 'sent', null],
      ]);
      number = report.invoices[0]!.number;
      expect(number).toMatch(/^SUPA-\d{6}$/);

      const runs = await get<
        Page<{
          id: number;
          mode: string;
          status: string;
          user: string;
          startedAt: string;
          finishedAt: string;
          report: { invoices: Array<{ number: string }> };
          error: null;
        }>
      >(tokens.supa, '/companies/RETD/runs');
      expect(runs.count).toBe(1);
      expect(runs.items[0]).toMatchObject({
        mode: 'manual',
        status: 'ok',
        user: 'ann@supa.example',
        startedAt: '2026-11-21T12:00:00.000Z',
        finishedAt: '2026-11-21T12:00:00.000Z',
        error: null,
      });
      expect(runs.items[0]!.report.invoices[0]!.number).toBe(number);
      // RETC was run from the CLI in beforeAll: its history shows it too
      expect((await get<Page<{ mode: string }>>(tokens.supa, '/companies/RETC/runs')).items).toEqual([
        expect.objectContaining({ mode: 'manual', status: 'ok' }),
      ]);
      expect((await get<Page<unknown>>(tokens.supa, '/companies/RETD/runs?limit=0')).count).toBe(1);
    });

    it('lists invoices as invoices list --json does', async () => {
      const cli = parseJsonOutput<unknown[]>(await runCli(['invoices', 'list', '--company', 'RETD', '--json'], env));
      const api = await get<Page<unknown>>(tokens.supa, '/invoices?company=RETD');
      expect(api).toEqual({ items: cli, count: 1 });
      expect(api.items[0]).toMatchObject({ number, company: 'RETD', seller: 'SUPA', net: '42.49', tax: '8.50', total: '50.99', orders: ['D-1', 'D-2'] });
      const all = await get<Page<{ number: string }>>(tokens.admin, '/invoices?limit=1&offset=1');
      expect(all.count).toBe(2);
      expect(all.items.map((i) => i.number)).toEqual([number]);
    });

    it('serves the PDF and XML byte-identical to invoices pdf/xml -o and to what was delivered', async () => {
      const pdf = await call(tokens.supa, { method: 'GET', url: `/invoices/${number}/pdf` });
      expect(pdf.statusCode).toBe(200);
      expect(pdf.headers['content-type']).toBe('application/pdf');
      expect(pdf.headers['content-disposition']).toBe(`attachment; filename="${number}.pdf"`);
      const xml = await call(tokens.supa, { method: 'GET', url: `/invoices/${number}/xml` });
      expect(xml.statusCode).toBe(200);
      expect(xml.headers['content-type']).toMatch(/^application\/xml/);
      const pdfFile = path.join(t.dataDir, 'cli.pdf');
      const xmlFile = path.join(t.dataDir, 'cli.xml');
      expect((await runCli(['invoices', 'pdf', number, '-o', pdfFile], env)).code).toBe(0);
      expect((await runCli(['invoices', 'xml', number, '-o', xmlFile], env)).code).toBe(0);
      expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
      expect(Buffer.compare(pdf.rawPayload, fs.readFileSync(pdfFile))).toBe(0);
      expect(Buffer.compare(xml.rawPayload, fs.readFileSync(xmlFile))).toBe(0);
      expect(Buffer.compare(pdf.rawPayload, fs.readFileSync(path.join(dropDir, `${number}.pdf`)))).toBe(0);
      expect(Buffer.compare(xml.rawPayload, fs.readFileSync(path.join(dropDir, `${number}.xml`)))).toBe(0);
      expect(xml.body).toContain('Łódź');
      await get<ErrorJson>(tokens.supa, '/invoices/NOPE-1/pdf', 404);
    });

    it('refuses runs it cannot make: unknown or out-of-scope user, supplier company, bad body', async () => {
      const unknown = await send<ErrorJson>(tokens.admin, 'POST', '/companies/RETB/runs', { as: 'nobody@example.com' }, 400);
      expect(unknown.error.problems).toEqual([{ path: 'as', message: 'unknown user "nobody@example.com"' }]);
      // SUPX's user exists, but a SUPA token may not number from SUPX's sequence
      const outside = await send<ErrorJson>(tokens.supa, 'POST', '/companies/RETB/runs', { as: 'xav@supx.example', dryRun: true }, 400);
      expect(outside.error.problems).toEqual([{ path: 'as', message: 'unknown user "xav@supx.example"' }]);
      const onSupplier = await send<ErrorJson>(tokens.admin, 'POST', '/companies/SUPA/runs', { as: 'ann@supa.example' }, 400);
      expect(problemPaths(onSupplier)).toEqual(['']);
      const bad = await send<ErrorJson>(
        tokens.admin,
        'POST',
        '/companies/RETB/runs',
        { as: 'ann@supa.example', dryRun: 'yes', from: 'last week', colour: 1 },
        400,
      );
      expect(problemPaths(bad)).toEqual(['colour', 'dryRun']);
      const badFrom = await send<ErrorJson>(tokens.admin, 'POST', '/companies/RETB/runs', { as: 'ann@supa.example', from: 'last week' }, 400);
      expect(problemPaths(badFrom)).toEqual(['from']);
      await send<ErrorJson>(tokens.supx, 'POST', '/companies/RETD/runs', { as: 'xav@supx.example' }, 404);
      // Without `as`: the company's enabled integrations, as `run --company` (RETB has none enabled)
      expect(await send<Record<string, unknown>>(tokens.retb, 'POST', '/companies/RETB/runs', {}, 200)).toMatchObject({
        company: 'RETB',
        mode: 'auto',
        invoices: [],
        integrations: [],
      });
    });
  });

  it('serve: the real binary answers on a free port and stops with exit 0 on SIGTERM', async () => {
    const { child, done } = startCli(['serve', '--port', '0', '--json'], { ...env, OMS_LOG_LEVEL: 'warn' });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.on('exit', (code) => reject(new Error(`serve exited early with ${code}`)));
      });
      const { listening, port } = JSON.parse(line) as { listening: string; port: number };
      expect(listening).toBe(`http://127.0.0.1:${port}`);
      const res = await fetch(`${listening}/companies/RETD`, { headers: { authorization: `Bearer ${tokens.supa}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { code: string }).code).toBe('RETD');
      expect((await fetch(`${listening}/companies`)).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
  });
});
