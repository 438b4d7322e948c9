/**
 * The credit note email: "Credit note NUMBER for invoice NUMBER from SELLER", saying which invoice it
 * credits, by how much and why. It asks for no payment.
 */
import type { CreditNoteDocument } from '../../src/domain/invoice-document.js';
import { composeEmail, headerText, type EmailSettings } from './compose-email.js';
import type { MailMessage } from './mailer.js';

export function composeCreditNoteEmail(doc: CreditNoteDocument, pdf: Uint8Array, settings: EmailSettings): MailMessage {
  const seller = headerText(doc.seller.name);
  const buyer = headerText(doc.buyer.name);
  const number = headerText(doc.number);
  const invoice = headerText(doc.invoice.number);
  const total = `${doc.total} ${doc.currency}`;
  return composeEmail(doc, pdf, settings, {
    subject: `Credit note ${number} for invoice ${invoice} from ${seller}`,
    intro: `Please find attached credit note ${number} from ${seller} to ${buyer}. It credits ${total} on invoice ${invoice} of ${doc.invoice.issueDate}.`,
    facts: [
      ['Credit note number', number],
      ['Credit note date', doc.issueDate],
      ['Credits invoice', `${invoice} of ${doc.invoice.issueDate}`],
      ['Reason', headerText(doc.reason)],
      ['Total credited', total],
    ],
    messageIdPrefix: 'credit-note',
  });
}
