/**
 * What an invoice keeps of its parties as they were when it was issued (stored with it as JSON), so that
 * its PDF and XML rendered later are identical to the ones delivered, whatever changed since.
 */
import type { CompanyRecord, RunParties } from './company.js';
import type { InvoiceDocument, InvoiceParty } from './invoice-document.js';

export interface InvoiceSnapshot {
  seller: InvoiceParty;
  buyer: InvoiceParty;
  payment: InvoiceDocument['payment'];
  logoSha256: string | null;
  timezone: string;
}

export function partyOf(c: CompanyRecord): InvoiceParty {
  return {
    code: c.code,
    name: c.name,
    email: c.email,
    vatNumber: c.vatNumber,
    endpoint: c.endpoint,
    address: c.address ?? { lines: [], city: '', postcode: '', country: '' },
  };
}

export function snapshotOf(parties: RunParties): InvoiceSnapshot {
  const inv = parties.buyer.invoicing;
  return {
    seller: partyOf(parties.seller),
    buyer: partyOf(parties.buyer),
    payment: { details: inv.paymentDetails, iban: inv.iban, bic: inv.bic, termsDays: inv.paymentTermsDays },
    logoSha256: inv.logoSha256,
    timezone: parties.buyer.timezone,
  };
}
