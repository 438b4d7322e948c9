import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BillingDocument } from '../../src/domain/invoice-document.js';
import { deliverOnce, type DeliveryArtefacts } from '../../integrations/contract.js';
import { buildUblDocument, buildUblInvoice, createXmlSftpDriver, openDropSession, type XmlSftpSettings } from '../../integrations/xml-sftp/index.js';
import { startSshd, type TestSshd } from '../support/sshd.js';
import { checkXmlSftpPolicy } from '../../src/import/check-xml-sftp-policy.js';
import { failureOf } from './failure-of.js';
import { buildSampleCreditNote, buildSampleInvoice } from '../../bench/sample-documents.js';

let sshd: TestSshd;
const secrets: Record<string, string> = {};
/** The only folder file:// targets may use here; the test sshd's key folder for key files */
const dropRoot = mkdtempSync(join(tmpdir(), 'oms-drop-root-'));
const driver = createXmlSftpDriver({
  readSecret: (name) => secrets[name],
  claimSeconds: 300,
  checkPolicy: (settings) =>
    checkXmlSftpPolicy({ fileTargetDirs: [dropRoot], sftpKeyDirs: [dirname(sshd.privateKeyPath)], secretEnvPrefix: 'OMS_SECRET_' }, settings),
  connectTimeoutMs: 5000,
});
const fakePdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(50_000), Buffer.from('\n%%EOF\n')]);

beforeAll(async () => {
  sshd = await startSshd();
  secrets.OMS_SECRET_TEST_SFTP_PASSWORD = sshd.password;
});
afterAll(async () => {
  await sshd?.stop();
  await rm(dropRoot, { recursive: true, force: true });
});

function artefactsFor(doc: BillingDocument = buildSampleInvoice()): DeliveryArtefacts {
  return { pdf: () => Promise.resolve(fakePdf), xml: () => buildUblDocument(doc) };
}

function keySettings(dir: string, overrides: Partial<XmlSftpSettings> = {}): XmlSftpSettings {
  return {
    target: sshd.url(dir),
    privateKeyFile: sshd.privateKeyPath,
    passwordEnv: null,
    hostKeySha256: sshd.hostKeySha256,
    includePdf: true,
    ...overrides,
  };
}

