/**
 * The scheduler and the worker, as a user sees them: ticks of `worker --once --at T` (the clock is the
 * `--at` instant; no test waits for real minutes), the invoices they issue, and what
 * `integrations list --json` says about next runs, last runs and last results.
 *
 *  - the seed's default (enabled, no schedule, no nextInvoiceAt): first run at the next full local hour,
 *    then Sunday 00:00 local, across both 2026 daylight-saving changes in London and New York;
 *  - each preset and a cron expression; a cron time inside the spring-forward gap and one that occurs
 *    twice in the autumn; missed runs;
 *  - several real worker processes on one MariaDB; a worker killed with SIGKILL; SIGTERM;
 *  - the structured log line of each run.
 *
 * Pure schedule maths is tested exhaustively in test/domain/schedule*.test.ts; here it is seen through
 * real ticks on both databases.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJsonOutput, runCli, spawnCli, startCli } from './support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { dropship, order, product, supplier, writeJson, type Json } from './support/fixtures.js';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server.js';
import { startSshd } from './support/sshd.js';
import { createContext } from '../src/main.js';
import { shareSessions } from '../src/scheduler/shared-sessions.js';
import { runTick, type TickReport, type TickRunSummary } from '../src/scheduler/tick.js';
import type { DeliverySession, IntegrationDriver } from '../integrations/contract.js';

interface IntegrationRow {
  company: string;
  type: string;
  enabled: boolean;
  schedule: string;
  timezone: string;
  nextInvoiceAt: string | null;
  lastRunAt: string | null;
  lastResult: { status: string; invoices: string[]; skipped: Record<string, number>; delivered: number; failed: number; error?: string } | null;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ms = (iso: string) => Date.parse(iso);
const utc = (at: number) => new Date(at).toISOString();
const local = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toFormat('ccc yyyy-MM-dd HH:mm ZZ');

function emailer(extra: Record<string, Json> = {}): Json {
  return { type: 'pdf-emailer', enabled: true, emailTo: 'ap@retailer.example', ...extra };
}

/** A supplier SUPA (numbering SUPA-000001…) and its retailers, each with one pdf-emailer. */
function companies(retailers: Array<{ code: string; timezone?: string; integration?: Record<string, Json> }>): Json[] {
  return [
    supplier('SUPA', { sequence: { prefix: 'SUPA-', padding: 6, next: 1 } }),
    ...retailers.map((r) => dropship(r.code, 'SUPA', { timezone: r.timezone ?? 'Europe/London', integrations: [emailer(r.integration)] })),
  ];
}

/** One GBP order of `company`, created at `createdAt`. */
const anOrder = (company: string, number: string, createdAt: string): Json => order(company, number, { createdAt, dispatchedAt: createdAt });

