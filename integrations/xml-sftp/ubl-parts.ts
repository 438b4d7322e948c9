/**
 * The parts an Invoice and a CreditNote share: parties, VAT categories and breakdown, totals, lines and
 * payment. Every amount is copied from the document's decimal strings; nothing is recomputed, so the XML
 * agrees with the PDF. Element order follows the UBL XSD (the schematrons do not check order; the XSD does).
 */
import type { BillingDocument, InvoiceDocument, InvoiceLine, InvoiceParty, PostalAddress } from '../../src/domain/invoice-document.js';
import { normaliseVatNumber, resolvePeppolEndpoint } from './peppol-party-ids.js';
import { amount, clean, el, isZero, optionalText, text, type XmlNode } from './ubl-xml.js';

/** UN/ECE rec 20 "piece" */
const UNIT_CODE = 'H87';

export interface VatCategory {
  id: 'S' | 'Z' | 'O';
  /** null for O: an out-of-scope line carries no rate (BR-O-05) */
  percent: string | null;
}

export interface VatTreatment {
  /** Whether the parties' VAT numbers are written (not for a seller outside VAT) */
  withVat: boolean;
  categoryOf(rate: string): VatCategory;
}

/** The line elements of the document type: `cac:InvoiceLine`/`cbc:InvoicedQuantity` or `cac:CreditNoteLine`/`cbc:CreditedQuantity` */
export interface LineElements {
  line: string;
  quantity: string;
}

export function vatTreatmentOf(doc: BillingDocument): VatTreatment {
  // A seller without a VAT number that charges no VAT at all is not VAT-registered: its supplies are
  // "not subject to VAT" (category O), which EN 16931 allows without any VAT identifier. With a rate
  // above zero it stays S, and the validator will report the missing seller VAT id (BR-S-02).
  const outOfScope = normaliseVatNumber(doc.seller) === null && doc.taxGroups.every((g) => isZero(g.rate));
  return {
    withVat: !outOfScope,
    categoryOf: (rate) => (outOfScope ? { id: 'O', percent: null } : { id: isZero(rate) ? 'Z' : 'S', percent: rate }),
  };
}

export function addParty(parent: XmlNode, party: InvoiceParty, withVat: boolean): void {
  const p = el(parent, 'cac:Party');
  const endpoint = resolvePeppolEndpoint(party);
  if (endpoint) el(p, 'cbc:EndpointID', { schemeID: endpoint.scheme }).txt(clean(endpoint.id));
  text(el(p, 'cac:PartyIdentification'), 'cbc:ID', party.code);
  text(el(p, 'cac:PartyName'), 'cbc:Name', party.name);
  addAddress(el(p, 'cac:PostalAddress'), party.address);
  const vat = withVat ? normaliseVatNumber(party) : null;
  if (vat) {
    const scheme = el(p, 'cac:PartyTaxScheme');
    text(scheme, 'cbc:CompanyID', vat);
    text(el(scheme, 'cac:TaxScheme'), 'cbc:ID', 'VAT');
  }
  text(el(p, 'cac:PartyLegalEntity'), 'cbc:RegistrationName', party.name);
  if (party.email?.trim()) text(el(p, 'cac:Contact'), 'cbc:ElectronicMail', party.email.trim());
}

function addAddress(a: XmlNode, address: PostalAddress): void {
  const [street, additional, ...rest] = address.lines.map((l) => l.trim()).filter((l) => l !== '');
  optionalText(a, 'cbc:StreetName', street);
  optionalText(a, 'cbc:AdditionalStreetName', additional);
  optionalText(a, 'cbc:CityName', address.city.trim());
  optionalText(a, 'cbc:PostalZone', address.postcode.trim());
  if (rest.length > 0) text(el(a, 'cac:AddressLine'), 'cbc:Line', rest.join(', '));
  text(el(a, 'cac:Country'), 'cbc:IdentificationCode', address.country.toUpperCase());
}

