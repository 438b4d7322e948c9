/**
 * `/healthz` and `/metrics` on both databases, through the same fastify instance `serve` listens with.
 * Health is open and follows the database (a real outage: the connection to MariaDB cut by a proxy);
 * metrics need an admin token and count, in the database, what other processes did (runs made by the CLI,
 * a run closed as interrupted by a worker's tick).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../src/admin/http/create-server.js';
import { createContext } from '../src/main.js';
import { injectAs, startApi } from './support/api.js';
import { parseJsonOutput, runCli } from './support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { dropship, order, product, supplier, writeJson } from './support/fixtures.js';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server.js';

const quietIo = (env: Record<string, string>, cwd: string) => ({ stdout: { write: () => true }, stderr: { write: () => true }, env, cwd });

/** A TCP proxy in front of a server, which can be cut (every connection dropped, new ones refused). */
async function startProxy(targetPort: number): Promise<{ port: number; cut(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    async cut() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

describe.each(databaseKinds)('/healthz and /metrics on %s', (kind) => {
  let t: TestDatabase;
  let smtp: TestSmtpServer;
  let env: Record<string, string>;
  let app: FastifyInstance;
  const tokens = { admin: '', retb: '' };

  const metrics = async (): Promise<string> => {
    const r = await injectAs(app, tokens.admin, { method: 'GET', url: '/metrics' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    return r.body;
  };
  const value = (text: string, series: string): number | null => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? null : Number(line.slice(series.length + 1));
  };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    smtp = await startSmtpServer();
    env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir, SMTP_URL: smtp.url };
    const email = { type: 'pdf-emailer', enabled: true, emailTo: 'ap@retailer.example' };
    const loaded = await runCli(
      [
        'load',
        writeJson({
          companies: [supplier('SUPA'), dropship('RETB', 'SUPA', { integrations: [email] }), dropship('RETC', 'SUPA', { integrations: [email] })],
          users: [{ email: 'ann@supa.example', name: 'Ann', primaryCompany: 'SUPA' }],
          products: [product()],
          orders: [order('RETB', 'B-1'), order('RETC', 'C-1')],
        }),
      ],
      env,
    );
    expect(loaded.code, loaded.stderr).toBe(0);
    tokens.admin = parseJsonOutput<{ token: string }>(await runCli(['tokens', 'create', '--label', 'ops', '--json'], env)).token;
    tokens.retb = parseJsonOutput<{ token: string }>(await runCli(['tokens', 'create', '--label', 'retb', '--company', 'RETB', '--json'], env)).token;
    app = await startApi(env, t.dataDir);
  });

  afterAll(async () => {
    await app?.close();
    await smtp?.stop();
    await t?.destroy();
  });

  it('/healthz answers 200 without a token while the database answers', async () => {
    const r = await app.inject({ method: 'GET', url: '/healthz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok', database: 'up' });
  });

  it('/metrics needs an admin token: none is 401, a company token is 404', async () => {
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const company = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${tokens.retb}` } });
    expect(company.statusCode).toBe(404);
    expect(company.body).not.toContain('oms_');
  });

  it('/metrics counts what other processes did: runs, invoices, deliveries by status and integration, failures, takeovers, durations', async () => {
    const before = await metrics();
    expect(value(before, 'oms_database_up')).toBe(1);
    expect(value(before, 'oms_run_lease_takeovers_total')).toBe(0);
    expect(value(before, 'oms_credit_notes_total')).toBe(0);
    expect(before).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(before).toMatch(/^nodejs_heap_size_used_bytes \d/m);

    // A manual run delivered, and an integration run whose email the server refused, each by the CLI
    expect((await runCli(['run', '--company', 'RETB', '--as', 'ann@supa.example'], env)).code).toBe(0);
    smtp.failNext(1, 550);
    expect((await runCli(['run', '--company', 'RETC'], env)).code).toBe(1);
    // A run left `running` by a worker that died, closed as interrupted by the next worker's tick
    const integration = (await t
      .db('integrations as g')
      .join('companies as c', 'c.id', 'g.company_id')
      .where('c.code', 'RETB')
      .select('g.id', 'g.company_id')
      .first()) as {
      id: number;
      company_id: number;
    };
    const past = Date.now() - 3600_000;
    await t
      .db('runs')
      .insert({ company_id: integration.company_id, integration_id: integration.id, mode: 'auto', status: 'running', as_of: past, started_at: past });
    await t.db('integrations').where('id', integration.id).update({ next_invoice_at: past, lease_owner: null, lease_until: null });
    const tick = await runCli(['worker', '--once'], env);
    expect(tick.code, tick.stderr).toBe(0);

    const after = await metrics();
    expect(value(after, 'oms_run_lease_takeovers_total')).toBe(1);
    expect(value(after, 'oms_runs{mode="manual",status="ok"}')).toBe(1);
    expect(value(after, 'oms_runs{mode="auto",status="failed"}')).toBe(1);
    expect(value(after, 'oms_runs{mode="auto",status="ok"}')).toBe(2);
    expect(value(after, 'oms_invoices_total{mode="manual"}')).toBe(1);
    expect(value(after, 'oms_invoices_total{mode="auto"}')).toBe(1);
    expect(value(after, 'oms_deliveries{integration="pdf-emailer",status="sent"}')).toBe(1);
    expect(value(after, 'oms_deliveries{integration="pdf-emailer",status="failed"}')).toBe(1);
    expect(value(after, 'oms_delivery_attempts_total{integration="pdf-emailer",result="sent"}')).toBe(1);
    expect(value(after, 'oms_delivery_attempts_total{integration="pdf-emailer",result="failed"}')).toBe(1);
    // Every finished run is in the duration histogram; its buckets are cumulative up to +Inf
    const finished = value(after, 'oms_run_duration_seconds_count{mode="auto"}')! + value(after, 'oms_run_duration_seconds_count{mode="manual"}')!;
    expect(finished).toBe(4);
    expect(value(after, 'oms_run_duration_seconds_bucket{mode="auto",le="+Inf"}')).toBe(3);
    // The interrupted run took an hour: beyond the last bound
    expect(value(after, 'oms_run_duration_seconds_bucket{mode="auto",le="900"}')).toBe(2);
    const buckets = after
      .split('\n')
      .filter((l) => l.startsWith('oms_run_duration_seconds_bucket{mode="manual"'))
      .map((l) => Number(l.split(' ')[1]));
    expect(buckets.length).toBe(12);
    expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
    expect(after).toContain('# TYPE oms_run_duration_seconds histogram');
    // Nothing secret, nothing per company: the figures are totals
    expect(after).not.toContain(tokens.admin);
    expect(after).not.toContain('RETB');
  });

  it('/healthz answers 503 when the database does not answer', async () => {
    if (kind === 'mariadb') {
      // The same server reached through a proxy, which is then cut: a real outage after a healthy start
      const url = new URL(t.url);
      const proxy = await startProxy(Number(url.port));
      url.port = String(proxy.port);
      const cutEnv = { ...env, DATABASE_URL: url.toString() };
      const cutCtx = createContext(quietIo(cutEnv, t.dataDir));
      const cutApp = createServer(cutCtx);
      try {
        expect((await cutApp.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
        await proxy.cut();
        const down = await cutApp.inject({ method: 'GET', url: '/healthz' });
        expect(down.statusCode).toBe(503);
        expect(down.json()).toEqual({ status: 'unavailable', database: 'down' });
        const scraped = await cutApp.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${tokens.admin}` } });
        // The token cannot even be checked without the database
        expect(scraped.statusCode).toBe(500);
      } finally {
        await cutApp.close();
        await cutCtx.close().catch(() => undefined);
      }
    } else {
      // An embedded database that cannot be opened: where its folder should be is a file
      const notAFolder = path.join(t.dataDir, 'not-a-folder');
      fs.writeFileSync(notAFolder, '');
      const badCtx = createContext(quietIo({ ...env, DATABASE_URL: `sqlite:${notAFolder}/oms.sqlite` }, t.dataDir));
      const badApp = createServer(badCtx);
      try {
        const down = await badApp.inject({ method: 'GET', url: '/healthz' });
        expect(down.statusCode).toBe(503);
        expect(down.json()).toEqual({ status: 'unavailable', database: 'down' });
      } finally {
        await badApp.close();
        await badCtx.close().catch(() => undefined);
      }
    }
  });
});
