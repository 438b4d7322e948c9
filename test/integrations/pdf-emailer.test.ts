import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/domain/errors.js';
import type { BillingDocument } from '../../src/domain/invoice-document.js';
import type { DeliveryArtefacts } from '../../integrations/contract.js';
import {
  composeInvoiceEmail,
  createEmlFileMailer,
  createPdfEmailerDriver,
  createSmtpMailer,
  type Mailer,
  type PdfEmailerSettings,
} from '../../integrations/pdf-emailer/index.js';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../support/smtp-server.js';
import { filenameOf, leafParts, parseMime, type MimePart } from './parse-mime.js';
import { buildSampleCreditNote, buildSampleInvoice } from '../../bench/sample-documents.js';

const FROM = 'OMS Invoicing <invoices@oms.example>';
const settings: PdfEmailerSettings = { emailTo: 'ap@retailer-b.example', emailBcc: 'a@x.example,b@y.example' };
const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(50_000), Buffer.from('\n%%EOF\n')]);
const artefacts: DeliveryArtefacts = { pdf: () => Promise.resolve(pdf), xml: () => '<never-used/>' };

const unicodeInvoice = buildSampleInvoice({
  number: 'SUPA-000100',
  seller: {
    name: 'Łódź Trading Sp. z o.o.',
    address: { lines: ['ul. Piotrkowska 1'], city: 'Łódź', postcode: '90-001', country: 'PL' },
  },
  buyer: {
    name: 'Жарков и партнёры 東京',
    address: { lines: ['1-1 Marunouchi'], city: '東京', postcode: '100-0005', country: 'JP' },
  },
});

let smtp: TestSmtpServer;
let mailer: Mailer;

beforeAll(async () => {
  smtp = await startSmtpServer();
  mailer = createSmtpMailer(smtp.url);
});
afterAll(async () => {
  await mailer?.close();
  await smtp?.stop();
});

async function send(doc: BillingDocument, options: { mailer?: Mailer; settings?: PdfEmailerSettings } = {}) {
  const driver = createPdfEmailerDriver({ mailer: options.mailer ?? mailer, from: FROM });
  const session = await driver.open(options.settings ?? settings);
  try {
    return await session.deliver(doc, artefacts);
  } finally {
    await session.close();
  }
}

