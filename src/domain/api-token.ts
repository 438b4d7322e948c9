/**
 * API tokens (SPEC §7). A token is shown once, when it is created; only its SHA-256 is stored, so a
 * copy of the database does not hand out working tokens. A token may expire, and records when it was
 * last used, at most once per `LAST_USED_RESOLUTION_MS`.
 */
import { createHash, randomBytes } from 'node:crypto';

/** How finely the last use of a token is recorded: at most one write per token and minute */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** The longest lifetime `--expires-in` accepts: ten years */
const MAX_LIFETIME_MS = 3650 * 86_400_000;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** 32 random bytes, base64url, with a prefix that makes a leaked token easy to recognise. */
export function generateApiToken(): string {
  return `oms_${randomBytes(32).toString('base64url')}`;
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** `90d`, `12h`, `30m`, `2w` → milliseconds; null when the text is not such a lifetime (or longer than ten years). */
export function parseTokenLifetime(text: string): number | null {
  const m = /^([1-9][0-9]{0,5})([mhdw])$/.exec(text);
  if (!m) return null;
  const lifetime = Number(m[1]) * UNIT_MS[m[2]!]!;
  return lifetime <= MAX_LIFETIME_MS ? lifetime : null;
}

/** A token stops working at its expiry instant. */
export const isTokenExpired = (expiresAt: number | null, now: number): boolean => expiresAt !== null && now >= expiresAt;
