/**
 * Temp files a killed upload left behind (`.NAME.part-…`) are removed by a later delivery to the same
 * folder, once nobody has written to them for a claim's length; nothing else is ever removed.
 */
import { chmod, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverOnce, type DeliveryArtefacts } from '../../integrations/contract.js';
import { buildUblInvoice, createXmlSftpDriver, isTempFileName, safeFileName, type XmlSftpSettings } from '../../integrations/xml-sftp/index.js';
import { tempFileName } from '../../integrations/xml-sftp/file-names.js';
import { staleTempFiles } from '../../integrations/xml-sftp/stale-temp-files.js';
import { startSshd, type TestSshd } from '../support/sshd.js';
import { buildSampleInvoice } from '../../bench/sample-documents.js';

const CLAIM_SECONDS = 300;
/** The operator's policy is not what these tests are about (test/security covers it): every setting is allowed */
const allowEverything = () => Promise.resolve([]);
const driver = createXmlSftpDriver({ readSecret: () => undefined, claimSeconds: CLAIM_SECONDS, connectTimeoutMs: 5000, checkPolicy: allowEverything });
const doc = buildSampleInvoice({ number: 'SUPA-000090' });
const artefacts: DeliveryArtefacts = { pdf: () => Promise.resolve(Buffer.from('%PDF-1.7\n%%EOF\n')), xml: () => buildUblInvoice(doc) };

/** Killed uploads of this program, untouched for longer than a claim: removed */
const STALE = ['.SUPA-000001.xml.part-0123456789ab', '.SUPA-000002.pdf.part-abcdefabcdef', '.INV_2026_7-1f0c2a3b4c.xml.part-00000000ffff'];
/** An upload of this program that may still be running (written to within a claim): kept */
const FRESH = ['.SUPA-000003.xml.part-0123456789ab'];
/** Not names this program makes, however old: kept */
const FOREIGN = [
  '.SUPA-000004.xml.filepart',
  '.SUPA-000004.xml.part-XYZ',
  '.SUPA-000004.xml.part-0123456789abc',
  '.SUPA-000004.xml.part-0123456789AB',
  'SUPA-000004.xml.part-0123456789ab',
  '.a b.xml.part-0123456789ab',
  '.hidden',
  'OLD.xml',
];

/** Writes the litter into `dir`, dated on this machine's clock (the server's, for the local sshd) */
async function litter(dir: string): Promise<void> {
  const now = Date.now() / 1000;
  const write = async (name: string, ageSeconds: number) => {
    await writeFile(join(dir, name), 'half a file');
    await utimes(join(dir, name), now - ageSeconds, now - ageSeconds);
  };
  await Promise.all([
    ...STALE.map((name) => write(name, CLAIM_SECONDS + 60)),
    ...FRESH.map((name) => write(name, CLAIM_SECONDS - 60)),
    ...FOREIGN.map((name) => write(name, 30 * 24 * 3600)),
  ]);
}

const delivered = ['SUPA-000090.pdf', 'SUPA-000090.xml'];
const expectedAfterSweep = [...FRESH, ...FOREIGN, ...delivered].sort();

describe('the sweep of temp files left by killed uploads', () => {
  describe('over real OpenSSH', () => {
    let sshd: TestSshd;
    beforeAll(async () => {
      sshd = await startSshd();
    });
    afterAll(async () => {
      await sshd?.stop();
    });
    const settingsFor = (dir: string): XmlSftpSettings => ({
      target: sshd.url(dir),
      privateKeyFile: sshd.privateKeyPath,
      passwordEnv: null,
      hostKeySha256: sshd.hostKeySha256,
      includePdf: true,
    });

    it('removes only this program’s temp files that nobody wrote to for a whole claim', async () => {
      const dir = await sshd.makeDir('litter');
      await litter(dir);
      await deliverOnce(driver, settingsFor(dir), doc, artefacts);
      expect((await readdir(dir)).sort()).toEqual(expectedAfterSweep);
    });

    it('still delivers when the folder cannot be listed (the sweep fails quietly)', async () => {
      const dir = await sshd.makeDir('write-only');
      await litter(dir);
      await chmod(dir, 0o333); // the login may add files but not list them
      await deliverOnce(driver, settingsFor(dir), doc, artefacts);
      await chmod(dir, 0o755);
      expect((await readdir(dir)).sort()).toEqual([...STALE, ...FRESH, ...FOREIGN, ...delivered].sort());
    });
  });

  describe('in a file:// folder', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'oms-litter-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('removes only this program’s temp files that nobody wrote to for a whole claim', async () => {
      await litter(dir);
      await deliverOnce(driver, { ...settingsFor(dir), target: `file://${dir}` }, doc, artefacts);
      expect((await readdir(dir)).sort()).toEqual(expectedAfterSweep);
    });

    function settingsFor(target: string): XmlSftpSettings {
      return { target: `file://${target}`, privateKeyFile: null, passwordEnv: null, hostKeySha256: null, includePdf: true };
    }
  });

  describe('choosing what is stale', () => {
    // 2001-01-01: far from this machine's clock, which plays no part
    const serverNow = Date.UTC(2001, 0, 1);
    const at = (secondsAgo: number) => serverNow - secondsAgo * 1000;

    it('measures age against the newest time the target itself reported, never this machine’s clock', () => {
      const listing = [
        { name: '.A.xml.part-000000000001', mtimeMs: at(CLAIM_SECONDS + 1) },
        { name: '.B.xml.part-000000000002', mtimeMs: at(CLAIM_SECONDS - 1) },
        { name: '.C.xml.part-000000000003', mtimeMs: undefined },
      ];
      expect(staleTempFiles(listing, [at(3600), serverNow, undefined], CLAIM_SECONDS * 1000)).toEqual(['.A.xml.part-000000000001']);
      // a server whose clock says 1970 (or reports no times) gets nothing removed
      expect(staleTempFiles(listing, [undefined, 0], CLAIM_SECONDS * 1000)).toEqual([]);
    });

    it('recognises every temp name this program makes, and only those', () => {
      for (const name of ['SUPA-000042.xml', 'INV/2026/7.pdf', '../../etc/passwd', 'x'.repeat(300), 'Łódź.xml', 'no-extension']) {
        expect(isTempFileName(tempFileName(safeFileName(name)))).toBe(true);
      }
      for (const name of FOREIGN) expect(isTempFileName(name)).toBe(false);
    });
  });
});
