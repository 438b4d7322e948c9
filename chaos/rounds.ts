/**
 * The rounds: each round (two to five seconds) starts scheduler ticks (`worker --once --at` the round's
 * hour, so every integration is due), maybe a manual run (`run --as`) and a load of new orders, keeps a
 * long-running `worker` alive, maybe asks `serve` for a manual run, and meanwhile kills one to three of
 * the processes still running (SIGKILL) and injects one fault, each at a random moment. Processes outlive
 * their round; one still running after HANG_MS is killed and counted as hung. Rounds go on until the
 * requested number of kills has been dealt.
 */
import fs from 'node:fs';
import path from 'node:path';
import { orderBatch, USERS, DROPSHIPS, type OrderRef } from './dataset.js';
import { FAULTS, type Fault, type FaultTarget } from './faults.js';
import type { ChaosProcess, ProcessKind, ProcessPool } from './processes.js';
import { randomFor, type Random } from './random.js';
import type { ChaosSite } from './site.js';

/** A process running longer than this is hung (every timeout of the program is far shorter) */
export const HANG_MS = 240_000;
/** No new process is started while this many run */
const MAX_LIVE = 8;
const HOUR = 3600_000;

export interface LoadRecord {
  process: ChaosProcess;
  orders: OrderRef[];
}

/** When a fault struck and when it was over (a restart done, a lasting fault ended) */
export interface FaultSpan {
  name: string;
  target: FaultTarget;
  from: number;
  to: number | null;
}

export interface ServeHandle {
  /** Asks for a manual run; resolves with the HTTP status (0: no answer) */
  manualRun(company: string, user: string): Promise<number>;
}

export interface RoundsResult {
  rounds: number;
  kills: number;
  killsByKind: Partial<Record<ProcessKind, number>>;
  faults: Record<string, number>;
  faultTimeline: FaultSpan[];
  loads: LoadRecord[];
  apiRuns: Record<string, number>;
  /** The scheduler time of the last round (the settling ticks come after it) */
  lastAt: number;
}

