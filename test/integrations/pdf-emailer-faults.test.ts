/**
 * pdf-emailer when the SMTP server fails: each fault ends as a retryable or a permanent DeliveryError with
 * the server's words (or the timeout that ran out), never as a hang, and the server holds no message
 * from the failed attempt. The pool recovers: the next invoice goes through.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryArtefacts } from '../../integrations/contract.js';
import { createPdfEmailerDriver, createSmtpMailer, type Mailer } from '../../integrations/pdf-emailer/index.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.js';
import { failureOf } from './failure-of.js';
import { leafParts, parseMime } from './parse-mime.js';
import { buildSampleInvoice } from '../../bench/sample-documents.js';

const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(300_000), Buffer.from('\n%%EOF\n')]);
const artefacts: DeliveryArtefacts = { pdf: () => Promise.resolve(pdf), xml: () => '<never-used/>' };

let smtp: TestSmtpServer | null = null;
let mailer: Mailer | null = null;
afterEach(async () => {
  await mailer?.close();
  await smtp?.stop();
  smtp = null;
  mailer = null;
});

/** A fresh server and pool for each test: a fault at the greeting needs a connection not yet made */
async function serverAndMailer(timeoutMs?: number): Promise<{ smtp: TestSmtpServer; send: (number: string) => Promise<unknown> }> {
  smtp = await startSmtpServer();
  const pool = createSmtpMailer(smtp.url, timeoutMs === undefined ? {} : { timeoutMs });
  mailer = pool;
  const driver = createPdfEmailerDriver({ mailer: pool, from: 'OMS Invoicing <invoices@oms.example>' });
  const send = async (number: string) => {
    const session = await driver.open({ emailTo: 'ap@retailer-b.example', emailBcc: null });
    try {
      return await session.deliver(buildSampleInvoice({ number }), artefacts);
    } finally {
      await session.close();
    }
  };
  return { smtp, send };
}

describe('pdf-emailer when the SMTP server fails', () => {
  it.each([
    {
      code: 421,
      at: 'connect',
      text: '4.3.2 Too busy, come back later',
      retryable: true,
      message: 'SMTP server replied 421 on connecting: 4.3.2 Too busy, come back later',
    },
    {
      code: 451,
      at: 'data',
      text: '4.3.0 Greylisted, try again in 5 minutes',
      retryable: true,
      message: 'SMTP server replied 451: 4.3.0 Greylisted, try again in 5 minutes',
    },
    {
      code: 452,
      at: 'data',
      text: '4.3.1 Insufficient system storage',
      retryable: true,
      message: 'SMTP server replied 452: 4.3.1 Insufficient system storage',
    },
    {
      code: 552,
      at: 'data',
      text: '5.3.4 Message size exceeds fixed limit',
      retryable: false,
      message: 'SMTP server replied 552: 5.3.4 Message size exceeds fixed limit',
    },
    { code: 554, at: 'data', text: '5.7.1 Message rejected as spam', retryable: false, message: 'SMTP server replied 554: 5.7.1 Message rejected as spam' },
  ] as const)('$code at $at: retryable $retryable, in the server’s words', async ({ code, at, text, retryable, message }) => {
    const { smtp, send } = await serverAndMailer();
    smtp.failNext(1, code, { at, text });
    const error = await failureOf(send('SUPA-000100'));
    expect(error.retryable).toBe(retryable);
    expect(error.message).toBe(message);
    expect(smtp.messages).toHaveLength(0);

    await send('SUPA-000100');
    expect(smtp.messages).toHaveLength(1);
  });

  it('reports a connection closed in the middle of DATA as retryable, and the server keeps nothing of it', async () => {
    const { smtp, send } = await serverAndMailer();
    smtp.dropNext(1, 'data');
    const error = await failureOf(send('SUPA-000101'));
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('SMTP connection failed (ECONNECTION): Connection closed unexpectedly');
    expect(smtp.messages).toHaveLength(0);

    await send('SUPA-000101');
    expect(smtp.messages).toHaveLength(1);
    const attachment = leafParts(parseMime(smtp.messages[0]?.raw ?? Buffer.alloc(0))).find((part) => part.contentType === 'application/pdf');
    expect(attachment?.body.equals(pdf)).toBe(true);
  });

  it('sends again, once, when the connection closes before the greeting (nothing was sent yet)', async () => {
    const { smtp, send } = await serverAndMailer();
    smtp.dropNext(1, 'connect');
    await send('SUPA-000102');
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.connections).toBe(2);
  });

  it('gives up on a server that accepts the connection and never greets: a retryable timeout, not a hang', async () => {
    const { smtp, send } = await serverAndMailer(1000);
    smtp.stallNext(1, 'connect');
    const started = performance.now();
    const error = await failureOf(send('SUPA-000103'));
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('SMTP connection failed (ETIMEDOUT): the server sent no greeting within 1000 ms (greetingTimeout)');

    await send('SUPA-000103');
    expect(smtp.messages).toHaveLength(1);
  });

  it.each(['mail', 'data'] as const)('gives up on a server that stops answering at %s: a retryable timeout, not a hang', async (at) => {
    const { smtp, send } = await serverAndMailer(1000);
    smtp.stallNext(1, at);
    const started = performance.now();
    const error = await failureOf(send('SUPA-000104'));
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('SMTP connection failed (ETIMEDOUT): the server went silent: no reply within 4000 ms (socketTimeout)');
    expect(smtp.messages).toHaveLength(0);

    await send('SUPA-000104');
    expect(smtp.messages).toHaveLength(1);
  });
});
