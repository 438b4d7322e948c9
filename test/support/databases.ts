/**
 * The databases every integration suite runs against: the embedded SQLite and a throwaway MariaDB
 * (started once per test run by global-setup.ts). Each `create()` gives a fresh, empty, migrated database.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { inject } from 'vitest';
import type { Knex } from 'knex';
import { loadConfig, type Config } from '../../config/index.js';
import { connectDatabase, migrateLatest } from '../../src/db/connect.js';

export interface TestDatabase {
  kind: 'sqlite' | 'mariadb';
  /** DATABASE_URL for the CLI */
  url: string;
  config: Config['database'];
  /** A data directory for this database's outbox etc. */
  dataDir: string;
  db: Knex;
  destroy(): Promise<void>;
}

export const databaseKinds = ['sqlite', 'mariadb'] as const;

export async function createTestDatabase(kind: 'sqlite' | 'mariadb', options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `oms-test-${kind}-`));
  let url: string;
  if (kind === 'sqlite') {
    url = `sqlite:${path.join(dataDir, 'oms.sqlite')}`;
  } else {
    const root = inject('mariadbUrl');
    const name = `t_${randomBytes(6).toString('hex')}`;
    const conn = await mysql.createConnection(root);
    await conn.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await conn.end();
    url = `${root}/${name}`;
  }
  const config = loadConfig({ DATABASE_URL: url, OMS_DATA_DIR: dataDir }, dataDir).database;
  const db = connectDatabase(config);
  if (options.migrate !== false) await migrateLatest(db);
  return {
    kind,
    url,
    config,
    dataDir,
    db,
    async destroy() {
      await db.destroy();
      if (kind === 'mariadb') {
        const conn = await mysql.createConnection(inject('mariadbUrl'));
        await conn.query(`DROP DATABASE IF EXISTS ${url.split('/').pop()}`);
        await conn.end();
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
