/**
 * The invoice as its artefacts (PDF, UBL XML, email) see it: everything already computed, every amount a
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

export interface InvoiceDocument {
  number: string;
  /** YYYY-MM-DD, in the buyer's timezone */
  issueDate: string;
  /** YYYY-MM-DD */
  dueDate: string;
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
  /** Orders in invoice order; their lines, concatenated, are the invoice lines */
  orders: InvoiceOrder[];
  taxGroups: TaxGroup[];
  net: string;
  tax: string;
  total: string;
}
