import { createEmlFileMailer } from './eml-file-mailer.js';
import type { Mailer } from './mailer.js';
import { createSmtpMailer, type SmtpMailerOptions } from './smtp-mailer.js';

/** SMTP when a URL is configured (SMTP_URL), else .eml files in `outboxDir` (SPEC §5). */
export function createMailer(config: { smtpUrl: string | null; outboxDir: string } & SmtpMailerOptions): Mailer {
  const { smtpUrl, outboxDir, ...options } = config;
  return smtpUrl ? createSmtpMailer(smtpUrl, options) : createEmlFileMailer(outboxDir);
}
