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

/** The limits the transport was given, to name the one a timeout ran into */
export interface SmtpTimeouts {
  connectionMs: number;
  greetingMs: number;
  socketMs: number;
}

/**
 * An SMTP reply code decides when there is one (4xx: try later; 5xx: rejected for good), and the
 * message quotes the server's reply; otherwise connection errors and timeouts are retryable and
 * configuration/auth errors are not. Unknown errors are retryable: the outbox's back-off bounds the
 * attempts, and a transient fault must not lose an invoice.
 */
export function classifySmtpError(error: unknown, timeouts?: SmtpTimeouts): DeliveryError {
  const { code, responseCode, response, command, timeoutType, message } = fieldsOf(error);
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 600) {
    // the reply as the server wrote it (without its code, which comes first), not nodemailer's wrapping
    const words = response?.replace(/^\d{3}[ -]?/, '').trim() || message;
    return new DeliveryError(`SMTP server replied ${responseCode}${stageOf(command)}: ${words}`, responseCode < 500, error);
  }
  if (code === 'ETIMEDOUT' && timeoutType) {
    return new DeliveryError(`SMTP connection failed (ETIMEDOUT): ${describeTimeout(timeoutType, timeouts) ?? message}`, true, error);
  }
  if (code && CONNECTION_CODES.has(code)) return new DeliveryError(`SMTP connection failed (${code}): ${message}`, true, error);
  if (code && PERMANENT_CODES.has(code)) return new DeliveryError(`SMTP delivery refused (${code}): ${message}`, false, error);
  return new DeliveryError(`SMTP delivery failed${code ? ` (${code})` : ''}: ${message}`, true, error);
}

/** Where in the session the server answered; nothing for the usual place, after the message (DATA) */
function stageOf(command: string | undefined): string {
  if (command === undefined || command === 'DATA') return '';
  return command === 'CONN' ? ' on connecting' : ` to ${command}`;
}

/** nodemailer's timeoutType → which limit ran out, and how long it was */
function describeTimeout(timeoutType: string, timeouts: SmtpTimeouts | undefined): string | undefined {
  const within = (ms: number | undefined, option: string) => (ms === undefined ? `(${option})` : `within ${ms} ms (${option})`);
  switch (timeoutType) {
    case 'CONNECT_TIMEOUT':
      return `could not connect ${within(timeouts?.connectionMs, 'connectionTimeout')}`;
    case 'GREETING_TIMEOUT':
      return `the server sent no greeting ${within(timeouts?.greetingMs, 'greetingTimeout')}`;
    case 'UPGRADE_TIMEOUT':
      return `the TLS handshake did not finish ${within(timeouts?.greetingMs, 'greetingTimeout')}`;
    case 'SOCKET_TIMEOUT':
      return `the server went silent: no reply ${within(timeouts?.socketMs, 'socketTimeout')}`;
    default:
      return undefined;
  }
}

interface SmtpErrorFields {
  code: string | undefined;
  responseCode: number | undefined;
  response: string | undefined;
  command: string | undefined;
  timeoutType: string | undefined;
  message: string;
}

function fieldsOf(error: unknown): SmtpErrorFields {
  // Anything may be thrown: what is not an object has none of these fields
  const e: Record<string, unknown> = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    code: text(e.code),
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    response: text(e.response),
    command: text(e.command),
    timeoutType: text(e.timeoutType),
    // A server or library message may quote a URL with its credentials
    message: redactUrl(text(e.message) ?? String(error)),
  };
}
