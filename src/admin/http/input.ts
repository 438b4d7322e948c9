/**
 * Parsing request input with zod, the project's one validator: problems carry the JSON path of the
 * field (`items[0].quantity`, `limit`), exactly as `load` reports them.
 */
import { z } from 'zod';
import { CODE } from '../../domain/text-rules.js';
import { schemaInputError } from '../../import/read-import-files.js';

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw schemaInputError(parsed.error);
  return parsed.data;
}

/** A query parameter holding a whole number from `min` to `max`. */
export const wholeNumberParam = (min: number, max: number) =>
  z
    .string({ error: `must be a whole number from ${min} to ${max}, given once` })
    .regex(/^\d{1,15}$/, { error: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { error: `must be a whole number from ${min} to ${max}` });

export const booleanParam = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');

export const codeParam = z.string({ error: 'must be a company code, given once' }).regex(CODE, { error: 'must be a company code (A–Z, 0–9, _ and -)' });

export const MAX_PAGE = 1000;

/** `limit` (default 10, at most 1000) and `offset` (default 0), as in `orders list`. */
export const pageParams = {
  limit: wholeNumberParam(0, MAX_PAGE).optional().default(10),
  offset: wholeNumberParam(0, 1_000_000_000).optional().default(0),
};

/** A route parameter that must be a positive id; anything else names nothing (404). */
export const idParam = (text: string): number | null => (/^[1-9]\d{0,14}$/.test(text) ? Number(text) : null);

/**
 * Request body limits (a larger body is refused with 413 before it is read whole): an order may carry up to
 * 10,000 items with descriptions of up to 1,000 characters, so order routes take up to 16 MiB; settings
 * and run requests are a few hundred bytes, so 64 KiB; anything else 1 MiB.
 */
export const BODY_LIMITS = { default: 1024 * 1024, order: 16 * 1024 * 1024, settings: 64 * 1024 } as const;
