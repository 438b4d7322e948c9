import type { BillingDocument } from '../../../src/domain/invoice-document.js';

/**
 * The words that differ between an invoice and a credit note, worked out once per document: the layout
 * code is the same for both and prints these.
 */
export interface DocumentWording {
  /** "Invoice", "Credit note": how running headers, footers and the summary name the document */
  name: string;
  /** Page 1's title */
  title: string;
  /** Rows beside the title: label, value, bold */
  facts: Array<[string, string, boolean]>;
  /** Heading over the buyer's address */
  buyerHeading: string;
  /** The document and what it refers to, for the PDF's metadata: "Credit note X for invoice Y" */
  reference: string;
  /** What the footer says after the document's name and number */
  footerFacts: string;
  /** The last, bold row of the totals */
  totalLabel: string;
}

export function wordingOf(doc: BillingDocument): DocumentWording {
  if (doc.kind === 'invoice') {
    return {
      name: 'Invoice',
      title: 'INVOICE',
      facts: [
        ['Invoice number', doc.number, true],
        ['Issue date', doc.issueDate, false],
        ['Due date', doc.dueDate, false],
        ['Payment terms', `${doc.payment.termsDays} days`, false],
        ['Currency', doc.currency, false],
      ],
      buyerHeading: 'BILL TO',
      reference: `Invoice ${doc.number}`,
      footerFacts: `issued ${doc.issueDate} \u00b7 due ${doc.dueDate}`,
      totalLabel: 'Total due',
    };
  }
  return {
    name: 'Credit note',
    title: 'CREDIT NOTE',
    facts: [
      ['Credit note', doc.number, true],
      ['Issue date', doc.issueDate, false],
      ['For invoice', doc.invoice.number, true],
      ['Invoice date', doc.invoice.issueDate, false],
      ['Currency', doc.currency, false],
    ],
    buyerHeading: 'CREDIT TO',
    reference: `Credit note ${doc.number} for invoice ${doc.invoice.number}`,
    footerFacts: `issued ${doc.issueDate} \u00b7 for invoice ${doc.invoice.number}`,
    totalLabel: 'Total credited',
  };
}
