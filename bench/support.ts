/**
 * Shared pieces of the benchmarks: a throwaway MariaDB, fresh databases, timing a child process.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { startMariaDb, type MariaDbServer } from './throwaway-mariadb.js';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const binPath = path.join(projectRoot, 'bin', 'oms-invoicing.js');

let server: Promise<MariaDbServer> | null = null;
export function mariadb(): Promise<MariaDbServer> {
  server ??= startMariaDb();
  return server;
}
export async function stopMariaDb(): Promise<void> {
  if (server) await (await server).stop();
  server = null;
}

export async function freshDatabaseUrl(kind: 'sqlite' | 'mariadb', dir: string): Promise<string> {
  if (kind === 'sqlite') return `sqlite:${path.join(dir, `bench-${randomBytes(4).toString('hex')}.sqlite`)}`;
  const srv = await mariadb();
  const name = `bench_${randomBytes(4).toString('hex')}`;
  const conn = await mysql.createConnection(srv.url);
  await conn.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  await conn.end();
  return `${srv.url}/${name}`;
}

export const tempDir = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `oms-bench-${label}-`));

export interface Timed {
  ms: number;
  peakRssMb: number;
  stdout: string;
}

/** Runs the CLI in a child process; wall time and peak RSS (GNU time, else /proc sampling). */
export function timeCli(args: string[], env: Record<string, string>): Promise<Timed> {
  const gnuTime = fs.existsSync('/usr/bin/time');
  const cmd = gnuTime ? '/usr/bin/time' : process.execPath;
  const argv = gnuTime ? ['-f', '__RSS_KB=%M', process.execPath, binPath, ...args] : [binPath, ...args];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const ms = performance.now() - started;
      if (err) return reject(new Error(`${args.join(' ')} failed: ${stderr}`));
      const kb = /__RSS_KB=(\d+)/.exec(stderr);
      resolve({ ms, peakRssMb: kb ? Math.round(Number(kb[1]) / 1024) : NaN, stdout });
    });
  });
}

export const round = (n: number, digits = 0) => Number(n.toFixed(digits));
