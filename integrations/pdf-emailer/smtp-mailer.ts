/** The Mailer over SMTP: one nodemailer pool, kept open across deliveries. */
import nodemailer from 'nodemailer';
import { AppError } from '../../src/domain/errors.js';
import { classifySmtpError, type SmtpTimeouts } from './classify-smtp-error.js';
import type { Mailer } from './mailer.js';
import { toNodemailerMessage } from './to-nodemailer.js';

export interface SmtpMailerOptions {
  /** Parallel SMTP connections; default 5 */
  maxConnections?: number;
  /** Connect and greeting limit each, default 15 s; a server may be silent four times as long mid-session */
  timeoutMs?: number;
}

/** `smtp://[user:pass@]host:port` (STARTTLS when offered) or `smtps://…` (TLS from the start) */
export function createSmtpMailer(smtpUrl: string, options: SmtpMailerOptions = {}): Mailer {
  const url = parseSmtpUrl(smtpUrl);
  const timeoutMs = options.timeoutMs ?? 15_000;
  // A server that stalls ends as a retryable timeout, never a hang: before its greeting after greetingMs,
  // at any later point (mid-DATA too) after socketMs without a byte
  const timeouts: SmtpTimeouts = { connectionMs: timeoutMs, greetingMs: timeoutMs, socketMs: timeoutMs * 4 };
  const transport = nodemailer.createTransport({
    pool: true,
    // default is 100 per connection, then a reconnect; invoices go out in bursts, keep the connection
    maxMessages: Infinity,
    maxConnections: options.maxConnections ?? 5,
    host: url.hostname,
    port: url.port === '' ? (url.protocol === 'smtps:' ? 465 : 25) : Number(url.port),
    secure: url.protocol === 'smtps:',
    ...(url.username === '' ? {} : { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }),
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  let closed = false;
  return {
    async send(message) {
      try {
        const info = await transport.sendMail(toNodemailerMessage(message));
        return { messageId: info.messageId, response: info.response, rejected: info.rejected ?? [] };
      } catch (error) {
        throw classifySmtpError(error, timeouts);
      }
    },
    close() {
      if (!closed) transport.close();
      closed = true;
      return Promise.resolve();
    },
  };
}

function parseSmtpUrl(smtpUrl: string): URL {
  let url: URL | null = null;
  try {
    url = new URL(smtpUrl);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '') {
    throw new AppError('INPUT', `invalid SMTP URL "${smtpUrl.replace(/\/\/[^@/]*@/, '//…@')}": use smtp://host:port`);
  }
  return url;
}
