/**
 * API tokens (SPEC §7). A token is shown once, when it is created; only its SHA-256 is stored, so a
 * copy of the database does not hand out working tokens.
 */
import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes, base64url, with a prefix that makes a leaked token easy to recognise. */
export function generateApiToken(): string {
  return `oms_${randomBytes(32).toString('base64url')}`;
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
