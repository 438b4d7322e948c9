/**
 * The email that carries a document's PDF, as a pure function of the document. Company names and
 * addresses are user data: every value that reaches a header goes through `headerText` (no CR/LF, no
 * control characters), every value in the HTML body through `escapeHtml`.
 */
import type { BillingDocument } from '../../src/domain/invoice-document.js';
import { DeliveryError } from '../../src/domain/errors.js';
import { safeFileStem } from '../contract.js';
import type { MailMessage } from './mailer.js';

export interface EmailSettings {
  /** One address, or several separated by commas with no spaces */
  emailTo: string;
  /** Comma-separated addresses with no spaces (SPEC §4), or null */
  emailBcc: string | null;
  /** Sender, e.g. "Invoices <invoices@oms.example>" */
  from: string;
}

/** What differs between the emails of an invoice and of a credit note; every value already one line. */
export interface EmailContent {
  subject: string;
  /** The first paragraph, after "Hello," */
  intro: string;
  /** Label and value, one row each */
  facts: Array<[string, string]>;
  /** Left of the number in the Message-ID: "invoice", "credit-note" */
  messageIdPrefix: string;
}

const ADDRESS = /^[^\s@,;<>()"\\[\]]+@[^\s@,;<>()"\\[\]]+$/;

/** The message: the content as plain text and HTML, the PDF attached as NUMBER.pdf, a Message-ID stable per document. */
export function composeEmail(doc: BillingDocument, pdf: Uint8Array, settings: EmailSettings, content: EmailContent): MailMessage {
  const stem = safeFileStem(doc.number);
  const seller = headerText(doc.seller.name);
  const sellerEmail = doc.seller.email?.trim() ?? '';
  const { intro, facts } = content;
  return {
    from: headerText(settings.from),
    to: parseAddressList(settings.emailTo, 'emailTo'),
    bcc: settings.emailBcc ? parseAddressList(settings.emailBcc, 'emailBcc') : [],
    replyTo: ADDRESS.test(sellerEmail) ? sellerEmail : null,
    subject: content.subject,
    text: ['Hello,', '', intro, '', ...facts.map(([k, v]) => `${k}: ${v}`), '', `${seller}`, ''].join('\n'),
    html: [
      '<!doctype html><html><body>',
      `<p>Hello,</p><p>${escapeHtml(intro)}</p>`,
      '<table>',
      ...facts.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
      '</table>',
      `<p>${escapeHtml(seller)}</p>`,
      '</body></html>',
    ].join('\n'),
    messageId: `<${content.messageIdPrefix}-${stem}@oms-invoicing>`,
    attachments: [{ filename: `${stem}.pdf`, content: pdf, contentType: 'application/pdf' }],
  };
}

/** "a@x.example,b@y.example" → addresses; anything else (spaces, names, empty items) is a permanent error. */
export function parseAddressList(value: string, field: string): string[] {
  const items = value.split(',');
  if (value === '' || !items.every((a) => ADDRESS.test(a))) {
    throw new DeliveryError(`${field} must be email addresses separated by commas with no spaces, got "${headerText(value)}"`, false);
  }
  return items;
}

/** One line of plain text: control characters (CR, LF, TAB, NUL, C1, line separators) become single spaces. */
export function headerText(value: string): string {
  return value
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
