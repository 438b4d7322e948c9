/**
 * Hostile input on the HTTP API, on both databases: oversized bodies (413, per-route limits), deeply nested
 * and huge JSON, prototype pollution, SQL-looking strings in `search`, `orderBy` and every other parameter,
 * CR/LF and NUL in every text field, unknown fields. Each is answered with the expected status (refused with
 * the path of the offending field, or harmless) and leaves the database exactly as it was (every table
 * dumped before and after). Every answer carries the standard security headers.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/domain/clock.js';
import { injectAs, startApi } from '../support/api.js';
import { parseJsonOutput, runCli } from '../support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases.js';
import { dumpDatabase } from '../support/db-dump.js';
import { dropship, order, product, supplier, writeJson, type Json } from '../support/fixtures.js';

const AT = Date.parse('2026-11-21T12:00:00Z');
const MiB = 1024 * 1024;

interface ErrorJson {
  error: { code: string; message: string; problems: Array<{ path: string; message: string }> };
}

type Who = 'admin' | 'retb' | 'none';
interface Hostile {
  name: string;
  who: Who;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string | ((ids: { open: number }) => string);
  payload?: string | Record<string, Json> | Json[];
  headers?: Record<string, string>;
  status: number;
  /** The problem paths of a refusal (sorted), when the answer names fields */
  paths?: string[];
  /** For a harmless answer: what it must hold */
  check?: (body: unknown) => void;
}

const newOrder = (extra: Record<string, Json> = {}) => order('RETB', 'B-NEW', extra);
const withItem = (item: Record<string, Json>) =>
  newOrder({ items: [{ sku: 'TS-WHT-M', description: 'T-shirt', quantity: 1, unitCostPrice: '7.50', taxRate: '20', ...item }] });
const q = encodeURIComponent;
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const noOrders = (body: unknown) => expect((body as { count: number }).count).toBe(0);

