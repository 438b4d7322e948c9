/**
 * The long-running worker: a node-cron task ticks every minute (no overlap: a tick still running when
 * the next minute comes makes that minute's tick wait for the next one). SIGTERM/SIGINT stop it:
 * no new integration is claimed, runs in flight finish, leases are released, and it exits 0.
 */
import cron from 'node-cron';
import type { Logger } from 'pino';
import { runTick, type TickDeps, type TickReport } from './tick.js';

export interface WorkerHandle {
  /** Resolves once the worker has stopped (after a signal or stop()) */
  stopped: Promise<void>;
  stop(): void;
}

export function startWorker(deps: Omit<TickDeps, 'stopping'>, log: Logger, onTick?: (r: TickReport) => void): WorkerHandle {
  let stopping = false;
  let inFlight: Promise<unknown> = Promise.resolve();
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  const tickDeps: TickDeps = { ...deps, stopping: () => stopping };

  let running = false;
  const tick = () => {
    if (stopping) return;
    // One tick at a time: the first tick below is started outside node-cron, so its noOverlap does not
    // see it; a minute that comes while a tick runs is skipped (and `inFlight` stays the tick to wait for)
    if (running) {
      log.debug('previous tick still running; this minute is skipped');
      return inFlight;
    }
    running = true;
    inFlight = runTick(tickDeps, deps.clock.now())
      .then((report) => onTick?.(report))
      .catch((err: unknown) => log.error({ err }, 'tick failed'))
      .finally(() => {
        running = false;
      });
    return inFlight;
  };
  // node-cron's own logger prints coloured warnings on the console (skipped overlaps, missed minutes):
  // route them into the structured log instead
  const cronLog = {
    info: (message: string) => log.debug({ source: 'node-cron' }, message),
    warn: (message: string) => log.debug({ source: 'node-cron' }, message),
    error: (message: string | Error, err?: Error) =>
      log.error({ source: 'node-cron', err: err ?? message }, typeof message === 'string' ? message : message.message),
    debug: (message: string | Error) => log.debug({ source: 'node-cron' }, String(message)),
  };
  const task = cron.schedule('* * * * *', tick, { name: 'oms-invoicing-tick', noOverlap: true, logger: cronLog });
  log.info({ workerId: deps.workerId, concurrency: deps.concurrency }, 'worker started; ticking every minute');
  // The first tick runs now rather than up to a minute later
  void tick();

  const stop = () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping: finishing runs in flight');
    void task.stop();
    void inFlight.finally(() => {
      log.info('worker stopped');
      resolveStopped();
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return { stopped, stop };
}
