import { DeliveryError } from '../../src/domain/errors.js';
import { redactUrl } from '../../src/domain/redact-secrets.js';

/** Connection-level failures: the message never reached a server that judged it. */
const CONNECTION_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** Our side is wrong (credentials, addresses, message): retrying the same thing cannot help. */
const PERMANENT_CODES = new Set(['EAUTH', 'ENOAUTH', 'EENVELOPE', 'EMESSAGE', 'ECONFIG', 'ETLS']);

/**
 * An SMTP reply code decides when there is one (4xx: try later; 5xx: rejected for good); otherwise
 * connection errors are retryable and configuration/auth errors are not. Unknown errors are retryable:
 * the outbox's back-off bounds the attempts, and a transient fault must not lose an invoice.
 */
export function classifySmtpError(error: unknown): DeliveryError {
  const { code, responseCode, message } = fieldsOf(error);
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 600) {
    return new DeliveryError(`SMTP server replied ${responseCode}: ${message}`, responseCode < 500, error);
  }
  if (code && CONNECTION_CODES.has(code)) return new DeliveryError(`SMTP connection failed (${code}): ${message}`, true, error);
  if (code && PERMANENT_CODES.has(code)) return new DeliveryError(`SMTP delivery refused (${code}): ${message}`, false, error);
  return new DeliveryError(`SMTP delivery failed${code ? ` (${code})` : ''}: ${message}`, true, error);
}

function fieldsOf(error: unknown): { code: string | undefined; responseCode: number | undefined; message: string } {
  if (typeof error !== 'object' || error === null) return { code: undefined, responseCode: undefined, message: String(error) };
  const e = error as { code?: unknown; responseCode?: unknown; message?: unknown };
  return {
    code: typeof e.code === 'string' ? e.code : undefined,
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    // A server or library message may quote a URL with its credentials
    message: redactUrl(typeof e.message === 'string' ? e.message : String(error)),
  };
}