describe('xml-sftp over real OpenSSH', () => {
  it('drops the XML and the PDF at their final names, byte for byte, with no temp files left', async () => {
    const dir = await sshd.makeDir('delivered');
    const doc = buildSampleInvoice({ number: 'SUPA-000042' });
    const receipt = await deliverOnce(driver, keySettings(dir), doc, artefactsFor(doc));

    expect((await readdir(dir)).sort()).toEqual(['SUPA-000042.pdf', 'SUPA-000042.xml']);
    expect(await readFile(join(dir, 'SUPA-000042.xml'), 'utf8')).toBe(buildUblInvoice(doc));
    expect((await readFile(join(dir, 'SUPA-000042.pdf'))).equals(fakePdf)).toBe(true);
    expect(receipt.detail).toBe(`${sshd.url(dir)}/SUPA-000042.pdf, ${sshd.url(dir)}/SUPA-000042.xml`);
  });

  it('drops a credit note as its own NUMBER.xml (a UBL CreditNote) and NUMBER.pdf, beside its invoice', async () => {
    const dir = await sshd.makeDir('credit-note');
    const invoice = buildSampleInvoice({ number: 'SUPA-000042' });
    const creditNote = buildSampleCreditNote(invoice, { number: 'SUPA-CN-000001' });
    await deliverOnce(driver, keySettings(dir), invoice, artefactsFor(invoice));
    const receipt = await deliverOnce(driver, keySettings(dir), creditNote, artefactsFor(creditNote));

    expect((await readdir(dir)).sort()).toEqual(['SUPA-000042.pdf', 'SUPA-000042.xml', 'SUPA-CN-000001.pdf', 'SUPA-CN-000001.xml']);
    const xml = await readFile(join(dir, 'SUPA-CN-000001.xml'), 'utf8');
    expect(xml).toBe(buildUblDocument(creditNote));
    expect(xml).toContain('<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>');
    expect(receipt.detail).toBe(`${sshd.url(dir)}/SUPA-CN-000001.pdf, ${sshd.url(dir)}/SUPA-CN-000001.xml`);
  });

  it('logs in with the password from passwordEnv and replaces an earlier delivery of the same invoice', async () => {
    const dir = await sshd.makeDir('password');
    const settings = keySettings(dir, { privateKeyFile: null, passwordEnv: 'OMS_SECRET_TEST_SFTP_PASSWORD', includePdf: false });
    const first = buildSampleInvoice({ number: 'SUPA-000043' });
    const again = buildSampleInvoice({ number: 'SUPA-000043', dueDate: '2026-12-31' });
    await deliverOnce(driver, settings, first, artefactsFor(first));
    await deliverOnce(driver, settings, again, artefactsFor(again));

    expect(await readdir(dir)).toEqual(['SUPA-000043.xml']);
    expect(await readFile(join(dir, 'SUPA-000043.xml'), 'utf8')).toContain('<cbc:DueDate>2026-12-31</cbc:DueDate>');
  });

  it('fails permanently when passwordEnv names an unset variable', async () => {
    const settings = keySettings(sshd.inboxDir, { privateKeyFile: null, passwordEnv: 'OMS_SECRET_TEST_UNSET' });
    const error = await failureOf(driver.open(settings));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('OMS_SECRET_TEST_UNSET');
  });

  it('maps invoice numbers with "/" and ".." to a safe name inside the target directory', async () => {
    const dir = await sshd.makeDir('unsafe');
    const doc = buildSampleInvoice({ number: '../../etc/INV-7' });
    await deliverOnce(driver, keySettings(dir, { includePdf: false }), doc, artefactsFor(doc));

    const [name, ...others] = await readdir(dir);
    expect(others).toEqual([]);
    expect(name).toMatch(/^______etc_INV-7-[0-9a-f]{10}\.xml$/);
  });

  it('rejects an unauthorized key with a clear, permanent reason and writes nothing', async () => {
    const dir = await sshd.makeDir('wrong-key');
    const error = await failureOf(deliverOnce(driver, keySettings(dir, { privateKeyFile: sshd.unauthorizedKeyPath }), buildSampleInvoice(), artefactsFor()));
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(`authentication failed for ${sshd.user}@127.0.0.1:${sshd.port} (private key rejected)`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a server whose host key does not match the pinned fingerprint, before logging in', async () => {
    const dir = await sshd.makeDir('wrong-host-key');
    const pinned = `SHA256:${Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '')}`;
    const error = await failureOf(deliverOnce(driver, keySettings(dir, { hostKeySha256: pinned }), buildSampleInvoice(), artefactsFor()));
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(`host key mismatch for 127.0.0.1:${sshd.port}: expected ${pinned}, got ${sshd.hostKeySha256}`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('requires a pinned host key for sftp targets', async () => {
    const error = await failureOf(driver.open(keySettings(sshd.inboxDir, { hostKeySha256: null })));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('hostKeySha256');
  });

  it('names a missing remote directory', async () => {
    const missing = join(sshd.inboxDir, 'no-such-dir');
    const error = await failureOf(driver.open(keySettings(missing)));
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(`remote directory ${missing} does not exist on ${sshd.url(missing)}`);
  });

  it('reports permission denied on a directory the user cannot write, leaving nothing behind', async () => {
    const error = await failureOf(deliverOnce(driver, keySettings(sshd.readOnlyDir), buildSampleInvoice(), artefactsFor()));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/permission denied$/);
    expect(await readdir(sshd.readOnlyDir)).toEqual([]);
  });

  it('treats a server that is down as retryable', async () => {
    const down = await startSshd();
    const settings = { ...keySettings(down.inboxDir), target: down.url(down.inboxDir), hostKeySha256: down.hostKeySha256 };
    await down.stop();
    const error = await failureOf(driver.open(settings));
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(`cannot connect to 127.0.0.1:${down.port}: ECONNREFUSED`);
  });

  // A connection cut during a delivery: xml-sftp-faults.test.ts ("a connection cut in the middle of a write")
  it('reconnects after a dropped connection: the deliveries after it go through', async () => {
    const dir = await sshd.makeDir('reconnect');
    const session = await driver.open(keySettings(dir, { includePdf: false }));
    try {
      await session.deliver(buildSampleInvoice({ number: 'SUPA-000060' }), artefactsFor());
      await sshd.dropConnections();
      // the loss is noticed at once or by this delivery, which then fails as retryable; either way the next one reconnects
      const error = await session.deliver(buildSampleInvoice({ number: 'SUPA-000061' }), artefactsFor()).then(
        () => null,
        (e: unknown) => e,
      );
      if (error !== null) expect(error).toMatchObject({ retryable: true });
      await session.deliver(buildSampleInvoice({ number: 'SUPA-000062' }), artefactsFor());
    } finally {
      await session.close();
    }
    expect((await readdir(dir)).filter((name) => name !== 'SUPA-000061.xml').sort()).toEqual(['SUPA-000060.xml', 'SUPA-000062.xml']);
    expect((await readdir(dir)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('uploads 1,000 files over one connection, all complete, no temp files', async () => {
    const dir = await sshd.makeDir('bulk');
    const xml = Buffer.from(buildUblInvoice(buildSampleInvoice()), 'utf8');
    const session = await openDropSession({
      target: sshd.url(dir),
      privateKeyFile: sshd.privateKeyPath,
      hostKeySha256: sshd.hostKeySha256,
    });
    const started = performance.now();
    try {
      for (let i = 0; i < 1000; i += 1) await session.upload(`SUPA-${String(i).padStart(6, '0')}.xml`, xml);
    } finally {
      await session.close();
    }
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`sftp: 1000 sequential uploads of ${xml.length} B over one connection in ${seconds.toFixed(2)} s (${Math.round(1000 / seconds)}/s)\n`);

    const names = await readdir(dir);
    expect(names).toHaveLength(1000);
    expect(names.filter((n) => n.startsWith('.'))).toEqual([]);
    expect((await readFile(join(dir, 'SUPA-000999.xml'))).equals(xml)).toBe(true);
    expect(seconds).toBeLessThan(20);
  });

  it('accepts overlapping uploads on one session (16 in flight), every file complete', async () => {
    const dir = await sshd.makeDir('pipelined');
    const session = await openDropSession({ target: sshd.url(dir), password: sshd.password, hostKeySha256: sshd.hostKeySha256 });
    const payloads = Array.from({ length: 500 }, (_, i) => randomBytes(1000 + i * 37));
    let next = 0;
    try {
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let i = next++; i < payloads.length; i = next++) {
            await session.upload(`P-${i}.xml`, payloads[i] ?? Buffer.alloc(0));
          }
        }),
      );
    } finally {
      await session.close();
    }
    const names = await readdir(dir);
    expect(names).toHaveLength(500);
    for (const i of [0, 123, 499]) expect((await readFile(join(dir, `P-${i}.xml`))).equals(payloads[i] ?? Buffer.alloc(1))).toBe(true);
  });
});

describe('xml-sftp to a file:// target', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(dropRoot, 'oms-drop-'));
  });

  it('writes both files atomically into the local folder', async () => {
    const doc = buildSampleInvoice({ number: 'SUPA-000050' });
    const receipt = await deliverOnce(driver, { ...keySettings(dir), target: `file://${dir}` }, doc, artefactsFor(doc));

    expect((await readdir(dir)).sort()).toEqual(['SUPA-000050.pdf', 'SUPA-000050.xml']);
    expect((await readFile(join(dir, 'SUPA-000050.pdf'))).equals(fakePdf)).toBe(true);
    expect(await readFile(join(dir, 'SUPA-000050.xml'), 'utf8')).toBe(buildUblInvoice(doc));
    expect(receipt.detail).toBe(`file://${dir}/SUPA-000050.pdf, file://${dir}/SUPA-000050.xml`);
  });

  it('names a missing local folder, permanently', async () => {
    const error = await failureOf(driver.open({ ...keySettings(dir), target: `file://${dir}/missing` }));
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(`local directory ${dir}/missing does not exist`);
  });
});
