/**
 * The outbox through the real pipeline: the CLI (in-process with a fixed clock, or the real binary where a
 * process must die) delivering to a real SMTP server and a real OpenSSH server, on both databases. Each
 * test looks where a user would: `invoices list` / `deliveries list`, the files in the SFTP inbox, the
 * messages at the SMTP server.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../src/pipeline/run-report.js';
import type { InvoiceListItem } from '../src/db/invoices-repo.js';
import { parseJsonOutput, runCli, startCli, type CliResult } from './support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { dropship, order, product, supplier, writeJson, type ImportDoc, type Json } from './support/fixtures.js';
import { startSshd, type TestSshd } from './support/sshd.js';
import { findFreePort, startSmtpServer, type ReceivedMail, type TestSmtpServer } from './support/smtp-server.js';
import { validateInvoices } from './integrations/einvoice-validator.js';
import type { DeliverySession, IntegrationDriver } from '../integrations/contract.js';
import { DeliveryError } from '../src/domain/errors.js';
import { createOutbox } from '../src/pipeline/outbox.js';
import { filenameOf, leafParts, parseMime } from './integrations/parse-mime.js';

const AT = Date.parse('2026-11-21T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
/** The scheduler never runs these integrations by itself here: every tick is a retry pass */
const FAR = '2099-01-01T00:00:00Z';
const USER = 'ann@supa.example';
const TO = 'ap@retailer.example';
const BCC = ['audit@supa.example', 'archive@supa.example'];

interface DeliveryJson {
  id: number;
  invoice: string;
  company: string;
  integration: 'pdf-emailer' | 'xml-sftp';
  status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  error: string | null;
  nextAttemptAt: string | null;
  sentAt: string | null;
  receipt: string | null;
}

const item = (sku: string, quantity: number, unitCostPrice: string, taxRate: string, description = `Item ${sku}`): Json => ({
  sku,
  description,
  quantity,
  unitCostPrice,
  taxRate,
});

let sshd: TestSshd;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'oms-delivery-test-'));

beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** The operator's policy for these tests: the test sshd's client keys may be used (SPEC §9) */
const keyFolders = () => ({ OMS_SFTP_KEY_DIRS: path.dirname(sshd.privateKeyPath) });

function emailIntegration(extra: Record<string, Json> = {}): Record<string, Json> {
  return { type: 'pdf-emailer', enabled: true, nextInvoiceAt: FAR, emailTo: TO, emailBcc: BCC.join(','), ...extra };
}

function sftpIntegration(dir: string, extra: Record<string, Json> = {}): Record<string, Json> {
  return {
    type: 'xml-sftp',
    enabled: true,
    nextInvoiceAt: FAR,
    target: sshd.url(dir),
    privateKeyFile: sshd.privateKeyPath,
    hostKeySha256: sshd.hostKeySha256,
    includePdf: true,
    ...extra,
  };
}

/** SUPA and its retailers, each with the integrations given, and `orders` */
function dataset(retailers: Array<{ code: string; integrations: Json[]; extra?: Record<string, Json> }>, orders: Json[]): ImportDoc {
  return {
    companies: [
      supplier('SUPA', { sequence: { prefix: 'SUPA-', padding: 6, next: 1 } }),
      ...retailers.map((r) => dropship(r.code, 'SUPA', { integrations: r.integrations, ...r.extra })),
    ],
    users: [{ email: USER, name: 'Ann', primaryCompany: 'SUPA' }],
    products: [product()],
    orders,
  };
}

/** Three invoices for `company`: one GBP (two orders), one EUR, one unique-invoice order */
function threeInvoices(company: string): Json[] {
  return [
    order(company, `${company}-1`, { createdAt: '2026-11-02T10:00:00Z', items: [item('TS-WHT-M', 2, '7.50', '20'), item('MUG', 3, '3.3333', '5')] }),
    order(company, `${company}-2`, { createdAt: '2026-11-03T10:00:00Z', shippingCost: '0.00', items: [item('ZERO', 1, '10.00', '0')] }),
    order(company, `${company}-3`, { createdAt: '2026-11-04T10:00:00Z', currency: 'EUR', shippingCost: '2.50', items: [item('TS-WHT-M', 4, '1.2345', '20')] }),
    order(company, `${company}-4`, { createdAt: '2026-11-05T10:00:00Z', uniqueInvoice: true, shippingCost: '0.00', items: [item('MUG', 1, '9.99', '17.5')] }),
  ];
}

const filesIn = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);
/** What an importer would pick up: everything but dot-files (temp files are `.NAME.part-…`) */
const visibleFiles = (dir: string) => filesIn(dir).filter((f) => !f.startsWith('.'));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function messageIdOf(mail: ReceivedMail): string {
  return parseMime(mail.raw).header('message-id') ?? '';
}

function attachmentOf(mail: ReceivedMail): { name: string | undefined; bytes: Buffer } {
  const parts = leafParts(parseMime(mail.raw)).filter((p) => p.contentType === 'application/pdf');
  expect(parts).toHaveLength(1);
  return { name: filenameOf(parts[0]!), bytes: parts[0]!.body };
}