/** The CLI against one test database, in-process. */
function harness(t: TestDatabase, policy: Record<string, string> = {}) {
  const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir, ...policy };
  const runs = new Map<string, number>();
  return {
    env,
    /** Runs per company over every tick so far */
    runs,
    async load(doc: Record<string, Json>, at = '2026-01-01T00:00:00Z'): Promise<void> {
      const r = await runCli(['load', writeJson(doc)], env, { at: ms(at) });
      expect(r.code, r.stderr).toBe(0);
    },
    /** `worker --once --at AT --json`; returns the report and the structured log lines */
    async tick(at: string): Promise<TickReport & { logs: Array<Record<string, unknown>> }> {
      const r = await runCli(['worker', '--once', '--at', at, '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      const report = parseJsonOutput<TickReport>(r);
      expect(report.at).toBe(utc(ms(at)));
      for (const run of report.ran) {
        expect(run.error, `${run.company} at ${at}`).toBeUndefined();
        runs.set(run.company, (runs.get(run.company) ?? 0) + 1);
      }
      const logs = r.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      return { ...report, logs };
    },
    /** `integrations list --json` as of `at` */
    async list(at = '2026-01-01T00:00:00Z'): Promise<IntegrationRow[]> {
      const r = await runCli(['integrations', 'list', '--json'], env, { at: ms(at) });
      expect(r.code, r.stderr).toBe(0);
      return parseJsonOutput<IntegrationRow[]>(r);
    },
    async integration(company: string, at?: string): Promise<IntegrationRow> {
      const row = (await this.list(at)).find((g) => g.company === company);
      expect(row, company).toBeDefined();
      return row!;
    },
    async invoiceNumbers(): Promise<string[]> {
      return (await t.db('invoices').orderBy('number').select<Array<{ number: string }>>('number')).map((r) => r.number);
    },
  };
}

let t: TestDatabase | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

describe.each(databaseKinds)('scheduler ticks on %s', (kind) => {
  /**
   * The seed's default, step by step: each step loads one new order (created an hour before the step),
   * ticks at the step's time, and checks whether the integration ran, the invoice it issued, and the
   * next run that `integrations list` shows.
   */
  const defaultCases = [
    {
      zone: 'Europe/London',
      steps: [
        // Sat 21 Mar, 10:20 GMT: the first tick only schedules the first run: 11:00 local
        { at: '2026-03-21T10:20:00Z', runs: false, next: '2026-03-21T11:00:00.000Z' },
        { at: '2026-03-21T10:59:59Z', runs: false, next: '2026-03-21T11:00:00.000Z' },
        // The first run; then weekly, Sunday 00:00 (the seed's default schedule)
        { at: '2026-03-21T11:00:00Z', runs: true, next: '2026-03-22T00:00:00.000Z' },
        { at: '2026-03-21T23:59:00Z', runs: false, next: '2026-03-22T00:00:00.000Z' },
        // Sun 22 Mar 00:00 GMT → Sun 29 Mar 00:00 GMT (clocks go forward at 01:00 that night)
        { at: '2026-03-22T00:00:00Z', runs: true, next: '2026-03-29T00:00:00.000Z' },
        { at: '2026-03-28T23:59:00Z', runs: false, next: '2026-03-29T00:00:00.000Z' },
        // → Sun 5 Apr 00:00 BST: a week of 167 hours, still local midnight
        { at: '2026-03-29T00:00:00Z', runs: true, next: '2026-04-04T23:00:00.000Z' },
        { at: '2026-04-04T23:00:00Z', runs: true, next: '2026-04-11T23:00:00.000Z' },
        // Ticks resume on Sun 18 Oct, 10:00 BST: one late run, then the next Sunday
        { at: '2026-10-18T09:00:00Z', runs: true, next: '2026-10-24T23:00:00.000Z' },
        // Sun 25 Oct 00:00 BST (clocks go back at 02:00 that night) → Sun 1 Nov 00:00 GMT: 169 hours
        { at: '2026-10-24T23:00:00Z', runs: true, next: '2026-11-01T00:00:00.000Z' },
        { at: '2026-10-31T23:59:59Z', runs: false, next: '2026-11-01T00:00:00.000Z' },
        { at: '2026-11-01T00:00:00Z', runs: true, next: '2026-11-08T00:00:00.000Z' },
      ],
    },
    {
      zone: 'America/New_York',
      steps: [
        // Fri 6 Mar, 10:20 EST
        { at: '2026-03-06T15:20:00Z', runs: false, next: '2026-03-06T16:00:00.000Z' },
        { at: '2026-03-06T16:00:00Z', runs: true, next: '2026-03-08T05:00:00.000Z' },
        // Sun 8 Mar 00:00 EST (clocks go forward at 02:00) → Sun 15 Mar 00:00 EDT
        { at: '2026-03-08T05:00:00Z', runs: true, next: '2026-03-15T04:00:00.000Z' },
        { at: '2026-03-15T03:59:00Z', runs: false, next: '2026-03-15T04:00:00.000Z' },
        { at: '2026-03-15T04:00:00Z', runs: true, next: '2026-03-22T04:00:00.000Z' },
        // Down from March to Wed 28 Oct: one late run
        { at: '2026-10-28T16:00:00Z', runs: true, next: '2026-11-01T04:00:00.000Z' },
        // Sun 1 Nov 00:00 EDT (clocks go back at 02:00) → Sun 8 Nov 00:00 EST
        { at: '2026-11-01T04:00:00Z', runs: true, next: '2026-11-08T05:00:00.000Z' },
        { at: '2026-11-08T04:59:00Z', runs: false, next: '2026-11-08T05:00:00.000Z' },
        { at: '2026-11-08T05:00:00Z', runs: true, next: '2026-11-15T05:00:00.000Z' },
      ],
    },
  ];

  it.each(defaultCases)("the seed's default in $zone: first run at the next full local hour, then Sunday 00:00 local", async ({ zone, steps }) => {
    t = await createTestDatabase(kind);
    const h = harness(t);
    // Enabled, no schedule, no nextInvoiceAt: as the seed leaves a newly enabled integration
    await h.load({ companies: companies([{ code: 'RET', timezone: zone }]), products: [product()] });
    const before = await h.integration('RET', steps[0]!.at);
    expect(before).toMatchObject({ enabled: true, schedule: 'weekly', timezone: zone, lastRunAt: null, lastResult: null });
    expect(await t.db('integrations').first('next_invoice_at')).toMatchObject({ next_invoice_at: null });

    let issued = 0;
    let pendingOrders: string[] = [];
    let lastRunAt: string | null = null;
    for (const [i, step] of steps.entries()) {
      const number = `O-${i}`;
      await h.load({ orders: [anOrder('RET', number, utc(ms(step.at) - 3600_000))] });
      pendingOrders.push(number);
      const report = await h.tick(step.at);
      expect(report.initialised, step.at).toBe(i === 0 ? 1 : 0);
      if (step.runs) {
        issued += 1;
        const invoice = `SUPA-${String(issued).padStart(6, '0')}`;
        expect(
          report.ran.map((r) => [r.company, r.invoices, r.deliveries]),
          step.at,
        ).toEqual([['RET', [invoice], { sent: 1, failed: 0 }]]);
        expect(report.ran[0]!.nextInvoiceAt).toBe(step.next);
        const orders = await t
          .db('orders as o')
          .join('invoices as i', 'i.id', 'o.invoice_id')
          .where('i.number', invoice)
          .orderBy('o.number')
          .select<Array<{ number: string }>>('o.number');
        expect(orders.map((o) => o.number).sort()).toEqual([...pendingOrders].sort());
        pendingOrders = [];
        lastRunAt = utc(ms(step.at));
      } else {
        expect(report.ran, step.at).toEqual([]);
      }
      const row = await h.integration('RET', step.at);
      expect([row.nextInvoiceAt, row.lastRunAt], step.at).toEqual([step.next, lastRunAt]);
      if (lastRunAt !== null) {
        // After the first run, every next run is Sunday 00:00 local
        expect(local(row.nextInvoiceAt!, zone), step.at).toMatch(/^Sun \d{4}-\d\d-\d\d 00:00 /);
      }
    }
    expect(await h.invoiceNumbers()).toHaveLength(issued);
    expect(fs.readdirSync(path.join(t.dataDir, 'outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(issued);
  });

  it('a tick invoices the due companies of one sequence owner together; a company that fails stays its own', async () => {
    t = await createTestDatabase(kind);
    const h = harness(t);
    // 20 due companies, one batch at a time: four batches of five
    const env = { ...h.env, OMS_WORKER_CONCURRENCY: '1' };
    const codes = Array.from({ length: 20 }, (_, i) => `R${String(i + 1).padStart(2, '0')}`);
    await h.load({
      companies: companies(codes.map((code) => ({ code, integration: { nextInvoiceAt: '2026-11-20T00:00:00Z' } }))),
      products: [product()],
      orders: codes.flatMap((c) => [anOrder(c, `${c}-1`, '2026-11-10T10:00:00Z'), anOrder(c, `${c}-2`, '2026-11-10T11:00:00Z')]),
    });
    // A fault injected in the database: R03's invoices cannot be written
    const failing = Number((await t.db('companies').where('code', 'R03').first<{ id: number }>('id')).id);
    await t.db.raw(
      kind === 'sqlite'
        ? `CREATE TRIGGER injected_fault BEFORE INSERT ON invoices WHEN NEW.company_id = ${failing} BEGIN SELECT RAISE(ABORT, 'injected fault'); END`
        : `CREATE TRIGGER injected_fault BEFORE INSERT ON invoices FOR EACH ROW BEGIN IF NEW.company_id = ${failing} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected fault'; END IF; END`,
    );
    const first = await runCli(['worker', '--once', '--at', '2026-11-21T12:00:00Z', '--json'], env);
    expect(first.code, first.stderr).toBe(1);
    const report = parseJsonOutput<TickReport>(first);
    // The first batch rolled back and its companies ran alone; the other batches went through whole. The
    // numbers have no gap: R03 took none
    let next = 1;
    const expected = codes.map((c) => [
      c,
      c === 'R03' ? [] : [`SUPA-${String(next++).padStart(6, '0')}`],
      c === 'R03' ? { sent: 0, failed: 0 } : { sent: 1, failed: 0 },
    ]);
    expect(report.ran.map((r) => [r.company, r.invoices, r.deliveries])).toEqual(expected);
    expect(report.ran[2]!.error).toMatch(/injected fault/);
    expect(report.ran.filter((r) => r.error)).toHaveLength(1);
    // R03 stays due (tried again on the next tick); its orders are not invoiced; its run failed
    const row = await h.integration('R03', '2026-11-21T12:00:00Z');
    expect(row.nextInvoiceAt).toBe('2026-11-20T00:00:00.000Z');
    expect(row.lastResult).toMatchObject({ status: 'error' });
    expect((await h.integration('R04', '2026-11-21T12:00:00Z')).nextInvoiceAt).toBe('2026-11-22T00:00:00.000Z');
    expect(await t.db('orders').whereNull('invoice_id').orderBy('number').pluck('number')).toEqual(['R03-1', 'R03-2']);
    const runs = await t
      .db('runs as r')
      .join('companies as c', 'c.id', 'r.company_id')
      .orderBy('c.code')
      .select<Array<{ code: string; status: string; error: string | null }>>('c.code', 'r.status', 'r.error');
    expect(runs.map((r) => [r.code, r.status])).toEqual(codes.map((c) => [c, c === 'R03' ? 'failed' : 'ok']));
    expect(runs[2]!.error).toMatch(/injected fault/);

    // Mended: the next tick runs R03 alone, with the next number
    await t.db.raw('DROP TRIGGER injected_fault');
    const second = await h.tick('2026-11-21T12:01:00Z');
    expect(second.ran.map((r) => [r.company, r.invoices])).toEqual([['R03', ['SUPA-000020']]]);
    expect(await t.db('orders').whereNull('invoice_id').count({ n: '*' }).first()).toMatchObject({ n: 0 });
  });

  it('when the run log cannot be written, the runs of the batch fail, stay due and take no number', async () => {
    t = await createTestDatabase(kind);
    const h = harness(t);
    const codes = ['RA', 'RB', 'RC'];
    await h.load({
      companies: companies(codes.map((code) => ({ code, integration: { nextInvoiceAt: '2026-11-20T00:00:00Z' } }))),
      products: [product()],
      orders: codes.map((c) => anOrder(c, `${c}-1`, '2026-11-10T10:00:00Z')),
    });
    await t.db.raw(
      kind === 'sqlite'
        ? `CREATE TRIGGER injected_fault BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'injected fault'); END`
        : `CREATE TRIGGER injected_fault BEFORE INSERT ON runs FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected fault'`,
    );
    const env = { ...h.env, OMS_WORKER_CONCURRENCY: '1', OMS_WORKER_BATCH: '3' };
    const first = await runCli(['worker', '--once', '--at', '2026-11-21T12:00:00Z', '--json'], env);
    expect(first.code, first.stderr).toBe(1);
    const report = parseJsonOutput<TickReport>(first);
    expect(report.ran.map((r) => [r.company, r.invoices, r.error?.includes('injected fault')])).toEqual(codes.map((c) => [c, [], true]));
    expect(await t.db('invoices').count({ n: '*' }).first()).toMatchObject({ n: 0 });
    for (const c of codes) expect((await h.integration(c, '2026-11-21T12:00:00Z')).nextInvoiceAt).toBe('2026-11-20T00:00:00.000Z');
    expect(await t.db('integrations').whereNotNull('lease_owner').count({ n: '*' }).first()).toMatchObject({ n: 0 });

    await t.db.raw('DROP TRIGGER injected_fault');
    const second = await h.tick('2026-11-21T12:01:00Z');
    expect(
      second.ran
        .map((r) => r.invoices)
        .flat()
        .sort(),
    ).toEqual(['SUPA-000001', 'SUPA-000002', 'SUPA-000003']);
  });

  it('a run whose delivery fails says why, in its report and as a warning in the log', async () => {
    t = await createTestDatabase(kind);
    const smtp = await startSmtpServer({ unknownRecipients: ['nobody@rb.example'] });
    try {
      const h = harness(t);
      await h.load({
        companies: companies([
          { code: 'RA', integration: { nextInvoiceAt: '2026-11-20T00:00:00Z', emailTo: 'ap@ra.example' } },
          { code: 'RB', integration: { nextInvoiceAt: '2026-11-20T00:00:00Z', emailTo: 'nobody@rb.example' } },
        ]),
        products: [product()],
        orders: [anOrder('RA', 'RA-1', '2026-11-10T10:00:00Z'), anOrder('RB', 'RB-1', '2026-11-10T10:00:00Z')],
      });
      // One batch at a time, so that the numbers follow the due order
      const r = await runCli(['worker', '--once', '--at', '2026-11-21T12:00:00Z', '--json'], { ...h.env, SMTP_URL: smtp.url, OMS_WORKER_CONCURRENCY: '1' });
      expect(r.code, r.stderr).toBe(1);
      const report = parseJsonOutput<TickReport & { ran: Array<TickRunSummary & { deliveryError?: string }> }>(r);
      expect(report.ran.map((x) => [x.company, x.invoices, x.deliveries, x.error])).toEqual([
        ['RA', ['SUPA-000001'], { sent: 1, failed: 0 }, undefined],
        ['RB', ['SUPA-000002'], { sent: 0, failed: 1 }, undefined],
      ]);
      expect(report.ran[0]!.deliveryError).toBeUndefined();
      expect(report.ran[1]!.deliveryError).toMatch(/^SUPA-000002: .*550/);
      const warning = logLines(r.stderr).find((l) => l.company === 'RB');
      expect(warning).toMatchObject({ level: 40, msg: 'integration ran; some deliveries failed', deliveries: { sent: 0, failed: 1 } });
      expect(logLines(r.stderr).find((l) => l.company === 'RA')).toMatchObject({ level: 30, msg: 'integration ran' });
    } finally {
      await smtp.stop();
    }
  });

  it('a tick of 40 due companies issues its statements per batch, not per run', async () => {
    t = await createTestDatabase(kind);
    const h = harness(t);
    const codes = Array.from({ length: 40 }, (_, i) => `R${String(i).padStart(2, '0')}`);
    await h.load({
      companies: companies(codes.map((code) => ({ code, integration: { nextInvoiceAt: '2026-11-20T00:00:00Z' } }))),
      products: [product()],
      orders: codes.map((c) => anOrder(c, `${c}-1`, '2026-11-10T10:00:00Z')),
    });
    const ctx = createContext({ stdout: { write: () => true }, stderr: { write: () => true }, env: h.env, cwd: t.dataDir });
    try {
      const deps = await ctx.runDeps({ shareSessions: true });
      let statements = 0;
      deps.db.on('query', () => statements++);
      const report = await runTick(
        { ...deps, workerId: 'test', leaseSeconds: 300, concurrency: 2, batch: 50, log: ctx.logger(), closeSessions: deps.closeSessions },
        ms('2026-11-21T12:00:00Z'),
      );
      expect(report.ran).toHaveLength(40);
      for (const r of report.ran) expect([r.invoices.length, r.deliveries, r.error]).toEqual([1, { sent: 1, failed: 0 }, undefined]);
      expect(new Set(report.ran.flatMap((r) => r.invoices)).size).toBe(40);
      // Eight batches of five (four per slot of concurrency); each batch's claim, run log, invoicing
      // transaction, delivery claim and release are a couple of dozen statements in all (run one by one, a
      // run took about eighteen, its records aside). A delivery's `sent` is recorded as soon as its server
      // has answered, with whichever others answered meanwhile, together with the attempt in its history:
      // at most one short transaction per delivery (begin, SQLite's write lock, the record, the attempt,
      // commit)
      expect(statements).toBeLessThanOrEqual(8 * 28 + 40 * 5);
      expect(statements / report.ran.length).toBeLessThan(12);
    } finally {
      await ctx.close();
    }
  });

  it('each preset and a cron expression run at their slots, and only then', async () => {
    t = await createTestDatabase(kind);
    const h = harness(t);
    const schedules = { HOUR: 'hourly', DAY: 'daily', WEEK: 'weekly', MONTH: 'monthly', CRON: 'cron:15 9 * * 1-5' };
    await h.load({
      companies: companies(Object.entries(schedules).map(([code, schedule]) => ({ code, integration: { schedule } }))),
      products: [product()],
      orders: Object.keys(schedules).map((code) => anOrder(code, `${code}-1`, '2026-01-20T10:00:00Z')),
    });
    const all = Object.keys(schedules).sort();
    // Each step: the tick's time, which integrations run, and their next runs afterwards (London is on GMT)
    const steps: Array<{ at: string; ran: string[]; next: Partial<Record<string, string>> }> = [
      // Fri 30 Jan 22:10: the first tick schedules every first run at 23:00
      { at: '2026-01-30T22:10:00Z', ran: [], next: Object.fromEntries(all.map((c) => [c, '2026-01-30T23:00:00.000Z'])) },
      {
        at: '2026-01-30T23:00:00Z',
        ran: all,
        next: {
          HOUR: '2026-01-31T00:00:00.000Z',
          DAY: '2026-01-31T00:00:00.000Z',
          WEEK: '2026-02-01T00:00:00.000Z',
          MONTH: '2026-02-01T00:00:00.000Z',
          CRON: '2026-02-02T09:15:00.000Z',
        },
      },
      { at: '2026-01-30T23:59:00Z', ran: [], next: {} },
      { at: '2026-01-31T00:00:00Z', ran: ['DAY', 'HOUR'], next: { HOUR: '2026-01-31T01:00:00.000Z', DAY: '2026-02-01T00:00:00.000Z' } },
      { at: '2026-01-31T00:30:00Z', ran: [], next: {} },
      { at: '2026-01-31T01:00:00Z', ran: ['HOUR'], next: { HOUR: '2026-01-31T02:00:00.000Z' } },
      // Sun 1 Feb 00:00: hourly (late), daily, weekly and monthly together
      {
        at: '2026-02-01T00:00:00Z',
        ran: ['DAY', 'HOUR', 'MONTH', 'WEEK'],
        next: { HOUR: '2026-02-01T01:00:00.000Z', DAY: '2026-02-02T00:00:00.000Z', WEEK: '2026-02-08T00:00:00.000Z', MONTH: '2026-03-01T00:00:00.000Z' },
      },
      {
        at: '2026-02-02T09:14:00Z',
        ran: ['DAY', 'HOUR'],
        next: { HOUR: '2026-02-02T10:00:00.000Z', DAY: '2026-02-03T00:00:00.000Z', CRON: '2026-02-02T09:15:00.000Z' },
      },
      // Mon 2 Feb 09:15: the cron slot; next the same time on Tuesday
      { at: '2026-02-02T09:15:00Z', ran: ['CRON'], next: { CRON: '2026-02-03T09:15:00.000Z' } },
      // Fri 6 Feb 09:15 → Mon 9 Feb 09:15 (1-5: weekdays only); the weekly one is not due before Sunday
      {
        at: '2026-02-06T09:15:00Z',
        ran: ['CRON', 'DAY', 'HOUR'],
        next: { CRON: '2026-02-09T09:15:00.000Z', DAY: '2026-02-07T00:00:00.000Z', HOUR: '2026-02-06T10:00:00.000Z' },
      },
    ];
    const expectedNext: Record<string, string | null> = Object.fromEntries(all.map((c) => [c, null]));
    for (const step of steps) {
      const report = await h.tick(step.at);
      expect(report.ran.map((r) => r.company).sort(), step.at).toEqual(step.ran);
      Object.assign(expectedNext, step.next);
      const rows = await h.list(step.at);
      expect(Object.fromEntries(rows.map((r) => [r.company, r.nextInvoiceAt])), step.at).toEqual(expectedNext);
      for (const r of report.ran) {
        expect(r.nextInvoiceAt).toBe(expectedNext[r.company]);
        expect(rows.find((x) => x.company === r.company)!.lastRunAt).toBe(utc(ms(step.at)));
      }
    }
    expect(Object.fromEntries(h.runs)).toEqual({ HOUR: 6, DAY: 5, WEEK: 2, MONTH: 2, CRON: 3 });
    // Each company's one order was invoiced by its first run; later runs found nothing and said so
    expect(await h.invoiceNumbers()).toHaveLength(5);
    const rows = await h.list('2026-02-06T09:15:00Z');
    for (const r of rows) {
      expect(r.schedule).toBe(schedules[r.company as keyof typeof schedules]);
      expect(r.lastResult).toMatchObject({ status: 'ok', invoices: [], delivered: 0, failed: 0 });
    }
    const stored = await t.db('runs').where('mode', 'auto').count({ n: '*' }).first();
    expect(Number((stored as { n: number }).n)).toBe(18);
  });

  it('New York, 8 Mar 2026: cron:30 2 * * * runs once at 03:00 EDT (07:00Z); hourly runs 01:00 EST then 03:00 EDT', async () => {
    t = await createTestDatabase(kind);
    const h = harness(t);
    await h.load({
      companies: companies([
        { code: 'NYC', timezone: 'America/New_York', integration: { schedule: 'cron:30 2 * * *', nextInvoiceAt: '2026-03-07T07:30:00Z' } },
        { code: 'NYH', timezone: 'America/New_York', integration: { schedule: 'hourly', nextInvoiceAt: '2026-03-08T05:00:00Z' } },
      ]),
      products: [product()],
      orders: [anOrder('NYC', 'C-1', '2026-03-01T00:00:00Z')],
    });
    // Sat 7 Mar 02:30 EST: an ordinary night
    const first = await h.tick('2026-03-07T07:30:00Z');
    expect(first.ran.map((r) => [r.company, r.invoices, r.nextInvoiceAt])).toEqual([['NYC', ['SUPA-000001'], '2026-03-08T07:00:00.000Z']]);
    // Sun 8 Mar, a tick every 15 minutes from 23:00 EST on the 7th to 06:00 EDT
    const cronRuns: string[] = [];
    const hourlyRuns: string[] = [];
    for (let at = ms('2026-03-08T04:00:00Z'); at <= ms('2026-03-08T10:00:00Z'); at += 15 * 60_000) {
      const report = await h.tick(utc(at));
      for (const r of report.ran) (r.company === 'NYC' ? cronRuns : hourlyRuns).push(utc(at));
    }
    expect(cronRuns).toEqual(['2026-03-08T07:00:00.000Z']);
    expect(local(cronRuns[0]!, 'America/New_York')).toBe('Sun 2026-03-08 03:00 -04:00');
    // 00:00 EST, 01:00 EST, 03:00 EDT (02:00 does not exist), 04:00, 05:00, 06:00 EDT
    expect(hourlyRuns).toEqual(['05:00', '06:00', '07:00', '08:00', '09:00', '10:00'].map((hm) => `2026-03-08T${hm}:00.000Z`));
    const nyc = await h.integration('NYC', '2026-03-08T10:00:00Z');
    expect([nyc.lastRunAt, nyc.nextInvoiceAt]).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z']);
    expect(local(nyc.nextInvoiceAt!, 'America/New_York')).toBe('Mon 2026-03-09 02:30 -04:00');
  });

  it('New York, 1 Nov 2026: cron:30 1 * * * runs once, at 01:30 EDT; hourly skips the repeated 01:00', async () => {
    t = await createTestDatabase(kind);
    const h = harness(t);
    await h.load({
      companies: companies([
        { code: 'NYC', timezone: 'America/New_York', integration: { schedule: 'cron:30 1 * * *', nextInvoiceAt: '2026-10-31T05:30:00Z' } },
        { code: 'NYH', timezone: 'America/New_York', integration: { schedule: 'hourly', nextInvoiceAt: '2026-11-01T04:00:00Z' } },
      ]),
      products: [product()],
    });
    expect((await h.tick('2026-10-31T05:30:00Z')).ran.map((r) => [r.company, r.nextInvoiceAt])).toEqual([['NYC', '2026-11-01T05:30:00.000Z']]);
    const cronRuns: string[] = [];
    const hourlyRuns: string[] = [];
    for (let at = ms('2026-11-01T03:00:00Z'); at <= ms('2026-11-01T09:00:00Z'); at += 15 * 60_000) {
      const report = await h.tick(utc(at));
      for (const r of report.ran) (r.company === 'NYC' ? cronRuns : hourlyRuns).push(utc(at));
    }
    expect(cronRuns).toEqual(['2026-11-01T05:30:00.000Z']);
    expect(local(cronRuns[0]!, 'America/New_York')).toBe('Sun 2026-11-01 01:30 -04:00');
    // 00:00 EDT, 01:00 EDT, (not 01:00 EST), 02:00 EST, 03:00 EST, 04:00 EST
    expect(hourlyRuns).toEqual(['04:00', '05:00', '07:00', '08:00', '09:00'].map((hm) => `2026-11-01T${hm}:00.000Z`));
    const nyc = await h.integration('NYC', '2026-11-01T09:00:00Z');
    expect(nyc.nextInvoiceAt).toBe('2026-11-02T06:30:00.000Z');
    expect(local(nyc.nextInvoiceAt!, 'America/New_York')).toBe('Mon 2026-11-02 01:30 -05:00');
  });

  it('London, 25 Oct 2026: cron:30 1 * * * runs once, at 01:30 BST', async () => {
    t = await createTestDatabase(kind);
    const h = harness(t);
    await h.load({
      companies: companies([{ code: 'LON', integration: { schedule: 'cron:30 1 * * *', nextInvoiceAt: '2026-10-24T00:30:00Z' } }]),
      products: [product()],
      orders: [anOrder('LON', 'L-1', '2026-10-24T22:00:00Z')],
    });
    expect((await h.tick('2026-10-24T00:30:00Z')).ran.map((r) => [r.invoices, r.nextInvoiceAt])).toEqual([[[], '2026-10-25T00:30:00.000Z']]);
    const runs: Array<[string, string[]]> = [];
    for (let at = ms('2026-10-24T23:00:00Z'); at <= ms('2026-10-25T03:00:00Z'); at += 15 * 60_000) {
      for (const r of (await h.tick(utc(at))).ran) runs.push([utc(at), r.invoices]);
    }
    expect(runs).toEqual([['2026-10-25T00:30:00.000Z', ['SUPA-000001']]]);
    expect(local(runs[0]![0], 'Europe/London')).toBe('Sun 2026-10-25 01:30 +01:00');
    expect((await h.integration('LON', '2026-10-25T03:00:00Z')).nextInvoiceAt).toBe('2026-10-26T01:30:00.000Z');
  });

  it('a missed run happens once when ticks resume three weeks late; the next run is the first slot after it', async () => {
    t = await createTestDatabase(kind);
    const h = harness(t);
    await h.load({
      companies: companies([
        // Due Sun 7 Jun 00:00 BST
        { code: 'WEEK', integration: { schedule: 'weekly', nextInvoiceAt: '2026-06-06T23:00:00Z' } },
        { code: 'HOUR', integration: { schedule: 'hourly', nextInvoiceAt: '2026-06-03T10:00:00Z' } },
        // Due Mon 1 Jun 00:00 EDT
        { code: 'MONTH', timezone: 'America/New_York', integration: { schedule: 'monthly', nextInvoiceAt: '2026-06-01T04:00:00Z' } },
      ]),
      products: [product()],
      orders: ['WEEK', 'HOUR', 'MONTH'].flatMap((c) => [anOrder(c, `${c}-1`, '2026-05-20T10:00:00Z'), anOrder(c, `${c}-2`, '2026-06-10T10:00:00Z')]),
    });
    // The service was down until Wed 24 Jun, 11:20 BST
    const late = await h.tick('2026-06-24T10:20:00Z');
    expect(late.ran.map((r) => [r.company, r.dueAt, r.invoices.length, r.nextInvoiceAt]).sort()).toEqual([
      ['HOUR', '2026-06-03T10:00:00.000Z', 1, '2026-06-24T11:00:00.000Z'],
      // Sun 28 Jun 00:00 BST, not 14 Jun
      ['MONTH', '2026-06-01T04:00:00.000Z', 1, '2026-07-01T04:00:00.000Z'],
      ['WEEK', '2026-06-06T23:00:00.000Z', 1, '2026-06-27T23:00:00.000Z'],
    ]);
    // Nothing is replayed
    expect((await h.tick('2026-06-24T10:21:00Z')).ran).toEqual([]);
    expect((await h.tick('2026-06-24T10:59:00Z')).ran).toEqual([]);
    expect((await h.tick('2026-06-24T11:00:00Z')).ran.map((r) => r.company)).toEqual(['HOUR']);
    const runs: Array<{ code: string; n: number }> = await t
      .db('runs as r')
      .join('companies as c', 'c.id', 'r.company_id')
      .groupBy('c.code')
      .select('c.code')
      .count({ n: '*' });
    expect(Object.fromEntries(runs.map((r) => [r.code, Number(r.n)]))).toEqual({ WEEK: 1, HOUR: 2, MONTH: 1 });
    const rows = await h.list('2026-06-24T11:00:00Z');
    expect(rows.map((r) => [r.company, r.lastRunAt, r.nextInvoiceAt])).toEqual([
      ['HOUR', '2026-06-24T11:00:00.000Z', '2026-06-24T12:00:00.000Z'],
      ['MONTH', '2026-06-24T10:20:00.000Z', '2026-07-01T04:00:00.000Z'],
      ['WEEK', '2026-06-24T10:20:00.000Z', '2026-06-27T23:00:00.000Z'],
    ]);
    // Each late run invoiced both of its company's orders at once
    expect(await h.invoiceNumbers()).toEqual(['SUPA-000001', 'SUPA-000002', 'SUPA-000003']);
  });

  it('integrations list --json: the documented shape, UTC ISO strings, last results', async () => {
    t = await createTestDatabase(kind);
    const h = harness(t);
    await h.load({
      companies: [
        ...companies([
          { code: 'AAA' },
          { code: 'IND', timezone: 'Asia/Kolkata', integration: { schedule: ' CRON:0 9 * * MON ' } },
          { code: 'OFF', integration: { enabled: false, schedule: 'Daily' } },
        ]),
      ],
      products: [product()],
      orders: [anOrder('AAA', 'A-1', '2026-03-01T00:00:00Z')],
    });
    // Before any tick, an enabled integration shows its first run: the next full local hour as of now
    const at = '2026-03-21T10:20:00Z';
    const before = await h.list(at);
    expect(before).toHaveLength(3);
    for (const row of before) {
      expect(Object.keys(row)).toEqual(
        expect.arrayContaining(['company', 'type', 'enabled', 'schedule', 'timezone', 'nextInvoiceAt', 'lastRunAt', 'lastResult']),
      );
      expect(row.type).toBe('pdf-emailer');
      expect(row.lastRunAt).toBeNull();
      expect(row.lastResult).toBeNull();
    }
    expect(before.map((r) => [r.company, r.enabled, r.schedule, r.timezone, r.nextInvoiceAt])).toEqual([
      ['AAA', true, 'weekly', 'Europe/London', '2026-03-21T11:00:00.000Z'],
      // 15:50 IST → 16:00 IST
      ['IND', true, 'cron:0 9 * * MON', 'Asia/Kolkata', '2026-03-21T10:30:00.000Z'],
      ['OFF', false, 'daily', 'Europe/London', null],
    ]);
    expect((await h.tick(at)).ran).toEqual([]);
    expect((await h.tick('2026-03-21T10:30:00Z')).ran.map((r) => r.company)).toEqual(['IND']);
    expect((await h.tick('2026-03-21T11:00:00Z')).ran.map((r) => r.company)).toEqual(['AAA']);
    const after = await h.list('2026-03-21T11:00:00Z');
    for (const row of after) {
      for (const v of [row.nextInvoiceAt, row.lastRunAt]) if (v !== null) expect(v).toMatch(ISO_UTC);
    }
    const aaa = after.find((r) => r.company === 'AAA')!;
    expect(aaa).toMatchObject({ lastRunAt: '2026-03-21T11:00:00.000Z', nextInvoiceAt: '2026-03-22T00:00:00.000Z' });
    expect(aaa.lastResult).toEqual({
      status: 'ok',
      invoices: ['SUPA-000001'],
      skipped: { onHold: 0, withErrors: 0, beforeStartingFrom: 0, cancelled: 0, notDispatched: 0 },
      delivered: 1,
      failed: 0,
    });
    // Mon 23 Mar 09:00 IST
    expect(after.find((r) => r.company === 'IND')).toMatchObject({ lastRunAt: '2026-03-21T10:30:00.000Z', nextInvoiceAt: '2026-03-23T03:30:00.000Z' });
    expect(after.find((r) => r.company === 'OFF')).toMatchObject({ nextInvoiceAt: null, lastRunAt: null, lastResult: null });
    // --company filters
    const one = await runCli(['integrations', 'list', '--company', 'IND', '--json'], h.env);
    expect(parseJsonOutput<IntegrationRow[]>(one).map((r) => r.company)).toEqual(['IND']);
    // The table for people shows the next run in local time and in UTC
    const table = await runCli(['integrations', 'list'], h.env, { at: ms('2026-03-21T11:00:00Z') });
    expect(table.stdout).toMatch(/IND\s+pdf-emailer\s+yes\s+cron:0 9 \* \* MON\s+2026-03-23 09:00 GMT\+5:30\s+2026-03-23 03:30/);
  });

  it('each run writes one structured log line: company, integration, invoices, skipped, deliveries, time', async () => {
    t = await createTestDatabase(kind);
    const h = harness(t);
    await h.load({
      companies: companies([
        { code: 'LOGA', integration: { nextInvoiceAt: '2026-03-01T00:00:00Z' } },
        { code: 'LOGB', integration: { nextInvoiceAt: '2026-03-01T00:00:00Z', schedule: 'daily' } },
      ]),
      products: [product()],
      orders: [
        anOrder('LOGA', 'A-1', '2026-02-01T00:00:00Z'),
        order('LOGA', 'A-HOLD', { createdAt: '2026-02-01T00:00:00Z', onHold: true }),
        order('LOGA', 'A-CXL', { createdAt: '2026-02-01T00:00:00Z', status: 'cancelled' }),
      ],
    });
    const report = await h.tick('2026-03-02T12:00:00Z');
    expect(report.ran).toHaveLength(2);
    const lines = report.logs.filter((l) => l.event === 'integration-run');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({ level: 30, service: 'oms-invoicing', msg: 'integration ran', type: 'pdf-emailer', integration: 'pdf-emailer' });
      expect(typeof line.time).toBe('number');
      expect(typeof line.ms).toBe('number');
      expect(typeof line.integrationId).toBe('number');
    }
    const byCompany: Record<string, unknown> = Object.fromEntries(lines.map((l) => [l.company as string, l]));
    expect(byCompany.LOGA).toMatchObject({
      company: 'LOGA',
      invoices: ['SUPA-000001'],
      skipped: { onHold: 1, withErrors: 0, beforeStartingFrom: 0, cancelled: 1, notDispatched: 0 },
      deliveries: { sent: 1, failed: 0 },
      dueAt: '2026-03-01T00:00:00.000Z',
      nextInvoiceAt: '2026-03-08T00:00:00.000Z',
    });
    expect(byCompany.LOGB).toMatchObject({ company: 'LOGB', invoices: [], deliveries: { sent: 0, failed: 0 }, nextInvoiceAt: '2026-03-03T00:00:00.000Z' });
    // Nothing but JSON lines on standard error, and the report alone on standard output
    expect(report.logs.every((l) => l.service === 'oms-invoicing')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------
// Real worker processes on MariaDB

const messageIds = (smtp: TestSmtpServer) => smtp.messages.map((m) => /^Message-ID:\s*<([^>]+)>/im.exec(m.raw.toString('utf8'))?.[1] ?? '');

function retailerDataset(count: number, ordersEach: number, nextInvoiceAt: string): Record<string, Json> {
  const codes = Array.from({ length: count }, (_, i) => `R${String(i).padStart(3, '0')}`);
  return {
    companies: [
      supplier('SUPA', { sequence: { prefix: 'SUPA-', padding: 6, next: 1 } }),
      ...codes.map((code) => dropship(code, 'SUPA', { integrations: [emailer({ emailTo: `ap@${code.toLowerCase()}.example`, nextInvoiceAt })] })),
    ],
    products: [product()],
    orders: codes.flatMap((code) => Array.from({ length: ordersEach }, (_, i) => anOrder(code, `${code}-${i}`, '2019-06-01T10:00:00Z'))),
  };
}

async function count(db: TestDatabase['db'], table: string, where: (q: ReturnType<TestDatabase['db']>) => unknown = () => undefined): Promise<number> {
  const q = db<Record<string, unknown>>(table);
  where(q);
  const row = await q.count<{ n: number | string }>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

function expectContiguous(numbers: string[], n: number): void {
  expect(new Set(numbers).size).toBe(numbers.length);
  expect(numbers.map((x) => Number(x.slice('SUPA-'.length))).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
}

const logLines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('worker processes on mariadb', () => {
  it('two workers ticking at the same instant run each of 200 due integrations exactly once', { timeout: 180_000 }, async () => {
    t = await createTestDatabase('mariadb');
    const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    const load = await runCli(['load', writeJson(retailerDataset(200, 2, '2026-11-20T00:00:00Z'))], env);
    expect(load.code, load.stderr).toBe(0);

    const at = '2026-11-21T12:00:00Z';
    const results = await Promise.all([0, 1].map(() => spawnCli(['worker', '--once', '--at', at, '--json'], env, { timeoutMs: 170_000 })));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const reports = results.map((r) => parseJsonOutput<TickReport>(r));
    const ran = reports.flatMap((r) => r.ran);
    // Both took part, and between them every integration ran exactly once
    for (const r of reports) expect(r.ran.length).toBeGreaterThan(0);
    expect(ran).toHaveLength(200);
    expect(new Set(ran.map((r) => r.company)).size).toBe(200);
    for (const r of ran) {
      expect(r.error).toBeUndefined();
      expect(r.invoices).toHaveLength(1);
      expect(r.deliveries).toEqual({ sent: 1, failed: 0 });
      expect(r.nextInvoiceAt).toBe('2026-11-22T00:00:00.000Z');
    }
    expectContiguous(
      ran.flatMap((r) => r.invoices),
      200,
    );

    // What the database and the outbox say
    const numbers = (await t.db('invoices').select<Array<{ number: string }>>('number')).map((r) => r.number);
    expect(numbers).toHaveLength(200);
    expectContiguous(numbers, 200);
    expect(await count(t.db, 'orders', (q) => q.whereNull('invoice_id'))).toBe(0);
    expect(await count(t.db, 'runs')).toBe(200);
    expect(await count(t.db, 'deliveries')).toBe(200);
    expect(await count(t.db, 'deliveries', (q) => q.where('status', 'sent'))).toBe(200);
    expect(await count(t.db, 'integrations', (q) => q.whereNotNull('lease_owner'))).toBe(0);
    const eml = fs.readdirSync(path.join(t.dataDir, 'outbox')).filter((f) => f.endsWith('.eml'));
    expect(eml.sort()).toEqual(numbers.map((n) => `invoice-${n}.eml`).sort());
    // One log line per run, 200 across the two workers
    expect(results.flatMap((r) => logLines(r.stderr)).filter((l) => l.event === 'integration-run')).toHaveLength(200);

    const rows = parseJsonOutput<IntegrationRow[]>(await runCli(['integrations', 'list', '--json'], env));
    expect(rows).toHaveLength(200);
    for (const row of rows) {
      expect(row).toMatchObject({
        lastRunAt: '2026-11-21T12:00:00.000Z',
        nextInvoiceAt: '2026-11-22T00:00:00.000Z',
        lastResult: { status: 'ok', delivered: 1, failed: 0 },
      });
    }

    // A third tick at the same instant finds nothing due
    const again = await spawnCli(['worker', '--once', '--at', at, '--json'], env);
    expect(parseJsonOutput<TickReport>(again).ran).toEqual([]);
  });

  it(
    'a worker killed with SIGKILL mid-run: its leases expire and another worker finishes, with no duplicate invoice and no lost email',
    { timeout: 120_000 },
    async () => {
      t = await createTestDatabase('mariadb');
      const smtp = await startSmtpServer();
      try {
        const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir, SMTP_URL: smtp.url, OMS_LEASE_SECONDS: '1', OMS_DELIVERY_BACKOFF_SECONDS: '1' };
        const load = await runCli(['load', writeJson(retailerDataset(20, 3, '2026-11-20T00:00:00Z'))], env);
        expect(load.code, load.stderr).toBe(0);
        const at = '2026-11-21T12:00:00Z';

        // The SMTP server receives each message but holds back its answer
        const hold = smtp.holdReplies();
        const { child, done } = startCli(['worker', '--once', '--at', at, '--json'], env);
        // The worker has invoiced, claimed deliveries and is waiting for the SMTP server's answers
        await hold.arrived(3);
        child.kill('SIGKILL');
        expect((await done).code).toBe(137);

        // Killed mid-run: invoices committed, deliveries claimed but not sent, integrations still leased
        const issuedBefore = await count(t.db, 'invoices');
        const runningBefore = await count(t.db, 'runs', (q) => q.where('status', 'running'));
        expect(runningBefore).toBeGreaterThanOrEqual(3);
        expect(issuedBefore).toBeGreaterThanOrEqual(3);
        expect(await count(t.db, 'deliveries', (q) => q.where('status', 'sending'))).toBeGreaterThanOrEqual(3);
        expect(await count(t.db, 'deliveries', (q) => q.where('status', 'sent'))).toBe(0);
        expect(await count(t.db, 'integrations', (q) => q.whereNotNull('lease_owner'))).toBeGreaterThanOrEqual(3);
        expect(smtp.messages).toHaveLength(0);

        // While the leases hold, another worker leaves those integrations alone
        // (the leases were taken with OMS_LEASE_SECONDS=1, so wait them out)
        await new Promise((r) => setTimeout(r, 1100));
        // The killed worker's messages were never answered: the server drops them
        hold.release();
        const second = await spawnCli(['worker', '--once', '--at', at, '--json'], env);
        expect(second.code, second.stderr).toBe(0);
        const report = parseJsonOutput<TickReport>(second);
        expect(report.ran).toHaveLength(20);

        // Every company invoiced exactly once; every order on exactly one invoice; numbers contiguous
        const invoices = await t
          .db('invoices as i')
          .join('companies as c', 'c.id', 'i.company_id')
          .select<Array<{ number: string; code: string }>>('i.number', 'c.code');
        expect(invoices).toHaveLength(20);
        expect(new Set(invoices.map((i) => i.code)).size).toBe(20);
        expectContiguous(
          invoices.map((i) => i.number),
          20,
        );
        expect(await count(t.db, 'orders', (q) => q.whereNull('invoice_id'))).toBe(0);
        // Every delivery sent, each invoice's email received (no loss), nothing left claimed or leased
        expect(await count(t.db, 'deliveries')).toBe(20);
        expect(await count(t.db, 'deliveries', (q) => q.where('status', 'sent'))).toBe(20);
        expect(await count(t.db, 'integrations', (q) => q.whereNotNull('lease_owner'))).toBe(0);
        expect(await count(t.db, 'integrations', (q) => q.where('next_invoice_at', ms('2026-11-22T00:00:00Z')))).toBe(20);
        const delivered = new Set(messageIds(smtp));
        expect([...delivered].sort()).toEqual(invoices.map((i) => `invoice-${i.number}@oms-invoicing`).sort());
        // No message was accepted before the kill, so none was accepted twice
        expect(smtp.messages).toHaveLength(20);
        // The second worker's runs of the killed worker's integrations issued nothing new, and delivered
        const resumed = report.ran.filter((r) => r.invoices.length === 0);
        expect(resumed.length).toBe(issuedBefore);
        for (const r of resumed) expect(r.deliveries).toEqual({ sent: 1, failed: 0 });
        // The killed worker's run log entries are closed as interrupted, not left running; each integration
        // has exactly one finished run besides
        expect(await count(t.db, 'runs', (q) => q.where('status', 'running'))).toBe(0);
        expect(await count(t.db, 'runs', (q) => q.where('status', 'failed').where('error', 'like', 'interrupted:%'))).toBe(runningBefore);
        expect(await count(t.db, 'runs', (q) => q.where('status', 'ok'))).toBe(20);
      } finally {
        await smtp.stop();
      }
    },
  );

  it('SIGTERM: a long-running worker stops claiming, finishes the batches in flight and exits 0', { timeout: 120_000 }, async () => {
    t = await createTestDatabase('mariadb');
    const smtp = await startSmtpServer();
    try {
      // Due long ago, so the worker's first tick (at the real now) takes them; two batches of two at once (the SMTP pool has five connections)
      const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir, SMTP_URL: smtp.url, OMS_WORKER_CONCURRENCY: '2', OMS_WORKER_BATCH: '2' };
      const load = await runCli(['load', writeJson(retailerDataset(20, 2, '2020-01-01T00:00:00Z'))], env);
      expect(load.code, load.stderr).toBe(0);

      const hold = smtp.holdReplies();
      const { child, done } = startCli(['worker', '--json'], env);
      // Four messages can only be waiting for replies once two batches of two are each delivering
      await hold.arrived(4);
      child.kill('SIGTERM');
      // Still running: its runs wait for the SMTP server
      await new Promise((r) => setTimeout(r, 1000));
      expect(child.exitCode).toBeNull();
      expect(await count(t.db, 'integrations', (q) => q.whereNotNull('lease_owner'))).toBe(4);
      hold.release();
      const result = await done;
      expect(result.code, result.stderr).toBe(0);

      // The four runs in flight finished; nothing else was claimed
      const ticks = result.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as TickReport);
      expect(ticks).toHaveLength(1);
      expect(ticks[0]!.ran).toHaveLength(4);
      expect(ticks[0]!.deliveriesRetried).toBe(0);
      for (const r of ticks[0]!.ran) expect([r.invoices.length, r.deliveries]).toEqual([1, { sent: 1, failed: 0 }]);
      expect(await count(t.db, 'runs')).toBe(4);
      expect(await count(t.db, 'runs', (q) => q.where('status', 'ok'))).toBe(4);
      expect(await count(t.db, 'invoices')).toBe(4);
      expect(await count(t.db, 'deliveries', (q) => q.whereNot('status', 'sent'))).toBe(0);
      expect(await count(t.db, 'integrations', (q) => q.whereNotNull('lease_owner'))).toBe(0);
      expect(await count(t.db, 'integrations', (q) => q.whereNotNull('last_run_at'))).toBe(4);
      // The other 16 are still due, for the next worker
      expect(await count(t.db, 'integrations', (q) => q.where('next_invoice_at', ms('2020-01-01T00:00:00Z')))).toBe(16);
      expect(smtp.messages).toHaveLength(4);
      const messages = logLines(result.stderr).map((l) => l.msg);
      expect(messages).toEqual(expect.arrayContaining(['stopping: finishing runs in flight', 'worker stopped']));
      // eslint-disable-next-line no-control-regex -- the escape character that starts a colour code is what is looked for
      expect(result.stderr).not.toMatch(/\u001b\[/); // no coloured warnings from node-cron
    } finally {
      await smtp.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// SFTP sessions shared by the runs of a tick

/** Established client-side TCP connections to 127.0.0.1:port on this machine (from /proc/net/tcp) */
function establishedTo(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[2] === `0100007F:${hex}` && f[3] === '01').length;
}

describe('delivery sessions in a tick', () => {
  it('runs share one session per destination; a failed open is not kept; closeAll ends them', async () => {
    const opened: string[] = [];
    let closed = 0;
    let failNextOpen = false;
    const driver: IntegrationDriver<{ target: string }> = {
      type: 'xml-sftp',
      open(settings) {
        if (failNextOpen) {
          failNextOpen = false;
          return Promise.reject(new Error('connection refused'));
        }
        opened.push(settings.target);
        const session: DeliverySession = {
          deliver: (doc) => Promise.resolve({ detail: `${settings.target}/${doc.number}` }),
          close: () => {
            closed += 1;
            return Promise.resolve();
          },
        };
        return Promise.resolve(session);
      },
    };
    const shared = shareSessions(driver);
    const doc = { number: 'N-1' } as Parameters<DeliverySession['deliver']>[0];
    const artefacts = { pdf: () => Promise.resolve(new Uint8Array()), xml: () => '' };
    // Several runs at once, two destinations
    const sessions = await Promise.all(['sftp://a/x', 'sftp://a/x', 'sftp://b/y', 'sftp://a/x'].map((target) => shared.open({ target })));
    expect(opened).toEqual(['sftp://a/x', 'sftp://b/y']);
    expect((await sessions[3]!.deliver(doc, artefacts)).detail).toBe('sftp://a/x/N-1');
    // A run's close leaves the shared session open for the others
    await Promise.all(sessions.map((x) => x.close()));
    expect(closed).toBe(0);
    failNextOpen = true;
    await expect(shared.open({ target: 'sftp://c/z' })).rejects.toThrow('connection refused');
    await shared.open({ target: 'sftp://c/z' });
    expect(opened).toEqual(['sftp://a/x', 'sftp://b/y', 'sftp://c/z']);
    await shared.closeAll();
    expect(closed).toBe(3);
    // After closeAll (the end of a tick) the next open logs in again
    await shared.open({ target: 'sftp://a/x' });
    expect(opened).toHaveLength(4);
  });

  it.each(databaseKinds)('on %s: a tick uploads every xml-sftp invoice to a real sshd, then closes its connection (the worker lives on)', async (kind) => {
    t = await createTestDatabase(kind);
    const sshd = await startSshd();
    try {
      // The operator allows the test sshd's client key (SPEC §9)
      const h = harness(t, { OMS_SFTP_KEY_DIRS: path.dirname(sshd.privateKeyPath) });
      const codes = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'];
      await h.load({
        companies: [
          supplier('SUPA', { sequence: { prefix: 'SUPA-', padding: 6, next: 1 } }),
          ...codes.map((code) =>
            dropship(code, 'SUPA', {
              integrations: [
                {
                  type: 'xml-sftp',
                  enabled: true,
                  target: sshd.url(sshd.inboxDir),
                  privateKeyFile: sshd.privateKeyPath,
                  hostKeySha256: sshd.hostKeySha256,
                  includePdf: true,
                  nextInvoiceAt: '2026-11-20T00:00:00Z',
                },
              ],
            }),
          ),
        ],
        products: [product()],
        orders: codes.map((c) => anOrder(c, `${c}-1`, '2026-11-10T10:00:00Z')),
      });
      // The tick as the long-running worker runs it: the context (and its SMTP pool, database) lives on
      const ctx = createContext({ stdout: { write: () => true }, stderr: { write: () => true }, env: h.env, cwd: t.dataDir });
      try {
        const deps = await ctx.runDeps({ shareSessions: true });
        const report = await runTick(
          { ...deps, workerId: 'test', leaseSeconds: 300, concurrency: 4, log: ctx.logger(), closeSessions: deps.closeSessions },
          ms('2026-11-21T12:00:00Z'),
        );
        expect(report.ran.map((r) => [r.company, r.deliveries]).sort()).toEqual(codes.map((c) => [c, { sent: 1, failed: 0 }]));
        const numbers = await h.invoiceNumbers();
        expect(numbers).toHaveLength(6);
        expect(fs.readdirSync(sshd.inboxDir).sort()).toEqual(numbers.flatMap((n) => [`${n}.pdf`, `${n}.xml`]).sort());
        // The tick is over: its SFTP connection is not kept open until the next tick
        expect(establishedTo(sshd.port)).toBe(0);
      } finally {
        await ctx.close();
      }
    } finally {
      await sshd.stop();
    }
  });
});
