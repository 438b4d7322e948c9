/**
 * No secret of the operator's in a log line, an error message, a command's output or an API answer, at
 * the debug level: a full run delivering by SMTP with AUTH (smtp-server) and by SFTP with a password and
 * with a key (real OpenSSH), failing deliveries with wrong credentials, a worker tick, API calls (one with a
 * token in the query string, one with an unknown token), and on MariaDB a DATABASE_URL with a password, a
 * wrong one and an unreachable server. Everything the program printed, answered or recorded is searched
 * for every secret, also in the encodings it travels in (percent-encoded, base64 as in SMTP AUTH).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createServer } from '../../src/admin/http/create-server.js';
import { fixedClock } from '../../src/domain/clock.js';
import { createContext } from '../../src/main.js';
import { parseJsonOutput, runCli, spawnCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases.js';
import { dumpDatabase } from '../support/db-dump.js';
import { dropship, order, product, supplier, writeJson } from '../support/fixtures.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.js';
import { startSshd, type TestSshd } from '../support/sshd.js';

const AT = Date.parse('2026-11-21T12:00:00Z');
const USER = 'ann@supa.example';
const SMTP_USER = 'mailer';
const SMTP_PASS = `smtp-P@ss:w/rd#${randomBytes(4).toString('hex')}`;
const WRONG_SMTP_PASS = `wrong-smtp-${randomBytes(4).toString('hex')}`;
const WRONG_SFTP_PASS = `wrong-sftp-${randomBytes(4).toString('hex')}`;
const DB_PASS = `db-S3cret-${randomBytes(4).toString('hex')}`;

let smtp: TestSmtpServer;
let sshd: TestSshd;
const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oms-secret-keys-'));

beforeAll(async () => {
  smtp = await startSmtpServer({ auth: { user: SMTP_USER, password: SMTP_PASS } });
  sshd = await startSshd();
  fs.copyFileSync(sshd.privateKeyPath, path.join(keysDir, 'retk_key'));
});
afterAll(async () => {
  await smtp?.stop();
  await sshd?.stop();
  fs.rmSync(keysDir, { recursive: true, force: true });
});

/** A MariaDB user with DB_PASS for the test database; its DATABASE_URL */
async function withPasswordUser(t: TestDatabase): Promise<string> {
  const root = await mysql.createConnection(inject('mariadbUrl'));
  const user = `u_${randomBytes(4).toString('hex')}`;
  await root.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${DB_PASS}'`);
  await root.query(`GRANT ALL ON ${t.url.split('/').pop()}.* TO '${user}'@'%'`);
  await root.end();
  return t.url.replace('mysql://root@', `mysql://${user}:${encodeURIComponent(DB_PASS)}@`);
}

/** A secret and the forms it travels in: percent-encoded in URLs, base64 in SMTP AUTH and HTTP Basic */
function forms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64').replace(/=+$/, '')];
}

