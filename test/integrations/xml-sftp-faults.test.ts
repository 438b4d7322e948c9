/**
 * xml-sftp when the server fails: each fault ends as a retryable or a permanent DeliveryError with the
 * server's words, never as an incomplete file at its final name, and no temp file is left behind.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverOnce, type DeliveryArtefacts } from '../../integrations/contract.js';
import { buildUblInvoice, createXmlSftpDriver, type XmlSftpSettings } from '../../integrations/xml-sftp/index.js';
import { mountSmallDisk, startSshd, type TestSshd } from '../support/sshd.js';
import { failureOf } from './failure-of.js';
import { buildSampleInvoice } from '../../bench/sample-documents.js';

let sshd: TestSshd;
/** The operator's policy is not what these tests are about (test/security covers it): every setting is allowed */
const allowEverything = () => Promise.resolve([]);
const driver = createXmlSftpDriver({ readSecret: () => undefined, claimSeconds: 300, connectTimeoutMs: 5000, checkPolicy: allowEverything });
const smallPdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(20_000), Buffer.from('\n%%EOF\n')]);

beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});

function artefacts(pdf: Buffer = smallPdf, doc = buildSampleInvoice()): DeliveryArtefacts {
  return { pdf: () => Promise.resolve(pdf), xml: () => buildUblInvoice(doc) };
}

function settingsFor(server: TestSshd, dir: string, overrides: Partial<XmlSftpSettings> = {}): XmlSftpSettings {
  return {
    target: server.url(dir),
    privateKeyFile: server.privateKeyPath,
    passwordEnv: null,
    hostKeySha256: server.hostKeySha256,
    includePdf: true,
    ...overrides,
  };
}

/**
 * Resolves once the temp file of `file` in `dir` has some bytes in it, i.e. its upload is in the middle of
 * its write. Named, because the small XML goes first: a cut while it is written would test another write.
 */
