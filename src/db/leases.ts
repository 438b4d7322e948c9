/**
 * Leases and claims held in the database (the scheduler's integration leases, the outbox's delivery
 * claims) are kept alive the same way while their holder works: renewed every third of their length, one
 * renewal at a time.
 */

export interface Renewal {
  stop(): void;
}

/**
 * Calls `renew` every third of `lengthMs` (at least every 100 ms) until stopped. A renewal still running
 * (waiting for a lock, say) is not stacked up behind; the timer does not keep the process alive. `renew`
 * reports its own failures: a lease that could not be renewed may run out, and the caller says what then.
 */
export function renewEvery(lengthMs: number, renew: () => Promise<void>): Renewal {
  let renewing = false;
  const timer = setInterval(
    () => {
      if (renewing) return;
      renewing = true;
      void renew().finally(() => (renewing = false));
    },
    Math.max(100, lengthMs / 3),
  );
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
