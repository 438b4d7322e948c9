/**
 * The command-line contract as a user meets it: the real binary, exit codes, usage and configuration
 * errors, and --json everywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonOutput, spawnCli } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { baseDataset, writeJson } from './support/fixtures.js';

describe('the oms-invoicing binary', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestDatabase('sqlite');
    env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir };
    const r = await spawnCli(['load', writeJson(baseDataset())], env);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => t.destroy());

  it('prints help and exits 0', async () => {
    const r = await spawnCli(['--help'], env);
    expect(r.code).toBe(0);
    for (const command of ['migrate', 'load', 'orders', 'run', 'invoices', 'deliveries', 'worker', 'integrations', 'demo']) {
      expect(r.stdout).toContain(command);
    }
  });

  it('refuses an unknown command, an unknown option and a missing argument with exit 2', async () => {
    expect((await spawnCli(['frobnicate'], env)).code).toBe(2);
    expect((await spawnCli(['orders', 'list', '--colour'], env)).code).toBe(2);
    const missing = await spawnCli(['run'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--company');
    const badLimit = await spawnCli(['orders', 'list', '--limit', 'ten'], env);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--limit');
  });

  it('stops on a bad configuration value, naming the variable, with exit 2', async () => {
    const r = await spawnCli(['orders', 'list'], { ...env, DATABASE_URL: 'postgres://localhost/oms' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DATABASE_URL');
    const smtp = await spawnCli(['orders', 'list'], { ...env, SMTP_URL: 'mail.example.com' });
    expect(smtp.code).toBe(2);
    expect(smtp.stderr).toContain('SMTP_URL');
    const attempts = await spawnCli(['orders', 'list'], { ...env, OMS_DELIVERY_MAX_ATTEMPTS: '0' });
    expect(attempts.code).toBe(2);
    expect(attempts.stderr).toContain('OMS_DELIVERY_MAX_ATTEMPTS');
  });

  it('answers --json on every command with JSON on stdout', { timeout: 180_000 }, async () => {
    const commands = [
      ['migrate', '--json'],
      ['orders', 'list', '--json'],
      ['run', '--company', 'RETB', '--as', 'ann@supplier-a.example', '--dry-run', '--json'],
      ['invoices', 'list', '--json'],
      ['deliveries', 'list', '--json'],
      ['integrations', 'list', '--json'],
      ['worker', '--once', '--at', '2026-11-22T00:00:00Z', '--json'],
    ];
    for (const args of commands) {
      const r = await spawnCli(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(() => JSON.parse(r.stdout) as unknown, args.join(' ')).not.toThrow();
    }
    const bad = await spawnCli(['run', '--company', 'NOPE', '--as', 'ann@supplier-a.example', '--json'], env);
    expect(bad.code).toBe(2);
    expect(parseJsonOutput<{ error: { code: string; problems: Array<{ path: string }> } }>(bad).error.problems[0]!.path).toBe('--company');
  });

  it('runs the demo on a fresh data folder, and again without harm', { timeout: 180_000 }, async () => {
    const demoEnv = { OMS_DATA_DIR: `${t.dataDir}/demo` };
    const first = await spawnCli(['demo', '--json'], demoEnv);
    expect(first.code, first.stderr).toBe(0);
    const out = parseJsonOutput<{ invoices: Array<{ number: string; deliveries: Array<{ status: string }> }>; output: { exports: string; emails: string } }>(
      first,
    );
    expect(out.invoices.length).toBeGreaterThan(0);
    expect(out.invoices.flatMap((i) => i.deliveries.map((d) => d.status))).toEqual(expect.arrayContaining(['sent']));
    expect(out.invoices.flatMap((i) => i.deliveries).every((d) => d.status === 'sent')).toBe(true);
    const again = await spawnCli(['demo', '--json'], demoEnv);
    expect(again.code, again.stderr).toBe(0);
    expect(parseJsonOutput<{ invoices: unknown[] }>(again).invoices).toHaveLength(out.invoices.length);
  });

  it('writes an invoice PDF and XML to files with -o', async () => {
    const run = await spawnCli(['run', '--company', 'RETB', '--as', 'ann@supplier-a.example', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const number = parseJsonOutput<{ invoices: Array<{ number: string }> }>(run).invoices[0]!.number;
    const pdf = await spawnCli(['invoices', 'pdf', number, '-o', `${t.dataDir}/x.pdf`, '--json'], env);
    expect(pdf.code, pdf.stderr).toBe(0);
    expect(parseJsonOutput<{ pages: number; bytes: number }>(pdf).pages).toBe(1);
    const unknown = await spawnCli(['invoices', 'xml', 'NO-SUCH'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('NO-SUCH');
  });
});