describe.each(databaseKinds)('the outbox through the pipeline on %s', (kind) => {
  let t: TestDatabase;
  let smtp: TestSmtpServer | null = null;
  let env: Record<string, string>;
  const created: TestDatabase[] = [];
  const cli = (args: string[], at = AT) => runCli(args, env, { at });
  const tick = (at: number) => cli(['worker', '--once', '--at', iso(at), '--json'], at);

  async function setup(doc: ImportDoc, options: { smtpUrl?: string; env?: Record<string, string> } = {}): Promise<void> {
    t = await createTestDatabase(kind);
    created.push(t);
    env = {
      DATABASE_URL: t.url,
      OMS_DATA_DIR: t.dataDir,
      SMTP_URL: options.smtpUrl ?? smtp!.url,
      SMTP_FROM: 'invoices@supa.example',
      OMS_DELIVERY_BACKOFF_SECONDS: '1',
      OMS_LOG_LEVEL: 'warn',
      ...keyFolders(),
      ...options.env,
    };
    const r = await cli(['load', writeJson(doc)]);
    expect(r.code, r.stderr).toBe(0);
  }

  async function deliveries(): Promise<DeliveryJson[]> {
    const r = await cli(['deliveries', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return parseJsonOutput<DeliveryJson[]>(r);
  }

  async function invoices(): Promise<InvoiceListItem[]> {
    const r = await cli(['invoices', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return parseJsonOutput<InvoiceListItem[]>(r);
  }

  async function pdfOf(number: string): Promise<Buffer> {
    const file = path.join(scratch, `${kind}-${number}-${Date.now()}.pdf`);
    const r = await cli(['invoices', 'pdf', number, '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    return fs.readFileSync(file);
  }

  async function xmlOf(number: string): Promise<string> {
    const r = await cli(['invoices', 'xml', number]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  }

  afterEach(async () => {
    await smtp?.stop();
    smtp = null;
    for (const db of created.splice(0)) await db.destroy();
  });

  it('a manual run delivers every invoice by email and by SFTP, byte for byte, Bcc only in the envelope', async () => {
    smtp = await startSmtpServer();
    const dir = await sshd.makeDir(`happy-${kind}`);
    await setup(dataset([{ code: 'RETB', integrations: [emailIntegration(), sftpIntegration(dir)] }], threeInvoices('RETB')));

    const r = await cli(['run', '--company', 'RETB', '--as', USER, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = parseJsonOutput<RunReport>(r);
    const numbers = report.invoices.map((i) => i.number);
    expect(numbers).toEqual(['SUPA-000001', 'SUPA-000002', 'SUPA-000003']);
    expect(report.deliveries).toHaveLength(6);
    expect(report.deliveries.every((d) => d.status === 'sent' && d.error === null)).toBe(true);

    // What an admin sees
    const list = await invoices();
    expect(list.map((i) => i.number)).toEqual(numbers);
    for (const inv of list) {
      expect(inv.deliveries.map((d) => [d.integration, d.status, d.attempts, d.error, d.nextAttemptAt])).toEqual([
        ['pdf-emailer', 'sent', 1, null, null],
        ['xml-sftp', 'sent', 1, null, null],
      ]);
      const email = inv.deliveries.find((d) => d.integration === 'pdf-emailer')!;
      expect(email.receipt).toContain(`<invoice-${inv.number}@oms-invoicing>`);
      expect(email.receipt).toMatch(/ 250 /);
      const sftp = inv.deliveries.find((d) => d.integration === 'xml-sftp')!;
      expect(sftp.receipt).toBe(`${sshd.url(dir)}/${inv.number}.pdf, ${sshd.url(dir)}/${inv.number}.xml`);
    }

    // The mailbox: one message per invoice, To in the headers, Bcc only in the envelope, the PDF attached
    expect(smtp.messages).toHaveLength(3);
    for (const number of numbers) {
      const mails = smtp.messages.filter((m) => messageIdOf(m) === `<invoice-${number}@oms-invoicing>`);
      expect(mails).toHaveLength(1);
      const mail = mails[0]!;
      expect(mail.envelope.mailFrom).toBe('invoices@supa.example');
      expect([...mail.envelope.rcptTo].sort()).toEqual([TO, ...BCC].sort());
      const mime = parseMime(mail.raw);
      expect(mime.header('to')).toBe(TO);
      expect(mime.headers.has('bcc')).toBe(false);
      for (const bcc of BCC) expect(mime.rawHeaders).not.toContain(bcc);
      expect(mime.header('subject')).toContain(number);
      const attachment = attachmentOf(mail);
      expect(attachment.name).toBe(`${number}.pdf`);
      const pdf = await pdfOf(number);
      expect(sha(attachment.bytes)).toBe(sha(pdf));
    }

    // The SFTP inbox: NUMBER.pdf and NUMBER.xml for each invoice, nothing else (no temp files left)
    expect(filesIn(dir)).toEqual(numbers.flatMap((n) => [`${n}.pdf`, `${n}.xml`]).sort());
    for (const number of numbers) {
      expect(sha(fs.readFileSync(path.join(dir, `${number}.pdf`)))).toBe(sha(await pdfOf(number)));
      expect(fs.readFileSync(path.join(dir, `${number}.xml`), 'utf8')).toBe(await xmlOf(number));
    }
    const reports = await validateInvoices(numbers.map((n) => path.join(dir, `${n}.xml`)));
    for (const report of reports.values()) expect(report.fatals, report.file).toEqual([]);
    for (const report of reports.values()) expect(report.valid, report.file).toBe(true);
  });

  it('an SMTP 451 twice is retried with back-off by the worker and sent on the third attempt', async () => {
    smtp = await startSmtpServer();
    const dir = await sshd.makeDir(`greylist-${kind}`);
    await setup(dataset([{ code: 'RETB', integrations: [emailIntegration(), sftpIntegration(dir)] }], [order('RETB', 'B-1')]));
    smtp.failNext(2, 451);

    const first = await cli(['run', '--company', 'RETB', '--as', USER, '--json']);
    expect(first.code, 'some delivery failed: exit 1').toBe(1);
    let [email, file] = await deliveries();
    expect([email!.integration, email!.status, email!.attempts]).toEqual(['pdf-emailer', 'failed', 1]);
    expect(email!.error).toMatch(/^SMTP server replied 451: .*Try again later/);
    // back-off 1 s ± 20 %, from the run's clock
    const next1 = Date.parse(email!.nextAttemptAt!);
    expect(next1).toBeGreaterThanOrEqual(AT + 800);
    expect(next1).toBeLessThanOrEqual(AT + 1200);
    // the other integration is not held up by the failing one
    expect([file!.integration, file!.status, file!.attempts]).toEqual(['xml-sftp', 'sent', 1]);
    expect(visibleFiles(dir)).toEqual(['SUPA-000001.pdf', 'SUPA-000001.xml']);

    // a tick before the back-off has passed leaves it alone
    expect((await tick(AT + 500)).code).toBe(0);
    [email] = await deliveries();
    expect([email!.status, email!.attempts]).toEqual(['failed', 1]);

    // second attempt: 451 again; the back-off doubles (2 s ± 20 %)
    const at2 = AT + 10_000;
    await tick(at2);
    [email] = await deliveries();
    expect([email!.status, email!.attempts]).toEqual(['failed', 2]);
    expect(email!.error).toMatch(/^SMTP server replied 451/);
    const next2 = Date.parse(email!.nextAttemptAt!);
    expect(next2).toBeGreaterThanOrEqual(at2 + 1600);
    expect(next2).toBeLessThanOrEqual(at2 + 2400);

    // third attempt: accepted
    const at3 = AT + 20_000;
    const third = await tick(at3);
    expect(third.code, third.stderr).toBe(0);
    expect(parseJsonOutput<{ deliveriesRetried: number }>(third).deliveriesRetried).toBe(1);
    [email, file] = await deliveries();
    expect([email!.status, email!.attempts, email!.error, email!.nextAttemptAt, email!.sentAt]).toEqual(['sent', 3, null, null, iso(at3)]);
    expect([file!.status, file!.attempts]).toEqual(['sent', 1]);
    expect(smtp.messages).toHaveLength(1);
    expect(messageIdOf(smtp.messages[0]!)).toBe('<invoice-SUPA-000001@oms-invoicing>');
    const [inv] = await invoices();
    expect(inv!.deliveries.map((d) => [d.integration, d.status, d.attempts])).toEqual([
      ['pdf-emailer', 'sent', 3],
      ['xml-sftp', 'sent', 1],
    ]);
  });

  it('with the SMTP server down the email waits as failed with the reason and a next attempt, and goes out once it is up', async () => {
    const port = await findFreePort();
    const dir = await sshd.makeDir(`down-${kind}`);
    await setup(
      dataset(
        [{ code: 'RETB', integrations: [emailIntegration(), sftpIntegration(dir)] }],
        [order('RETB', 'B-1'), order('RETB', 'B-2', { uniqueInvoice: true })],
      ),
      {
        smtpUrl: `smtp://127.0.0.1:${port}`,
      },
    );

    const first = await cli(['run', '--company', 'RETB', '--as', USER]);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/delivery SUPA-000001 via pdf-emailer: failed \(SMTP connection failed \(\w+\): .*ECONNREFUSED 127\.0\.0\.1:\d+/);
    let emails = (await deliveries()).filter((d) => d.integration === 'pdf-emailer');
    expect(emails).toHaveLength(2);
    for (const e of emails) {
      expect([e.status, e.attempts]).toEqual(['failed', 1]);
      expect(e.error).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
      expect(e.nextAttemptAt).not.toBeNull();
    }
    // invoices list shows the same
    for (const inv of await invoices()) {
      const e = inv.deliveries.find((d) => d.integration === 'pdf-emailer')!;
      expect([e.status, e.nextAttemptAt !== null]).toEqual(['failed', true]);
      expect(e.error).toContain('ECONNREFUSED');
    }

    // still down at the next tick: another attempt, another back-off, nothing given up
    await tick(AT + 5_000);
    emails = (await deliveries()).filter((d) => d.integration === 'pdf-emailer');
    for (const e of emails) expect([e.status, e.attempts, e.nextAttemptAt !== null]).toEqual(['failed', 2, true]);

    // back up, on the same port
    smtp = await startSmtpServer({ port });
    await tick(AT + 60_000);
    const all = await deliveries();
    expect(all.map((d) => [d.invoice, d.integration, d.status, d.attempts])).toEqual([
      ['SUPA-000001', 'pdf-emailer', 'sent', 3],
      ['SUPA-000001', 'xml-sftp', 'sent', 1],
      ['SUPA-000002', 'pdf-emailer', 'sent', 3],
      ['SUPA-000002', 'xml-sftp', 'sent', 1],
    ]);
    expect(smtp.messages.map(messageIdOf).sort()).toEqual(['<invoice-SUPA-000001@oms-invoicing>', '<invoice-SUPA-000002@oms-invoicing>']);
  });

  it('an SMTP 5xx fails permanently with the reason, is not retried, and goes out after deliveries retry', async () => {
    smtp = await startSmtpServer();
    await setup(dataset([{ code: 'RETB', integrations: [emailIntegration()] }], [order('RETB', 'B-1')]));
    smtp.failNext(1, 554);

    const first = await cli(['run', '--company', 'RETB', '--as', USER, '--json']);
    expect(first.code).toBe(1);
    let [email] = await deliveries();
    expect([email!.status, email!.attempts, email!.nextAttemptAt]).toEqual(['failed', 1, null]);
    expect(email!.error).toMatch(/^SMTP server replied 554: .*Rejected by test server.* \(permanent failure: not retried\)$/);

    // the worker leaves it alone, however late
    await tick(AT + 86_400_000);
    [email] = await deliveries();
    expect([email!.status, email!.attempts]).toEqual(['failed', 1]);
    expect(smtp.messages).toHaveLength(0);

    // while the integration is switched off, a retry is refused and changes nothing
    const off = await cli(['load', writeJson({ companies: [dropship('RETB', 'SUPA', { integrations: [emailIntegration({ enabled: false })] })] })]);
    expect(off.code, off.stderr).toBe(0);
    const refused = await cli(['deliveries', 'retry', 'SUPA-000001']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('the pdf-emailer integration of "SUPA-000001" is disabled');
    [email] = await deliveries();
    expect([email!.status, email!.attempts]).toEqual(['failed', 1]);
    expect((await cli(['load', writeJson({ companies: [dropship('RETB', 'SUPA', { integrations: [emailIntegration()] })] })])).code).toBe(0);

    // a person retries it (the server now accepts): a fresh set of attempts
    const retry = await cli(['deliveries', 'retry', 'SUPA-000001', '--json'], AT + 90_000_000);
    expect(retry.code, retry.stderr).toBe(0);
    expect(parseJsonOutput<Array<{ invoice: string; status: string }>>(retry)).toEqual([
      { id: email!.id, invoice: 'SUPA-000001', integration: 'pdf-emailer', status: 'sent', error: null },
    ]);
    [email] = await deliveries();
    expect([email!.status, email!.attempts, email!.error]).toEqual(['sent', 1, null]);
    expect(smtp.messages).toHaveLength(1);

    // nothing left to retry
    const again = await cli(['deliveries', 'retry', 'SUPA-000001']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('nothing to retry');
  });

  it('a refused emailTo fails permanently; after the address is fixed, deliveries retry sends it to the new one', async () => {
    smtp = await startSmtpServer({ unknownRecipients: ['nobody@retailer.example'] });
    await setup(dataset([{ code: 'RETB', integrations: [emailIntegration({ emailTo: 'nobody@retailer.example' })] }], [order('RETB', 'B-1')]));

    expect((await cli(['run', '--company', 'RETB', '--as', USER])).code).toBe(1);
    let [email] = await deliveries();
    expect([email!.status, email!.attempts, email!.nextAttemptAt]).toEqual(['failed', 1, null]);
    expect(email!.error).toContain('nobody@retailer.example');
    expect(email!.error).toContain('permanent failure: not retried');

    // fix the address (load upserts the integration), then retry by delivery id
    const load = await cli(['load', writeJson({ companies: [dropship('RETB', 'SUPA', { integrations: [emailIntegration()] })] })]);
    expect(load.code, load.stderr).toBe(0);
    const retry = await cli(['deliveries', 'retry', String(email!.id)]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toContain('sent');
    [email] = await deliveries();
    expect([email!.status, email!.attempts, email!.error]).toEqual(['sent', 1, null]);
    // the messages that reached the server: the first one reached the Bcc copies only, the retry everyone
    const last = smtp.messages.at(-1)!;
    expect([...last.envelope.rcptTo].sort()).toEqual([TO, ...BCC].sort());
    expect(messageIdOf(last)).toBe('<invoice-SUPA-000001@oms-invoicing>');
  });

  it('SFTP: a wrong host key, a rejected key and a missing directory each fail permanently with the reason, leaving nothing in the inbox', async () => {
    smtp = await startSmtpServer();
    const hostKeyDir = await sshd.makeDir(`hostkey-${kind}`);
    const keyDir = await sshd.makeDir(`key-${kind}`);
    const parentDir = await sshd.makeDir(`missing-${kind}`);
    const missingDir = path.join(parentDir, 'not-there');
    const otherHostKey = `SHA256:${createHash('sha256').update('not the server key').digest('base64').replace(/=+$/, '')}`;
    await setup(
      dataset(
        [
          { code: 'RETH', integrations: [emailIntegration(), sftpIntegration(hostKeyDir, { hostKeySha256: otherHostKey })] },
          { code: 'RETK', integrations: [emailIntegration(), sftpIntegration(keyDir, { privateKeyFile: sshd.unauthorizedKeyPath })] },
          { code: 'RETM', integrations: [emailIntegration(), sftpIntegration(missingDir)] },
        ],
        [order('RETH', 'H-1'), order('RETK', 'K-1'), order('RETM', 'M-1')],
      ),
    );

    const expected: Record<string, string> = {
      RETH: `host key mismatch for 127.0.0.1:${sshd.port}: expected ${otherHostKey}, got ${sshd.hostKeySha256} (permanent failure: not retried)`,
      RETK: `authentication failed for ${sshd.user}@127.0.0.1:${sshd.port} (private key rejected) (permanent failure: not retried)`,
      RETM: `remote directory ${missingDir} does not exist on ${sshd.url(missingDir)} (permanent failure: not retried)`,
    };
    for (const company of Object.keys(expected)) {
      const r = await cli(['run', '--company', company, '--as', USER, '--json']);
      expect(r.code, r.stderr).toBe(1);
    }
    const list = await deliveries();
    for (const [company, error] of Object.entries(expected)) {
      const ofCompany = list.filter((d) => d.company === company);
      expect(ofCompany.map((d) => [d.integration, d.status, d.attempts])).toEqual([
        ['pdf-emailer', 'sent', 1],
        ['xml-sftp', 'failed', 1],
      ]);
      const file = ofCompany.find((d) => d.integration === 'xml-sftp')!;
      expect(file.error).toBe(error);
      expect(file.nextAttemptAt).toBeNull();
    }
    // invoices list shows the reason too
    const inv = (await invoices()).find((i) => i.company === 'RETH')!;
    expect(inv.deliveries.find((d) => d.integration === 'xml-sftp')!.error).toBe(expected.RETH);

    // nothing anywhere in the inbox, not even a temp file; the worker does not try again
    await tick(AT + 86_400_000);
    expect((await deliveries()).filter((d) => d.integration === 'xml-sftp').map((d) => [d.status, d.attempts])).toEqual([
      ['failed', 1],
      ['failed', 1],
      ['failed', 1],
    ]);
    expect([filesIn(hostKeyDir), filesIn(keyDir), filesIn(parentDir)]).toEqual([[], [], []]);
    expect(smtp.messages).toHaveLength(3);
  });

  it('a run killed with SIGKILL mid-delivery leaves its deliveries sending; once the claim expires the next tick finishes them, with no partial file ever at a final name', async () => {
    smtp = await startSmtpServer();
    const dir = await sshd.makeDir(`killed-${kind}`);
    const count = 12;
    await setup(
      dataset(
        [{ code: 'RETB', integrations: [emailIntegration(), sftpIntegration(dir)] }],
        Array.from({ length: count }, (_, i) =>
          order('RETB', `B-${i}`, { uniqueInvoice: true, items: [item('TS-WHT-M', 1 + i, '7.50', '20'), item('MUG', 2, '3.3333', '5')] }),
        ),
      ),
      { env: { OMS_LEASE_SECONDS: '1' } },
    );
    const numbers = Array.from({ length: count }, (_, i) => `SUPA-${String(i + 1).padStart(6, '0')}`);

    // The SMTP server takes the messages but does not answer: the run is stuck mid-delivery
    const hold = smtp.holdReplies();
    const { child, done } = startCli(['run', '--company', 'RETB', '--as', USER, '--json'], env);
    await Promise.race([hold.arrived(1), done.then((r) => Promise.reject(new Error(`the run ended before any email arrived: ${r.stderr}`)))]);
    child.kill('SIGKILL');
    const killed: CliResult = await done;
    expect(killed.code).toBe(137);

    // Invoices are committed; every delivery is either sent or still sending (none lost, none pending)
    const after = await deliveries();
    expect(after).toHaveLength(2 * count);
    expect(after.every((d) => d.status === 'sent' || d.status === 'sending')).toBe(true);
    const stuck = after.filter((d) => d.status === 'sending');
    expect(stuck.length).toBeGreaterThanOrEqual(hold.waiting);
    expect(stuck.some((d) => d.integration === 'pdf-emailer')).toBe(true);
    expect(smtp.messages).toHaveLength(0);

    // Whatever is at a final name in the inbox is the whole file; temp files are dot-files
    const checkInbox = async (complete: boolean) => {
      const visible = visibleFiles(dir);
      const finalNames = numbers.flatMap((n) => [`${n}.pdf`, `${n}.xml`]).sort();
      if (complete) expect(visible).toEqual(finalNames);
      else for (const f of visible) expect(finalNames).toContain(f);
      for (const f of filesIn(dir).filter((x) => x.startsWith('.'))) expect(f).toMatch(/^\.SUPA-\d{6}\.(pdf|xml)\.part-[0-9a-f]+$/);
      for (const f of visible) {
        const number = f.slice(0, -4);
        if (f.endsWith('.xml')) expect(fs.readFileSync(path.join(dir, f), 'utf8')).toBe(await xmlOf(number));
        else expect(sha(fs.readFileSync(path.join(dir, f)))).toBe(sha(await pdfOf(number)));
      }
    };
    await checkInbox(false);

    // Before the claim expires nobody takes the deliveries over: not a worker tick, not a person
    const claimedUntil = (await t.db('deliveries').where('status', 'sending').select('claimed_until')).map((r: { claimed_until: number }) =>
      Number(r.claimed_until),
    );
    const early = Math.min(...claimedUntil) - 1;
    expect((await tick(early)).code).toBe(0);
    expect((await deliveries()).map((d) => [d.id, d.status, d.attempts])).toEqual(after.map((d) => [d.id, d.status, d.attempts]));
    const byHand = stuck.find((d) => d.integration === 'pdf-emailer')!.invoice;
    const tooEarly = await cli(['deliveries', 'retry', byHand], early);
    expect(tooEarly.code).toBe(2);
    expect(tooEarly.stderr).toMatch(/being sent by another process, claimed until \d{4}-/);

    // The SMTP server answers again (the held messages' sender is gone, so they were never accepted).
    // Once the claims have expired, a person can send one invoice now, and the next worker tick, a real
    // process, finishes every other delivery
    hold.release();
    while (Date.now() <= Math.max(...claimedUntil)) await new Promise((r) => setTimeout(r, 50));
    const retried = await runCli(['deliveries', 'retry', byHand, '--json'], env);
    expect(retried.code, retried.stderr).toBe(0);
    const retriedIds = parseJsonOutput<Array<{ id: number; status: string }>>(retried).map((o) => [o.id, o.status]);
    expect(retriedIds).toEqual(stuck.filter((d) => d.invoice === byHand).map((d) => [d.id, 'sent']));
    const next = startCli(['worker', '--once', '--json'], env);
    const finished = await next.done;
    expect(finished.code, finished.stderr).toBe(0);
    expect(parseJsonOutput<{ deliveriesRetried: number }>(finished).deliveriesRetried).toBe(stuck.length - retriedIds.length);

    const final = await deliveries();
    expect(final.filter((d) => d.status !== 'sent')).toEqual([]);
    for (const d of final) {
      const before = after.find((a) => a.id === d.id)!;
      // a delivery that was sending when the run died was attempted once more (a fresh count when retried by hand)
      const expected = before.status !== 'sending' ? before.attempts : d.invoice === byHand ? 1 : before.attempts + 1;
      expect(d.attempts).toBe(expected);
    }
    // every invoice reached the mailbox (exactly once here: the held copies never got a 250)
    expect(smtp.messages.map(messageIdOf).sort()).toEqual(numbers.map((n) => `<invoice-${n}@oms-invoicing>`));
    await checkInbox(true);
  });
});

describe('e-invoices through load, run and the SFTP drop', () => {
  it('the validator passes the XML of invoices with several tax rates, 0 % lines, 4-decimal prices, Unicode names, the individual layout and 1,000 lines, identical on both databases', async () => {
    const unicodeOrders = [
      order('RETU', 'U-1', {
        createdAt: '2026-11-02T10:00:00Z',
        shippingCost: '3.95',
        items: [
          item('TS-WHT-M', 3, '7.4999', '20', 'Koszulka żółta — Łódź'),
          item('MUG', 2, '3.3333', '5', 'Кружка «Жарков»'),
          item('BOOK', 1, '12.00', '0', 'Βιβλίο & <οδηγός>'),
          item('CUP', 7, '0.0050', '17.5', '東京の湯呑み'),
        ],
      }),
      order('RETU', 'U-2', {
        createdAt: '2026-11-03T10:00:00Z',
        shippingCost: '0.00',
        relatingTo: 'sklep.example',
        items: [item('ZERO', 4, '1.2345', '0', 'Zero-rated “sample”')],
      }),
    ];
    const individualOrders = [
      order('RETI', 'I-1', { createdAt: '2026-11-02T10:00:00Z', items: [item('TS-WHT-M', 1, '9.9999', '20')] }),
      order('RETI', 'I-2', { createdAt: '2026-11-03T10:00:00Z', shippingCost: '0.00', items: [item('MUG', 5, '0.1234', '5'), item('ZERO', 1, '2.00', '0')] }),
    ];
    const bigOrder = order('RETL', 'L-1', {
      shippingCost: '19.99',
      items: Array.from({ length: 1000 }, (_, i) =>
        item(
          `SKU-${i}`,
          1 + (i % 7),
          `${i % 50}.${String((i * 37) % 10_000).padStart(4, '0')}`,
          ['20', '5', '0', '17.5'][i % 4]!,
          `Line ${i} – Ærø ${'ßΩЖ'[i % 3]}`,
        ),
      ),
    });

    const produced = new Map<string, Map<string, string>>();
    for (const kind of databaseKinds) {
      const t = await createTestDatabase(kind);
      try {
        const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir, OMS_LOG_LEVEL: 'warn', ...keyFolders() };
        const cli = (args: string[]) => runCli(args, env, { at: AT });
        const dirs = { RETU: await sshd.makeDir(`einv-u-${kind}`), RETI: await sshd.makeDir(`einv-i-${kind}`), RETL: await sshd.makeDir(`einv-l-${kind}`) };
        const sftp = (dir: string) => sftpIntegration(dir, { includePdf: false });
        const doc = dataset(
          [
            { code: 'RETU', integrations: [sftp(dirs.RETU)], extra: { name: 'Łódź Handel Sp. z o.o. — Жарков & Σία 東京' } },
            { code: 'RETI', integrations: [sftp(dirs.RETI)], extra: { invoicing: { currency: 'GBP', paymentTermsDays: 14, layout: 'individual' } } },
            { code: 'RETL', integrations: [sftp(dirs.RETL)] },
          ],
          [...unicodeOrders, ...individualOrders, bigOrder],
        );
        const load = await cli(['load', writeJson(doc)]);
        expect(load.code, load.stderr).toBe(0);
        const xmls = new Map<string, string>();
        for (const [company, dir] of Object.entries(dirs)) {
          const r = await cli(['run', '--company', company, '--as', USER, '--json']);
          expect(r.code, r.stderr).toBe(0);
          const report = parseJsonOutput<RunReport>(r);
          expect(report.deliveries.every((d) => d.status === 'sent')).toBe(true);
          if (company === 'RETI') expect(report.invoices.map((i) => i.layout)).toEqual(['individual']);
          if (company === 'RETL') expect(report.invoices.map((i) => i.lines)).toEqual([1000]);
          for (const { number } of report.invoices) {
            const r2 = await cli(['invoices', 'xml', number]);
            expect(r2.code, r2.stderr).toBe(0);
            // what the accounting package got is what `invoices xml` prints
            expect(fs.readFileSync(path.join(dir, `${number}.xml`), 'utf8')).toBe(r2.stdout);
            xmls.set(number, r2.stdout);
          }
        }
        produced.set(kind, xmls);
      } finally {
        await t.destroy();
      }
    }
    // the same data gives the same bytes on either database
    const [first, second] = [...produced.values()];
    expect([...second!.keys()]).toEqual([...first!.keys()]);
    for (const [number, xml] of first!) expect(second!.get(number), number).toBe(xml);
    expect(first!.get('SUPA-000001')).toContain('Łódź Handel Sp. z o.o. — Жарков &amp; Σία 東京');

    const files = [...first!].map(([number, xml]) => {
      const file = path.join(scratch, `einvoice-${number}.xml`);
      fs.writeFileSync(file, xml);
      return file;
    });
    expect(files).toHaveLength(3);
    const reports = await validateInvoices(files);
    for (const report of reports.values()) {
      expect(report.fatals, report.file).toEqual([]);
      expect(report.valid, report.file).toBe(true);
    }
  });
});

/**
 * An outbox over a stub delivery session whose `deliver` the test supplies: the tests below are about the
 * outbox's own rules (claims, retries, recording), on the test's clock. Its warnings are collected.
 */
function stubOutbox(
  db: TestDatabase['db'],
  deliver: DeliverySession['deliver'],
  options: { now: () => number; backoffSeconds?: number; claimSeconds?: number },
): { outbox: ReturnType<typeof createOutbox>; warnings: string[] } {
  const warnings: string[] = [];
  const session: DeliverySession = { deliver, async close() {} };
  const driver = { type: 'pdf-emailer', open: () => Promise.resolve(session) } as IntegrationDriver<never>;
  const outbox = createOutbox({
    db,
    clock: { now: options.now },
    drivers: { 'pdf-emailer': driver, 'xml-sftp': driver },
    render: { pdf: () => Promise.resolve({ bytes: new Uint8Array(), missingCharacters: [] }), xml: () => '' },
    warn: (err, message) => warnings.push(`${message}: ${String(err)}`),
    policy: { maxAttempts: 6, backoffSeconds: options.backoffSeconds ?? 60, claimSeconds: options.claimSeconds ?? 300, concurrency: 8 },
  });
  return { outbox, warnings };
}

describe.each(databaseKinds)('one outbox pass over more deliveries than one claim batch on %s', (kind) => {
  it('attempts each due delivery exactly once, however long the pass takes, and leaves none claimed', async () => {
    const count = 600; // more than one claim batch (500)
    const companies = ['RET1', 'RET2', 'RET3'];
    const t = await createTestDatabase(kind);
    try {
      const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir, OMS_LOG_LEVEL: 'warn', ...keyFolders() };
      const doc = dataset(
        companies.map((code) => ({ code, integrations: [emailIntegration({ enabled: false })] })),
        Array.from({ length: count }, (_, i) => order(companies[i % 3]!, `O-${i}`, { uniqueInvoice: true })),
      );
      expect((await runCli(['load', writeJson(doc)], env, { at: AT })).code).toBe(0);
      for (const company of companies) {
        const run = await runCli(['run', '--company', company, '--as', USER, '--json'], env, { at: AT });
        expect(run.code, run.stderr.slice(0, 2000)).toBe(0);
        expect(parseJsonOutput<RunReport>(run).invoices).toHaveLength(count / 3);
      }
      // the integrations are switched on afterwards, with every invoice waiting for its company's
      await t.db('integrations').update({ enabled: true });
      const integrationOf = new Map(
        (await t.db('integrations').select<Array<{ id: number; company_id: number }>>('id', 'company_id')).map((g) => [Number(g.company_id), Number(g.id)]),
      );
      const invoiceRows = await t.db('invoices').orderBy('id').select<Array<{ id: number; company_id: number }>>('id', 'company_id');
      expect(invoiceRows).toHaveLength(count);
      for (let i = 0; i < invoiceRows.length; i += 100) {
        await t.db('deliveries').insert(
          invoiceRows.slice(i, i + 100).map((r) => ({
            invoice_id: r.id,
            integration_id: integrationOf.get(Number(r.company_id))!,
            status: 'pending',
            attempts: 0,
            created_at: AT,
            updated_at: AT,
          })),
        );
      }

      // An SMTP server that never answers: each attempt fails (retryable) and time runs on, so the first
      // batch's failures are due again before the pass is over
      let now = AT;
      let attempts = 0;
      const { outbox, warnings } = stubOutbox(
        t.db,
        () => {
          attempts += 1;
          return Promise.reject(new DeliveryError('SMTP connection failed (ETIMEDOUT): no answer', true));
        },
        { now: () => (now += 1000), backoffSeconds: 1 },
      );

      const outcomes = await outbox.deliverPending({});
      expect(outcomes).toHaveLength(count);
      expect(attempts).toBe(count);
      const list = async () => parseJsonOutput<DeliveryJson[]>(await runCli(['deliveries', 'list', '--json'], env, { at: now }));
      const after = await list();
      expect(after.filter((d) => d.status !== 'failed' || d.attempts !== 1 || d.nextAttemptAt === null)).toEqual([]);

      // the retry pass (a worker tick, once the back-off has passed) takes every one of them again, once
      now += 60_000;
      const retried = await outbox.deliverPending({ retriesOnly: true });
      expect(retried).toHaveLength(count);
      expect(attempts).toBe(2 * count);
      expect((await list()).filter((d) => d.status !== 'failed' || d.attempts !== 2)).toEqual([]);
      expect(warnings).toEqual([]);
    } finally {
      await t.destroy();
    }
  });
});

/**
 * A company's invoices (one per order), made by a manual run while its email integration was off, then
 * one pending delivery of each queued by hand: the outbox tests below drive those deliveries themselves.
 */
async function invoicesWithPendingEmail(t: TestDatabase, code: string, count = 1): Promise<{ integration: number; deliveryIds: number[] }> {
  const env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir, OMS_LOG_LEVEL: 'warn', ...keyFolders() };
  const orders = Array.from({ length: count }, (_, i) => order(code, `${code}-${i + 1}`, { uniqueInvoice: true }));
  expect((await runCli(['load', writeJson(dataset([{ code, integrations: [emailIntegration({ enabled: false })] }], orders))], env, { at: AT })).code).toBe(0);
  expect((await runCli(['run', '--company', code, '--as', USER], env, { at: AT })).code).toBe(0);
  await t.db('integrations').update({ enabled: true });
  const integration = Number((await t.db('integrations').first<{ id: number }>('id')).id);
  const invoices = await t.db('invoices').orderBy('id').select<Array<{ id: number }>>('id');
  expect(invoices).toHaveLength(count);
  const deliveryIds: number[] = [];
  for (const invoice of invoices) {
    const [id] = await t
      .db('deliveries')
      .insert({ invoice_id: invoice.id, integration_id: integration, status: 'pending', attempts: 0, created_at: AT, updated_at: AT });
    deliveryIds.push(Number(id));
  }
  return { integration, deliveryIds };
}

describe('a run claiming its own deliveries on MariaDB', () => {
  it('waits for a row another pass has locked instead of skipping it (which would leave it pending until the next scheduled run)', async () => {
    const t = await createTestDatabase('mariadb');
    const conn = await mysql.createConnection(t.url);
    try {
      const {
        integration,
        deliveryIds: [deliveryId],
      } = await invoicesWithPendingEmail(t, 'RETB');

      let delivered = 0;
      const { outbox, warnings } = stubOutbox(
        t.db,
        () => {
          delivered += 1;
          return Promise.resolve({ detail: '250 ok' });
        },
        { now: () => AT },
      );

      // Another worker's pass is looking at the row (its scan holds the row lock for a moment)
      await conn.query('START TRANSACTION');
      await conn.query('SELECT id FROM deliveries WHERE id = ? FOR UPDATE', [deliveryId]);
      const pass = outbox.deliverPending({ integrationIds: [integration] });
      await new Promise((r) => setTimeout(r, 300));
      await conn.query('COMMIT');

      expect((await pass).map((o) => [o.deliveryId, o.status])).toEqual([[deliveryId, 'sent']]);
      expect(delivered).toBe(1);
      expect(await t.db('deliveries').where('id', deliveryId).first('status')).toEqual({ status: 'sent' });
      expect(warnings).toEqual([]);
    } finally {
      await conn.end();
      await t.destroy();
    }
  });
});

describe('recording deliveries on MariaDB', () => {
  it('records a delivery as sent even when its UPDATE is chosen as the victim of a deadlock (the statement is tried again)', async () => {
    const t = await createTestDatabase('mariadb');
    const other = await mysql.createConnection(t.url);
    try {
      const { deliveryIds } = await invoicesWithPendingEmail(t, 'DEAD', 2);
      const [first, second] = deliveryIds as [number, number];
      // Both deliveries are claimed and in flight; they are answered together once released
      let sends = 0;
      let release = () => {};
      const released = new Promise<void>((r) => (release = r));
      let bothInFlight = () => {};
      const inFlight = new Promise<void>((r) => (bothInFlight = r));
      const { outbox, warnings } = stubOutbox(
        t.db,
        async () => {
          sends += 1;
          if (sends === 2) bothInFlight();
          await released;
          return { detail: '250 ok' };
        },
        { now: () => AT },
      );
      const pass = outbox.deliverPending({});
      await inFlight;

      // Another transaction, which has already written more (so InnoDB picks the outbox's statement as the
      // victim), holds the second delivery's row
      await other.query('CREATE TABLE deadlock_ballast (n INT PRIMARY KEY) ENGINE=InnoDB');
      await other.query('START TRANSACTION');
      await other.query(`INSERT INTO deadlock_ballast (n) VALUES ${Array.from({ length: 500 }, (_, i) => `(${i})`).join(',')}`);
      await other.query('SELECT id FROM deliveries WHERE id = ? FOR UPDATE', [second]);

      const deadlocks = async () => {
        const [rows] = await other.query("SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'");
        return Number((rows as Array<{ Value: string }>)[0]!.Value);
      };
      const deadlocksBefore = await deadlocks();

      // Both are sent; their one "sent" UPDATE locks the first row, then waits for the second
      release();
      const deadline = Date.now() + 10_000;
      for (;;) {
        // The outbox's UPDATE is running, and some statement is waiting for a row lock (only it can be)
        const [rows] = await other.query(
          "SELECT (SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'update `deliveries` set `status` = %') AS updating, (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_ROW_LOCK_CURRENT_WAITS') AS waits",
        );
        const { updating, waits } = (rows as Array<{ updating: number; waits: string }>)[0]!;
        if (Number(updating) > 0 && Number(waits) > 0) break;
        if (Date.now() > deadline) throw new Error('the outbox\'s "sent" UPDATE never waited for the locked row');
        await new Promise((r) => setTimeout(r, 20));
      }
      // …and the other transaction now wants the first row: a deadlock, which the outbox's statement loses
      await other.query('SELECT id FROM deliveries WHERE id = ? FOR UPDATE', [first]);
      await other.query('ROLLBACK');

      const outcomes = await pass;
      expect(outcomes.map((o) => [o.deliveryId, o.status, o.error])).toEqual([
        [first, 'sent', null],
        [second, 'sent', null],
      ]);
      expect(sends).toBe(2);
      expect(await t.db('deliveries').orderBy('id').select('id', 'status', 'attempts')).toEqual([
        { id: first, status: 'sent', attempts: 1 },
        { id: second, status: 'sent', attempts: 1 },
      ]);
      expect(await deadlocks()).toBe(deadlocksBefore + 1);
      expect(warnings).toEqual([]);
    } finally {
      await other.end();
      await t.destroy();
    }
  });
});

describe.each(databaseKinds)('a delivery that takes longer than its claim on %s', (kind) => {
  it('stays claimed while it is being sent: another worker does not take it and send it again', async () => {
    const t = await createTestDatabase(kind);
    try {
      const {
        deliveryIds: [deliveryId],
      } = await invoicesWithPendingEmail(t, 'SLOW');

      // The first send is slow (a server that takes its time to accept a large message); it finishes when released
      let sends = 0;
      let release = () => {};
      const released = new Promise<void>((r) => (release = r));
      let started = () => {};
      const firstStarted = new Promise<void>((r) => (started = r));
      const deliver = async () => {
        sends += 1;
        if (sends > 1) return { detail: '250 sent again' };
        started();
        await released;
        return { detail: '250 ok' };
      };
      const t0 = Date.now();
      // Two workers' outboxes; a claim of 1.5 s, renewed every 0.5 s: the send below takes more than three of them
      const options = { now: () => AT + (Date.now() - t0), claimSeconds: 1.5 };
      const [one, two] = [stubOutbox(t.db, deliver, options), stubOutbox(t.db, deliver, options)];

      const first = one.outbox.deliverPending({});
      await firstStarted;
      await new Promise((r) => setTimeout(r, 5000));
      // Another worker's retry pass, long after the first claim would have run out
      const second = await two.outbox.deliverPending({ retriesOnly: true });
      expect(second).toEqual([]);
      expect(sends).toBe(1);

      release();
      expect((await first).map((o) => [o.deliveryId, o.status])).toEqual([[deliveryId, 'sent']]);
      expect(sends).toBe(1);
      expect(await t.db('deliveries').where('id', deliveryId).first('status', 'attempts', 'claimed_until')).toEqual({
        status: 'sent',
        attempts: 1,
        claimed_until: null,
      });
      expect([...one.warnings, ...two.warnings]).toEqual([]);
    } finally {
      await t.destroy();
    }
  });
});

describe.each(databaseKinds)('a delivery that was sent but cannot be recorded on %s', (kind) => {
  it('is not marked failed for a back-off retry: it stays claimed, and is sent again once the claim runs out', async () => {
    const t = await createTestDatabase(kind);
    try {
      const {
        deliveryIds: [deliveryId],
      } = await invoicesWithPendingEmail(t, 'NOREC');
      let sends = 0;
      let now = AT;
      const { outbox, warnings } = stubOutbox(
        t.db,
        () => {
          sends += 1;
          return Promise.resolve({ detail: `250 ok #${sends}` });
        },
        { now: () => now },
      );

      // The database refuses to record the delivery as sent (as a full disk would)
      await t.db.raw(
        kind === 'sqlite'
          ? "CREATE TRIGGER refuse_sent BEFORE UPDATE ON deliveries WHEN NEW.status = 'sent' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
          : "CREATE TRIGGER refuse_sent BEFORE UPDATE ON deliveries FOR EACH ROW BEGIN IF NEW.status = 'sent' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'disk full'; END IF; END",
      );
      const [outcome] = await outbox.deliverPending({});
      expect(sends).toBe(1);
      expect(outcome).toMatchObject({ deliveryId, status: 'failed' });
      expect(outcome!.error).toMatch(/^sent \(250 ok #1\), but recording it failed: .*disk full.*; it will be sent again once its claim runs out$/);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(new RegExp(`^delivery ${deliveryId} was sent but could not be recorded as sent: .*disk full`));
      // Still claimed: no back-off retry takes it while the claim lasts
      expect(await t.db('deliveries').where('id', deliveryId).first('status', 'next_attempt_at', 'claimed_until')).toEqual({
        status: 'sending',
        next_attempt_at: null,
        claimed_until: AT + 300_000,
      });
      now = AT + 120_000;
      expect(await outbox.deliverPending({ retriesOnly: true })).toEqual([]);

      // Once the database takes writes again and the claim has run out, the retry pass sends it again
      await t.db.raw('DROP TRIGGER refuse_sent');
      now = AT + 301_000;
      expect((await outbox.deliverPending({ retriesOnly: true })).map((o) => [o.deliveryId, o.status])).toEqual([[deliveryId, 'sent']]);
      expect(sends).toBe(2);
      expect(await t.db('deliveries').where('id', deliveryId).first('status', 'attempts', 'receipt')).toEqual({
        status: 'sent',
        attempts: 2,
        receipt: '250 ok #2',
      });
    } finally {
      await t.destroy();
    }
  });
});
