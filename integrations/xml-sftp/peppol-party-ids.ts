/**
 * Identifiers Peppol BIS 3 wants on a party, derived from what a company record holds.
 */
import type { InvoiceParty, PartyEndpoint } from '../../src/domain/invoice-document.js';

/**
 * Peppol EAS codes for national VAT numbers (the full number, country prefix included, is the id).
 * Countries whose VAT numbers map to no such scheme, or only to one with a different id format
 * (DK, FI, IT, NO, SE, …), are left out: a party there needs an explicit `endpoint`.
 */
const VAT_ENDPOINT_SCHEMES: Readonly<Record<string, string>> = {
  AD: '9922',
  AL: '9923',
  AT: '9914',
  BA: '9924',
  BE: '9925',
  BG: '9926',
  CH: '9927',
  CY: '9928',
  CZ: '9929',
  DE: '9930',
  EE: '9931',
  EL: '9933',
  ES: '9920',
  FR: '9957',
  GB: '9932',
  HR: '9934',
  HU: '9910',
  IE: '9935',
  LI: '9936',
  LT: '9937',
  LU: '9938',
  LV: '9939',
  MC: '9940',
  ME: '9941',
  MK: '9942',
  MT: '9943',
  NL: '9944',
  PL: '9945',
  PT: '9946',
  RO: '9947',
  RS: '9948',
  SI: '9949',
  SK: '9950',
  SM: '9951',
  TR: '9952',
  VA: '9953',
};

/**
 * The party's VAT identifier as EN 16931 wants it (BR-CO-09): no spaces or dots, upper case, starting
 * with the ISO country prefix (Greece: `EL`). A number stored without a prefix gets the address's country.
 */
export function normaliseVatNumber(party: InvoiceParty): string | null {
  const compact = (party.vatNumber ?? '').replace(/[\s.]/g, '').toUpperCase();
  if (compact === '') return null;
  if (/^[A-Z]{2}/.test(compact)) return compact;
  const country = party.address.country.toUpperCase();
  return `${country === 'GR' ? 'EL' : country}${compact}`;
}

/**
 * The Peppol electronic address (BT-34 / BT-49): the company's `endpoint` when set, else its VAT number
 * under the national VAT scheme, else null (the XML then lacks the mandatory EndpointID; see
 * docs/delivery.md).
 */
export function resolvePeppolEndpoint(party: InvoiceParty): PartyEndpoint | null {
  if (party.endpoint && party.endpoint.id.trim() !== '') {
    return { scheme: party.endpoint.scheme.trim(), id: party.endpoint.id.trim() };
  }
  const vat = normaliseVatNumber(party);
  const scheme = vat ? VAT_ENDPOINT_SCHEMES[vat.slice(0, 2)] : undefined;
  return vat && scheme ? { scheme, id: vat } : null;
}
