/**
 * Blanks out secrets in text that leaves the process (log lines, error messages, answers): the password of
 * any `scheme://user:password@` URL, PEM and OpenSSH private keys, API tokens, and the configured secret
 * values themselves (also as they appear inside JSON strings and URLs).
 */

export const REDACTED = '[redacted]';

/** user:password@ in a URL; the password stops at white space, `@` and quotes (the end of a JSON string) */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/"'\\]*):[^\s@"']*@/gi;
const PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;
/** As domain/api-token.ts makes them: `oms_` and 43 base64url characters */
const API_TOKEN = /\boms_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;

export function redactSecrets(text: string, knownSecrets: readonly string[] = []): string {
  let out = text.replace(URL_PASSWORD, `$1:${REDACTED}@`).replace(PRIVATE_KEY, `[redacted private key]`).replace(API_TOKEN, `oms_${REDACTED}`);
  for (const secret of knownSecrets) {
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])) {
      if (form !== '' && out.includes(form)) out = out.split(form).join(REDACTED);
    }
  }
  return out;
}

/** A URL as it may be shown: without the password of its user part (`smtps://user:[redacted]@host`). */
export const redactUrl = (url: string): string => url.replace(URL_PASSWORD, `$1:${REDACTED}@`);
