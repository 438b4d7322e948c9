/**
 * The invoice as a UBL 2.1 Invoice under Peppol BIS Billing 3.0 (EN 16931). Every amount is copied
 * from the document's decimal strings; nothing is recomputed, so the XML agrees with the PDF.
 * Element order follows the UBL XSD (the schematrons do not check order; the XSD does).
 */
import { create } from 'xmlbuilder2';
import type {
  InvoiceDocument,
  InvoiceLine,
  InvoiceParty,
  PostalAddress,
} from '../../src/domain/invoice-document.js';
import { normaliseVatNumber, resolvePeppolEndpoint } from './peppol-party-ids.js';

type XmlNode = ReturnType<typeof create>;

const NS_INVOICE = 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2';
const NS_CAC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2';
const NS_CBC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2';
const CUSTOMIZATION_ID = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0';
const PROFILE_ID = 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0';
const COMMERCIAL_INVOICE = '380';
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
  const categoryOf = (rate: string): VatCategory =>
    outOfScope ? { id: 'O', percent: null } : { id: isZero(rate) ? 'Z' : 'S', percent: rate };

  const root = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '' }).ele(
    NS_INVOICE,
    'Invoice',
    { 'xmlns:cac': NS_CAC, 'xmlns:cbc': NS_CBC },
  );
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
  if (onlyOrder && otherOrders.length === 0) text(root.ele('cac:OrderReference'), 'cbc:ID', onlyOrder.number);

  addParty(root.ele('cac:AccountingSupplierParty'), doc.seller, !outOfScope);
  addParty(root.ele('cac:AccountingCustomerParty'), doc.buyer, !outOfScope);
  addPayment(root, doc);
  addTaxTotal(root, doc, categoryOf);

  const totals = root.ele('cac:LegalMonetaryTotal');
  amount(totals, 'cbc:LineExtensionAmount', doc.net, doc.currency);
  amount(totals, 'cbc:TaxExclusiveAmount', doc.net, doc.currency);
  amount(totals, 'cbc:TaxInclusiveAmount', doc.total, doc.currency);
  amount(totals, 'cbc:PayableAmount', doc.total, doc.currency);

  for (const order of doc.orders) {
    for (const line of order.lines) addLine(root, line, order.number, doc.currency, categoryOf(line.taxRate));
  }
  return `${root.end({ prettyPrint: true })}\n`;
}

function addParty(parent: XmlNode, party: InvoiceParty, withVat: boolean): void {
  const p = parent.ele('cac:Party');
  const endpoint = resolvePeppolEndpoint(party);
  if (endpoint) p.ele('cbc:EndpointID', { schemeID: endpoint.scheme }).txt(endpoint.id);
  text(p.ele('cac:PartyIdentification'), 'cbc:ID', party.code);
  text(p.ele('cac:PartyName'), 'cbc:Name', party.name);
  addAddress(p.ele('cac:PostalAddress'), party.address);
  const vat = withVat ? normaliseVatNumber(party) : null;
  if (vat) {
    const scheme = p.ele('cac:PartyTaxScheme');
    text(scheme, 'cbc:CompanyID', vat);
    text(scheme.ele('cac:TaxScheme'), 'cbc:ID', 'VAT');
  }
  text(p.ele('cac:PartyLegalEntity'), 'cbc:RegistrationName', party.name);
  if (party.email?.trim()) text(p.ele('cac:Contact'), 'cbc:ElectronicMail', party.email.trim());
}

function addAddress(a: XmlNode, address: PostalAddress): void {
  const [street, additional, ...rest] = address.lines.map((l) => l.trim()).filter((l) => l !== '');
  optionalText(a, 'cbc:StreetName', street);
  optionalText(a, 'cbc:AdditionalStreetName', additional);
  optionalText(a, 'cbc:CityName', address.city.trim());
  optionalText(a, 'cbc:PostalZone', address.postcode.trim());
  if (rest.length > 0) text(a.ele('cac:AddressLine'), 'cbc:Line', rest.join(', '));
  text(a.ele('cac:Country'), 'cbc:IdentificationCode', address.country.toUpperCase());
}

