/**
 * The invoice as a UBL 2.1 Invoice under Peppol BIS Billing 3.0 (EN 16931). Every amount is copied
 * from the document's decimal strings; nothing is recomputed, so the XML agrees with the PDF.
 * Element order follows the UBL XSD (the schematrons do not check order; the XSD does).
 */
import { create } from 'xmlbuilder2';
import type { InvoiceDocument, InvoiceLine, InvoiceParty, PostalAddress } from '../../src/domain/invoice-document.js';
import { normaliseVatNumber, resolvePeppolEndpoint } from './peppol-party-ids.js';

type XmlNode = ReturnType<typeof create>;

const NS_INVOICE = 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2';
const NS_CAC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2';
const NS_CBC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2';
const CUSTOMIZATION_ID = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0';
const PROFILE_ID = 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0';
const COMMERCIAL_INVOICE = '380';
/**
 * The document is built without DOM namespaces and its root gets the namespace declarations as text:
 * xmlbuilder2's namespace-aware serializer copies a prefix map for every element, which made it the larger
 * part of writing an invoice, while this document only ever uses the default namespace and `cac:`/`cbc:`,
 * declared once on the root. The root's start tag is the first `<Invoice>` in the output (the XML
 * declaration comes before it; text is escaped, so data can never produce it), and the output is
 * byte for byte what the namespace-aware build gave.
 */
const ROOT_TAG = '<Invoice>';
const ROOT_TAG_WITH_NAMESPACES = `<Invoice xmlns="${NS_INVOICE}" xmlns:cac="${NS_CAC}" xmlns:cbc="${NS_CBC}">`;
/** UN/ECE rec 20 "piece" */
const UNIT_CODE = 'H87';

interface VatCategory {
  id: 'S' | 'Z' | 'O';
  /** null for O: an out-of-scope line carries no rate (BR-O-05) */
  percent: string | null;
}

export function buildUblInvoice(doc: InvoiceDocument): string {
  // A seller without a VAT number that charges no VAT at all is not VAT-registered: its supplies are
  // "not subject to VAT" (category O), which EN 16931 allows without any VAT identifier. With a rate
  // above zero it stays S, and the validator will report the missing seller VAT id (BR-S-02).
  const outOfScope = normaliseVatNumber(doc.seller) === null && doc.taxGroups.every((g) => isZero(g.rate));
  const categoryOf = (rate: string): VatCategory => (outOfScope ? { id: 'O', percent: null } : { id: isZero(rate) ? 'Z' : 'S', percent: rate });

  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele(null, 'Invoice');
  text(root, 'cbc:CustomizationID', CUSTOMIZATION_ID);
  text(root, 'cbc:ProfileID', PROFILE_ID);
  text(root, 'cbc:ID', doc.number);
  text(root, 'cbc:IssueDate', doc.issueDate);
  text(root, 'cbc:DueDate', doc.dueDate);
  text(root, 'cbc:InvoiceTypeCode', COMMERCIAL_INVOICE);
  text(root, 'cbc:DocumentCurrencyCode', doc.currency);
  // Peppol needs a buyer reference or an order reference (PEPPOL-EN16931-R003): our account code for
  // the buyer is always there; a single-order invoice also names its order.
  text(root, 'cbc:BuyerReference', doc.buyer.code);
  const [onlyOrder, ...otherOrders] = doc.orders;
  if (onlyOrder && otherOrders.length === 0) text(el(root, 'cac:OrderReference'), 'cbc:ID', onlyOrder.number);

  addParty(el(root, 'cac:AccountingSupplierParty'), doc.seller, !outOfScope);
  addParty(el(root, 'cac:AccountingCustomerParty'), doc.buyer, !outOfScope);
  addPayment(root, doc);
  addTaxTotal(root, doc, categoryOf);

  const totals = el(root, 'cac:LegalMonetaryTotal');
  amount(totals, 'cbc:LineExtensionAmount', doc.net, doc.currency);
  amount(totals, 'cbc:TaxExclusiveAmount', doc.net, doc.currency);
  amount(totals, 'cbc:TaxInclusiveAmount', doc.total, doc.currency);
  amount(totals, 'cbc:PayableAmount', doc.total, doc.currency);

  for (const order of doc.orders) {
    for (const line of order.lines) addLine(root, line, order.number, doc.currency, categoryOf(line.taxRate));
  }
  return `${root.end({ prettyPrint: true }).replace(ROOT_TAG, ROOT_TAG_WITH_NAMESPACES)}\n`;
}

function addParty(parent: XmlNode, party: InvoiceParty, withVat: boolean): void {
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

function addPayment(root: XmlNode, doc: InvoiceDocument): void {
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

function addTaxTotal(root: XmlNode, doc: InvoiceDocument, categoryOf: (rate: string) => VatCategory): void {
  const total = el(root, 'cac:TaxTotal');
  amount(total, 'cbc:TaxAmount', doc.tax, doc.currency);
  for (const group of doc.taxGroups) {
    const sub = el(total, 'cac:TaxSubtotal');
    amount(sub, 'cbc:TaxableAmount', group.net, doc.currency);
    amount(sub, 'cbc:TaxAmount', group.tax, doc.currency);
    addTaxCategory(el(sub, 'cac:TaxCategory'), categoryOf(group.rate), true);
  }
}

function addLine(root: XmlNode, line: InvoiceLine, orderNumber: string, currency: string, category: VatCategory): void {
  const l = el(root, 'cac:InvoiceLine');
  text(l, 'cbc:ID', String(line.position));
  text(l, 'cbc:Note', `Order ${orderNumber}`);
  el(l, 'cbc:InvoicedQuantity', { unitCode: UNIT_CODE }).txt(String(line.quantity));
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

function text(parent: XmlNode, name: string, value: string): XmlNode {
  return el(parent, name).txt(clean(value));
}

/**
 * A child element by its qualified name (`cbc:ID`), outside the DOM's namespaces (`null`): the document
 * uses three fixed prefixes, all declared on the root, so the prefixes are plain parts of the names.
 */
function el(parent: XmlNode, name: string, attributes?: Record<string, string>): XmlNode {
  return parent.ele(null, name, attributes);
}

/** Characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF) */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NOT_XML_CHARS = new RegExp(NOT_XML_CHAR.source, 'gu');

/** Text from the data, without characters XML cannot carry (dropped, as the PDF never shows them either) */
function clean(value: string): string {
  return NOT_XML_CHAR.test(value) ? value.replace(NOT_XML_CHARS, '') : value;
}

function optionalText(parent: XmlNode, name: string, value: string | undefined): void {
  if (value) text(parent, name, value);
}

function amount(parent: XmlNode, name: string, value: string, currency: string): void {
  el(parent, name, { currencyID: clean(currency) }).txt(clean(value));
}

function isZero(decimal: string): boolean {
  return /^[+-]?0*(\.0*)?$/.test(decimal.trim());
}
