/**
 * Credit notes (SPEC §8) through the command line, on both databases: what is credited and for how much,
 * the numbering, the refusals, re-invoicing, concurrency and crashes, and delivery through a real SMTP
 * server and real OpenSSH.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InvoiceDetail } from '../src/db/invoices-repo.js';
import type { CreditNoteReport } from '../src/pipeline/credit-invoice.js';
import { validateXmlDocuments } from './integrations/einvoice-validator.js';
import { filenameOf, leafParts, parseMime } from './integrations/parse-mime.js';
import { pdfText, requirePoppler } from './pdf/poppler.js';
import { parseJsonOutput, runCli, spawnCli } from './support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { dropship, order, product, supplier, writeJson, type ImportDoc, type Json } from './support/fixtures.js';
import { killAtSequenceLock } from './support/sequence-lock.js';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server.js';
import { startSshd, type TestSshd } from './support/sshd.js';

const USER = 'ann@supa.example';

const item = (sku: string, quantity: number, unitCostPrice: string, taxRate: string): Json => ({
  sku,
  description: `Item ${sku}`,
  quantity,
  unitCostPrice,
  taxRate,
});

/**
 * One invoice of RETB (combined layout unless said): order B-1 (3 × 10.00 at 20 % with 4.99 shipping, 2 × 0.0050 at 20 %),
 * B-2 (1 × 0.01 at 0 %, 7 × 1.2345 at 5 %).
 */
function dataset(extra: { layout?: string; integrations?: Json[]; sequence?: Record<string, Json> } = {}): ImportDoc {
  const retb = dropship('RETB', 'SUPA', { integrations: extra.integrations ?? [] });
  (retb.invoicing as Record<string, Json>).layout = extra.layout ?? 'combined';
  return {
    companies: [supplier('SUPA', { sequence: { prefix: 'SUPA-', padding: 6, next: 1, ...extra.sequence } }), retb],
    users: [{ email: USER, name: 'Ann', primaryCompany: 'SUPA' }],
    products: [product()],
    orders: [
      order('RETB', 'B-1', { createdAt: '2026-11-02T10:00:00Z', shippingCost: '4.99', items: [item('TS', 3, '10.00', '20'), item('PIN', 2, '0.0050', '20')] }),
      order('RETB', 'B-2', { createdAt: '2026-11-03T10:00:00Z', shippingCost: '0.00', items: [item('GUM', 1, '0.01', '0'), item('CARD', 7, '1.2345', '5')] }),
    ],
  };
}

let t: TestDatabase | undefined;
afterEach(async () => {
  await t?.destroy();
  t = undefined;
});

/** A fresh database with the dataset loaded and invoiced (SUPA-000001); emails to .eml files, no integrations unless given */
async function invoiced(kind: 'sqlite' | 'mariadb', extra: Parameters<typeof dataset>[0] = {}, env: Record<string, string> = {}) {
  t = await createTestDatabase(kind);
  const cliEnv = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir, ...env };
  const cli = (...args: string[]) => runCli(args, cliEnv);
  const load = await cli('load', writeJson(dataset(extra)));
  expect(load.code, load.stderr).toBe(0);
  const run = await cli('run', '--company', 'RETB', '--as', USER, '--json');
  expect(run.code, run.stderr).toBe(0);
  const show = async (number = 'SUPA-000001') => parseJsonOutput<InvoiceDetail>(await cli('invoices', 'show', number, '--json'));
  const credit = async (...args: string[]) => {
    const r = await cli('credit-notes', 'create', '--invoice', 'SUPA-000001', '--json', ...args);
    return { r, note: r.code === 0 || r.code === 1 ? parseJsonOutput<CreditNoteReport>(r) : null };
  };
  const counter = async () => {
    const row = await t!
      .db('sequences')
      .first<{ credit_note_next: number | string; credit_notes_issued: number | string }>('credit_note_next', 'credit_notes_issued');
    return [Number(row.credit_note_next), Number(row.credit_notes_issued)];
  };
  return { env: cliEnv, cli, show, credit, counter };
}

