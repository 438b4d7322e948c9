/**
 * Delivery benchmark: 1,000 invoices delivered through the outbox by email (pdf-emailer, to an in-process
 * `smtp-server`) and by SFTP (xml-sftp with the PDF, to a real OpenSSH on loopback), together, next to
 * the peer: a raw nodemailer pool sending the same 1,000 messages and raw ssh2-sftp-client uploading the
 * same files, also together.
 *
 * Outside the timed part: the servers, the database (SQLite, or MariaDB with OMS_BENCH_DB=mariadb), the
 * data (4 retailers × 250 orders, each its own invoice), the invoicing transactions, which leave 2,000
 * pending deliveries, and loading the PDF renderer (once per process). Timed: `deliverPending({})` of the
 * outbox the CLI builds (`createContext().runDeps()`), which renders each PDF and XML, sends, and records
 * every delivery. The in-process SMTP server shares the CPU with the outbox (and with the peer).
 * OMS_BENCH_PROFILE=FILE writes a CPU profile of the timed part.
 *
 *   npx tsc -p tsconfig.json && node -e "import('./dist/bench/delivery.js').then(m=>m.runDeliveryBench()).then(r=>console.log(JSON.stringify(r)))"
 */
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import { connect as tcpConnect, type Socket } from 'node:net';
import path from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import pLimit from 'p-limit';
import SftpClient from 'ssh2-sftp-client';
import { composeDocumentEmail } from '../integrations/pdf-emailer/index.js';
import { toNodemailerMessage } from '../integrations/pdf-emailer/to-nodemailer.js';
import { fingerprintHostKey } from '../integrations/xml-sftp/index.js';
import { createContext, main } from '../src/main.js';
import type { Io } from '../src/admin/output.js';
import { loadBillingDocuments } from '../src/pipeline/invoice-documents.js';
import { resolveParties } from '../src/pipeline/resolve-parties.js';
import { startSmtpServer, type TestSmtpServer } from './servers/smtp-server.js';
import { startSshd, type TestSshd } from './servers/sshd.js';
import { invoiceAsOf } from './invoice-as-of.js';
import { freshDatabaseUrl, round, tempDir } from './support.js';

const INVOICES = 1000;
const COMPANIES = 4;
const USER = 'bench@supa.example';
const FROM = 'invoices@supa.example';
const EMAIL_TO = 'ap@retailer.example';
const EMAIL_BCC = 'audit@supa.example';
/** In flight at once per SFTP connection in the peer (the outbox runs 8 deliveries at once) */
const PEER_SFTP_IN_FLIGHT = 8;
/** Messages handed to the peer's pool (5 connections) at once */
const PEER_SMTP_IN_FLIGHT = 16;

const log = (s: string) => process.stderr.write(`  ${s}\n`);

function quietIo(env: Record<string, string>, cwd: string): Io {
  const sink = { write: () => true };
  return { stdout: sink, stderr: { write: (s: string) => process.stderr.write(s) }, env, cwd };
}

function dataset(sshd: TestSshd, dirs: string[]): unknown {
  const codes = dirs.map((_, i) => `RET${i + 1}`);
  const item = (sku: string, quantity: number, unitCostPrice: string, taxRate: string, description: string) => ({
    sku,
    description,
    quantity,
    unitCostPrice,
    taxRate,
  });
  return {
    companies: [
      {
        code: 'SUPA',
        name: 'Supplier A Ltd',
        type: 'supplier',
        parent: null,
        email: 'accounts@supa.example',
        vatNumber: 'GB123456789',
        endpoint: { scheme: '0088', id: '5790000435975' },
        address: { lines: ['1 High St'], city: 'London', postcode: 'N1 1AA', country: 'GB' },
        sequence: { prefix: 'SUPA-', padding: 6, next: 1 },
      },
      ...codes.map((code, i) => ({
        code,
        name: `Retailer ${code} Ltd`,
        type: 'dropship',
        parent: 'SUPA',
        timezone: 'Europe/London',
        email: `accounts@${code.toLowerCase()}.example`,
        vatNumber: 'GB987654321',
        endpoint: { scheme: '0088', id: '5790000435951' },
        address: { lines: ['2 Market St'], city: 'Leeds', postcode: 'LS1 1AA', country: 'GB' },
        invoicing: {
          currency: 'GBP',
          paymentTermsDays: 30,
          paymentDetails: 'Sort code 12-34-56, account 12345678',
          iban: 'GB33BUKB20201555555555',
          bic: 'BUKBGB22',
          layout: 'combined',
        },
        integrations: [
          { type: 'pdf-emailer', enabled: true, nextInvoiceAt: '2099-01-01T00:00:00Z', emailTo: EMAIL_TO, emailBcc: EMAIL_BCC },
          {
            type: 'xml-sftp',
            enabled: true,
            nextInvoiceAt: '2099-01-01T00:00:00Z',
            target: sshd.url(dirs[i]!),
            privateKeyFile: sshd.privateKeyPath,
            hostKeySha256: sshd.hostKeySha256,
            includePdf: true,
          },
        ],
      })),
    ],
    users: [{ email: USER, name: 'Bench', primaryCompany: 'SUPA' }],
    orders: Array.from({ length: INVOICES }, (_, i) => ({
      company: codes[i % codes.length],
      number: `O-${i}`,
      status: 'dispatched',
      createdAt: '2026-11-02T10:00:00Z',
      dispatchedAt: '2026-11-03T09:00:00Z',
      currency: 'GBP',
      shippingCost: '4.99',
      uniqueInvoice: true,
      items: [
        item('TS-WHT-M', 1 + (i % 5), '7.50', '20', 'T-shirt white M'),
        item('MUG', 2, '3.3333', '5', 'Mug, stoneware'),
        item('BOOK', 1, `${10 + (i % 40)}.00`, '0', 'Book: a guide'),
      ],
    })),
  };
}

