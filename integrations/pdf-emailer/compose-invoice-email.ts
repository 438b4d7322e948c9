/** The invoice email: "Invoice NUMBER from SELLER", with the total, due date and payment details. */
import type { InvoiceDocument } from '../../src/domain/invoice-document.js';
import { composeEmail, headerText, type EmailSettings } from './compose-email.js';
import type { MailMessage } from './mailer.js';

export function composeInvoiceEmail(doc: InvoiceDocument, pdf: Uint8Array, settings: EmailSettings): MailMessage {
  const seller = headerText(doc.seller.name);
  const buyer = headerText(doc.buyer.name);
  const number = headerText(doc.number);
  const facts: Array<[string, string]> = [
    ['Invoice number', number],
    ['Invoice date', doc.issueDate],
    ['Total', `${doc.total} ${doc.currency}`],
    ['Due date', doc.dueDate],
  ];
  if (doc.payment.details?.trim()) facts.push(['Payment details', headerText(doc.payment.details)]);
  if (doc.payment.iban) facts.push(['IBAN', headerText(doc.payment.iban)]);
  if (doc.payment.bic) facts.push(['BIC', headerText(doc.payment.bic)]);
  return composeEmail(doc, pdf, settings, {
    subject: `Invoice ${number} from ${seller}`,
    intro: `Please find attached invoice ${number} from ${seller} to ${buyer}.`,
    facts,
    messageIdPrefix: 'invoice',
  });
}
