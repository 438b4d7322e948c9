/**
 * What the outbox does when a run did not get to its deliveries, and what a run says about text its
 * PDFs cannot show.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoiceAsOf } from '../bench/invoice-as-of.js';
import { resolveParties } from '../src/pipeline/resolve-parties.js';
import { parseJsonOutput, runCli } from './support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { baseDataset, order, writeJson } from './support/fixtures.js';

const AT = Date.parse('2026-11-21T12:00:00Z');

describe.each(databaseKinds)('outbox recovery on %s', (kind) => {
  let t: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir, OMS_LEASE_SECONDS: '60' };
    const doc = baseDataset();
    (doc.companies![1] as Record<string, unknown>).integrations = [
      { type: 'pdf-emailer', enabled: true, emailTo: 'ap@retb.example', schedule: 'weekly', nextInvoiceAt: '2026-11-29T00:00:00Z' },
    ];
    const r = await runCli(['load', writeJson(doc)], env, { at: AT });
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => t.destroy());

  it("sends a manual run's deliveries that its process never got to, once their claim window has passed", async () => {
    // The invoicing transaction committed; the process died before delivering
    const parties = await resolveParties(t.db, 'RETB', 'ann@supplier-a.example');
    const result = await invoiceAsOf(t.db, parties, 'manual', AT);
    const number = result.invoices[0]!.number;
    const status = async () => (await t.db('deliveries').first<{ status: string }>('status')).status;
    expect(await status()).toBe('pending');

    // Within the window the run might still be alive: the worker leaves it alone
    let tick = await runCli(['worker', '--once', '--at', new Date(AT + 30_000).toISOString(), '--json'], env, { at: AT + 30_000 });
    expect(tick.code, tick.stderr).toBe(0);
    expect(await status()).toBe('pending');

    // After it, the worker's retry pass delivers it, without waiting for next Sunday's scheduled run
    tick = await runCli(['worker', '--once', '--at', new Date(AT + 61_000).toISOString(), '--json'], env, { at: AT + 61_000 });
    expect(tick.code, tick.stderr).toBe(0);
    expect(parseJsonOutput<{ ran: unknown[]; deliveriesRetried: number }>(tick)).toMatchObject({ ran: [], deliveriesRetried: 1 });
    expect(await status()).toBe('sent');
    expect(fs.readdirSync(path.join(t.dataDir, 'outbox'))).toContain(`invoice-${number}.eml`);
  });

  it('reports the characters no configured font can draw', async () => {
    const r = await runCli(
      [
        'load',
        writeJson({
          orders: [order('RETB', 'THAI-1', { items: [{ sku: 'TS-WHT-M', description: 'เสื้อยืด', quantity: 1, unitCostPrice: '1.00', taxRate: '20' }] })],
        }),
      ],
      env,
      { at: AT },
    );
    expect(r.code, r.stderr).toBe(0);
    const run = await runCli(['run', '--company', 'RETB', '--as', 'ann@supplier-a.example', '--json'], { ...env, OMS_PDF_FONTS: '' }, { at: AT });
    expect(run.code, run.stderr).toBe(0);
    const report = parseJsonOutput<{ missingCharacters?: string[]; deliveries: Array<{ status: string }> }>(run);
    expect(report.deliveries.map((d) => d.status)).toEqual(['sent']);
    expect(report.missingCharacters).toEqual([...new Set('เสื้อยืด')].sort());
    const human = await runCli(['run', '--company', 'RETB', '--as', 'ann@supplier-a.example'], env, { at: AT });
    expect(human.code).toBe(0);
  });
});
