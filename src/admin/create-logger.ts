/**
 * The process's logger: pino JSON lines on standard error, with secrets kept out at every level. Fields that
 * hold credentials by name are censored (pino's redaction); every line is then passed through
 * `redactSecrets`, which catches what a field name cannot: a password inside a URL in an error message, a
 * private key, an API token, or a configured secret value wherever it appears.
 */
import { pino, type Logger } from 'pino';
import type { Config } from '../../config/index.js';
import { REDACTED, redactSecrets } from '../domain/redact-secrets.js';

const CENSORED_FIELDS = [
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'password',
  '*.password',
  'pass',
  '*.pass',
  'privateKey',
  '*.privateKey',
  'secret',
  '*.secret',
];

export function createLogger(config: Pick<Config, 'logLevel' | 'secrets'>, write: (line: string) => unknown): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'oms-invoicing' },
      redact: { paths: CENSORED_FIELDS, censor: REDACTED },
      hooks: { streamWrite: (line) => redactSecrets(line, config.secrets) },
    },
    { write: (line: string) => write(line) },
  );
}
