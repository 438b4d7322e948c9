/**
 * An order as every reading of a stored one shows it: the order list and API (amounts as decimal strings)
 * and the import, which compares an invoiced order with what a file says (amounts in integer units).
 */
export interface OrderHeader {
  number: string;
  /** Where the order came from (the import's `source`) */
  source: string;
  status: string;
  onHold: boolean;
  hasErrors: boolean;
  errorText: string | null;
  uniqueInvoice: boolean;
  relatingTo: string | null;
  currency: string;
}
