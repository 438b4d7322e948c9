/** Time is an input: business code asks a Clock, never `Date.now()`. */
export interface Clock {
  /** Epoch milliseconds */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const fixedClock = (at: number): Clock => ({ now: () => at });