/** Everything that a refused request must leave as it was */
async function snapshot(db: TestDatabase['db']): Promise<string> {
  const tables = ['invoices', 'invoice_lines', 'invoice_tax_groups', 'sequences', 'orders', 'deliveries'];
  const rows = await Promise.all(tables.map((table) => db(table).select('*')));
  return JSON.stringify(rows.map((r) => (r as Array<Record<string, unknown>>).map((row) => ({ ...row, updated_at: undefined }))));
}

describe.each(databaseKinds)('credit notes on %s', (kind) => {
  it('a full credit mirrors the invoice, numbered from the owner’s own credit-note counter, and the invoice says so', async () => {
    const h = await invoiced(kind);
    const before = await h.show();
    expect(before).toMatchObject({ status: 'issued', credited: '0.00', creditNotes: [] });
    const { r, note } = await h.credit('--reason', 'Wrong unit price');
    expect(r.code, r.stderr).toBe(0);
    expect(note).toMatchObject({
      number: 'SUPA-CN-000001',
      invoice: 'SUPA-000001',
      company: 'RETB',
      currency: 'GBP',
      lines: 4,
      net: before.net,
      tax: before.tax,
      total: before.total,
      reason: 'Wrong unit price',
      reinvoiced: [],
    });
    const after = await h.show();
    expect(after).toMatchObject({ status: 'credited', credited: before.total, creditNotes: ['SUPA-CN-000001'] });
    for (const l of after.lines) expect([l.creditedQuantity, l.creditedNet]).toEqual([l.quantity, l.net]);
    const list = parseJsonOutput<Array<Record<string, unknown>>>(await h.cli('credit-notes', 'list', '--json'));
    expect(list).toEqual([
      expect.objectContaining({
        number: 'SUPA-CN-000001',
        invoice: 'SUPA-000001',
        company: 'RETB',
        seller: 'SUPA',
        net: before.net,
        total: before.total,
        reason: 'Wrong unit price',
      }),
    ]);
    const invoices = parseJsonOutput<Array<{ number: string; status: string; credited: string }>>(await h.cli('invoices', 'list', '--json'));
    expect(invoices.map((i) => [i.number, i.status, i.credited])).toEqual([['SUPA-000001', 'credited', before.total]]);
    expect(await h.counter()).toEqual([2, 1]);
  });

  it('partial credits by line, by quantity and by order, rounded cumulatively, add up to the invoice exactly', async () => {
    const h = await invoiced(kind);
    const inv = await h.show();
    // Lines: 1 TS 3×10.00 + 4.99 shipping (34.99), 2 PIN 2×0.0050 (0.01), 3 GUM 0.01 at 0 %, 4 CARD 7×1.2345 (8.64) at 5 %
    expect(inv.lines.map((l) => [l.position, l.order, l.net])).toEqual([
      [1, 'B-1', '34.99'],
      [2, 'B-1', '0.01'],
      [3, 'B-2', '0.01'],
      [4, 'B-2', '8.64'],
    ]);
    const steps: Array<[string[], string, string]> = [
      // one unit of line 1 (10.00) and one of line 2 (round(0.005) = 0.01): 10.01, tax round(10.01 × 20 %) = 2.00
      [['--line', '1:1', '--line', '2:1'], '10.01', '2.00'],
      // the second unit of line 2: round(0.01) − 0.01 = 0.00; 3 units of line 4: round(3.7035) = 3.70, tax 5 % of 3.70 = 0.19
      [['--line', '2', '--line', '4:3'], '3.70', '0.19'],
      // the rest of B-2: GUM 0.01 (0 %) and 4 CARD units (8.64 − 3.70 = 4.94, tax 0.43 − 0.19 = 0.24)
      [['--order', 'B-2'], '4.95', '0.24'],
      // the last two units of line 1 with its shipping: 24.99; 20 % of 35.00 = 7.00, less 2.00
      [['--line', '1'], '24.99', '5.00'],
    ];
    let n = 0;
    for (const [selectors, net, tax] of steps) {
      const { r, note } = await h.credit('--reason', `step ${++n}`, ...selectors);
      expect(r.code, r.stderr).toBe(0);
      expect([note!.number, note!.net, note!.tax], selectors.join(' ')).toEqual([`SUPA-CN-00000${n}`, net, tax]);
      expect((await h.show()).status).toBe(n === steps.length ? 'credited' : 'partially_credited');
    }
    const notes = parseJsonOutput<Array<{ net: string; tax: string; total: string }>>(
      await h.cli('credit-notes', 'list', '--invoice', 'SUPA-000001', '--json'),
    );
    const sum = (k: 'net' | 'tax' | 'total') => notes.reduce((s, x) => s + Math.round(Number(x[k]) * 100), 0);
    expect([sum('net'), sum('tax'), sum('total')]).toEqual([inv.net, inv.tax, inv.total].map((v) => Math.round(Number(v) * 100)));
    expect((await h.show()).credited).toBe(inv.total);
  });

  it('refuses, naming the field, writing nothing and taking no number: unknown invoice, no reason, not on the invoice, too many units, nothing left', async () => {
    const h = await invoiced(kind);
    const untouched = await snapshot(t!.db);
    const refusals: Array<[string[], string, RegExp]> = [
      [['--invoice', 'NOPE-1', '--reason', 'x'], '--invoice', /unknown invoice "NOPE-1"/],
      [[], '--reason', /reason is required/],
      [['--reason', ' '], '--reason', /reason is required/],
      [['--reason', 'a'.repeat(256)], '--reason', /1–255/],
      [['--reason', 'two\nlines'], '--reason', /one line/],
      [['--reason', 'x', '--line', '9'], '--line', /no line 9/],
      [['--reason', 'x', '--line', '0'], '--line', /line position/],
      [['--reason', 'x', '--line', '1:4'], '--line', /3 of 3 unit\(s\) left to credit; 4 asked/],
      [['--reason', 'x', '--line', '1:2', '--line', '1:2'], '--line', /4 asked/],
      [['--reason', 'x', '--order', 'B-9'], '--order', /order "B-9" is not on this invoice/],
      [['--reason', 'x', '--order', 'B-1', '--reinvoice', '--line', '4:1'], '--reinvoice', /whole orders: B-2/],
    ];
    for (const [args, field, message] of refusals) {
      const r = await h.cli('credit-notes', 'create', ...(args[0] === '--invoice' ? [] : ['--invoice', 'SUPA-000001']), ...args, '--json');
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      const error = (JSON.parse(r.stdout) as { error: { problems: Array<{ path: string; message: string }> } }).error;
      expect(
        error.problems.map((p) => p.path),
        args.join(' '),
      ).toContain(field);
      expect(error.problems.map((p) => p.message).join('\n'), args.join(' ')).toMatch(message);
    }
    expect(await snapshot(t!.db)).toBe(untouched);
    // Everything credited: "nothing left" from then on, and still no number taken by the refusal
    expect((await h.credit('--reason', 'all')).r.code).toBe(0);
    const again = await h.credit('--reason', 'again');
    expect(again.r.code).toBe(2);
    expect(again.r.stdout).toMatch(/nothing left to credit/);
    expect(await h.counter()).toEqual([2, 1]);
  });

  it('--dry-run shows what would be credited and writes nothing', async () => {
    const h = await invoiced(kind);
    const untouched = await snapshot(t!.db);
    const { r, note } = await h.credit('--reason', 'preview', '--order', 'B-2', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(note).toMatchObject({ number: null, lines: 2, net: '8.65', tax: '0.43', total: '9.08', deliveries: [] });
    expect(await snapshot(t!.db)).toBe(untouched);
  });

  it('--reinvoice reopens the orders credited whole; the next run invoices them again under a new number', async () => {
    const h = await invoiced(kind);
    const { r, note } = await h.credit('--reason', 'Price was wrong', '--order', 'B-2', '--reinvoice');
    expect(r.code, r.stderr).toBe(0);
    expect(note!.reinvoiced).toEqual(['B-2']);
    const open = parseJsonOutput<{ items: Array<{ number: string; invoice: string | null }> }>(await h.cli('orders', 'list', '--not-invoiced', '--json'));
    expect(open.items.map((o) => o.number)).toEqual(['B-2']);
    // Open again: it can be changed, then invoiced anew
    const edit = await h.cli(
      'load',
      writeJson({ orders: [order('RETB', 'B-2', { createdAt: '2026-11-03T10:00:00Z', shippingCost: '0.00', items: [item('CARD', 7, '1.20', '5')] })] }),
    );
    expect(edit.code, edit.stderr).toBe(0);
    const rerun = parseJsonOutput<{ invoices: Array<{ number: string; orders: string[]; net: string }> }>(
      await h.cli('run', '--company', 'RETB', '--as', USER, '--json'),
    );
    expect(rerun.invoices).toEqual([expect.objectContaining({ number: 'SUPA-000002', orders: ['B-2'], net: '8.40' })]);
    // The old invoice still lists the order it invoiced, and can still be rendered
    expect((await h.show()).orders).toEqual(['B-1', 'B-2']);
    expect((await h.cli('invoices', 'pdf', 'SUPA-000001', '-o', path.join(t!.dataDir, 'old.pdf'))).code).toBe(0);
  });

  it('an individual-layout invoice credited order by order: each credit note is a PDF that says what it credits', async () => {
    requirePoppler('pdftotext');
    const h = await invoiced(kind, { layout: 'individual', sequence: { creditNotePrefix: 'SUPA/CR/' } });
    for (const o of ['B-1', 'B-2']) expect((await h.credit('--reason', `Return of ${o}`, '--order', o)).r.code).toBe(0);
    expect((await h.show()).status).toBe('credited');
    const pdf = path.join(t!.dataDir, 'cn.pdf');
    expect((await h.cli('credit-notes', 'pdf', 'SUPA/CR/000002', '-o', pdf)).code).toBe(0);
    const text = pdfText(pdf);
    for (const expected of ['CREDIT NOTE', 'SUPA/CR/000002', 'For invoice', 'SUPA-000001', 'Return of B-2', 'Total credited']) expect(text).toContain(expected);
    expect(text).not.toContain('B-1');
    // The prefix cannot change once a credit note is issued
    const frozen = await h.cli('load', writeJson({ companies: [supplier('SUPA', { sequence: { creditNotePrefix: 'OTHER-' } })] }), '--json');
    expect(frozen.code).toBe(2);
    expect(frozen.stdout).toContain('companies[0].sequence.creditNotePrefix');
  });
});

describe('credit notes delivered through a real SMTP server and real OpenSSH', () => {
  let smtp: TestSmtpServer;
  let sshd: TestSshd;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    sshd = await startSshd();
  });
  afterAll(async () => {
    await smtp?.stop();
    await sshd?.stop();
  });

  it.each(databaseKinds)('on %s: mailed once with its PDF, and dropped as valid UBL that names the invoice', async (kind) => {
    const dir = await sshd.makeDir(`credit-${kind}`);
    const integrations: Json[] = [
      { type: 'pdf-emailer', enabled: true, nextInvoiceAt: '2030-01-01T00:00:00Z', emailTo: 'ap@retb.example' },
      {
        type: 'xml-sftp',
        enabled: true,
        nextInvoiceAt: '2030-01-01T00:00:00Z',
        target: sshd.url(dir),
        privateKeyFile: sshd.privateKeyPath,
        hostKeySha256: sshd.hostKeySha256,
        includePdf: true,
      },
    ];
    const before = smtp.messages.length;
    const h = await invoiced(kind, { integrations }, { SMTP_URL: smtp.url, OMS_SFTP_KEY_DIRS: path.dirname(sshd.privateKeyPath) });
    const { r, note } = await h.credit('--reason', 'Returned parcel', '--order', 'B-1');
    expect(r.code, r.stderr).toBe(0);
    expect(note!.deliveries.map((d) => [d.integration, d.status])).toEqual([
      ['pdf-emailer', 'sent'],
      ['xml-sftp', 'sent'],
    ]);
    const mails = smtp.messages.slice(before).filter((m) => m.raw.toString('utf8').includes('SUPA-CN-000001'));
    expect(mails).toHaveLength(1);
    const raw = mails[0]!.raw.toString('utf8');
    expect(raw).toMatch(/^Subject: Credit note SUPA-CN-000001 for invoice SUPA-000001/m);
    const attachments = leafParts(parseMime(mails[0]!.raw)).filter((p) => filenameOf(p));
    expect(attachments.map(filenameOf)).toEqual(['SUPA-CN-000001.pdf']);
    expect(
      fs
        .readdirSync(dir)
        .filter((f) => !f.startsWith('.'))
        .sort(),
    ).toEqual(['SUPA-000001.pdf', 'SUPA-000001.xml', 'SUPA-CN-000001.pdf', 'SUPA-CN-000001.xml']);
    const xml = fs.readFileSync(path.join(dir, 'SUPA-CN-000001.xml'), 'utf8');
    // Byte for byte what `credit-notes xml` prints
    expect(xml).toBe((await h.cli('credit-notes', 'xml', 'SUPA-CN-000001')).stdout);
    expect(xml).toContain('<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>');
    expect(xml).toMatch(/<cac:InvoiceDocumentReference>\s*<cbc:ID>SUPA-000001<\/cbc:ID>/);
    const reports = await validateXmlDocuments({ [`credit-note-${kind}`]: xml });
    expect(reports[`credit-note-${kind}`]).toMatchObject({ valid: true });
  });
});

