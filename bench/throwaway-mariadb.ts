/**
 * A throwaway MariaDB server for tests: its own data directory, socket and port, started in well under
 * a second and removed afterwards. Tests never touch a shared server. Faults on demand, for a test (or the
 * chaos suite) that owns its instance: a restart (clean or a crash), the server down for a while, and
 * connections killed.
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
  /** Stops the server: SIGTERM (a clean shutdown) or SIGKILL (a crash); its port refuses connections until `start` */
  halt(how?: 'clean' | 'crash'): Promise<void>;
  /** Starts a halted server again, same port and data (InnoDB recovers what a crash left) */
  start(): Promise<void>;
  /** halt then start */
  restart(how?: 'clean' | 'crash'): Promise<void>;
  /** Kills (KILL CONNECTION) every client connection but the one asking; returns how many */
  killConnections(): Promise<number>;
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
  const url = `mysql://root@127.0.0.1:${port}`;
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn(
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
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
        await conn.end();
        return child;
      } catch (err) {
        if (child.exitCode !== null || Date.now() > deadline) {
          const log = fs.existsSync(`${dir}/error.log`) ? fs.readFileSync(`${dir}/error.log`, 'utf8').slice(-2000) : '';
          child.kill('SIGKILL');
          throw new Error(`the throwaway MariaDB did not start: ${(err as Error).message}\n${log}`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  let child: ChildProcess | null = await launch();
  const halt = async (how: 'clean' | 'crash' = 'clean') => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill(how === 'crash' ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  const start = async () => {
    child ??= await launch();
  };
  return {
    port,
    url,
    halt,
    start,
    async restart(how = 'clean') {
      await halt(how);
      await start();
    },
    async killConnections() {
      const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
      try {
        const [rows] = await conn.query(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND NOT IN ('Daemon', 'Binlog Dump')",
        );
        let killed = 0;
        for (const { ID } of rows as Array<{ ID: number }>) {
          // A connection may end by itself meanwhile (unknown thread id): not killed, not an error
          await conn.query(`KILL CONNECTION ${Number(ID)}`).then(
            () => killed++,
            () => undefined,
          );
        }
        return killed;
      } finally {
        await conn.end();
      }
    },
    async stop() {
      await halt('clean');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