export async function runDeliveryBench(): Promise<Record<string, number>> {
  const kind = process.env.OMS_BENCH_DB === 'mariadb' ? 'mariadb' : 'sqlite';
  const dir = tempDir('delivery');
  let smtp: TestSmtpServer | null = null;
  let sshd: TestSshd | null = null;
  try {
    log(`servers and ${INVOICES} invoices on ${kind}…`);
    smtp = await startSmtpServer({ keepRaw: false });
    sshd = await startSshd();
    const dirs = await Promise.all(Array.from({ length: COMPANIES }, (_, i) => sshd!.makeDir(`bench-${i + 1}`)));
    const env = {
      DATABASE_URL: await freshDatabaseUrl(kind, dir),
      OMS_DATA_DIR: dir,
      // the test sshd's client key may be used (SPEC §9: key files only from allowed folders)
      OMS_SFTP_KEY_DIRS: path.dirname(sshd.privateKeyPath),
      SMTP_URL: smtp.url,
      SMTP_FROM: FROM,
      OMS_LOG_LEVEL: 'warn',
    };
    const io = quietIo(env, dir);
    const file = path.join(dir, 'data.json');
    fs.writeFileSync(file, JSON.stringify(dataset(sshd, dirs)));
    if ((await main(['load', file], io)) !== 0) throw new Error('load failed');

    const ctx = createContext(io);
    try {
      const deps = await ctx.runDeps();
      const db = deps.db;
      // The invoicing transactions queue one pending delivery per invoice and integration; nothing is sent yet
      const now = Date.now();
      for (let i = 1; i <= COMPANIES; i++) {
        const parties = await resolveParties(db, `RET${i}`, USER);
        await invoiceAsOf(db, parties, 'manual', now);
      }
      const pending = Number(((await db('deliveries').where('status', 'pending').count({ n: '*' }).first()) as { n: number }).n);
      if (pending !== 2 * INVOICES) throw new Error(`expected ${2 * INVOICES} pending deliveries, found ${pending}`);

      // The renderer's one-off start (loading its modules and fonts, ≈0.4 s) is not part of the pass
      const [firstId] = (await db('invoices').orderBy('id').limit(1).select<Array<{ id: number }>>('id')).map((r) => Number(r.id));
      await ctx.artefacts().renderPdf((await loadBillingDocuments(db, [firstId!])).get(firstId!)!);

      log(`outbox: ${pending} deliveries…`);
      const profile = await startProfile();
      const started = Date.now();
      const outcomes = await deps.deliverer.deliverPending({});
      const deliveryMs = Date.now() - started;
      await profile.stop();
      const failed = outcomes.filter((o) => o.status !== 'sent');
      if (outcomes.length !== pending || failed.length > 0) {
        throw new Error(`${outcomes.length} outcomes, ${failed.length} not sent: ${failed[0]?.error ?? ''}`);
      }
      // When the last delivery of each kind was recorded
      const lastSent = async (type: string) =>
        Number(
          (
            (await db('deliveries as d').join('integrations as g', 'g.id', 'd.integration_id').where('g.type', type).max({ t: 'd.sent_at' }).first()) as {
              t: number;
            }
          ).t,
        ) - started;
      const emailMs = await lastSent('pdf-emailer');
      const sftpMs = await lastSent('xml-sftp');
      const files = dirs.flatMap((d) =>
        fs
          .readdirSync(d)
          .filter((f) => !f.startsWith('.'))
          .map((f) => path.join(d, f)),
      );
      if (smtp.messages.length !== INVOICES || files.length !== 2 * INVOICES) {
        throw new Error(`the servers hold ${smtp.messages.length} messages and ${files.length} files`);
      }

      // The peer: the same messages and files, sent raw
      const ids = (await db('invoices').orderBy('id').select<Array<{ id: number }>>('id')).map((r) => Number(r.id));
      const docs = [...(await loadBillingDocuments(db, ids)).values()];
      const messages = docs.map((doc) => {
        const pdf = fs.readFileSync(path.join(dirs[Number(doc.buyer.code.slice(3)) - 1]!, `${doc.number}.pdf`));
        return toNodemailerMessage(composeDocumentEmail(doc, pdf, { emailTo: EMAIL_TO, emailBcc: EMAIL_BCC, from: FROM }));
      });
      const uploads = dirs.map((d) =>
        fs
          .readdirSync(d)
          .filter((f) => !f.startsWith('.'))
          .map((f) => ({ name: f, bytes: fs.readFileSync(path.join(d, f)) })),
      );
      const peerDirs = await Promise.all(dirs.map((_, i) => sshd!.makeDir(`peer-${i + 1}`)));
      log('peer: raw nodemailer pool and ssh2-sftp-client…');
      const messagesBefore = smtp.messages.length;
      const peer = await measurePeer(smtp, sshd, messages, uploads, peerDirs);
      if (smtp.messages.length - messagesBefore !== INVOICES) throw new Error('the peer did not deliver every message');

      return {
        deliveryInvoices: INVOICES,
        deliveries: outcomes.length,
        deliveryMs: round(deliveryMs),
        emailsPerSecond: round((INVOICES * 1000) / emailMs),
        sftpFilesPerSecond: round((files.length * 1000) / sftpMs),
        peerMs: round(peer.ms),
        peerEmailMs: round(peer.emailMs),
        peerSftpMs: round(peer.sftpMs),
        ratio: round(deliveryMs / peer.ms, 2),
      };
    } finally {
      await ctx.close();
    }
  } finally {
    await smtp?.stop();
    await sshd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** OMS_BENCH_PROFILE=FILE writes a CPU profile of the timed part (open it in Chrome DevTools) */
async function startProfile(): Promise<{ stop(): Promise<void> }> {
  const file = process.env.OMS_BENCH_PROFILE;
  if (!file) return { stop: () => Promise.resolve() };
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      fs.writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      log(`CPU profile of the timed part: ${file}`);
    },
  };
}