async function failureOf(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

/** The message the server received last, parsed */
function lastReceived(): { mail: ReceivedMail; parsed: MimePart; text: string; html: string; attachment: MimePart } {
  const mail = smtp.messages.at(-1);
  if (!mail) throw new Error('no message received');
  const parsed = parseMime(mail.raw);
  const leaves = leafParts(parsed);
  const find = (type: string) => {
    const part = leaves.find((p) => p.contentType === type);
    if (!part) throw new Error(`no ${type} part`);
    return part;
  };
  return {
    mail,
    parsed,
    text: find('text/plain').body.toString('utf8'),
    html: find('text/html').body.toString('utf8'),
    attachment: find('application/pdf'),
  };
}

describe('pdf-emailer through a real SMTP server', () => {
  it('delivers the PDF byte for byte as NUMBER.pdf, with total and due date in the body', async () => {
    const doc = buildSampleInvoice({ number: 'SUPA-000042' });
    const receipt = await send(doc);

    const { parsed, text, html, attachment } = lastReceived();
    expect(filenameOf(attachment)).toBe('SUPA-000042.pdf');
    expect(attachment.body.equals(pdf)).toBe(true);
    expect(parsed.header('subject')).toBe('Invoice SUPA-000042 from Supplier A Ltd');
    expect(parsed.header('to')).toBe('ap@retailer-b.example');
    expect(parsed.header('reply-to')).toBe('accounts@supplier-a.example');
    expect(text).toContain(`Total: ${doc.total} GBP`);
    expect(text).toContain('Due date: 2026-12-08');
    expect(html).toContain(`<td>${doc.total} GBP</td>`);
    expect(receipt.detail).toMatch(/^<invoice-SUPA-000042@oms-invoicing> 250 /);
  });

  it('sends Bcc recipients in the envelope only, never in the headers', async () => {
    await send(buildSampleInvoice({ number: 'SUPA-000043' }));

    const { mail, parsed } = lastReceived();
    expect(mail.envelope.rcptTo.sort()).toEqual(['a@x.example', 'ap@retailer-b.example', 'b@y.example']);
    expect(mail.envelope.mailFrom).toBe('invoices@oms.example');
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(mail.raw.toString('latin1')).not.toContain('a@x.example');
  });

  it('keeps Łódź, Жарков and 東京 readable in the subject and both bodies', async () => {
    await send(unicodeInvoice);

    const { parsed, text, html } = lastReceived();
    expect(parsed.header('subject')).toBe('Invoice SUPA-000100 from Łódź Trading Sp. z o.o.');
    for (const body of [text, html]) {
      expect(body).toContain('Łódź Trading Sp. z o.o.');
      expect(body).toContain('Жарков и партнёры 東京');
    }
  });

  it('gives every send of the same invoice the same Message-ID, so mail systems can drop a duplicate', async () => {
    const doc = buildSampleInvoice({ number: 'SUPA-000044' });
    await send(doc);
    const first = lastReceived().parsed.header('message-id');
    await send(doc);
    const second = lastReceived().parsed.header('message-id');

    expect(first).toBe('<invoice-SUPA-000044@oms-invoicing>');
    expect(second).toBe(first);
    const other = composeInvoiceEmail(buildSampleInvoice({ number: 'SUPA/000044' }), pdf, { ...settings, from: FROM });
    expect(other.messageId).not.toBe(first);
    expect(other.messageId).toMatch(/^<invoice-SUPA_000044-[0-9a-f]{10}@oms-invoicing>$/);
  });

  it('does not let CR/LF in a company name add a header or a recipient', async () => {
    const doc = buildSampleInvoice({
      number: 'SUPA-000045',
      seller: { name: 'Evil Ltd\r\nBcc: victim@evil.example\r\nX-Injected: yes' },
      buyer: { name: 'Buyer\nSubject: hijacked' },
    });
    await send(doc);

    const { mail, parsed } = lastReceived();
    expect(parsed.headers.has('x-injected')).toBe(false);
    expect(parsed.headers.get('subject')).toEqual(['Invoice SUPA-000045 from Evil Ltd Bcc: victim@evil.example X-Injected: yes']);
    expect(mail.envelope.rcptTo).not.toContain('victim@evil.example');
    expect(parsed.rawHeaders).not.toMatch(/^(Bcc|X-Injected):/im);
  });

  it('HTML-escapes company names in the HTML body', async () => {
    await send(buildSampleInvoice({ number: 'SUPA-000046', buyer: { name: '<script>alert(1)</script> & Co' } }));

    const { html, text } = lastReceived();
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#38; Co');
    expect(text).toContain('<script>alert(1)</script> & Co');
  });

  it('classifies 451 as retryable, and the pool recovers for the next message', async () => {
    smtp.failNext(1, 451);
    const before = smtp.messages.length;
    const error = await failureOf(send(buildSampleInvoice({ number: 'SUPA-000047' })));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('451');
    expect(smtp.messages.length).toBe(before);

    await send(buildSampleInvoice({ number: 'SUPA-000047' }));
    expect(smtp.messages.length).toBe(before + 1);
  });

  it('classifies 5xx as permanent', async () => {
    smtp.failNext(1, 554);
    const error = await failureOf(send(buildSampleInvoice({ number: 'SUPA-000048' })));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('554');
  });

  it('classifies rejected SMTP credentials as permanent', async () => {
    const guarded = await startSmtpServer({ auth: { user: 'oms', password: 'secret' } });
    const wrong = createSmtpMailer(`smtp://oms:wrong@127.0.0.1:${guarded.port}`);
    const right = createSmtpMailer(`smtp://oms:secret@127.0.0.1:${guarded.port}`);
    try {
      const error = await failureOf(send(buildSampleInvoice(), { mailer: wrong }));
      expect(error.retryable).toBe(false);
      expect(error.message).toContain('535');
      await send(buildSampleInvoice(), { mailer: right });
      expect(guarded.messages).toHaveLength(1);
    } finally {
      await Promise.all([wrong.close(), right.close()]);
      await guarded.stop();
    }
  });

  it('fails permanently when the server refuses the To address, but only notes a refused Bcc', async () => {
    const picky = await startSmtpServer({ unknownRecipients: ['gone@retailer-b.example', 'b@y.example'] });
    const pickyMailer = createSmtpMailer(picky.url);
    try {
      const error = await failureOf(
        send(buildSampleInvoice(), { mailer: pickyMailer, settings: { emailTo: 'gone@retailer-b.example', emailBcc: 'a@x.example' } }),
      );
      expect(error.retryable).toBe(false);
      expect(error.message).toContain('refused gone@retailer-b.example (emailTo)');

      const receipt = await send(buildSampleInvoice(), { mailer: pickyMailer });
      expect(receipt.detail).toMatch(/ \(refused Bcc: b@y\.example\)$/);
      expect(picky.messages.at(-1)?.envelope.rcptTo.sort()).toEqual(['a@x.example', 'ap@retailer-b.example']);
    } finally {
      await pickyMailer.close();
      await picky.stop();
    }
  });

  it('refuses a Bcc list with spaces before sending anything', async () => {
    const before = smtp.messages.length;
    const error = await failureOf(send(buildSampleInvoice(), { settings: { emailTo: 'ap@retailer-b.example', emailBcc: 'a@x.example, b@y.example' } }));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('emailBcc');
    expect(smtp.messages.length).toBe(before);
  });

  it('classifies a server that is down as retryable', async () => {
    const down = await startSmtpServer();
    const downMailer = createSmtpMailer(down.url, { timeoutMs: 2000 });
    try {
      await send(buildSampleInvoice(), { mailer: downMailer }); // the pool holds a live connection now
      await down.stop();
      const error = await failureOf(send(buildSampleInvoice(), { mailer: downMailer }));
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/ECONNREFUSED|ECONNECTION|ESOCKET|421/);
    } finally {
      await downMailer.close();
    }
  });

  it('sends 1,000 invoices with a 50 KB PDF through one pool', async () => {
    const bulk = await startSmtpServer();
    const bulkMailer = createSmtpMailer(bulk.url);
    const driver = createPdfEmailerDriver({ mailer: bulkMailer, from: FROM });
    const session = await driver.open(settings);
    const started = performance.now();
    try {
      const docs = Array.from({ length: 1000 }, (_, i) => buildSampleInvoice({ number: `BULK-${String(i).padStart(6, '0')}` }));
      await Promise.all(docs.map((doc) => session.deliver(doc, artefacts)));
    } finally {
      await session.close();
      await bulkMailer.close();
    }
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`smtp: 1000 messages with a ${pdf.length} B PDF in ${seconds.toFixed(2)} s (${Math.round(1000 / seconds)}/s)\n`);
    await bulk.stop();

    expect(bulk.messages).toHaveLength(1000);
    expect(new Set(bulk.messages.map((m) => parseMime(m.raw).header('message-id'))).size).toBe(1000);
    expect(seconds).toBeLessThan(30);
  });
});

