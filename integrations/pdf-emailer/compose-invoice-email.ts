/**
 * The invoice email, as a pure function of the invoice. Company names and addresses are user data:
 * every value that reaches a header goes through `headerText` (no CR/LF, no control characters), every
 * value in the HTML body through `escapeHtml`.
 */
import type { InvoiceDocument } from '../../src/domain/invoice-document.js';
import { DeliveryError } from '../../src/domain/errors.js';
import { safeFileStem } from '../contract.js';
import type { MailMessage } from './mailer.js';

export interface InvoiceEmailSettings {
  /** One address, or several separated by commas with no spaces */
  emailTo: string;
  /** Comma-separated addresses with no spaces (SPEC §4), or null */
  emailBcc: string | null;
  /** Sender, e.g. "Invoices <invoices@oms.example>" */
  from: string;
}

const ADDRESS = /^[^\s@,;<>()"\\[\]]+@[^\s@,;<>()"\\[\]]+$/;

export function composeInvoiceEmail(doc: InvoiceDocument, pdf: Uint8Array, settings: InvoiceEmailSettings): MailMessage {
  const stem = safeFileStem(doc.number);
  const seller = headerText(doc.seller.name);
  const buyer = headerText(doc.buyer.name);
  const number = headerText(doc.number);
  const sellerEmail = doc.seller.email?.trim() ?? '';
  const facts: Array<[string, string]> = [
    ['Invoice number', number],
    ['Invoice date', doc.issueDate],
    ['Total', `${doc.total} ${doc.currency}`],
    ['Due date', doc.dueDate],
  ];
  if (doc.payment.details?.trim()) facts.push(['Payment details', headerText(doc.payment.details)]);
  if (doc.payment.iban) facts.push(['IBAN', headerText(doc.payment.iban)]);
  if (doc.payment.bic) facts.push(['BIC', headerText(doc.payment.bic)]);
  const intro = `Please find attached invoice ${number} from ${seller} to ${buyer}.`;

  return {
    from: headerText(settings.from),
    to: parseAddressList(settings.emailTo, 'emailTo'),
    bcc: settings.emailBcc ? parseAddressList(settings.emailBcc, 'emailBcc') : [],
    replyTo: ADDRESS.test(sellerEmail) ? sellerEmail : null,
    subject: `Invoice ${number} from ${seller}`,
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
    messageId: `<invoice-${stem}@oms-invoicing>`,
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
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
