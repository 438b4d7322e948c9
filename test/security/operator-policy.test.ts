/**
 * SPEC §9, who may point the server at files and secrets. Every escape a retailer (or a careless operator)
 * could try: a file:// target outside the allowed folders (directly, with `..`, percent-encoded, through a
 * symbolic link inside an allowed folder), a key file outside the key folders (the same ways), a password
 * variable that is not an OMS_SECRET_ one. Each is tried through the API with a company token (403, the
 * fields named) and with an admin token (400, the field named), and through `load` (exit 2): nothing
 * stored, and nothing written outside the allowed folders. At delivery, settings that no longer comply (the
 * policy narrowed, a folder swapped for a link, data written before the policy) fail permanently with a
 * reason that says so, before any file is written, key read or connection made: the real sshd sees none.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/pipeline/run-report.js';
import { loadConfig } from '../../config/index.js';
import { fixedClock } from '../../src/domain/clock.js';
import { checkXmlSftpPolicy, resolveRealPath } from '../../src/import/check-xml-sftp-policy.js';
import { injectAs, startApi } from '../support/api.js';
import { parseJsonOutput, runCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases.js';
import { dumpDatabase } from '../support/db-dump.js';
import { dropship, order, product, supplier, writeJson, type Json } from '../support/fixtures.js';
import { startSshd, type TestSshd } from '../support/sshd.js';

const AT = Date.parse('2026-11-21T12:00:00Z');
const USER = 'ann@supa.example';
const POLICY_REASON = "not allowed by the operator's policy";

interface ErrorJson {
  error: { code: string; message: string; problems: Array<{ path: string; message: string }> };
}
let sshd: TestSshd;
const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'oms-policy-')));
/** The folders the operator allows, and what lies outside them */
const exportsDir = path.join(root, 'exports');
const otherExportsDir = path.join(root, 'other-exports');
const keysDir = path.join(root, 'keys');
const outsideDir = path.join(root, 'outside');
const outsideKey = path.join(root, 'outside-keys', 'secret_key');

/** Every file below `dir` (folders left out), as paths relative to it */
function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