const HOSTILE: Hostile[] = [
  // Bodies over the route's limit: refused before they are read whole
  { name: 'an order body over 16 MiB', who: 'admin', method: 'POST', url: '/orders', payload: newOrder({ errorText: 'x'.repeat(17 * MiB) }), status: 413 },
  {
    name: 'settings over 64 KiB',
    who: 'retb',
    method: 'PATCH',
    url: '/companies/RETB/integrations/pdf-emailer',
    payload: { emailTo: `${'a'.repeat(70_000)}@x.example` },
    status: 413,
  },
  { name: 'a run request over 64 KiB', who: 'admin', method: 'POST', url: '/companies/RETB/runs', payload: { as: 'x'.repeat(70_000) }, status: 413 },
  { name: 'a hold request over 1 MiB', who: 'admin', method: 'POST', url: ({ open }) => `/orders/${open}/hold`, payload: { x: 'y'.repeat(MiB) }, status: 413 },
  // Malformed, deep, huge and poisoned JSON
  { name: 'JSON nested 100,000 levels deep', who: 'admin', method: 'POST', url: '/orders', payload: nested(100_000), status: 400 },
  {
    name: 'nesting 100,000 levels deep inside a known field',
    who: 'admin',
    method: 'POST',
    url: '/orders',
    payload: JSON.stringify(newOrder({ items: 'NESTED' })).replace('"NESTED"', nested(100_000)),
    status: 400,
    paths: ['items[0]'],
  },
  {
    name: '50,000 unknown fields',
    who: 'admin',
    method: 'POST',
    url: '/orders',
    payload: { ...newOrder(), ...Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`f${i}`, i])) },
    status: 400,
  },
  {
    name: 'an order with 10,001 items',
    who: 'admin',
    method: 'POST',
    url: '/orders',
    payload: newOrder({ items: Array.from({ length: 10_001 }, () => ({ sku: 'MUG', quantity: 1 })) }),
    status: 400,
    paths: ['items'],
  },
  { name: 'malformed JSON', who: 'admin', method: 'POST', url: '/orders', payload: '{"company": "RETB", ', status: 400 },
  {
    name: 'a __proto__ key',
    who: 'admin',
    method: 'POST',
    url: '/orders',
    payload: `{"__proto__": {"isAdmin": true}, ${JSON.stringify(newOrder()).slice(1)}`,
    status: 400,
  },
  {
    name: 'a constructor.prototype key',
    who: 'retb',
    method: 'PATCH',
    url: '/companies/RETB/integrations/pdf-emailer',
    payload: '{"constructor": {"prototype": {"isAdmin": true}}}',
    status: 400,
  },
  {
    name: 'a body that is not JSON',
    who: 'admin',
    method: 'POST',
    url: '/orders',
    payload: 'company=RETB',
    headers: { 'content-type': 'text/plain' },
    status: 415,
  },
  {
    name: 'a quantity of 1e308',
    who: 'admin',
    method: 'POST',
    url: '/orders',
    payload: withItem({ quantity: 1e308 }),
    status: 400,
    paths: ['items[0].quantity'],
  },
  {
    name: 'a quantity as a string',
    who: 'admin',
    method: 'POST',
    url: '/orders',
    payload: withItem({ quantity: '2' }),
    status: 400,
    paths: ['items[0].quantity'],
  },
  // SQL-looking strings: literal text in a parameterised query, or refused
  { name: 'search with a quote and OR 1=1', who: 'retb', method: 'GET', url: `/orders?search=${q("' OR 1=1 --")}`, status: 200, check: noOrders },
  { name: 'search with a DROP TABLE', who: 'retb', method: 'GET', url: `/orders?search=${q("%'; DROP TABLE orders; --")}`, status: 200, check: noOrders },
  { name: 'search with LIKE wildcards only', who: 'retb', method: 'GET', url: `/orders?search=${q('%_%')}`, status: 200, check: noOrders },
  {
    name: 'orderBy with a statement',
    who: 'admin',
    method: 'GET',
    url: `/orders?orderBy=${q('createdAt;DROP TABLE orders')}`,
    status: 400,
    paths: ['orderBy'],
  },
  { name: 'orderBy with a subquery', who: 'admin', method: 'GET', url: `/orders?orderBy=${q('(SELECT 1)')}`, status: 400, paths: ['orderBy'] },
  {
    name: 'orderBy with a column name not offered',
    who: 'admin',
    method: 'GET',
    url: `/orders?orderBy=${q('company_id:ASC')}`,
    status: 400,
    paths: ['orderBy'],
  },
  { name: 'company with a quote', who: 'admin', method: 'GET', url: `/orders?company=${q("RETB' OR '1'='1")}`, status: 400, paths: ['company'] },
  { name: 'a company code with SQL in the URL', who: 'admin', method: 'GET', url: `/companies/${q("RETB'--")}/runs`, status: 404 },
  { name: 'an order id with SQL in the URL', who: 'admin', method: 'GET', url: `/orders/${q('1 OR 1=1')}`, status: 404 },
  { name: 'an invoice number that climbs the file system', who: 'admin', method: 'GET', url: `/invoices/${q('../../etc/passwd')}/pdf`, status: 404 },
  { name: 'a limit beyond any number', who: 'admin', method: 'GET', url: '/orders?limit=99999999999999999999', status: 400, paths: ['limit'] },
  { name: 'a limit in exponent form', who: 'admin', method: 'GET', url: '/orders?limit=1e3', status: 400, paths: ['limit'] },
  { name: 'a parameter as an array', who: 'admin', method: 'GET', url: '/orders?company[]=RETB', status: 400, paths: ['company[]'] },
  // CR/LF and NUL in every text field
  {
    name: 'CR/LF in an order number',
    who: 'retb',
    method: 'POST',
    url: '/orders',
    payload: newOrder({ number: 'B-9\r\nX-Injected: 1' }),
    status: 400,
    paths: ['number'],
  },
  {
    name: 'NUL in relatingTo',
    who: 'retb',
    method: 'POST',
    url: '/orders',
    payload: newOrder({ relatingTo: 'ref\u0000x' }),
    status: 400,
    paths: ['relatingTo'],
  },
  {
    name: 'CR/LF in an item description',
    who: 'retb',
    method: 'POST',
    url: '/orders',
    payload: withItem({ description: 'shirt\r\nBcc: x@evil.example' }),
    status: 400,
    paths: ['items[0].description'],
  },
  { name: 'NUL in a SKU', who: 'retb', method: 'POST', url: '/orders', payload: withItem({ sku: 'TS\u0000WHT' }), status: 400, paths: ['items[0].sku'] },
  {
    name: 'NUL in the error text',
    who: 'retb',
    method: 'POST',
    url: '/orders',
    payload: newOrder({ errorText: 'line one\nline\u0000two' }),
    status: 400,
    paths: ['errorText'],
  },
  {
    name: 'a line break in the company code',
    who: 'retb',
    method: 'POST',
    url: '/orders',
    payload: newOrder({ company: 'RETB\n' }),
    status: 400,
    paths: ['company'],
  },
  { name: 'NUL in a currency', who: 'retb', method: 'POST', url: '/orders', payload: newOrder({ currency: 'GB\u0000' }), status: 400, paths: ['currency'] },
  {
    name: 'CR/LF in a date',
    who: 'retb',
    method: 'POST',
    url: '/orders',
    payload: newOrder({ createdAt: '2026-11-02T10:00:00Z\r\n' }),
    status: 400,
    paths: ['createdAt'],
  },
  {
    name: 'CR/LF in a change to an order',
    who: 'retb',
    method: 'PATCH',
    url: ({ open }) => `/orders/${open}`,
    payload: { relatingTo: 'a\r\nb' },
    status: 400,
    paths: ['relatingTo'],
  },
  {
    name: 'a header injected into an email address',
    who: 'retb',
    method: 'PATCH',
    url: '/companies/RETB/integrations/pdf-emailer',
    payload: { emailTo: 'ap@retb.example\r\nBcc: spy@evil.example' },
    status: 400,
    paths: ['emailTo'],
  },
  {
    name: 'NUL in a BCC list',
    who: 'retb',
    method: 'PATCH',
    url: '/companies/RETB/integrations/pdf-emailer',
    payload: { emailBcc: 'a@x.example\u0000' },
    status: 400,
    paths: ['emailBcc'],
  },
  {
    name: 'a line break in a schedule',
    who: 'retb',
    method: 'PATCH',
    url: '/companies/RETB/integrations/pdf-emailer',
    payload: { schedule: 'daily\nrm -rf /' },
    status: 400,
    paths: ['schedule'],
  },
  {
    name: 'NUL in a starting date',
    who: 'retb',
    method: 'PATCH',
    url: '/companies/RETB/integrations/pdf-emailer',
    payload: { startingFrom: '2026-01-01\u0000' },
    status: 400,
    paths: ['startingFrom'],
  },
  {
    name: 'NUL in a file target (admin)',
    who: 'admin',
    method: 'PATCH',
    url: '/companies/RETB/integrations/xml-sftp',
    payload: { target: 'file:///tmp/a\u0000b' },
    status: 400,
    paths: ['target'],
  },
  {
    name: 'CR/LF in a run user',
    who: 'admin',
    method: 'POST',
    url: '/companies/RETB/runs',
    payload: { as: 'ann@supa.example\r\nX: y' },
    status: 400,
    paths: ['as'],
  },
  {
    name: 'a line break in a run date',
    who: 'admin',
    method: 'POST',
    url: '/companies/RETB/runs',
    payload: { as: 'ann@supa.example', from: '2026-01-01\n' },
    status: 400,
    paths: ['from'],
  },
  { name: 'NUL in a search', who: 'retb', method: 'GET', url: `/orders?search=${q('B\u0000')}`, status: 400, paths: ['search'] },
  { name: 'CR/LF in a search', who: 'retb', method: 'GET', url: `/orders?search=${q('B-1\r\nX: y')}`, status: 400, paths: ['search'] },
  {
    name: 'NUL in an email address (admin)',
    who: 'admin',
    method: 'PATCH',
    url: '/companies/RETB/integrations/pdf-emailer',
    payload: { emailTo: 'ap\u0000@retb.example' },
    status: 400,
    paths: ['emailTo'],
  },
  // Unknown fields, out-of-scope and out-of-right requests
  { name: 'an unknown field in an order', who: 'retb', method: 'POST', url: '/orders', payload: newOrder({ invoiceId: 1 }), status: 400, paths: ['invoiceId'] },
  {
    name: 'an unknown field in settings',
    who: 'retb',
    method: 'PATCH',
    url: '/companies/RETB/integrations/pdf-emailer',
    payload: { settings: { emailTo: 'x@y.example' } },
    status: 400,
    paths: ['settings'],
  },
  {
    name: 'an unknown field in a run',
    who: 'admin',
    method: 'POST',
    url: '/companies/RETB/runs',
    payload: { dryRun: true, sql: 'DELETE FROM invoices' },
    status: 400,
    paths: ['sql'],
  },
  {
    name: 'an operator field from a company token',
    who: 'retb',
    method: 'PATCH',
    url: '/companies/RETB/integrations/pdf-emailer',
    payload: { passwordEnv: 'DATABASE_URL' },
    status: 403,
    paths: ['passwordEnv'],
  },
  {
    name: 'an order for a company outside the scope',
    who: 'retb',
    method: 'POST',
    url: '/orders',
    payload: order('RETC', 'C-NEW'),
    status: 400,
    paths: ['company'],
  },
  { name: 'a company outside the scope', who: 'retb', method: 'GET', url: '/companies/SUPA', status: 404 },
  {
    name: 'a token 10,000 characters long',
    who: 'none',
    method: 'GET',
    url: '/orders',
    headers: { authorization: `Bearer ${'A'.repeat(10_000)}` },
    status: 401,
  },
  { name: 'a method the API does not have', who: 'admin', method: 'DELETE', url: ({ open }) => `/orders/${open}`, status: 404 },
];