describe('concurrent and killed credit notes on MariaDB', () => {
  it('8 processes crediting the same invoice in full at once: one credit note, seven refusals, the counter advanced by one', async () => {
    const h = await invoiced('mariadb');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => spawnCli(['credit-notes', 'create', '--invoice', 'SUPA-000001', '--reason', `attempt ${i}`, '--json'], h.env)),
    );
    const codes = results.map((r) => r.code).sort();
    expect(codes, results.map((r) => r.stderr).join('\n')).toEqual([0, 2, 2, 2, 2, 2, 2, 2]);
    for (const r of results.filter((x) => x.code === 2)) expect(r.stdout).toMatch(/nothing left to credit/);
    expect(await h.counter()).toEqual([2, 1]);
    expect(await t!.db('invoices').where('kind', 'credit_note').count({ n: '*' }).first()).toMatchObject({ n: 1 });
    expect((await h.show()).lines.every((l) => l.creditedQuantity === l.quantity)).toBe(true);
  });

  it('a credit note killed inside its transaction consumes no number and credits nothing; the next takes the first number', async () => {
    const h = await invoiced('mariadb');
    // The credit note stops inside its transaction (company and invoice locked, its lines read), waiting
    // for its number: it is killed there
    const killed = await killAtSequenceLock(t!.url, ['credit-notes', 'create', '--invoice', 'SUPA-000001', '--reason', 'killed', '--json'], h.env);
    expect(killed.code).toBe(137);
    expect(await h.counter()).toEqual([1, 0]);
    expect(await h.show()).toMatchObject({ status: 'issued', credited: '0.00', creditNotes: [] });
    const { r, note } = await h.credit('--reason', 'after the crash');
    expect(r.code, r.stderr).toBe(0);
    expect(note!.number).toBe('SUPA-CN-000001');
  });
});