function addPayment(root: XmlNode, doc: InvoiceDocument): void {
  const iban = doc.payment.iban?.replace(/\s/g, '').toUpperCase();
  if (iban) {
    // 58 (SEPA credit transfer) only makes sense in euro; any other currency is a plain transfer (30).
    const sepa = doc.currency === 'EUR';
    const means = root.ele('cac:PaymentMeans');
    means
      .ele('cbc:PaymentMeansCode', { name: sepa ? 'SEPA credit transfer' : 'Credit transfer' })
      .txt(sepa ? '58' : '30');
    text(means, 'cbc:PaymentID', doc.number);
    const account = means.ele('cac:PayeeFinancialAccount');
    text(account, 'cbc:ID', iban);
    const bic = doc.payment.bic?.replace(/\s/g, '').toUpperCase();
    if (bic) text(account.ele('cac:FinancialInstitutionBranch'), 'cbc:ID', bic);
  }
  const days = doc.payment.termsDays;
  const terms = [`Payment due within ${days} day${days === 1 ? '' : 's'}, by ${doc.dueDate}.`];
  if (doc.payment.details?.trim()) terms.push(doc.payment.details.trim());
  text(root.ele('cac:PaymentTerms'), 'cbc:Note', terms.join(' '));
}

function addTaxTotal(root: XmlNode, doc: InvoiceDocument, categoryOf: (rate: string) => VatCategory): void {
  const total = root.ele('cac:TaxTotal');
  amount(total, 'cbc:TaxAmount', doc.tax, doc.currency);
  for (const group of doc.taxGroups) {
    const sub = total.ele('cac:TaxSubtotal');
    amount(sub, 'cbc:TaxableAmount', group.net, doc.currency);
    amount(sub, 'cbc:TaxAmount', group.tax, doc.currency);
    addTaxCategory(sub.ele('cac:TaxCategory'), categoryOf(group.rate), true);
  }
}

function addLine(root: XmlNode, line: InvoiceLine, orderNumber: string, currency: string, category: VatCategory): void {
  const l = root.ele('cac:InvoiceLine');
  text(l, 'cbc:ID', String(line.position));
  text(l, 'cbc:Note', `Order ${orderNumber}`);
  l.ele('cbc:InvoicedQuantity', { unitCode: UNIT_CODE }).txt(String(line.quantity));
  amount(l, 'cbc:LineExtensionAmount', line.net, currency);
  // The order's shipping is folded into its first item (SPEC §3): a line-level charge, so that
  // LineExtensionAmount = quantity × price + charge holds (PEPPOL-EN16931-R120) and equals the PDF's line net.
  if (line.shipping !== null && !isZero(line.shipping)) {
    const charge = l.ele('cac:AllowanceCharge');
    text(charge, 'cbc:ChargeIndicator', 'true');
    text(charge, 'cbc:AllowanceChargeReasonCode', 'FC'); // UNCL 7161: freight charge
    text(charge, 'cbc:AllowanceChargeReason', 'Shipping');
    amount(charge, 'cbc:Amount', line.shipping, currency);
  }
  const item = l.ele('cac:Item');
  text(item, 'cbc:Name', line.description.trim() || line.sku);
  if (line.sku.trim()) text(item.ele('cac:SellersItemIdentification'), 'cbc:ID', line.sku.trim());
  addTaxCategory(item.ele('cac:ClassifiedTaxCategory'), category, false);
  amount(l.ele('cac:Price'), 'cbc:PriceAmount', line.unitPrice, currency); // up to 4 decimals, as stored
}

function addTaxCategory(c: XmlNode, category: VatCategory, withExemption: boolean): void {
  text(c, 'cbc:ID', category.id);
  if (category.percent !== null) text(c, 'cbc:Percent', category.percent);
  if (category.id === 'O' && withExemption) {
    text(c, 'cbc:TaxExemptionReasonCode', 'VATEX-EU-O');
    text(c, 'cbc:TaxExemptionReason', 'Not subject to VAT');
  }
  text(c.ele('cac:TaxScheme'), 'cbc:ID', 'VAT');
}

function text(parent: XmlNode, name: string, value: string): XmlNode {
  return parent.ele(name).txt(value);
}

function optionalText(parent: XmlNode, name: string, value: string | undefined): void {
  if (value) text(parent, name, value);
}

function amount(parent: XmlNode, name: string, value: string, currency: string): void {
  parent.ele(name, { currencyID: currency }).txt(value);
}

function isZero(decimal: string): boolean {
  return /^[+-]?0*(\.0*)?$/.test(decimal.trim());
}
