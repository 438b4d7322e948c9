/**
 * A real SMTP server on loopback for the tests and the benchmarks: the `smtp-server` package, in-process,
 * no TLS, optional AUTH, and faults on demand at any stage of a session.
 *
 *   const smtp = await startSmtpServer();
 *   smtp.messages                         // envelopes + raw RFC 5322 bytes, in arrival order
 *   smtp.failNext(2)                      // the next 2 messages get "451 …" after DATA
 *   smtp.failNext(1, 421, { at: 'connect', text: 'Too busy' })   // the next connection is greeted with 421
 *   smtp.stallNext(1, 'connect')          // the next connection is accepted and never greeted
 *   smtp.stallNext(1, 'data')             // the next message stops being read in the middle of DATA
 *   smtp.dropNext(1, 'data')              // the next message's connection is closed in the middle of DATA
 *   const hold = smtp.holdReplies()       // messages arrive but get no answer until hold.release()
 *   smtp.clearFaults()                    // faults queued and not yet struck are dropped
 *   await smtp.stop()                     // now the port refuses connections
 */
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  envelope: { mailFrom: string; rcptTo: string[] };
  /** The message as received (empty when the server was started with `keepRaw: false`) */
  raw: Buffer;
  size: number;
  /** When the server answered 250 (ms since the epoch) */
  acceptedAt: number;
  /** The client's TCP port: tells which process sent it */
  clientPort: number;
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

/**
 * Where a fault strikes: `connect` before the greeting, `mail` at MAIL FROM, `rcpt` at each RCPT TO,
 * `data` after the whole message (a reply) or in the middle of its bytes (a stall or a drop).
 */
export type SmtpStage = 'connect' | 'mail' | 'rcpt' | 'data';

export interface TestSmtpServer {
  host: string;
  port: number;
  /** smtp://127.0.0.1:PORT */
  url: string;
  /** Accepted messages (answered 250), in order */
  messages: ReceivedMail[];
  /** Answers `code` (default 451, "try again later") with `text` at `at` (default `data`) the next `count` times */
  failNext(count: number, code?: number, options?: { at?: SmtpStage; text?: string }): void;
  /** Says nothing more the next `count` times `at` is reached: at `data`, stops reading after the first bytes */
  stallNext(count: number, at: SmtpStage): void;
  /** Closes the connection the next `count` times `at` is reached: at `data`, after the first bytes */
  dropNext(count: number, at: SmtpStage): void;
  /** Holds the answer to every message from now on until `release()` */
  holdReplies(): HeldReplies;
  /** Drops the faults queued by failNext, stallNext and dropNext that have not struck yet */
  clearFaults(): void;
  /** Resolves once `count` messages have been accepted in total */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** How many connections the server has accepted so far */
  readonly connections: number;
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
  /**
   * Called for each new connection with the client's port, before the greeting; the greeting waits for
   * the returned promise (so that a test can find the connecting process while it is surely alive)
   */
  beforeGreeting?: (clientPort: number) => Promise<void> | void;
}

type Fault = { kind: 'reply'; code: number; text: string } | { kind: 'stall' } | { kind: 'drop' };

const DEFAULT_TEXT = (code: number) => (code >= 500 ? 'Rejected by test server' : 'Try again later (test server)');

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const faults: Record<SmtpStage, Fault[]> = { connect: [], mail: [], rcpt: [], data: [] };
  const waiters = new Set<() => void>();
  const closedSessions = new Set<string>();
  const sockets = new Map<number, Socket>();
  let connections = 0;
  let hold: { queue: Array<() => void>; wake: Set<() => void> } | null = null;
  const keepRaw = options.keepRaw ?? true;

  /** Applies the next fault queued for `stage`, if any; true when it took over the callback */
  const strike = (stage: SmtpStage, session: SMTPServerSession, callback: (err?: Error | null) => void): boolean => {
    const fault = faults[stage].shift();
    if (!fault) return false;
    if (fault.kind === 'reply') callback(Object.assign(new Error(fault.text), { responseCode: fault.code }));
    else if (fault.kind === 'drop') sockets.get(session.remotePort)?.destroy();
    // a stall never calls back
    return true;
  };

  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 100,
    size: 50 * 1024 * 1024,
    onConnect(session, callback) {
      const greet = () => {
        if (!strike('connect', session, callback)) callback();
      };
      const before = options.beforeGreeting?.(session.remotePort);
      if (before) void before.then(greet, greet);
      else greet();
    },
    onAuth(auth, _session, callback) {
      const ok = options.auth && auth.username === options.auth.user && auth.password === options.auth.password;
      if (ok) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onMailFrom(_address, session, callback) {
      if (!strike('mail', session, callback)) callback();
    },
    onRcptTo(address, session, callback) {
      if (strike('rcpt', session, callback)) return;
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
      const next = faults.data[0];
      // a stall or a drop strikes in the middle of the message, a reply after all of it
      const midData = next !== undefined && next.kind !== 'reply' ? faults.data.shift() : undefined;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (keepRaw) chunks.push(chunk);
        if (midData?.kind === 'drop') sockets.get(session.remotePort)?.destroy();
        if (midData?.kind === 'stall') stream.pause();
      });
      stream.on('error', () => undefined); // the client went away mid-message
      stream.on('end', () => {
        if (midData) return;
        const answer = () => {
          if (strike('data', session, callback)) return;
          const from = session.envelope.mailFrom;
          const mail: ReceivedMail = {
            envelope: {
              mailFrom: from ? from.address : '',
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
            },
            raw: Buffer.concat(chunks),
            size,
            acceptedAt: 0,
            clientPort: session.remotePort,
          };
          messages.push(mail);
          for (const wake of waiters) wake();
          mail.acceptedAt = Date.now();
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

  // The raw sockets, by the client's port (the session knows it), so that a fault can cut one
  server.server.on('connection', (socket: Socket) => {
    connections += 1;
    const port = socket.remotePort ?? 0;
    sockets.set(port, socket);
    socket.once('close', () => {
      if (sockets.get(port) === socket) sockets.delete(port);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined); // client resets after stop() are expected
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const queue = (stage: SmtpStage, count: number, fault: Fault) => {
    for (let i = 0; i < count; i += 1) faults[stage].push(fault);
  };

  return {
    host: '127.0.0.1',
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    get connections() {
      return connections;
    },
    failNext(count, code = 451, { at = 'data', text = DEFAULT_TEXT(code) } = {}) {
      queue(at, count, { kind: 'reply', code, text });
    },
    stallNext(count, at) {
      queue(at, count, { kind: 'stall' });
    },
    dropNext(count, at) {
      queue(at, count, { kind: 'drop' });
    },
    clearFaults() {
      for (const stage of Object.keys(faults) as SmtpStage[]) faults[stage] = [];
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
