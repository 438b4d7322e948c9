import type { BillingDocument } from '../../src/domain/invoice-document.js';
import type { EmailSettings } from './compose-email.js';
import { composeCreditNoteEmail } from './compose-credit-note-email.js';
import { composeInvoiceEmail } from './compose-invoice-email.js';
import type { MailMessage } from './mailer.js';

/** The email of an invoice or of a credit note, as the document's kind says. */
export function composeDocumentEmail(doc: BillingDocument, pdf: Uint8Array, settings: EmailSettings): MailMessage {
  return doc.kind === 'invoice' ? composeInvoiceEmail(doc, pdf, settings) : composeCreditNoteEmail(doc, pdf, settings);
}