async function writeUnderway(dir: string, file: string): Promise<string> {
  for (let i = 0; i < 5000; i += 1) {
    for (const name of await readdir(dir)) {
      if (name.startsWith(`.${file}.part-`) && (await stat(join(dir, name)).catch(() => null))?.size) return name;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`no upload started in ${dir}`);
}

describe('xml-sftp over real OpenSSH, when the server fails', () => {
  it('reports a connection cut in the middle of a write as retryable, and removes the half-written temp file through the next connection', async () => {
    const dir = await sshd.makeDir('cut-mid-write');
    const hugePdf = randomBytes(64 * 1024 * 1024);
    const session = await driver.open(settingsFor(sshd, dir));
    try {
      const delivery = failureOf(session.deliver(buildSampleInvoice({ number: 'SUPA-000070' }), artefacts(hugePdf)));
      const temp = await writeUnderway(dir, 'SUPA-000070.pdf');
      await sshd.dropConnections();
      const error = await delivery;

      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/^cannot write SUPA-000070\.pdf to .* connection lost \(.+\)$/);
      expect(temp).toMatch(/^\.SUPA-000070\.pdf\.part-[0-9a-f]{12}$/);
      expect(await readdir(dir)).toEqual([temp]); // half a file, under its temp name only

      const doc = buildSampleInvoice({ number: 'SUPA-000071' });
      await session.deliver(doc, artefacts(smallPdf, doc));
      expect((await readdir(dir)).sort()).toEqual(['SUPA-000071.pdf', 'SUPA-000071.xml']);
    } finally {
      await session.close();
    }
  });

  it('removes the temp file of a cut write when the session closes, if no delivery came after it', async () => {
    const dir = await sshd.makeDir('cut-then-close');
    const delivery = failureOf(
      deliverOnce(driver, settingsFor(sshd, dir), buildSampleInvoice({ number: 'SUPA-000072' }), artefacts(randomBytes(64 * 1024 * 1024))),
    );
    await writeUnderway(dir, 'SUPA-000072.pdf');
    await sshd.dropConnections();
    const error = await delivery;

    expect(error.retryable).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('replaces a connection that dropped between two deliveries without failing the next one', async () => {
    const dir = await sshd.makeDir('dropped-idle');
    const session = await driver.open(settingsFor(sshd, dir, { includePdf: false }));
    try {
      await session.deliver(buildSampleInvoice({ number: 'SUPA-000073' }), artefacts());
      await sshd.dropConnections();
      await new Promise((resolve) => setTimeout(resolve, 200)); // the client notices the loss
      await session.deliver(buildSampleInvoice({ number: 'SUPA-000074' }), artefacts());
    } finally {
      await session.close();
    }
    expect((await readdir(dir)).sort()).toEqual(['SUPA-000073.xml', 'SUPA-000074.xml']);
  });

  it('fails permanently when the server refuses the rename (another user’s file in a sticky folder), and removes the temp file', async () => {
    const dir = join(sshd.inboxDir, 'sticky');
    await mkdir(dir);
    await chmod(dir, 0o1777); // anyone may add files, only their owner may replace them
    await writeFile(join(dir, 'SUPA-000075.xml'), 'the importer’s copy');
    const error = await failureOf(
      deliverOnce(driver, settingsFor(sshd, dir, { includePdf: false }), buildSampleInvoice({ number: 'SUPA-000075' }), artefacts()),
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(`cannot move SUPA-000075.xml into place in ${dir} on ${sshd.url(dir)}: permission denied`);
    expect(await readdir(dir)).toEqual(['SUPA-000075.xml']);
    expect(await readFile(join(dir, 'SUPA-000075.xml'), 'utf8')).toBe('the importer’s copy');
  });

  it('fails permanently when the server does not offer posix-rename, and removes the temp file', async () => {
    const strict = await startSshd({ sftpServerFlags: ['-P', 'posix-rename'] });
    try {
      const dir = await strict.makeDir('no-rename');
      const error = await failureOf(
        deliverOnce(driver, settingsFor(strict, dir, { includePdf: false }), buildSampleInvoice({ number: 'SUPA-000075' }), artefacts()),
      );
      expect(error.retryable).toBe(false);
      expect(error.message).toBe(
        `cannot move SUPA-000075.xml into place in ${dir} on ${strict.url(dir)}: the server does not support it (posix-rename@openssh.com is required)`,
      );
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await strict.stop();
    }
  });

  it('retries a rename the server fails (a directory in the way), keeps the connection and removes the temp file', async () => {
    const dir = await sshd.makeDir('in-the-way');
    await mkdir(join(dir, 'SUPA-000076.xml'));
    const session = await driver.open(settingsFor(sshd, dir, { includePdf: false }));
    try {
      const error = await failureOf(session.deliver(buildSampleInvoice({ number: 'SUPA-000076' }), artefacts()));
      expect(error.retryable).toBe(true);
      expect(error.message).toBe(`cannot move SUPA-000076.xml into place in ${dir} on ${sshd.url(dir)}: Failure`);
      expect(await readdir(dir)).toEqual(['SUPA-000076.xml']);
      expect((await stat(join(dir, 'SUPA-000076.xml'))).isDirectory()).toBe(true);

      await session.deliver(buildSampleInvoice({ number: 'SUPA-000077' }), artefacts());
    } finally {
      await session.close();
    }
    expect((await readdir(dir)).sort()).toEqual(['SUPA-000076.xml', 'SUPA-000077.xml']);
  });

  it('reports a full disk as retryable, says so, frees the space it took, and succeeds once there is room', async () => {
    const dir = await sshd.makeSmallDisk('full', 256 * 1024);
    const session = await driver.open(settingsFor(sshd, dir));
    try {
      const error = await failureOf(session.deliver(buildSampleInvoice({ number: 'SUPA-000078' }), artefacts(randomBytes(1024 * 1024))));
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(new RegExp(`^cannot write SUPA-000078\\.pdf to ${dir} on .*: Failure \\(the server's disk is full: \\d+ bytes free\\)$`));
      expect(await readdir(dir)).toEqual([]);

      // the same connection, and the space the failed upload took is free again
      const doc = buildSampleInvoice({ number: 'SUPA-000078' });
      await session.deliver(doc, artefacts(smallPdf, doc));
    } finally {
      await session.close();
    }
    expect((await readdir(dir)).sort()).toEqual(['SUPA-000078.pdf', 'SUPA-000078.xml']);
    expect((await readFile(join(dir, 'SUPA-000078.pdf'))).equals(smallPdf)).toBe(true);
  });

  it('refuses, permanently and before uploading anything, a server whose host key changed between deliveries', async () => {
    const rebuilt = await startSshd();
    try {
      const dir = await rebuilt.makeDir('rekeyed');
      const pinned = rebuilt.hostKeySha256;
      const session = await driver.open(settingsFor(rebuilt, dir, { includePdf: false }));
      try {
        await session.deliver(buildSampleInvoice({ number: 'SUPA-000079' }), artefacts());
        const presented = await rebuilt.rotateHostKey();
        const error = await failureOf(session.deliver(buildSampleInvoice({ number: 'SUPA-000080' }), artefacts()));
        expect(error.retryable).toBe(false);
        expect(error.message).toBe(`host key mismatch for 127.0.0.1:${rebuilt.port}: expected ${pinned}, got ${presented}`);
      } finally {
        await session.close();
      }
      expect(await readdir(dir)).toEqual(['SUPA-000079.xml']);
    } finally {
      await rebuilt.stop();
    }
  });
});

describe('xml-sftp to a file:// target, when the disk is full', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'oms-full-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reports ENOSPC as retryable, removes the temp file, and succeeds once there is room', async () => {
    const disk = await mountSmallDisk(join(root, 'disk'), 256 * 1024);
    try {
      const settings = { ...settingsFor(sshd, disk.path), target: `file://${disk.path}` };
      const error = await failureOf(deliverOnce(driver, settings, buildSampleInvoice({ number: 'SUPA-000081' }), artefacts(randomBytes(1024 * 1024))));
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(new RegExp(`^cannot write SUPA-000081\\.pdf to ${disk.path}: ENOSPC: no space left on device`));
      expect(await readdir(disk.path)).toEqual([]);

      await writeFile(join(disk.path, 'other-program.txt'), 'kept');
      const doc = buildSampleInvoice({ number: 'SUPA-000081' });
      await deliverOnce(driver, settings, doc, artefacts(smallPdf, doc));
      expect((await readdir(disk.path)).sort()).toEqual(['SUPA-000081.pdf', 'SUPA-000081.xml', 'other-program.txt']);
    } finally {
      await disk.unmount();
    }
  });
});
