/**
 * The suite's processes: the real binary (bin/oms-invoicing.js) started with the suite's environment,
 * its output kept in the work folder, its end recorded (exit code, or the signal that killed it).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const binPath = path.join(projectRoot, 'bin', 'oms-invoicing.js');

/** `worker --once`, the long-running `worker`, a manual `run --as`, a `load`, `serve`, or a step of the setup or the settling */
export type ProcessKind = 'worker --once' | 'worker' | 'run --as' | 'load' | 'serve' | 'setup' | 'settle';

export interface ChaosProcess {
  id: number;
  kind: ProcessKind;
  args: string[];
  pid: number;
  startedAt: number;
  /** Set once it has ended */
  endedAt: number | null;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Killed by the suite: a chaos kill, or because it hung */
  killed: 'chaos' | 'hung' | null;
  /** When the suite sent SIGKILL */
  killedAt: number | null;
  /** Asked to stop (SIGTERM) by the suite */
  stopped: boolean;
  stdout: string;
  /** The end of its standard error (the full log is in the work folder) */
  stderrTail: string;
  ended: Promise<void>;
}

export interface ProcessPool {
  start(kind: ProcessKind, args: string[], env?: Record<string, string>): ChaosProcess;
  /** Processes still running, oldest first */
  live(): ChaosProcess[];
  all(): ChaosProcess[];
  /** SIGKILL, unless it has ended already; resolves once it has ended. Returns whether it was still running */
  kill(p: ChaosProcess, why: 'chaos' | 'hung'): Promise<boolean>;
  /** SIGTERM; resolves once it has ended, or after `ms` */
  stop(p: ChaosProcess, ms: number): Promise<void>;
}

export function createProcessPool(env: Record<string, string>, logDir: string): ProcessPool {
  fs.mkdirSync(logDir, { recursive: true });
  const processes: ChaosProcess[] = [];
  return {
    start(kind, args, extraEnv = {}) {
      const id = processes.length + 1;
      const log = fs.createWriteStream(path.join(logDir, `${String(id).padStart(5, '0')} ${kind.replace(/\W+/g, '-')}.log`));
      log.write(`$ oms-invoicing ${args.join(' ')}\n`);
      const child = spawn(process.execPath, [binPath, ...args], {
        cwd: projectRoot,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const p: ChaosProcess = {
        id,
        kind,
        args,
        pid: child.pid ?? -1,
        startedAt: Date.now(),
        endedAt: null,
        code: null,
        signal: null,
        killed: null,
        killedAt: null,
        stopped: false,
        stdout: '',
        stderrTail: '',
        ended: Promise.resolve(),
      };
      child.stdout.on('data', (d: Buffer) => {
        p.stdout += d.toString();
        log.write(d);
      });
      child.stderr.on('data', (d: Buffer) => {
        p.stderrTail = (p.stderrTail + d.toString()).slice(-4000);
        log.write(d);
      });
      p.ended = new Promise<void>((resolve) => {
        child.once('close', (code, signal) => {
          p.endedAt = Date.now();
          p.code = code;
          p.signal = signal;
          log.end(`\n[ended: ${signal ?? `exit ${code}`}${p.killed ? `, killed (${p.killed})` : ''}]\n`);
          resolve();
        });
        child.once('error', (err) => {
          p.endedAt = Date.now();
          p.code = -1;
          p.stderrTail += `\ncould not start: ${err.message}`;
          log.end();
          resolve();
        });
      });
      processes.push(p);
      return p;
    },
    live: () => processes.filter((p) => p.endedAt === null),
    all: () => processes,
    async kill(p, why) {
      if (p.endedAt !== null) return false;
      p.killed = why;
      p.killedAt = Date.now();
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // it ended meanwhile
      }
      await p.ended;
      // It may have ended by itself just before
      if (p.signal !== 'SIGKILL') p.killed = null;
      return p.killed !== null;
    },
    async stop(p, ms) {
      if (p.endedAt !== null) return;
      p.stopped = true;
      process.kill(p.pid, 'SIGTERM');
      await Promise.race([p.ended, new Promise((r) => setTimeout(r, ms).unref())]);
    },
  };
}
