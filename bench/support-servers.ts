/**
 * Real servers on loopback for the tests and the benchmarks (one implementation; test/support/smtp-server.ts
 * and test/support/sshd.ts re-export it):
 *
 *  - `startSmtpServer()`: the `smtp-server` package, in-process, no TLS, optional AUTH;
 *  - `startSshd()`: real OpenSSH `/usr/sbin/sshd` with its own config, host key and authorized_keys in a
 *    temp dir, for a local test user (created if missing; needs root).
 *
 *   const smtp = await startSmtpServer();
 *   smtp.messages        // envelopes + raw RFC 5322 bytes, in arrival order
 *   smtp.failNext(2)     // the next 2 messages get "451 …" after DATA; failNext(1, 550) for a permanent one
 *   const hold = smtp.holdReplies()   // messages arrive but get no answer until hold.release()
 *   await smtp.stop()    // now the port refuses connections
 *
 *   const sshd = await startSshd();
 *   // sftp://${sshd.user}@${sshd.host}:${sshd.port}${sshd.inboxDir}, key sshd.privateKeyPath,
 *   // hostKeySha256 sshd.hostKeySha256, or password sshd.password
 *   await sshd.stop();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';

// ---------------------------------------------------------------------------------------------- SMTP

export interface ReceivedMail {
  envelope: { mailFrom: string; rcptTo: string[] };
  /** The message as received (empty when the server was started with `keepRaw: false`) */
  raw: Buffer;
  size: number;
}

/** Replies held back: messages arrive in full but get no answer until `release()`. */
export interface HeldReplies {
  /** Resolves once `count` messages (default 1) are waiting for their answer */
  arrived(count?: number, timeoutMs?: number): Promise<void>;
  /** How many messages are waiting */
  readonly waiting: number;
  /** Ends the hold: waiting messages whose client is still connected are accepted (250), the others dropped */
  release(): void;
}

export interface TestSmtpServer {
  host: string;
  port: number;
  /** smtp://127.0.0.1:PORT */
  url: string;
  /** Accepted messages (answered 250), in order */
  messages: ReceivedMail[];
  /** Answers `code` (default 451, "try again later") to the next `count` messages, after their DATA */
  failNext(count: number, code?: number): void;
  /** Holds the answer to every message from now on until `release()` */
  holdReplies(): HeldReplies;
  /** Resolves once `count` messages have been accepted in total */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Closes the listener and drops open connections */
  stop(): Promise<void>;
}

