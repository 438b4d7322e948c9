/**
 * A throwaway MariaDB server for tests: its own data directory, socket and port, started in well under
 * a second and removed afterwards. Tests never touch a shared server.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';

export interface MariaDbServer {
  port: number;
  /** root URL without a database: mysql://root@127.0.0.1:PORT */
  url: string;
  stop(): Promise<void>;
}

const MISSING =
  'MariaDB is needed for these tests but mariadbd was not found. Install it with ' +
  '`apt-get install -y mariadb-server` (Debian), or run `bash .ci/run`, which installs it.';

function which(binary: string): string | null {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', ...(process.env.PATH ?? '').split(':')]) {
    const p = path.join(dir, binary);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startMariaDb(): Promise<MariaDbServer> {
  const mariadbd = which('mariadbd') ?? which('mysqld');
  const installDb = which('mariadb-install-db') ?? which('mysql_install_db');
  if (!mariadbd || !installDb) throw new Error(MISSING);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oms-mariadb-'));
  const user = os.userInfo().username;
  execFileSync(installDb, ['--no-defaults', `--user=${user}`, `--datadir=${dir}/data`, '--auth-root-authentication-method=normal', '--skip-test-db'], {
    stdio: 'pipe',
  });
  const port = await freePort();
  const child: ChildProcess = spawn(
    mariadbd,
    [
      '--no-defaults',
      `--user=${user}`,
      `--datadir=${dir}/data`,
      `--socket=${dir}/sock`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--skip-log-bin',
      '--innodb-flush-log-at-trx-commit=2',
      '--innodb-buffer-pool-size=1G',
      '--innodb-log-file-size=512M',
      '--max-connections=500',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      `--log-error=${dir}/error.log`,
    ],
    { stdio: 'ignore' },
  );
  const url = `mysql://root@127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
      await conn.end();
      break;
    } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline) {
        const log = fs.existsSync(`${dir}/error.log`) ? fs.readFileSync(`${dir}/error.log`, 'utf8').slice(-2000) : '';
        throw new Error(`the throwaway MariaDB did not start: ${(err as Error).message}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => {
        if (child.exitCode !== null) return r(null);
        child.once('exit', r);
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
