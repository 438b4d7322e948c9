export { classifySmtpError } from './classify-smtp-error.js';
export { composeInvoiceEmail, escapeHtml, headerText, parseAddressList, type InvoiceEmailSettings } from './compose-invoice-email.js';
export { createMailer } from './create-mailer.js';
export { createEmlFileMailer } from './eml-file-mailer.js';
export type { MailAttachment, Mailer, MailMessage, MailReceipt } from './mailer.js';
export { createPdfEmailerDriver, type PdfEmailerDriverDeps, type PdfEmailerSettings } from './pdf-emailer-driver.js';
export { createSmtpMailer, type SmtpMailerOptions } from './smtp-mailer.js';