export interface SmtpServerOptions {
  /** When set, AUTH (over plain text, this is a test) accepts only these credentials; still optional */
  auth?: { user: string; password: string };
  /** RCPT TO for these addresses gets "550 no such user" */
  unknownRecipients?: string[];
  /** Listen on this port (default: a free one), e.g. to bring a "down" server back where clients expect it */
  port?: number;
  /** Keep each message's bytes (default true); benchmarks keep only the size */
  keepRaw?: boolean;
}

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const failures: number[] = [];
  const waiters = new Set<() => void>();
  const closedSessions = new Set<string>();
  let hold: { queue: Array<() => void>; wake: Set<() => void> } | null = null;
  const keepRaw = options.keepRaw ?? true;

  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 100,
    size: 50 * 1024 * 1024,
    onAuth(auth, _session, callback) {
      const ok = options.auth && auth.username === options.auth.user && auth.password === options.auth.password;
      if (ok) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (options.unknownRecipients?.includes(address.address)) {
        callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
      } else {
        callback();
      }
    },
    onClose(session) {
      closedSessions.add(session.id);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (keepRaw) chunks.push(chunk);
      });
      stream.on('error', () => undefined); // the client went away mid-message
      stream.on('end', () => {
        const answer = () => {
          const code = failures.shift();
          if (code !== undefined) {
            const reply = code >= 500 ? 'Rejected by test server' : 'Try again later (test server)';
            callback(Object.assign(new Error(reply), { responseCode: code }));
            return;
          }
          const from = session.envelope.mailFrom;
          messages.push({
            envelope: {
              mailFrom: from ? from.address : '',
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
            },
            raw: Buffer.concat(chunks),
            size,
          });
          for (const wake of waiters) wake();
          callback(null);
        };
        if (!hold) return answer();
        // Held: answered (or, if the client has gone, dropped unanswered) on release
        hold.queue.push(() => {
          if (!closedSessions.has(session.id)) answer();
        });
        for (const wake of hold.wake) wake();
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined); // client resets after stop() are expected
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    failNext(count, code = 451) {
      for (let i = 0; i < count; i += 1) failures.push(code);
    },
    holdReplies() {
      const current = { queue: [] as Array<() => void>, wake: new Set<() => void>() };
      hold = current;
      return {
        get waiting() {
          return current.queue.length;
        },
        arrived(count = 1, timeoutMs = 30_000) {
          return new Promise<void>((resolve, reject) => {
            const check = () => {
              if (current.queue.length < count) return;
              clearTimeout(timer);
              current.wake.delete(check);
              resolve();
            };
            const timer = setTimeout(() => {
              current.wake.delete(check);
              reject(new Error(`only ${current.queue.length} of ${count} messages arrived (held) within ${timeoutMs} ms`));
            }, timeoutMs);
            current.wake.add(check);
            check();
          });
        },
        release() {
          if (hold === current) hold = null;
          for (const answer of current.queue.splice(0)) answer();
        },
      };
    },
    waitForMessages(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(messages.slice(0, count));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`only ${messages.length} of ${count} messages arrived within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------- SSHD

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
  /** As `ssh-keygen -lf` prints it: "SHA256:…" (base64, no padding) */
  hostKeySha256: string;
  /** Writable by the test user, empty at start */
  inboxDir: string;
  /** Exists, owned by root, not writable by the test user */
  readOnlyDir: string;
  /** sftp://user@host:port + dir */
  url(dir: string): string;
  /** Creates `inboxDir/name`, owned by the test user, and returns its path */
  makeDir(name: string): Promise<string>;
  /** Kills the per-connection sshd processes: every client sees its connection drop */
  dropConnections(): Promise<void>;
  /** What sshd has logged (LogLevel VERBOSE: every connection and login attempt), its last 20 kB */
  serverLog(): string;
  /** Stops the server (established sessions keep running until their clients close them) */
  stop(): Promise<void>;
}

export interface SshdOptions {
  user?: string;
  password?: string;
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
  const { stdout: fingerprintLine } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`]);
  const hostKeySha256 = fingerprintLine.split(' ')[1] ?? '';

  const inboxDir = join(dir, 'inbox');
  const readOnlyDir = join(dir, 'readonly');
  await mkdir(inboxDir);
  await mkdir(readOnlyDir, { mode: 0o755 });
  await chown(inboxDir, uid, gid);

  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const port = await findFreePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'UsePAM no',
      'Subsystem sftp internal-sftp',
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
  await run(SSHD, ['-t', '-f', config]).catch((e: unknown) => {
    throw new Error(`sshd rejected its config: ${stderrOf(e)}`);
  });

  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log = (log + chunk).slice(-20_000);
  });
  await waitForBanner(port, child, () => log);

  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    privateKeyPath: clientKey,
    unauthorizedKeyPath: strangerKey,
    hostKeySha256,
    inboxDir,
    readOnlyDir,
    url: (path) => `sftp://${user}@127.0.0.1:${port}${path}`,
    async makeDir(name) {
      const path = join(inboxDir, name);
      await mkdir(path);
      await chown(path, uid, gid);
      return path;
    },
    serverLog: () => log,
    async dropConnections() {
      // monitor → session → internal-sftp: each holds the socket, so the whole tree goes
      for (const pid of await descendantsOf(child.pid ?? 0)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch (err) {
          // A child may already have gone with its parent
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP port nothing listens on (at the moment of asking) */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
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

async function descendantsOf(pid: number): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-P', String(pid)]).catch(() => ({ stdout: '' }));
  const children = stdout.split(/\s+/).filter(Boolean).map(Number);
  const grandchildren = await Promise.all(children.map(descendantsOf));
  return [...grandchildren.flat(), ...children];
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
  if (typeof e === 'object' && e !== null && 'stderr' in e) return String((e as { stderr: unknown }).stderr);
  return String(e);
}
