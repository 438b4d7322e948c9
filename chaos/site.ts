/**
 * Where the chaos suite runs: its own MariaDB (so that restarting it disturbs nobody), a real SMTP server
 * in this process (so that it can fault it and count what it accepted), and a real OpenSSH on loopback
 * with three upload folders, one on a small disk. The suite's processes get `env`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import mysql from 'mysql2/promise';
import { startSmtpServer, type TestSmtpServer } from '../bench/servers/smtp-server.js';
import { startSshd, type TestSshd } from '../bench/servers/sshd.js';
import { startMariaDb, type MariaDbServer } from '../bench/throwaway-mariadb.js';
import { loadConfig } from '../config/index.js';
import { connectDatabase, migrateLatest } from '../src/db/connect.js';
import type { SftpFolders } from './dataset.js';

/** Claims and leases run out this fast, so that the work of killed processes is taken up within seconds */
export const LEASE_SECONDS = 4;
/** The small disk's size: room for every file of a long run; the disk-full fault fills what is left */
const SMALL_DISK_BYTES = 64 * 1024 * 1024;

export interface ChaosSite {
  dir: string;
  mariadb: MariaDbServer;
  smtp: TestSmtpServer;
  sshd: TestSshd;
  folders: SftpFolders;
  /** The environment of every process of the suite */
  env: Record<string, string>;
  /** The suite's own connection, for the audit */
  db: Knex;
  versions: { mariadb: string; openssh: string };
  stop(): Promise<void>;
}

export async function startSite(beforeGreeting: (clientPort: number) => Promise<void>): Promise<ChaosSite> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oms-chaos-'));
  const mariadb = await startMariaDb();
  const smtp = await startSmtpServer({ beforeGreeting });
  const sshd = await startSshd();
  try {
    const folders: SftpFolders = {
      a: await sshd.makeDir('a'),
      b: await sshd.makeDir('b'),
      full: await sshd.makeSmallDisk('full', SMALL_DISK_BYTES),
    };
    const admin = await mysql.createConnection(mariadb.url);
    await admin.query('CREATE DATABASE chaos CHARACTER SET utf8mb4');
    const [[version]] = (await admin.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
    await admin.end();
    const url = `${mariadb.url}/chaos`;
    const dataDir = path.join(dir, 'data');
    const env = {
      DATABASE_URL: url,
      OMS_DATA_DIR: dataDir,
      SMTP_URL: smtp.url,
      SMTP_FROM: 'invoices@chaos.example',
      OMS_LEASE_SECONDS: String(LEASE_SECONDS),
      OMS_DELIVERY_BACKOFF_SECONDS: '1',
      OMS_WORKER_CONCURRENCY: '2',
      OMS_LOG_LEVEL: 'warn',
      // Where integrations may point, when the settings are checked against allowed folders
      OMS_SFTP_KEY_DIRS: path.dirname(sshd.privateKeyPath),
      OMS_FILE_TARGET_DIRS: dataDir,
    };
    const db = connectDatabase(loadConfig({ DATABASE_URL: url }).database, { poolMax: 4, warn: () => undefined });
    await migrateLatest(db);
    // (ssh -V answers on standard error)
    const openssh = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim() || 'OpenSSH';
    return {
      dir,
      mariadb,
      smtp,
      sshd,
      folders,
      env,
      db,
      versions: { mariadb: version.v, openssh },
      async stop() {
        await db.destroy().catch(() => undefined);
        await smtp.stop();
        await sshd.stop();
        await mariadb.stop();
      },
    };
  } catch (err) {
    await smtp.stop();
    await sshd.stop();
    await mariadb.stop();
    throw err;
  }
}
