/**
 * Seeded pseudo-random choices (mulberry32): the same seed makes the same choices, so a run of the chaos
 * suite can be repeated. (What the choices then meet, the timing of real processes, varies.)
 */
export interface Random {
  /** In [0, 1) */
  next(): number;
  /** A whole number in [min, max] */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('nothing to pick from');
      return items[Math.floor(next() * items.length)]!;
    },
    chance: (probability) => next() < probability,
  };
}

/** The generator for one part of the run (a round): its choices do not depend on how many other parts drew */
export function randomFor(seed: number, part: number): Random {
  return createRandom(Math.imul(seed, 0x9e3779b1) ^ Math.imul(part + 1, 0x85ebca6b));
}