describe('credit notes through a real SMTP server', () => {
  const creditNote = buildSampleCreditNote(buildSampleInvoice({ number: 'SUPA-000042' }), {
    number: 'SUPA-CN-000001',
    lines: [{ position: 1, quantity: 1 }],
    reason: 'Parcel returned <damaged> & "refunded"',
  });

  it('names both numbers in the subject, says what it credits and why, and attaches the PDF as NUMBER.pdf', async () => {
    const receipt = await send(creditNote);

    const { parsed, text, html, attachment } = lastReceived();
    expect(parsed.header('subject')).toBe('Credit note SUPA-CN-000001 for invoice SUPA-000042 from Supplier A Ltd');
    expect(filenameOf(attachment)).toBe('SUPA-CN-000001.pdf');
    expect(attachment.body.equals(pdf)).toBe(true);
    expect(parsed.header('reply-to')).toBe('accounts@supplier-a.example');
    expect(text).toContain(`It credits ${creditNote.total} GBP on invoice SUPA-000042 of 2026-11-08.`);
    expect(text).toContain('Credits invoice: SUPA-000042 of 2026-11-08');
    expect(text).toContain('Reason: Parcel returned <damaged> & "refunded"');
    expect(text).toContain(`Total credited: ${creditNote.total} GBP`);
    expect(html).toContain('<td>Parcel returned &#60;damaged&#62; &#38; &#34;refunded&#34;</td>');
    expect(html).not.toContain('<damaged>');
    for (const invoiceOnly of ['Due date', 'IBAN', 'Sort code', 'Please pay']) expect(text).not.toContain(invoiceOnly);
    expect(receipt.detail).toMatch(/^<credit-note-SUPA-CN-000001@oms-invoicing> 250 /);
  });

  it('gives every send of a credit note the same Message-ID, never its invoice’s', async () => {
    await send(creditNote);
    const first = lastReceived().parsed.header('message-id');
    await send(creditNote);
    expect(lastReceived().parsed.header('message-id')).toBe(first);
    expect(first).toBe('<credit-note-SUPA-CN-000001@oms-invoicing>');
    const sameNumberInvoice = composeInvoiceEmail(buildSampleInvoice({ number: 'SUPA-CN-000001' }), pdf, { ...settings, from: FROM });
    expect(sameNumberInvoice.messageId).not.toBe(first);
  });

  it('keeps Łódź, Жарков and 東京 readable and a reason with line breaks on one line', async () => {
    await send(buildSampleCreditNote(unicodeInvoice, { number: 'SUPA-CN-000002', reason: 'Zwrot — Жарков\r\nBcc: victim@evil.example 東京' }));

    const { mail, parsed, text, html } = lastReceived();
    expect(parsed.header('subject')).toBe('Credit note SUPA-CN-000002 for invoice SUPA-000100 from Łódź Trading Sp. z o.o.');
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(mail.envelope.rcptTo).not.toContain('victim@evil.example');
    for (const body of [text, html]) {
      expect(body).toContain('Łódź Trading Sp. z o.o.');
      expect(body).toContain('Жарков и партнёры 東京');
      expect(body).toContain('Zwrot — Жарков Bcc: victim@evil.example 東京');
    }
  });
});

