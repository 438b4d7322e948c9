/**
 * The invoice (or credit note) as its artefacts (PDF, UBL XML, email) see it: everything already computed, every amount a
 * canonical decimal string. Renderers print it; they never recompute money.
 *
 * Amounts (`net`, `tax`, `total`, `shipping`, line `net`) always have exactly two decimals ("1234.50").
 * Unit prices have two to four decimals ("7.50", "1.2345"). Tax rates are percentages with no trailing
 * zeros ("20", "5.5", "0").
 */
export interface PostalAddress {
  lines: string[];
  city: string;
  postcode: string;
  /** ISO 3166-1 alpha-2 */
  country: string;
}

export interface PartyEndpoint {
  /** Peppol electronic address scheme (EAS), e.g. "0088" (GLN), "0192", "9930" */
  scheme: string;
  id: string;
}

export interface InvoiceParty {
  code: string;
  name: string;
  email: string | null;
  vatNumber: string | null;
  endpoint: PartyEndpoint | null;
  address: PostalAddress;
}

export interface InvoiceLine {
  /** 1-based position on the invoice */
  position: number;
  orderNumber: string;
  sku: string;
  /** Item description; already ends with " (for X)" when the order has `relatingTo` */
  description: string;
  quantity: number;
  unitPrice: string;
  taxRate: string;
  /** The order's shipping cost when it is folded into this line (the order's first item), else null */
  shipping: string | null;
  /** round(quantity × unitPrice, 2) + shipping */
  net: string;
}

export interface InvoiceOrder {
  number: string;
  relatingTo: string | null;
  createdAt: string;
  lines: InvoiceLine[];
  /** Sum of this order's line nets */
  net: string;
}

export interface TaxGroup {
  rate: string;
  /** Sum of the nets of the lines at this rate */
  net: string;
  /** round(net × rate / 100, 2), half-up */
  tax: string;
}

export interface InvoiceLogo {
  mime: 'image/png' | 'image/jpeg';
  data: Uint8Array;
}

export type InvoiceLayout = 'combined' | 'individual';

/** What an invoice and a credit note share: the parties, the lines and the totals, as printed. */
interface BillingDocumentBase {
  number: string;
  /** YYYY-MM-DD, in the buyer's timezone */
  issueDate: string;
  /** ISO 4217 */
  currency: string;
  layout: InvoiceLayout;
  seller: InvoiceParty;
  buyer: InvoiceParty;
  payment: {
    details: string | null;
    iban: string | null;
    bic: string | null;
    termsDays: number;
  };
  logo: InvoiceLogo | null;
  /** Orders in document order; their lines, concatenated, are the document's lines */
  orders: InvoiceOrder[];
  taxGroups: TaxGroup[];
  net: string;
  tax: string;
  total: string;
}

export interface InvoiceDocument extends BillingDocumentBase {
  kind: 'invoice';
  /** YYYY-MM-DD */
  dueDate: string;
}

/**
 * A credit note (SPEC §8): credits all or part of one invoice, with the invoice's seller, buyer, currency
 * and layout. Every amount is positive. Its lines are the credited invoice lines, each with:
 *  - `position`: the line's position on the invoice (what `--line POS` names);
 *  - `quantity`: the units this credit note credits;
 *  - `shipping`: the order's shipping when this credit note credits it (it is credited with the line's last
 *    unit), else null;
 *  - `net`: what this credit note credits of the line. Amounts are rounded cumulatively (§8), so `net` can
 *    differ from round(quantity × unitPrice, 2) + shipping by a cent; it is never negative.
 * Tax groups likewise carry what this credit note credits per rate.
 */
export interface CreditNoteDocument extends BillingDocumentBase {
  kind: 'credit-note';
  /** The invoice it credits */
  invoice: { number: string; issueDate: string };
  /** Why it was issued: one line, 1–255 characters */
  reason: string;
}

/** What is rendered and delivered: an invoice or a credit note. */
export type BillingDocument = InvoiceDocument | CreditNoteDocument;