/** PaymentMeans (with an IBAN) and PaymentTerms: what an invoice asks to be paid, by when and where. */
export function addPayment(root: XmlNode, doc: InvoiceDocument): void {
  const iban = doc.payment.iban?.replace(/\s/g, '').toUpperCase();
  if (iban) {
    // 58 (SEPA credit transfer) only makes sense in euro; any other currency is a plain transfer (30).
    const sepa = doc.currency === 'EUR';
    const means = el(root, 'cac:PaymentMeans');
    el(means, 'cbc:PaymentMeansCode', { name: sepa ? 'SEPA credit transfer' : 'Credit transfer' }).txt(sepa ? '58' : '30');
    text(means, 'cbc:PaymentID', doc.number);
    const account = el(means, 'cac:PayeeFinancialAccount');
    text(account, 'cbc:ID', iban);
    const bic = doc.payment.bic?.replace(/\s/g, '').toUpperCase();
    if (bic) text(el(account, 'cac:FinancialInstitutionBranch'), 'cbc:ID', bic);
  }
  const days = doc.payment.termsDays;
  const terms = [`Payment due within ${days} day${days === 1 ? '' : 's'}, by ${doc.dueDate}.`];
  if (doc.payment.details?.trim()) terms.push(doc.payment.details.trim());
  text(el(root, 'cac:PaymentTerms'), 'cbc:Note', terms.join(' '));
}

/** The VAT breakdown (one TaxSubtotal per rate) and the document totals. */
export function addTotals(root: XmlNode, doc: BillingDocument, vat: VatTreatment): void {
  const total = el(root, 'cac:TaxTotal');
  amount(total, 'cbc:TaxAmount', doc.tax, doc.currency);
  for (const group of doc.taxGroups) {
    const sub = el(total, 'cac:TaxSubtotal');
    amount(sub, 'cbc:TaxableAmount', group.net, doc.currency);
    amount(sub, 'cbc:TaxAmount', group.tax, doc.currency);
    addTaxCategory(el(sub, 'cac:TaxCategory'), vat.categoryOf(group.rate), true);
  }
  const totals = el(root, 'cac:LegalMonetaryTotal');
  amount(totals, 'cbc:LineExtensionAmount', doc.net, doc.currency);
  amount(totals, 'cbc:TaxExclusiveAmount', doc.net, doc.currency);
  amount(totals, 'cbc:TaxInclusiveAmount', doc.total, doc.currency);
  amount(totals, 'cbc:PayableAmount', doc.total, doc.currency);
}

export function addLines(root: XmlNode, doc: BillingDocument, elements: LineElements, vat: VatTreatment): void {
  for (const order of doc.orders) {
    for (const line of order.lines) addLine(root, elements, line, order.number, doc.currency, vat.categoryOf(line.taxRate));
  }
}

function addLine(root: XmlNode, elements: LineElements, line: InvoiceLine, orderNumber: string, currency: string, category: VatCategory): void {
  const l = el(root, elements.line);
  text(l, 'cbc:ID', String(line.position));
  text(l, 'cbc:Note', `Order ${orderNumber}`);
  el(l, elements.quantity, { unitCode: UNIT_CODE }).txt(String(line.quantity));
  amount(l, 'cbc:LineExtensionAmount', line.net, currency);
  // The order's shipping is folded into its first item (SPEC §3): a line-level charge, so that
  // LineExtensionAmount = quantity × price + charge holds (PEPPOL-EN16931-R120) and equals the PDF's line net.
  if (line.shipping !== null && !isZero(line.shipping)) {
    const charge = el(l, 'cac:AllowanceCharge');
    text(charge, 'cbc:ChargeIndicator', 'true');
    text(charge, 'cbc:AllowanceChargeReasonCode', 'FC'); // UNCL 7161: freight charge
    text(charge, 'cbc:AllowanceChargeReason', 'Shipping');
    amount(charge, 'cbc:Amount', line.shipping, currency);
  }
  const item = el(l, 'cac:Item');
  text(item, 'cbc:Name', line.description.trim() || line.sku);
  if (line.sku.trim()) text(el(item, 'cac:SellersItemIdentification'), 'cbc:ID', line.sku.trim());
  addTaxCategory(el(item, 'cac:ClassifiedTaxCategory'), category, false);
  amount(el(l, 'cac:Price'), 'cbc:PriceAmount', line.unitPrice, currency); // up to 4 decimals, as stored
}

function addTaxCategory(c: XmlNode, category: VatCategory, withExemption: boolean): void {
  text(c, 'cbc:ID', category.id);
  if (category.percent !== null) text(c, 'cbc:Percent', category.percent);
  if (category.id === 'O' && withExemption) {
    text(c, 'cbc:TaxExemptionReasonCode', 'VATEX-EU-O');
    text(c, 'cbc:TaxExemptionReason', 'Not subject to VAT');
  }
  text(el(c, 'cac:TaxScheme'), 'cbc:ID', 'VAT');
}
