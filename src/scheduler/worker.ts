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

  const tick = () => {
    if (stopping) return;
    inFlight = runTick(tickDeps, deps.clock.now())
      .then((report) => onTick?.(report))
      .catch((err: unknown) => log.error({ err }, 'tick failed'));
    return inFlight;
  };
  const task = cron.schedule('* * * * *', tick, { name: 'oms-invoicing-tick', noOverlap: true });
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