describe.each(databaseKinds)('hostile input on %s', (kind) => {
  let t: TestDatabase;
  let app: FastifyInstance;
  const tokens: Record<Who, string> = { admin: '', retb: '', none: '' };
  const ids = { open: 0 };

  const send = (who: Who, options: InjectOptions) => injectAs(app, who === 'none' ? null : tokens[who], options);

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir, OMS_LOG_LEVEL: 'silent' };
    const loaded = await runCli(
      [
        'load',
        writeJson({
          companies: [
            supplier('SUPA', { sequence: { prefix: 'SUPA-', padding: 6, next: 1 } }),
            dropship('RETB', 'SUPA', { integrations: [{ type: 'pdf-emailer', enabled: false, emailTo: 'ap@retb.example' }] }),
            dropship('RETC', 'SUPA'),
          ],
          users: [{ email: 'ann@supa.example', name: 'Ann', primaryCompany: 'SUPA' }],
          products: [product(), product('MUG', { name: 'Mug', costPrice: '3.00', tradeTierPrices: {} })],
          orders: [order('RETB', 'B-1'), order('RETB', 'B-2'), order('RETC', 'C-1')],
        }),
      ],
      env,
      { at: AT },
    );
    expect(loaded.code, loaded.stderr).toBe(0);
    for (const [name, company] of [
      ['admin', null],
      ['retb', 'RETB'],
    ] as const) {
      const r = await runCli(['tokens', 'create', '--label', name, ...(company ? ['--company', company] : []), '--json'], env, { at: AT });
      tokens[name] = parseJsonOutput<{ token: string }>(r).token;
    }
    app = await startApi(env, t.dataDir, { clock: fixedClock(AT) });
    const list = await send('admin', { method: 'GET', url: '/orders?company=RETB&search=B-1' });
    ids.open = list.json<{ items: Array<{ id: number }> }>().items[0]!.id;
    // Each token's first use is recorded (at most once a minute; the clock stands still here): done before the table
    expect((await send('retb', { method: 'GET', url: '/orders' })).statusCode).toBe(200);
  });
  afterAll(async () => {
    await app?.close();
    await t?.destroy();
  });

  it(`has at least 30 hostile inputs (${HOSTILE.length})`, () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(30);
  });

  it.each(HOSTILE)('$name: $status, database unchanged', async (h) => {
    const before = await dumpDatabase(t.db);
    const payload = h.payload === undefined ? undefined : typeof h.payload === 'string' ? h.payload : JSON.stringify(h.payload);
    const r = await send(h.who, {
      method: h.method,
      url: typeof h.url === 'string' ? h.url : h.url(ids),
      ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json', ...(h.headers ?? {}) } }),
      ...(payload === undefined && h.headers ? { headers: h.headers } : {}),
    });
    expect(r.statusCode, r.body.slice(0, 500)).toBe(h.status);
    const body: unknown = r.json();
    if (h.status >= 400) {
      const error = (body as ErrorJson).error;
      expect(typeof error.message).toBe('string');
      if (h.paths) expect([...new Set(error.problems.map((p) => p.path))].sort()).toEqual(h.paths);
    }
    h.check?.(body);
    // Standard security headers on every answer, refusals included
    expect(r.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'cross-origin-resource-policy': 'same-origin',
    });
    expect(r.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(r.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(await dumpDatabase(t.db)).toEqual(before);
  });

  it('SQL-looking text in an order is stored and read back literally, and every table survives', async () => {
    const sql = "B-1'); DROP TABLE orders; --";
    const created = await send('retb', { method: 'POST', url: '/orders', payload: newOrder({ number: sql, relatingTo: "' OR '1'='1" }) });
    expect(created.statusCode, created.body).toBe(201);
    const found = await send('retb', { method: 'GET', url: `/orders?search=${q('DROP TABLE')}` });
    expect(found.json<{ items: Array<{ number: string; relatingTo: string }> }>().items).toEqual([
      expect.objectContaining({ number: sql, relatingTo: "' OR '1'='1" }),
    ]);
    // The search still sees exactly RETB's orders
    expect((await send('retb', { method: 'GET', url: '/orders' })).json<{ count: number }>().count).toBe(3);
    expect(Object.keys(await dumpDatabase(t.db))).toEqual(expect.arrayContaining(['orders', 'order_items', 'invoices', 'api_tokens']));
  });
});
