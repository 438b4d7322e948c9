/**
 * Credit notes over HTTP (SPEC §8) on both databases: `GET /invoices/:number` as `invoices show`,
 * `POST /invoices/:number/credit-notes`, `GET /credit-notes`, and their PDF and XML; company tokens reach
 * only invoices in their scope, and a refused request writes nothing.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/domain/clock.js';
import { injectAs, startApi } from './support/api.js';
import { parseJsonOutput, runCli } from './support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { dropship, order, product, supplier, writeJson } from './support/fixtures.js';

const AT = Date.parse('2026-11-21T12:00:00Z');
const USER = 'ann@supa.example';

interface ErrorJson {
  error: { code: string; problems: Array<{ path: string; message: string }> };
}

describe.each(databaseKinds)('credit notes over HTTP on %s', (kind) => {
  let t: TestDatabase;
  let app: FastifyInstance;
  const tokens = { admin: '', retb: '', retc: '', ann: '' };

  const call = (token: string, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<LightMyRequestResponse> =>
    injectAs(app, token, { method, url, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    const doc = {
      companies: [supplier('SUPA', { sequence: { prefix: 'SUPA-', padding: 6, next: 1 } }), dropship('RETB', 'SUPA'), dropship('RETC', 'SUPA')],
      users: [{ email: USER, name: 'Ann', primaryCompany: 'SUPA' }],
      products: [product()],
      orders: [
        order('RETB', 'B-1', { items: [{ sku: 'TS-WHT-M', description: 'T-shirt', quantity: 4, unitCostPrice: '7.50', taxRate: '20' }] }),
        order('RETB', 'B-2', { shippingCost: '0.00' }),
        order('RETC', 'C-1'),
      ],
    };
    expect((await runCli(['load', writeJson(doc)], env, { at: AT })).code).toBe(0);
    for (const company of ['RETB', 'RETC']) expect((await runCli(['run', '--company', company, '--as', USER], env, { at: AT })).code).toBe(0);
    const token = async (...args: string[]) => parseJsonOutput<{ token: string }>(await runCli(['tokens', 'create', ...args, '--json'], env, { at: AT })).token;
    tokens.admin = await token('--label', 'admin');
    tokens.retb = await token('--label', 'retb', '--company', 'RETB');
    tokens.retc = await token('--label', 'retc', '--company', 'RETC');
    tokens.ann = await token('--label', 'ann', '--user', USER);
    app = await startApi(env, t.dataDir, { clock: fixedClock(AT) });
  });
  afterAll(async () => {
    await app?.close();
    await t?.destroy();
  });

  it('GET /invoices/:number answers as invoices show --json', async () => {
    const r = await call(tokens.retb, 'GET', '/invoices/SUPA-000001');
    expect(r.statusCode, r.body).toBe(200);
    const cli = parseJsonOutput<unknown>(await runCli(['invoices', 'show', 'SUPA-000001', '--json'], { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir }));
    expect(r.json()).toEqual(cli);
    expect(r.json()).toMatchObject({
      status: 'issued',
      credited: '0.00',
      lines: [{ position: 1, order: 'B-1', quantity: 4, creditedQuantity: 0 }, { position: 2 }],
    });
  });

  it('a company token cannot see or credit another company’s invoice: unknown, as if it did not exist', async () => {
    expect((await call(tokens.retc, 'GET', '/invoices/SUPA-000001')).statusCode).toBe(404);
    const r = await call(tokens.retc, 'POST', '/invoices/SUPA-000001/credit-notes', { reason: 'not mine' });
    expect(r.statusCode).toBe(400);
    expect(r.json<ErrorJson>().error.problems).toEqual([{ path: 'invoice', message: 'unknown invoice "SUPA-000001"' }]);
    expect(r.body).toBe((await call(tokens.retc, 'POST', '/invoices/NOPE-1/credit-notes', { reason: 'x' })).body.replaceAll('NOPE-1', 'SUPA-000001'));
    expect(await t.db('invoices').where('kind', 'credit_note').count({ n: '*' }).first()).toMatchObject({ n: 0 });
  });

  it('refuses bad requests with the field named and writes nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'reason'],
      [{ reason: '' }, 'reason'],
      [{ reason: 'x', lines: [{ position: 9 }] }, 'lines[0].position'],
      [{ reason: 'x', lines: [{ position: 1, quantity: 5 }] }, 'lines[0].quantity'],
      [{ reason: 'x', lines: [{ position: 1, quantity: 0 }] }, 'lines[0].quantity'],
      [{ reason: 'x', orders: ['B-9'] }, 'orders[0]'],
      [{ reason: 'x', lines: [{ position: 1, quantity: 1 }], reinvoice: true }, 'reinvoice'],
      [{ reason: 'x', colour: 'red' }, 'colour'],
    ];
    for (const [body, path] of cases) {
      const r = await call(tokens.retb, 'POST', '/invoices/SUPA-000001/credit-notes', body);
      expect(r.statusCode, `${JSON.stringify(body)}: ${r.body}`).toBe(400);
      expect(
        r.json<ErrorJson>().error.problems.map((p) => p.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expect(await t.db('invoices').where('kind', 'credit_note').count({ n: '*' }).first()).toMatchObject({ n: 0 });
    expect(await t.db('sequences').first('credit_note_next')).toMatchObject({ credit_note_next: 1 });
  });

  it('issues a credit note (dry run first), lists it, serves its PDF and XML, and records who issued it', async () => {
    const dry = await call(tokens.ann, 'POST', '/invoices/SUPA-000001/credit-notes', {
      reason: 'Two returned',
      lines: [{ position: 1, quantity: 2 }],
      dryRun: true,
    });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ number: null, net: '15.00', tax: '3.00', total: '18.00' });
    const made = await call(tokens.ann, 'POST', '/invoices/SUPA-000001/credit-notes', { reason: 'Two returned', lines: [{ position: 1, quantity: 2 }] });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json()).toMatchObject({
      number: 'SUPA-CN-000001',
      invoice: 'SUPA-000001',
      company: 'RETB',
      lines: 1,
      net: '15.00',
      tax: '3.00',
      total: '18.00',
    });
    expect(await t.db('invoices').where('number', 'SUPA-CN-000001').first('issued_by_user_id')).toMatchObject({
      issued_by_user_id: (await t.db('users').where('email', USER).first<{ id: number }>('id')).id,
    });

    const list = await call(tokens.retb, 'GET', '/credit-notes');
    expect(list.json()).toMatchObject({ count: 1, items: [{ number: 'SUPA-CN-000001', invoice: 'SUPA-000001', reason: 'Two returned', total: '18.00' }] });
    expect((await call(tokens.retc, 'GET', '/credit-notes')).json()).toEqual({ items: [], count: 0 });
    expect((await call(tokens.admin, 'GET', '/credit-notes?invoice=SUPA-000001')).json()).toMatchObject({ count: 1 });

    const pdf = await call(tokens.retb, 'GET', '/credit-notes/SUPA-CN-000001/pdf');
    expect([pdf.statusCode, pdf.headers['content-type']]).toEqual([200, 'application/pdf']);
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const xml = await call(tokens.retb, 'GET', '/credit-notes/SUPA-CN-000001/xml');
    expect(xml.statusCode).toBe(200);
    expect(xml.body).toBe((await runCli(['credit-notes', 'xml', 'SUPA-CN-000001'], { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir })).stdout);
    expect((await call(tokens.retc, 'GET', '/credit-notes/SUPA-CN-000001/xml')).statusCode).toBe(404);

    const shown = (await call(tokens.retb, 'GET', '/invoices/SUPA-000001')).json<{ status: string; creditNotes: string[]; credited: string }>();
    expect(shown).toMatchObject({ status: 'partially_credited', creditNotes: ['SUPA-CN-000001'], credited: '18.00' });
    const invoices = (await call(tokens.retb, 'GET', '/invoices')).json<{ items: Array<{ number: string; status: string }> }>();
    expect(invoices.items.map((i) => [i.number, i.status])).toEqual([['SUPA-000001', 'partially_credited']]);
  });
});