describe.each(databaseKinds)('secrets on %s', (kind) => {
  let t: TestDatabase;
  let env: Record<string, string>;
  /** Everything printed, answered and recorded, except the one place a token is meant to appear (its creation) */
  const seen: string[] = [];
  const secrets: string[] = [SMTP_PASS, WRONG_SMTP_PASS, WRONG_SFTP_PASS];
  const cli = async (args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> => {
    const r = await runCli(args, { ...env, ...extraEnv }, { at: AT });
    seen.push(r.stdout, r.stderr);
    return r;
  };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    // On MariaDB the program connects as a user with a password, as in production
    const url = kind === 'mariadb' ? await withPasswordUser(t) : t.url;
    secrets.push(DB_PASS, sshd.password);
    env = {
      DATABASE_URL: url,
      OMS_DATA_DIR: t.dataDir,
      OMS_LOG_LEVEL: 'debug',
      SMTP_URL: `smtp://${SMTP_USER}:${encodeURIComponent(SMTP_PASS)}@127.0.0.1:${smtp.port}`,
      SMTP_FROM: 'invoices@supa.example',
      OMS_SFTP_KEY_DIRS: keysDir,
      OMS_SECRET_SFTP: sshd.password,
      OMS_SECRET_WRONG: WRONG_SFTP_PASS,
      OMS_DELIVERY_BACKOFF_SECONDS: '1',
    };
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('a full run, a worker tick, failures and API calls at debug level show no secret anywhere', async () => {
    const inbox = await sshd.makeDir(`secrets-${kind}`);
    const sftp = { type: 'xml-sftp', enabled: true, nextInvoiceAt: '2026-11-21T12:00:00Z', target: sshd.url(inbox), hostKeySha256: sshd.hostKeySha256 };
    const email = { type: 'pdf-emailer', enabled: true, nextInvoiceAt: '2026-11-21T12:00:00Z', emailTo: 'ap@retb.example' };
    const loaded = await cli([
      'load',
      writeJson({
        companies: [
          supplier('SUPA', { sequence: { prefix: 'SUPA-', padding: 6, next: 1 } }),
          dropship('RETB', 'SUPA', { integrations: [email, { ...sftp, passwordEnv: 'OMS_SECRET_SFTP' }] }),
          dropship('RETK', 'SUPA', { integrations: [{ ...sftp, privateKeyFile: path.join(keysDir, 'retk_key') }] }),
          dropship('RETW', 'SUPA', { integrations: [{ ...sftp, passwordEnv: 'OMS_SECRET_WRONG' }] }),
        ],
        users: [{ email: USER, name: 'Ann', primaryCompany: 'SUPA' }],
        products: [product()],
        orders: [order('RETB', 'B-1'), order('RETK', 'K-1'), order('RETW', 'W-1'), order('RETB', 'B-2', { createdAt: '2026-11-20T10:00:00Z' })],
      }),
    ]);
    expect(loaded.code, loaded.stderr).toBe(0);

    // Tokens are printed once, at creation: that output is the one place they may appear
    const tokens: string[] = [];
    for (const args of [[], ['--company', 'RETB']]) {
      const r = await runCli(['tokens', 'create', '--label', `t${tokens.length}`, ...args, '--json'], env, { at: AT });
      tokens.push(parseJsonOutput<{ token: string }>(r).token);
    }
    const [admin, retb] = tokens as [string, string];
    secrets.push(...tokens);
    const key = fs.readFileSync(sshd.privateKeyPath, 'utf8');
    const keyLines = key.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
    expect(keyLines.length).toBeGreaterThan(0);

    // The API, logging at debug into `logs`
    let logs = '';
    const ctx = createContext({ stdout: { write: () => true }, stderr: { write: (s: string) => (logs += s) }, env, cwd: t.dataDir }, fixedClock(AT));
    const app = createServer(ctx);
    try {
      await app.ready();
      const answers: string[] = [];
      const call = async (token: string | null, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
        const r = await app.inject({ method, url, headers: token === null ? {} : { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
        answers.push(JSON.stringify(r.headers), r.body);
        return r;
      };
      expect((await call(admin, 'GET', '/companies/RETK')).statusCode).toBe(200);
      expect((await call(retb, 'GET', '/companies/RETB')).statusCode).toBe(200);
      expect((await call(retb, 'PATCH', '/companies/RETB/integrations/xml-sftp', { passwordEnv: 'OMS_SECRET_WRONG' })).statusCode).toBe(403);
      expect((await call(`${admin}x`, 'GET', '/orders')).statusCode).toBe(401);
      expect((await call(null, 'GET', `/orders?token=${admin}`)).statusCode).toBe(401);
      expect((await call(admin, 'GET', `/orders?search=${retb}`)).statusCode).toBe(200);
      const mailed = smtp.messages.length;
      const run = await call(admin, 'POST', '/companies/RETB/runs', { as: USER });
      expect(run.statusCode, run.body).toBe(200);
      expect(run.json<{ deliveries: Array<{ status: string }> }>().deliveries.map((d) => d.status)).toEqual(['sent', 'sent']);
      expect(smtp.messages).toHaveLength(mailed + 1);
      expect(sshd.serverLog()).toMatch(/Accepted password for/);
      seen.push(...answers);
    } finally {
      await app.close();
      await ctx.close();
    }
    seen.push(logs);
    expect(logs).toContain('"level":20'); // debug lines were written

    // The scheduler: RETK logs in with its key, RETW's password is refused
    const tick = await cli(['worker', '--once', '--at', '2026-11-21T12:30:00Z', '--json']);
    expect(tick.code).toBe(1);
    expect(sshd.serverLog()).toMatch(/Accepted publickey for/);
    expect(sshd.serverLog()).toMatch(/Failed password for/);
    // An SMTP login that fails, with its error recorded and printed
    expect((await cli(['load', writeJson({ orders: [order('RETB', 'B-3')] })])).code).toBe(0);
    const badSmtp = { SMTP_URL: `smtp://${SMTP_USER}:${WRONG_SMTP_PASS}@127.0.0.1:${smtp.port}` };
    const failed = await cli(['run', '--company', 'RETB', '--as', USER, '--json'], badSmtp);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/SMTP server replied 535 to AUTH PLAIN: Invalid/);
    await cli(['deliveries', 'list', '--json']);
    await cli(['invoices', 'list', '--json']);
    await cli(['integrations', 'list', '--json']);
    await cli(['integrations', 'list']);
    await cli(['demo', '--json'], { DATABASE_URL: `sqlite:${path.join(t.dataDir, 'demo.sqlite')}`, OMS_DATA_DIR: path.join(t.dataDir, 'demo') });
    // What the database recorded (delivery errors, run reports, last results) is shown by the CLI and API too
    seen.push(JSON.stringify(await dumpDatabase(t.db)));

    const everything = seen.join('\n');
    expect(everything).toContain('authentication failed'); // the failures were reported…
    for (const secret of secrets) {
      for (const form of forms(secret)) expect(everything.includes(form), `a form of a secret (${form.slice(0, 6)}…) was printed`).toBe(false);
    }
    for (const line of keyLines) expect(everything.includes(line), 'a line of the private key was printed').toBe(false);
  });
});

describe('DATABASE_URL with a password (MariaDB)', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestDatabase('mariadb');
    env = { DATABASE_URL: await withPasswordUser(t), OMS_DATA_DIR: t.dataDir, OMS_LOG_LEVEL: 'debug' };
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('a wrong password, an unreachable server and a malformed URL are reported without the password', async () => {
    // The real binary, so that whatever a library prints to the process's streams is seen too
    const cli = (args: string[], extraEnv: Record<string, string>) => spawnCli(args, { ...env, ...extraEnv });
    const ok = await cli(['migrate', '--json'], {});
    expect(ok.code, ok.stderr).toBe(0);
    for (const form of forms(DB_PASS)) expect(ok.stderr + ok.stdout).not.toContain(form);
    const wrong = env.DATABASE_URL!.replace(encodeURIComponent(DB_PASS), 'Wr0ng-db-pass');
    const denied = await cli(['migrate', '--json'], { DATABASE_URL: wrong });
    expect(denied.code).toBe(3);
    expect(denied.stdout + denied.stderr).toMatch(/Access denied/);
    expect(denied.stdout + denied.stderr).not.toContain('Wr0ng-db-pass');
    const unreachable = env.DATABASE_URL!.replace(/@127\.0\.0\.1:\d+/, '@127.0.0.1:1');
    const down = await cli(['migrate'], { DATABASE_URL: unreachable });
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/ECONNREFUSED/);
    for (const form of forms(DB_PASS)) expect(down.stderr + down.stdout).not.toContain(form);
    const malformed = await cli(['migrate'], { DATABASE_URL: `mysql://user:${DB_PASS}@` });
    expect(malformed.code).not.toBe(0);
    for (const form of forms(DB_PASS)) expect(malformed.stderr + malformed.stdout).not.toContain(form);
  });
});