describe('pdf-emailer without SMTP: .eml files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'oms-eml-')), 'outbox');
  });
  afterAll(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('writes one readable .eml per invoice (created folder, no temp files), replaced on re-send', async () => {
    const eml = createEmlFileMailer(dir);
    const receipt = await send(unicodeInvoice, { mailer: eml });
    await send(unicodeInvoice, { mailer: eml });

    expect(await readdir(dir)).toEqual(['invoice-SUPA-000100.eml']);
    expect(receipt.detail).toBe(`<invoice-SUPA-000100@oms-invoicing> written to ${join(dir, 'invoice-SUPA-000100.eml')}`);
    const parsed = parseMime(await readFile(join(dir, 'invoice-SUPA-000100.eml')));
    expect(parsed.header('subject')).toBe('Invoice SUPA-000100 from Łódź Trading Sp. z o.o.');
    expect(parsed.header('bcc')).toBe('a@x.example, b@y.example');
    const attachment = leafParts(parsed).find((p) => p.contentType === 'application/pdf');
    expect(attachment && filenameOf(attachment)).toBe('SUPA-000100.pdf');
    expect(attachment?.body.equals(pdf)).toBe(true);
  });

  it('writes a credit note beside its invoice, named by its own Message-ID', async () => {
    const eml = createEmlFileMailer(dir);
    await send(unicodeInvoice, { mailer: eml });
    await send(buildSampleCreditNote(unicodeInvoice, { number: 'SUPA-CN-000003' }), { mailer: eml });

    expect((await readdir(dir)).sort()).toEqual(['credit-note-SUPA-CN-000003.eml', 'invoice-SUPA-000100.eml']);
    const parsed = parseMime(await readFile(join(dir, 'credit-note-SUPA-CN-000003.eml')));
    expect(parsed.header('subject')).toBe('Credit note SUPA-CN-000003 for invoice SUPA-000100 from Łódź Trading Sp. z o.o.');
  });
});