export interface RoundsContext {
  site: ChaosSite;
  pool: ProcessPool;
  serve: ServeHandle;
  seed: number;
  kills: number;
  /** The scheduler time of round 0 */
  startAt: number;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KILLABLE: readonly ProcessKind[] = ['worker --once', 'worker', 'run --as', 'load'];

/** Faults of one kind at a time (a restart and a kill of connections would step on each other) */
function createFaultRunner(site: ChaosSite, log: (line: string) => void) {
  const busy = new Set<FaultTarget>();
  const ends: Array<() => Promise<void>> = [];
  const inFlight = new Set<Promise<void>>();
  const counts: Record<string, number> = {};
  const timeline: FaultSpan[] = [];
  return {
    counts,
    timeline,
    /** Injects the fault unless one on the same target is under way; it lasts `durationMs` if it lasts */
    inject(fault: Fault, random: Random, durationMs: number): void {
      if (busy.has(fault.target)) return;
      busy.add(fault.target);
      counts[fault.name] = (counts[fault.name] ?? 0) + 1;
      log(`fault: ${fault.name}`);
      const span: FaultSpan = { name: fault.name, target: fault.target, from: Date.now(), to: null };
      timeline.push(span);
      const task = (async () => {
        try {
          const end = await fault.inject(site, random);
          if (end) {
            let ended = false;
            const once = async () => {
              if (ended) return;
              ended = true;
              await end();
            };
            ends.push(once);
            await sleep(durationMs);
            await once();
          }
        } catch (err) {
          log(`fault ${fault.name} failed to strike: ${(err as Error).message}`);
        } finally {
          span.to = Date.now();
          busy.delete(fault.target);
        }
      })();
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    },
    /** Ends every lasting fault now and waits for faults under way (a restart) to finish */
    async endAll(): Promise<void> {
      for (const end of ends.splice(0)) await end();
      await Promise.all([...inFlight]);
    },
  };
}

export async function runRounds(ctx: RoundsContext): Promise<RoundsResult> {
  const { site, pool, log } = ctx;
  const loadDir = path.join(site.dir, 'loads');
  fs.mkdirSync(loadDir, { recursive: true });
  const faults = createFaultRunner(site, log);
  const result: RoundsResult = {
    rounds: 0,
    kills: 0,
    killsByKind: {},
    faults: faults.counts,
    faultTimeline: faults.timeline,
    loads: [],
    apiRuns: {},
    lastAt: ctx.startAt,
  };
  let longWorker: ChaosProcess | null = null;
  const timers = new Set<Promise<void>>();
  const at = (ms: number, action: () => void | Promise<void>) => {
    const t = sleep(ms).then(action);
    timers.add(t);
    void t.finally(() => timers.delete(t));
  };
  const canStart = () => pool.live().length < MAX_LIVE;

  for (let round = 0; result.kills < ctx.kills; round++) {
    const random = randomFor(ctx.seed, round);
    const length = random.int(2000, 5000);
    const roundAt = ctx.startAt + round * HOUR;
    result.rounds = round + 1;
    result.lastAt = roundAt;

    // What starts this round
    if (!longWorker || longWorker.endedAt !== null) longWorker = pool.start('worker', ['worker', '--json']);
    for (let i = 0; i < 2; i++) {
      at(
        random.int(0, length / 2),
        () => void (canStart() && pool.start('worker --once', ['worker', '--once', '--at', new Date(roundAt).toISOString(), '--json'])),
      );
    }
    if (random.chance(0.6)) {
      const company = random.pick(DROPSHIPS).code;
      const user = random.pick(USERS);
      at(random.int(0, length), () => void (canStart() && pool.start('run --as', ['run', '--company', company, '--as', user, '--json'])));
    }
    for (let l = 0; l < 2; l++) {
      if (!random.chance(l === 0 ? 0.9 : 0.4)) continue;
      const batch = orderBatch(random, `R${round}L${l}`, random.int(4, 16), Date.now());
      const file = path.join(loadDir, `round-${round}-${l}.json`);
      fs.writeFileSync(file, JSON.stringify(batch.doc));
      at(random.int(0, length), () => {
        if (canStart()) result.loads.push({ process: pool.start('load', ['load', '--json', file]), orders: batch.orders });
      });
    }
    if (random.chance(0.3)) {
      const company = random.pick(DROPSHIPS).code;
      const user = random.pick(USERS);
      at(random.int(0, length), async () => {
        const status = String(await ctx.serve.manualRun(company, user));
        result.apiRuns[status] = (result.apiRuns[status] ?? 0) + 1;
      });
    }

    // Kills, at random moments, of whichever of the suite's processes are running then
    const kills = Math.min(random.int(1, 3), ctx.kills - result.kills);
    for (let k = 0; k < kills; k++) {
      const choice = random.next();
      at(random.int(200, length), async () => {
        const candidates = pool.live().filter((p) => KILLABLE.includes(p.kind));
        if (candidates.length === 0 || result.kills >= ctx.kills) return;
        const victim = candidates[Math.floor(choice * candidates.length)]!;
        if (await pool.kill(victim, 'chaos')) {
          result.kills++;
          result.killsByKind[victim.kind] = (result.killsByKind[victim.kind] ?? 0) + 1;
        }
      });
    }

    // A fault, at a random moment
    if (random.chance(0.75)) {
      const fault = random.pick(FAULTS);
      const durationMs = random.int(1000, 4000);
      const faultRandom = randomFor(ctx.seed, 1_000_000 + round);
      at(random.int(0, length), () => faults.inject(fault, faultRandom, durationMs));
    }

    await sleep(length);
    for (const p of pool.live()) {
      if (Date.now() - p.startedAt > HANG_MS && p.kind !== 'worker' && p.kind !== 'serve') {
        log(`hung: #${p.id} ${p.kind} running for ${Math.round((Date.now() - p.startedAt) / 1000)} s`);
        await pool.kill(p, 'hung');
      }
    }
    if (round % 10 === 9) log(`round ${round + 1}: ${result.kills} of ${ctx.kills} kills, ${pool.live().length} processes running`);
  }
  await Promise.all([...timers]);
  await faults.endAll();
  return result;
}
