/**
 * A real OpenSSH server on loopback for the tests and the benchmarks: `/usr/sbin/sshd` on a free port,
 * with its own config, host key and authorized_keys in a temp dir, for a local test user (created if
 * missing; needs root). Faults on demand: connections dropped, the host key changed, a disk that fills
 * up, SFTP requests the server refuses.
 *
 *   const sshd = await startSshd();
 *   // sftp://${sshd.user}@${sshd.host}:${sshd.port}${sshd.inboxDir}, key sshd.privateKeyPath,
 *   // hostKeySha256 sshd.hostKeySha256, or password sshd.password
 *   await sshd.dropConnections();            // every client sees its connection drop
 *   await sshd.rotateHostKey();              // restarted with a new host key (sshd.hostKeySha256 changes)
 *   await sshd.makeSmallDisk('full', 64 * 1024)   // a directory on a 64 KB file system
 *   await startSshd({ sftpServerFlags: ['-P', 'posix-rename'] })   // refuses posix-rename (permission denied)
 *   await sshd.setSftpServerFlags(['-P', 'posix-rename'])          // the same, from now on (restarted, same port)
 *   await sshd.stop();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findFreePort } from './find-free-port.js';
import { mountSmallDisk, type SmallDisk } from './small-disk.js';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';

export interface TestSshd {
  host: string;
  port: number;
  user: string;
  /** The test user's password (password authentication is enabled) */
  password: string;
  /** A key in authorized_keys */
  privateKeyPath: string;
  /** A valid key that is NOT authorized */
  unauthorizedKeyPath: string;
  /** As `ssh-keygen -lf` prints it: "SHA256:…" (base64, no padding); changes with `rotateHostKey()` */
  readonly hostKeySha256: string;
  /** Writable by the test user, empty at start */
  inboxDir: string;
  /** Exists, owned by root, not writable by the test user */
  readOnlyDir: string;
  /** sftp://user@host:port + dir */
  url(dir: string): string;
  /** Creates `inboxDir/name`, owned by the test user, and returns its path */
  makeDir(name: string): Promise<string>;
  /** Creates `inboxDir/name` on a file system of `sizeBytes` (tmpfs), owned by the test user: writes past it fail, disk full */
  makeSmallDisk(name: string, sizeBytes: number): Promise<string>;
  /** Kills the per-connection sshd processes: every client sees its connection drop */
  dropConnections(): Promise<void>;
  /** Drops every connection and restarts the server, same port, with a new host key; resolves with its fingerprint */
  rotateHostKey(): Promise<string>;
  /** What sshd has logged (LogLevel VERBOSE: every connection and login attempt), its last 20 kB */
  serverLog(): string;
  /** Drops every connection and restarts the server, same port and key, with these SFTP subsystem flags */
  setSftpServerFlags(flags: string[]): Promise<void>;
  /** Stops the server (established sessions keep running until their clients close them) */
  stop(): Promise<void>;
}

export interface SshdOptions {
  user?: string;
  password?: string;
  /** Flags for the server's SFTP subsystem, e.g. `['-P', 'posix-rename']` to refuse that request (internal-sftp(8)) */
  sftpServerFlags?: string[];
}

