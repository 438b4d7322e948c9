/**
 * The configured values that must never be printed: the passwords in DATABASE_URL and SMTP_URL, and every
 * `OMS_SECRET_*` variable (SFTP passwords). The logger and error reports blank them out wherever they occur.
 */
import { SECRET_ENV_PREFIX } from './operator-policy.js';

function urlPassword(url: string | undefined): string[] {
  if (!url) return [];
  // The raw (percent-encoded) form as written, and the decoded one as the drivers send it
  const raw = /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:([^@]*)@/i.exec(url)?.[1];
  if (!raw) return [];
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // a malformed escape: the raw form is all there is
  }
  return [raw, decoded];
}

export function collectSecretValues(env: Record<string, string | undefined>): string[] {
  const values = [...urlPassword(env.DATABASE_URL), ...urlPassword(env.SMTP_URL)];
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(SECRET_ENV_PREFIX) && value) values.push(value);
  }
  return [...new Set(values.filter((v) => v !== ''))];
}