async function measurePeer(
  smtp: TestSmtpServer,
  sshd: TestSshd,
  messages: SendMailOptions[],
  uploads: Array<Array<{ name: string; bytes: Buffer }>>,
  dirs: string[],
): Promise<{ ms: number; emailMs: number; sftpMs: number }> {
  const transport = nodemailer.createTransport({ pool: true, maxConnections: 5, maxMessages: Infinity, host: smtp.host, port: smtp.port, secure: false });
  const privateKey = fs.readFileSync(sshd.privateKeyPath);
  const clients = await Promise.all(
    dirs.map(async () => {
      const sock = await new Promise<Socket>((resolve, reject) => {
        const s = tcpConnect({ host: sshd.host, port: sshd.port }, () => resolve(s));
        s.once('error', reject);
      });
      sock.setNoDelay(true);
      const client = new SftpClient('bench-peer');
      await client.connect({ sock, username: sshd.user, privateKey, hostVerifier: (key: Buffer) => fingerprintHostKey(key) === sshd.hostKeySha256 });
      return client;
    }),
  );
  try {
    const started = performance.now();
    const email = (async () => {
      const limit = pLimit(PEER_SMTP_IN_FLIGHT);
      await Promise.all(messages.map((m) => limit(() => transport.sendMail(m))));
      return performance.now() - started;
    })();
    const sftp = (async () => {
      await Promise.all(
        clients.map(async (client, i) => {
          const limit = pLimit(PEER_SFTP_IN_FLIGHT);
          await Promise.all(uploads[i]!.map((u) => limit(() => client.put(u.bytes, `${dirs[i]}/${u.name}`))));
        }),
      );
      return performance.now() - started;
    })();
    const [emailMs, sftpMs] = await Promise.all([email, sftp]);
    return { ms: Math.max(emailMs, sftpMs), emailMs, sftpMs };
  } finally {
    transport.close();
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}
