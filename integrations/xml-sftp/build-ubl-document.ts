/**
 * An invoice as a UBL 2.1 Invoice, a credit note as a UBL 2.1 CreditNote, both under Peppol BIS Billing 3.0
 * (EN 16931). The two share everything but the root, the type code, the line elements and what only one of
 * them carries: an invoice its due date and payment terms; a credit note its reason (the one document-level
 * note Peppol allows, PEPPOL-EN16931-R002) and the invoice it credits (BillingReference). A credit note's
 * amounts are positive, as EN 16931 wants them: the type code 381 says they are credited.
 */
import type { BillingDocument, CreditNoteDocument, InvoiceDocument } from '../../src/domain/invoice-document.js';
import { addLines, addParty, addPayment, addTotals, vatTreatmentOf, type LineElements } from './ubl-parts.js';
import { createUblRoot, el, serialiseUbl, text } from './ubl-xml.js';

const CUSTOMIZATION_ID = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0';
const PROFILE_ID = 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0';

interface UblDocumentType {
  root: string;
  namespace: string;
  /** UNTDID 1001: 380 commercial invoice, 381 credit note */
  typeCode: [element: string, code: string];
  lines: LineElements;
}

const UBL_TYPES: Record<BillingDocument['kind'], UblDocumentType> = {
  invoice: {
    root: 'Invoice',
    namespace: 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2',
    typeCode: ['cbc:InvoiceTypeCode', '380'],
    lines: { line: 'cac:InvoiceLine', quantity: 'cbc:InvoicedQuantity' },
  },
  'credit-note': {
    root: 'CreditNote',
    namespace: 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2',
    typeCode: ['cbc:CreditNoteTypeCode', '381'],
    lines: { line: 'cac:CreditNoteLine', quantity: 'cbc:CreditedQuantity' },
  },
};

export function buildUblInvoice(doc: InvoiceDocument): string {
  return buildUblDocument(doc);
}

export function buildUblCreditNote(doc: CreditNoteDocument): string {
  return buildUblDocument(doc);
}

/** The UBL XML of either kind of document; deterministic (the same document gives the same bytes). */
export function buildUblDocument(doc: BillingDocument): string {
  const type = UBL_TYPES[doc.kind];
  const vat = vatTreatmentOf(doc);
  const root = createUblRoot(type.root);
  text(root, 'cbc:CustomizationID', CUSTOMIZATION_ID);
  text(root, 'cbc:ProfileID', PROFILE_ID);
  text(root, 'cbc:ID', doc.number);
  text(root, 'cbc:IssueDate', doc.issueDate);
  if (doc.kind === 'invoice') text(root, 'cbc:DueDate', doc.dueDate);
  text(root, ...type.typeCode);
  if (doc.kind === 'credit-note') text(root, 'cbc:Note', doc.reason);
  text(root, 'cbc:DocumentCurrencyCode', doc.currency);
  // Peppol needs a buyer reference or an order reference (PEPPOL-EN16931-R003): our account code for
  // the buyer is always there; a single-order document also names its order.
  text(root, 'cbc:BuyerReference', doc.buyer.code);
  const [onlyOrder, ...otherOrders] = doc.orders;
  if (onlyOrder && otherOrders.length === 0) text(el(root, 'cac:OrderReference'), 'cbc:ID', onlyOrder.number);
  if (doc.kind === 'credit-note') {
    // BG-3, the preceding invoice: BT-25 its number, BT-26 its issue date
    const invoice = el(el(root, 'cac:BillingReference'), 'cac:InvoiceDocumentReference');
    text(invoice, 'cbc:ID', doc.invoice.number);
    text(invoice, 'cbc:IssueDate', doc.invoice.issueDate);
  }

  addParty(el(root, 'cac:AccountingSupplierParty'), doc.seller, vat.withVat);
  addParty(el(root, 'cac:AccountingCustomerParty'), doc.buyer, vat.withVat);
  // A credit note asks for no payment; how the credit is settled is not part of the document.
  if (doc.kind === 'invoice') addPayment(root, doc);
  addTotals(root, doc, vat);
  addLines(root, doc, type.lines, vat);
  return serialiseUbl(root, type.root, type.namespace);
}
