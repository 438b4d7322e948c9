/**
 * `npm run chaos -- [--kills N] [--seed N] [--json] [--keep]`: how many SIGKILLs the rounds deal, the seed
 * of every random choice, machine-readable output, and whether to keep the work folder (logs of every
 * process) when everything passed.
 */
export interface ChaosOptions {
  kills: number;
  seed: number;
  json: boolean;
  keep: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const USAGE = 'usage: npm run chaos -- [--kills N] [--seed N] [--json] [--keep]';

export function parseChaosOptions(argv: readonly string[]): ChaosOptions {
  const options: ChaosOptions = { kills: 200, seed: 1, json: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') options.json = true;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--kills' || arg === '--seed') {
      const value = argv[++i];
      if (value === undefined || !/^\d{1,9}$/.test(value))
        throw new UsageError(`${arg}: must be a whole number, got ${value === undefined ? 'nothing' : `"${value}"`}\n${USAGE}`);
      if (arg === '--kills') {
        if (Number(value) < 1) throw new UsageError(`--kills: must be at least 1\n${USAGE}`);
        options.kills = Number(value);
      } else options.seed = Number(value);
    } else throw new UsageError(`unknown argument "${arg}"\n${USAGE}`);
  }
  return options;
}