beforeAll(async () => {
  sshd = await startSshd();
  for (const dir of [exportsDir, otherExportsDir, keysDir, outsideDir, path.dirname(outsideKey)]) fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(sshd.privateKeyPath, path.join(keysDir, 'retb_key'));
  fs.copyFileSync(sshd.privateKeyPath, outsideKey);
  // Links inside the allowed folders that lead out of them
  fs.symlinkSync(outsideDir, path.join(exportsDir, 'escape'));
  fs.symlinkSync(path.join(root, 'nowhere'), path.join(exportsDir, 'dangling'));
  fs.symlinkSync(outsideKey, path.join(keysDir, 'stolen'));
});
afterAll(async () => {
  await sshd?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

const policy = () => ({ fileTargetDirs: [exportsDir], sftpKeyDirs: [keysDir], secretEnvPrefix: 'OMS_SECRET_' });

describe('the policy check itself', () => {
  it('resolves symbolic links and .. before comparing; a path not there yet by its nearest existing ancestor', async () => {
    expect(await resolveRealPath(`${exportsDir}/escape`)).toBe(outsideDir);
    expect(await resolveRealPath(`${exportsDir}/escape/new/deeper`)).toBe(`${outsideDir}/new/deeper`);
    expect(await resolveRealPath(`${exportsDir}/escape/../exports`)).toBe(`${root}/exports`);
    expect(await resolveRealPath(`${exportsDir}/not-yet/../../outside`)).toBe(outsideDir);
    await expect(resolveRealPath(`${exportsDir}/dangling`)).rejects.toThrow(/symbolic link to a path that does not exist/);
    await expect(resolveRealPath(`${exportsDir}/dangling/below`)).rejects.toThrow(/symbolic link/);
  });

  it('accepts what lies inside, refuses what does not, naming each field', async () => {
    const ok = [
      { target: `file://${exportsDir}` },
      { target: `file://${exportsDir}/retb/not-created-yet` },
      { target: 'sftp://acct@127.0.0.1:2222/anywhere/on/the/server', privateKeyFile: `${keysDir}/retb_key`, passwordEnv: 'OMS_SECRET_RETB' },
    ];
    for (const settings of ok) expect(await checkXmlSftpPolicy(policy(), settings), settings.target).toEqual([]);
    const problems = await checkXmlSftpPolicy(policy(), {
      target: `file://${exportsDir}/escape`,
      privateKeyFile: `${keysDir}/stolen`,
      passwordEnv: 'DATABASE_URL',
    });
    expect(problems).toEqual([
      { path: 'target', message: `is outside the folders the operator allows for file:// targets (OMS_FILE_TARGET_DIRS) (it resolves to ${outsideDir})` },
      { path: 'privateKeyFile', message: `is outside the folders the operator allows for SFTP key files (OMS_SFTP_KEY_DIRS) (it resolves to ${outsideKey})` },
      { path: 'passwordEnv', message: 'must name an environment variable starting with OMS_SECRET_' },
    ]);
    // A key folder itself is not a key file; an empty list allows nothing
    expect((await checkXmlSftpPolicy(policy(), { target: 'sftp://a@h/x', privateKeyFile: keysDir })).map((p) => p.path)).toEqual(['privateKeyFile']);
    expect(await checkXmlSftpPolicy({ ...policy(), fileTargetDirs: [] }, { target: `file://${exportsDir}` })).toHaveLength(1);
  });

  it('reads the folders from the environment once: defaults under OMS_DATA_DIR, ":"-separated, empty allows none', () => {
    expect(loadConfig({ OMS_DATA_DIR: '/srv/oms' }, '/').policy).toEqual({
      fileTargetDirs: ['/srv/oms/exports'],
      sftpKeyDirs: ['/srv/oms/keys'],
      secretEnvPrefix: 'OMS_SECRET_',
    });
    const set = loadConfig({ OMS_FILE_TARGET_DIRS: '/a:relative/b:', OMS_SFTP_KEY_DIRS: '' }, '/work').policy;
    expect(set.fileTargetDirs).toEqual(['/a', '/work/relative/b']);
    expect(set.sftpKeyDirs).toEqual([]);
    expect(() => loadConfig({ OMS_SFTP_KEY_DIRS: '/keys\u0000/etc' })).toThrow(/OMS_SFTP_KEY_DIRS/);
  });
});

describe.each(databaseKinds)('operator policy on %s', (kind) => {
  let t: TestDatabase;
  let env: Record<string, string>;
  let app: FastifyInstance;
  const tokens = { admin: '', retb: '' };
  let retbDrop: string;
  let orders = 0;

  const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, { ...env, ...extraEnv }, { at: AT });
  const patch = async (token: string, body: Record<string, Json>) => {
    const r = await injectAs(app, token, { method: 'PATCH', url: '/companies/RETB/integrations/xml-sftp', payload: body });
    return { status: r.statusCode, body: r.json<ErrorJson & Record<string, unknown>>() };
  };
  const retbCompany = (integration: Record<string, Json>) => ({
    companies: [{ code: 'RETB', name: 'Retailer RETB Ltd', type: 'dropship', integrations: [{ type: 'xml-sftp', enabled: true, ...integration }] }],
  });
  const dump = () => dumpDatabase(t.db, ['api_tokens.last_used_at']);
  const storedSettings = async () => {
    const row: { settings: string } | undefined = await t.db('integrations').where('type', 'xml-sftp').first('settings');
    return JSON.parse(row!.settings) as Record<string, unknown>;
  };
  /** A manual run of RETB with one new order: its report and exit code */
  const runRetb = async (extraEnv: Record<string, string> = {}): Promise<{ r: CliResult; report: RunReport }> => {
    orders += 1;
    const loaded = await cli(['load', writeJson({ orders: [order('RETB', `B-${orders}`)] })], extraEnv);
    expect(loaded.code, loaded.stderr).toBe(0);
    const r = await cli(['run', '--company', 'RETB', '--as', USER, '--json'], extraEnv);
    return { r, report: parseJsonOutput<RunReport>(r) };
  };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    retbDrop = path.join(exportsDir, `retb-${kind}`);
    fs.mkdirSync(retbDrop);
    env = {
      DATABASE_URL: t.url,
      OMS_DATA_DIR: t.dataDir,
      OMS_FILE_TARGET_DIRS: exportsDir,
      OMS_SFTP_KEY_DIRS: keysDir,
      OMS_SECRET_SFTP: sshd.password,
      OMS_LOG_LEVEL: 'warn',
    };
    const loaded = await cli([
      'load',
      writeJson({
        companies: [
          supplier('SUPA', { sequence: { prefix: `SUPA${kind === 'sqlite' ? 'S' : 'M'}-`, padding: 6, next: 1 } }),
          dropship('RETB', 'SUPA', { integrations: [{ type: 'xml-sftp', enabled: true, target: `file://${retbDrop}`, includePdf: true }] }),
        ],
        users: [{ email: USER, name: 'Ann', primaryCompany: 'SUPA' }],
        products: [product()],
      }),
    ]);
    expect(loaded.code, loaded.stderr).toBe(0);
    for (const [name, company] of [
      ['admin', null],
      ['retb', 'RETB'],
    ] as const) {
      const r = await cli(['tokens', 'create', '--label', name, ...(company ? ['--company', company] : []), '--json']);
      tokens[name] = parseJsonOutput<{ token: string }>(r).token;
    }
    app = await startApi(env, t.dataDir, { clock: fixedClock(AT) });
  });
  afterAll(async () => {
    await app?.close();
    await t?.destroy();
  });

  const sftp = () => ({ target: sshd.url(sshd.inboxDir), hostKeySha256: sshd.hostKeySha256 });
  const escapes: Array<[string, () => Record<string, Json>, string]> = [
    ['a file:// target outside the allowed folders', () => ({ target: `file://${outsideDir}` }), 'target'],
    ['a file:// target in a system folder', () => ({ target: 'file:///etc' }), 'target'],
    ['a file:// target that climbs out with ..', () => ({ target: `file://${exportsDir}/../outside` }), 'target'],
    ['a file:// target that climbs out with a percent-encoded ..', () => ({ target: `file://${exportsDir}/%2e%2e/outside` }), 'target'],
    ['a symbolic link inside an allowed folder that leads outside', () => ({ target: `file://${exportsDir}/escape` }), 'target'],
    ['a folder not created yet below such a link', () => ({ target: `file://${exportsDir}/escape/new` }), 'target'],
    ['a link that points nowhere yet', () => ({ target: `file://${exportsDir}/dangling` }), 'target'],
    ['a key file outside the key folders', () => ({ ...sftp(), privateKeyFile: outsideKey }), 'privateKeyFile'],
    ['a server file as key', () => ({ ...sftp(), privateKeyFile: '/etc/shadow' }), 'privateKeyFile'],
    ['a key file reached with ..', () => ({ ...sftp(), privateKeyFile: `${keysDir}/../outside-keys/secret_key` }), 'privateKeyFile'],
    ['a key file reached through a link', () => ({ ...sftp(), privateKeyFile: `${keysDir}/stolen` }), 'privateKeyFile'],
    ['a relative key path', () => ({ ...sftp(), privateKeyFile: 'keys/retb_key' }), 'privateKeyFile'],
    ['the database URL as SFTP password', () => ({ ...sftp(), privateKeyFile: null, passwordEnv: 'DATABASE_URL' }), 'passwordEnv'],
    ['another variable as SFTP password', () => ({ ...sftp(), privateKeyFile: null, passwordEnv: 'HOME' }), 'passwordEnv'],
    ['a variable that only looks like a secret', () => ({ ...sftp(), privateKeyFile: null, passwordEnv: 'OMS_SECRETS' }), 'passwordEnv'],
  ];

  it.each(escapes)('%s: 403 with a company token, 400 with an admin token, exit 2 from load; nothing stored', async (_what, settings, field) => {
    const before = await dump();
    const sent = settings();

    const retb = await patch(tokens.retb, { ...sent, enabled: false });
    expect(retb.status, JSON.stringify(retb.body)).toBe(403);
    expect(retb.body.error.code).toBe('FORBIDDEN');
    const restricted = ['target', 'privateKeyFile', 'passwordEnv', 'hostKeySha256'].filter((f) => f in sent).sort();
    expect(retb.body.error.problems.map((p) => p.path).sort()).toEqual(restricted);

    const admin = await patch(tokens.admin, sent);
    expect(admin.status, JSON.stringify(admin.body)).toBe(400);
    expect(admin.body.error.problems.map((p) => p.path)).toEqual([field]);

    const loaded = await cli(['load', '--json', writeJson(retbCompany(sent))]);
    expect(loaded.code, loaded.stdout).toBe(2);
    expect(parseJsonOutput<ErrorJson>(loaded).error.problems.map((p) => p.path)).toEqual([`companies[0].integrations[0].${field}`]);

    expect(await dump()).toEqual(before);
    expect(filesBelow(outsideDir)).toEqual([]);
  });

  it('a company token may change what is its own (schedule, enabled, starting date), but not even send an operator field', async () => {
    const own = await patch(tokens.retb, { schedule: 'daily', startingFrom: '2026-01-01', enabled: true });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(own.body).toMatchObject({ schedule: 'daily', target: `file://${retbDrop}` });
    const same = await patch(tokens.retb, { target: `file://${retbDrop}`, hostKeySha256: null });
    expect(same.status).toBe(403);
    expect(same.body.error.problems).toEqual([
      { path: 'target', message: "only an admin token can change this setting (it is the operator's)" },
      { path: 'hostKeySha256', message: "only an admin token can change this setting (it is the operator's)" },
    ]);
  });

  it('what complies is stored, through the API and load alike: a folder still to be created, a key in the key folder', async () => {
    const later = await patch(tokens.admin, { target: `file://${exportsDir}/created-later-${kind}` });
    expect(later.status, JSON.stringify(later.body)).toBe(200);
    const key = await patch(tokens.admin, { ...sftp(), privateKeyFile: `${keysDir}/retb_key`, passwordEnv: 'OMS_SECRET_SFTP' });
    expect(key.status, JSON.stringify(key.body)).toBe(200);
    expect(await storedSettings()).toMatchObject({ privateKeyFile: `${keysDir}/retb_key`, passwordEnv: 'OMS_SECRET_SFTP' });
    const loaded = await cli(['load', writeJson(retbCompany({ target: `file://${retbDrop}`, includePdf: true }))]);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(await storedSettings()).toMatchObject({ target: `file://${retbDrop}`, privateKeyFile: null, passwordEnv: null });
  });

  it('a run after all those attempts writes only into the allowed folder', async () => {
    const { r, report } = await runRetb();
    expect(r.code, r.stderr).toBe(0);
    expect(report.deliveries).toEqual([{ invoice: report.invoices[0]!.number, integration: 'xml-sftp', status: 'sent', error: null }]);
    expect(filesBelow(retbDrop)).toContain(`${report.invoices[0]!.number}.xml`);
    expect(filesBelow(outsideDir)).toEqual([]);
    expect(filesBelow(otherExportsDir)).toEqual([]);
  });

  it('a stored target the operator no longer allows fails its deliveries permanently, saying why', async () => {
    const target = path.join(otherExportsDir, kind);
    fs.mkdirSync(target);
    const wider = { OMS_FILE_TARGET_DIRS: `${exportsDir}:${otherExportsDir}` };
    expect((await cli(['load', writeJson(retbCompany({ target: `file://${target}`, includePdf: true }))], wider)).code).toBe(0);
    // Allowed when stored; the operator narrows the policy afterwards
    const { r, report } = await runRetb();
    expect(r.code).toBe(1);
    expect(report.deliveries).toHaveLength(1);
    expect(report.deliveries[0]!.status).toBe('failed');
    expect(report.deliveries[0]!.error).toBe(`${POLICY_REASON}: target is outside the folders the operator allows for file:// targets (OMS_FILE_TARGET_DIRS)`);
    expect(filesBelow(target)).toEqual([]);
    // Permanent: the worker's retry pass leaves it failed and still writes nothing
    const tick = await cli(['worker', '--once', '--at', new Date(AT + 3_600_000).toISOString(), '--json']);
    expect(tick.code, tick.stderr).toBe(0);
    const list = parseJsonOutput<Array<{ invoice: string; status: string; attempts: number; error: string }>>(await cli(['deliveries', 'list', '--json']));
    expect(list.find((d) => d.invoice === report.invoices[0]!.number)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: `${report.deliveries[0]!.error} (permanent failure: not retried)`,
    });
    expect(filesBelow(target)).toEqual([]);
  });

  it('a folder swapped for a link that leads outside after it was stored is refused at delivery', async () => {
    const swapped = path.join(exportsDir, `swapped-${kind}`);
    fs.mkdirSync(swapped);
    expect((await cli(['load', writeJson(retbCompany({ target: `file://${swapped}`, includePdf: true }))])).code).toBe(0);
    fs.rmdirSync(swapped);
    fs.symlinkSync(outsideDir, swapped);
    const { r, report } = await runRetb();
    expect(r.code).toBe(1);
    expect(report.deliveries[0]!.error).toContain(`${POLICY_REASON}: target is outside the folders the operator allows for file:// targets`);
    expect(filesBelow(outsideDir)).toEqual([]);
  });

  it('an SFTP password from an OMS_SECRET_ variable logs in; settings naming any other variable never reach the server', async () => {
    expect((await cli(['load', writeJson(retbCompany({ ...sftp(), passwordEnv: 'OMS_SECRET_SFTP', includePdf: false }))])).code).toBe(0);
    const allowed = await runRetb();
    expect(allowed.r.code, allowed.r.stderr).toBe(0);
    expect(sshd.serverLog()).toMatch(new RegExp(`Accepted password for ${sshd.user}`));

    // Settings written before the policy existed (or by hand): the database URL as the password
    const settings = { ...sftp(), privateKeyFile: null, passwordEnv: 'DATABASE_URL', includePdf: false };
    await t
      .db('integrations')
      .where('type', 'xml-sftp')
      .update({ settings: JSON.stringify(settings) });
    const logBefore = sshd.serverLog();
    const { r, report } = await runRetb({ DATABASE_URL: t.url });
    expect(r.code).toBe(1);
    expect(report.deliveries[0]!.error).toBe(`${POLICY_REASON}: passwordEnv must name an environment variable starting with OMS_SECRET_`);
    // Not a connection, let alone a password
    expect(sshd.serverLog().slice(logBefore.length)).not.toMatch(/Connection from|password/i);
  });

  it('a key file link swapped to lead outside after it was stored is refused before the key is read', async () => {
    const link = path.join(keysDir, `retb-${kind}`);
    fs.symlinkSync(path.join(keysDir, 'retb_key'), link);
    expect((await cli(['load', writeJson(retbCompany({ ...sftp(), privateKeyFile: link, includePdf: false }))])).code).toBe(0);
    fs.unlinkSync(link);
    fs.symlinkSync(outsideKey, link);
    const logBefore = sshd.serverLog();
    const { r, report } = await runRetb();
    expect(r.code).toBe(1);
    expect(report.deliveries[0]!.error).toContain(`${POLICY_REASON}: privateKeyFile is outside the folders the operator allows for SFTP key files`);
    expect(sshd.serverLog().slice(logBefore.length)).not.toMatch(/Connection from/);
  });
});
