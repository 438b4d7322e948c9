/**
 * Typed errors. Every error the program reports on purpose is an AppError with a code; the CLI maps
 * codes to exit statuses (input → 2, delivery → 1, anything else → 3).
 */
export type ErrorCode =
  | 'INPUT' // bad input or usage: the user can fix it; nothing was written
  | 'NOT_FOUND' // a named thing does not exist (reported like input errors)
  | 'CONFLICT' // the request contradicts stored state (e.g. editing an invoiced order)
  | 'UNAUTHORIZED' // the HTTP API: no API token, or one that is not known, expired or revoked
  | 'FORBIDDEN' // the HTTP API: a field this token may not set (only an admin token may)
  | 'DELIVERY' // an artefact could not be delivered
  | 'INTERNAL';

export interface Problem {
  /** JSON path of the offending value, e.g. `orders[3].items[0].quantity`; empty when none applies */
  path: string;
  message: string;
  /** The file the value came from, when input came from files */
  file?: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly problems: Problem[];
  /** Whether trying the same thing again later may succeed (delivery back-off uses this) */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { problems?: Problem[]; retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.problems = options.problems ?? [];
    this.retryable = options.retryable ?? false;
  }
}

/** An input error listing every problem found, each with its JSON path. */
export function inputError(problems: Problem[], summary?: string): AppError {
  const message = summary ?? problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('\n');
  return new AppError('INPUT', message, { problems });
}

/** A delivery failure: `retryable` says whether the outbox should try again after a back-off. */
export class DeliveryError extends AppError {
  constructor(message: string, retryable: boolean, cause?: unknown) {
    super('DELIVERY', message, { retryable, cause });
    this.name = 'DeliveryError';
  }
}