export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  if (!existsSync(SSHD)) {
    throw new Error(`${SSHD} is missing: install it with "apt-get install -y openssh-server"`);
  }
  const user = options.user ?? 'omssftp';
  const password = options.password ?? 'sftp-test-password';
  const { uid, gid } = await ensureUser(user, password);

  const dir = await mkdtemp(join(tmpdir(), 'oms-sshd-'));
  await chmod(dir, 0o755); // sshd reads authorized_keys as the user
  const hostKey = join(dir, 'host_ed25519_key');
  const clientKey = join(dir, 'client_key');
  const strangerKey = join(dir, 'stranger_key');
  await Promise.all([hostKey, clientKey, strangerKey].map((k) => run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', k])));
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, await readFile(`${clientKey}.pub`), { mode: 0o644 });
  // ssh2 reads the private keys in the tests; they stay root-only
  let hostKeySha256 = await fingerprintOf(hostKey);

  const inboxDir = join(dir, 'inbox');
  const readOnlyDir = join(dir, 'readonly');
  await mkdir(inboxDir);
  await mkdir(readOnlyDir, { mode: 0o755 });
  await chown(inboxDir, uid, gid);

  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const port = await findFreePort();
  const config = join(dir, 'sshd_config');
  const writeConfig = (sftpServerFlags: string[]) =>
    writeFile(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'UsePAM no',
        ['Subsystem sftp internal-sftp', ...sftpServerFlags].join(' '),
        'StrictModes no',
        `AuthorizedKeysFile ${authorizedKeys}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        `AllowUsers ${user}`,
        'MaxStartups 100:30:200',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
  await writeConfig(options.sftpServerFlags ?? []);
  await run(SSHD, ['-t', '-f', config]).catch((e: unknown) => {
    throw new Error(`sshd rejected its config: ${stderrOf(e)}`);
  });

  let log = '';
  const launch = async () => {
    const started = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    started.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      log = (log + chunk).slice(-20_000);
    });
    await waitForBanner(port, started, () => log);
    return started;
  };
  let child = await launch();

  const disks: SmallDisk[] = [];
  const dropConnections = async () => {
    // monitor → session → internal-sftp: each holds the socket, so the whole tree goes
    for (const pid of await descendantsOf(child.pid ?? 0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        // A child may already have gone with its parent
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
  };
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    privateKeyPath: clientKey,
    unauthorizedKeyPath: strangerKey,
    get hostKeySha256() {
      return hostKeySha256;
    },
    inboxDir,
    readOnlyDir,
    url: (path) => `sftp://${user}@127.0.0.1:${port}${path}`,
    async makeDir(name) {
      const path = join(inboxDir, name);
      await mkdir(path);
      await chown(path, uid, gid);
      return path;
    },
    async makeSmallDisk(name, sizeBytes) {
      const disk = await mountSmallDisk(join(inboxDir, name), sizeBytes, { uid, gid });
      disks.push(disk);
      return disk.path;
    },
    dropConnections,
    serverLog: () => log,
    async rotateHostKey() {
      // sessions outlive their server; dropped first, so that no client keeps talking to the old key
      await dropConnections();
      await stopChild(child);
      await rm(hostKey, { force: true });
      await rm(`${hostKey}.pub`, { force: true });
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
      hostKeySha256 = await fingerprintOf(hostKey);
      child = await launch();
      return hostKeySha256;
    },
    async setSftpServerFlags(flags) {
      await writeConfig(flags);
      await dropConnections();
      await stopChild(child);
      child = await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopChild(child);
      for (const disk of disks) await disk.unmount();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function fingerprintOf(hostKey: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`]);
  return stdout.split(' ')[1] ?? '';
}

async function ensureUser(user: string, password: string): Promise<{ uid: number; gid: number }> {
  if (!(await userExists(user))) {
    // another test file may create it at the same moment: only the second check counts
    await run('useradd', ['-m', '-s', '/bin/sh', user]).catch(() => undefined);
    if (!(await userExists(user))) throw new Error(`could not create the test user ${user}`);
  }
  // A fresh useradd account is locked ("!"), which blocks key login too; a known password unlocks it.
  const { stdout: hash } = await run('openssl', ['passwd', '-6', password]);
  await run('usermod', ['-p', hash.trim(), user]);
  const [uid, gid] = await Promise.all([idOf(user, '-u'), idOf(user, '-g')]);
  return { uid, gid };
}

async function userExists(user: string): Promise<boolean> {
  return run('id', ['-u', user]).then(
    () => true,
    () => false,
  );
}

async function idOf(user: string, flag: '-u' | '-g'): Promise<number> {
  const { stdout } = await run('id', [flag, user]);
  return Number(stdout.trim());
}

/**
 * Every process below `pid`, deepest first. Read from /proc/PID/task/TID/children: a few small reads, so
 * that a connection is killed while the transfer a test aimed at is still going (reading every process's
 * stat took 50–300 ms on a busy machine, long enough for a 64 MB upload to finish). Falls back to the
 * whole process table on kernels without that file.
 */
async function descendantsOf(pid: number): Promise<number[]> {
  if (!existsSync(`/proc/${process.pid}/task/${process.pid}/children`)) return descendantsFromProcessTable(pid);
  const childrenOf = async (p: number): Promise<number[]> => {
    const tasks = await readdir(`/proc/${p}/task`).catch(() => [] as string[]);
    const lists = await Promise.all(tasks.map((tid) => readFile(`/proc/${p}/task/${tid}/children`, 'utf8').catch(() => '')));
    return lists.flatMap((list) => list.split(/\s+/).filter(Boolean).map(Number));
  };
  const below = async (p: number): Promise<number[]> => {
    const children = await childrenOf(p);
    const deeper = await Promise.all(children.map(below));
    return children.flatMap((child, i) => [...deeper[i]!, child]);
  };
  return below(pid);
}

async function descendantsFromProcessTable(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // "pid (comm) state ppid …": comm may contain spaces and parentheses, so read after the last ")"
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isInteger(ppid)) parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const below = (p: number): number[] => (parents.get(p) ?? []).flatMap((child) => [...below(child), child]);
  return below(pid);
}

async function waitForBanner(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${log()}`);
    if (await readsBanner(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`sshd did not answer on port ${port} within 15 s: ${log()}`);
}

function readsBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-')));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function stderrOf(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'stderr' in e) return String(e.stderr);
  return String(e);
}
