/**
 * Tokens belong to people: `tokens create --user EMAIL [--expires-in 90d]`, a manual run through the API
 * with such a token numbered from that user's primary company, expiry and revocation effective on the next
 * request, and the last use shown by `tokens list` (recorded at most once a minute), on both databases.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectAs, startApi } from '../support/api.js';
import { parseJsonOutput, runCli } from '../support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases.js';
import { dropship, order, product, supplier, writeJson } from '../support/fixtures.js';

const AT = Date.parse('2026-11-21T12:00:00Z');
const MINUTE = 60_000;

interface TokenJson {
  id: number;
  label: string;
  company: string | null;
  user: string | null;
  createdAt: string;
  expiresAt: string | null;
  expired: boolean;
  lastUsedAt: string | null;
}
interface ErrorJson {
  error: { code: string; message: string; problems: Array<{ path: string; message: string }> };
}

describe.each(databaseKinds)('tokens made for people on %s', (kind) => {
  let t: TestDatabase;
  let env: Record<string, string>;
  let app: FastifyInstance;
  /** The server's clock: each test moves it */
  let now = AT;

  const cli = (args: string[], at = now) => runCli(args, env, { at });
  const create = async (args: string[]) => {
    const r = await cli(['tokens', 'create', ...args, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return parseJsonOutput<{ token: string; id: number; label: string; company: string | null; user: string | null; expiresAt: string | null }>(r);
  };
  const list = async () => parseJsonOutput<TokenJson[]>(await cli(['tokens', 'list', '--json']));
  const call = (token: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    injectAs(app, token, { method, url, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir, OMS_LOG_LEVEL: 'warn' };
    const loaded = await cli([
      'load',
      writeJson({
        companies: [
          supplier('SUPA', { sequence: { prefix: 'SUPA-', padding: 6, next: 1 } }),
          dropship('RETB', 'SUPA', { sequence: { prefix: 'RETB-', padding: 4, next: 1 } }),
          dropship('RETC', 'SUPA'),
        ],
        users: [
          { email: 'ann@supa.example', name: 'Ann', primaryCompany: 'SUPA' },
          { email: 'rita@retb.example', name: 'Rita', primaryCompany: 'RETB' },
          { email: 'nobody@home.example', name: 'No Company', primaryCompany: null },
        ],
        products: [product()],
        orders: [order('RETB', 'B-1'), order('RETB', 'B-2'), order('RETC', 'C-1')],
      }),
    ]);
    expect(loaded.code, loaded.stderr).toBe(0);
    app = await startApi(env, t.dataDir, { clock: { now: () => now } });
  });
  afterAll(async () => {
    await app?.close();
    await t?.destroy();
  });

  it('refuses a token for an unknown user, one without a primary company, or one numbering outside the scope; and a bad lifetime', async () => {
    const count = async () => (await t.db('api_tokens').count({ n: '*' }).first())!.n;
    const before = await count();
    for (const [args, path] of [
      [['--user', 'who@nowhere.example'], '--user'],
      [['--user', 'nobody@home.example'], '--user'],
      [['--company', 'RETB', '--user', 'ann@supa.example'], '--user'],
      [['--expires-in', '90'], '--expires-in'],
      [['--expires-in', '0d'], '--expires-in'],
      [['--expires-in', '4000d'], '--expires-in'],
      [['--expires-in', '-1d'], '--expires-in'],
    ] as const) {
      const r = await cli(['tokens', 'create', '--label', 'bad', ...args, '--json']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(parseJsonOutput<ErrorJson>(r).error.problems.map((p) => p.path)).toEqual([path]);
    }
    expect(await count()).toEqual(before);
  });

  it("a user's token starts manual runs as that user, numbered from their primary company; another `as` is refused", async () => {
    now = AT;
    const rita = await create(['--label', 'rita laptop', '--company', 'RETB', '--user', 'Rita@RETB.example']);
    expect(rita).toMatchObject({ company: 'RETB', user: 'Rita@RETB.example', expiresAt: null });
    const other = await call(rita.token, 'POST', '/companies/RETB/runs', { as: 'ann@supa.example', dryRun: true });
    expect(other.statusCode).toBe(400);
    expect(other.json<ErrorJson>().error.problems).toEqual([
      { path: 'as', message: 'this token runs as rita@retb.example: leave "as" out or give that address' },
    ]);
    const same = await call(rita.token, 'POST', '/companies/RETB/runs', { as: 'RITA@retb.example', dryRun: true });
    expect(same.statusCode, same.body).toBe(200);
    expect(same.json()).toMatchObject({ mode: 'manual', dryRun: true });

    const run = await call(rita.token, 'POST', '/companies/RETB/runs', {});
    expect(run.statusCode, run.body).toBe(200);
    expect(run.json()).toMatchObject({ company: 'RETB', mode: 'manual', invoices: [{ number: 'RETB-0001', orders: ['B-1', 'B-2'] }] });
    const history = await call(rita.token, 'GET', '/companies/RETB/runs');
    expect(history.json<{ items: Array<{ mode: string; user: string }> }>().items[0]).toMatchObject({ mode: 'manual', user: 'rita@retb.example' });

    // An admin's token made for Ann numbers from SUPA, whichever company it runs
    const ann = await create(['--label', 'ann', '--user', 'ann@supa.example']);
    const annRun = await call(ann.token, 'POST', '/companies/RETC/runs', {});
    expect(annRun.json()).toMatchObject({ mode: 'manual', invoices: [{ number: 'SUPA-000001' }] });
    // A token without a user runs the company's enabled integrations (none here), as `run --company C`
    const plain = await create(['--label', 'plain', '--company', 'RETB']);
    expect((await call(plain.token, 'POST', '/companies/RETB/runs', {})).json()).toMatchObject({ mode: 'auto', invoices: [] });
  });

  it('an expired token is refused from its expiry on (401), and tokens list says so', async () => {
    now = AT;
    const short = await create(['--label', 'short', '--company', 'RETB', '--expires-in', '1h']);
    expect(short.expiresAt).toBe(new Date(AT + 60 * MINUTE).toISOString());
    now = AT + 59 * MINUTE;
    expect((await call(short.token, 'GET', '/companies')).statusCode).toBe(200);
    now = AT + 60 * MINUTE;
    const refused = await call(short.token, 'GET', '/companies');
    expect(refused.statusCode).toBe(401);
    expect(refused.json<ErrorJson>().error.message).toBe('this API token has expired');
    expect((await list()).find((x) => x.id === short.id)).toMatchObject({ expiresAt: new Date(AT + 60 * MINUTE).toISOString(), expired: true });
    const text = await cli(['tokens', 'list']);
    expect(text.stdout).toMatch(/ID\s+LABEL\s+SCOPE\s+USER\s+CREATED\s+EXPIRES\s+LAST USED/);
    expect(text.stdout).toMatch(/short\s+RETB\s+2026-11-21 12:00\s+2026-11-21 13:00 \(expired\)\s+2026-11-21 12:59/);
  });

  it('a revoked token is refused on its next request', async () => {
    now = AT;
    const gone = await create(['--label', 'gone', '--user', 'rita@retb.example', '--company', 'SUPA']);
    expect((await call(gone.token, 'GET', '/companies')).statusCode).toBe(200);
    expect((await cli(['tokens', 'revoke', String(gone.id)])).code).toBe(0);
    expect((await call(gone.token, 'GET', '/companies')).statusCode).toBe(401);
  });

  it('records the last use at most once a minute, and shows it with the user and expiry', async () => {
    now = AT;
    const busy = await create(['--label', 'busy', '--company', 'RETB', '--user', 'rita@retb.example', '--expires-in', '90d']);
    expect((await list()).find((x) => x.id === busy.id)).toMatchObject({ user: 'rita@retb.example', lastUsedAt: null, expired: false });
    const lastUsed = async () => (await list()).find((x) => x.id === busy.id)!.lastUsedAt;
    now = AT + 1000;
    await call(busy.token, 'GET', '/orders');
    expect(await lastUsed()).toBe(new Date(AT + 1000).toISOString());
    now = AT + 1000 + 59_000;
    await call(busy.token, 'GET', '/orders');
    expect(await lastUsed()).toBe(new Date(AT + 1000).toISOString());
    now = AT + 1000 + MINUTE;
    await call(busy.token, 'GET', '/orders');
    expect(await lastUsed()).toBe(new Date(AT + 1000 + MINUTE).toISOString());
    expect((await list()).find((x) => x.id === busy.id)).toMatchObject({
      label: 'busy',
      company: 'RETB',
      user: 'rita@retb.example',
      createdAt: new Date(AT).toISOString(),
      expiresAt: new Date(AT + 90 * 24 * 60 * MINUTE).toISOString(),
    });
  });

  it('adds the owner, expiry and last use to api_tokens in migration 004-token-owners', async () => {
    const names = parseJsonOutput<{ migrations: string[] }>(await cli(['migrate', '--json'])).migrations;
    expect(names).toContain('004-token-owners');
    for (const column of ['user_id', 'expires_at', 'last_used_at']) expect(await t.db.schema.hasColumn('api_tokens', column), column).toBe(true);
  });
});
