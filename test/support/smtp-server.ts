/**
 * A real SMTP server for tests (the `smtp-server` package, in-process, loopback, no TLS, no auth).
 *
 *   const smtp = await startSmtpServer();
 *   createSmtpMailer(smtp.url) …
 *   smtp.messages        // envelopes + raw RFC 5322 bytes, in arrival order
 *   smtp.failNext(2)     // the next 2 messages get "451 …" after DATA; failNext(1, 550) for a permanent one
 *   await smtp.stop()    // now the port refuses connections
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelope: { mailFrom: string; rcptTo: string[] };
  raw: Buffer;
}

export interface TestSmtpServer {
  host: string;
  port: number;
  /** smtp://127.0.0.1:PORT */
  url: string;
  messages: ReceivedMail[];
  /** Answers `code` (default 451, "try again later") to the next `count` messages, after their DATA */
  failNext(count: number, code?: number): void;
  /** Resolves once `count` messages have arrived in total */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Closes the listener and drops open connections */
  stop(): Promise<void>;
}

export interface SmtpServerOptions {
  /** When set, AUTH (over plain text, this is a test) accepts only these credentials; still optional */
  auth?: { user: string; password: string };
  /** RCPT TO for these addresses gets "550 no such user" */
  unknownRecipients?: string[];
}

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const failures: number[] = [];
  const waiters = new Set<() => void>();

  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 100,
    size: 50 * 1024 * 1024,
    onAuth(auth, _session, callback) {
      const ok = options.auth && auth.username === options.auth.user && auth.password === options.auth.password;
      if (ok) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (options.unknownRecipients?.includes(address.address)) {
        callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
      } else {
        callback();
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const code = failures.shift();
        if (code !== undefined) {
          const reply = code >= 500 ? 'Rejected by test server' : 'Try again later (test server)';
          callback(Object.assign(new Error(reply), { responseCode: code }));
          return;
        }
        const from = session.envelope.mailFrom;
        messages.push({
          envelope: {
            mailFrom: from ? from.address : '',
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
          },
          raw: Buffer.concat(chunks),
        });
        for (const wake of waiters) wake();
        callback(null);
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined); // client resets after stop() are expected
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    failNext(count, code = 451) {
      for (let i = 0; i < count; i += 1) failures.push(code);
    },
    waitForMessages(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(messages.slice(0, count));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`only ${messages.length} of ${count} messages arrived within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
