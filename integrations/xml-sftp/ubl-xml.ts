/**
 * Writing UBL 2.1 XML with xmlbuilder2: the element helpers every UBL document here is built from, and
 * the step that turns a finished tree into the delivered bytes.
 */
import { create } from 'xmlbuilder2';

export type XmlNode = ReturnType<typeof create>;

const NS_CAC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2';
const NS_CBC = 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2';

/** The root element of a UBL document (`Invoice`, `CreditNote`), in a document with an XML declaration. */
export function createUblRoot(name: string): XmlNode {
  return create({ version: '1.0', encoding: 'UTF-8' }).ele(null, name);
}

/**
 * The document as text. It is built without DOM namespaces and its root gets the namespace declarations
 * as text: xmlbuilder2's namespace-aware serializer copies a prefix map for every element, which made it
 * the larger part of writing an invoice, while these documents only ever use the default namespace and
 * `cac:`/`cbc:`, declared once on the root. The root's start tag is the first `<Name>` in the output (the
 * XML declaration comes before it; text is escaped, so data can never produce it), and the output is byte
 * for byte what the namespace-aware build gave.
 */
export function serialiseUbl(root: XmlNode, name: string, namespace: string): string {
  const withNamespaces = `<${name} xmlns="${namespace}" xmlns:cac="${NS_CAC}" xmlns:cbc="${NS_CBC}">`;
  return `${root.end({ prettyPrint: true }).replace(`<${name}>`, withNamespaces)}\n`;
}

export function text(parent: XmlNode, name: string, value: string): XmlNode {
  return el(parent, name).txt(clean(value));
}

/**
 * A child element by its qualified name (`cbc:ID`), outside the DOM's namespaces (`null`): the document
 * uses three fixed prefixes, all declared on the root, so the prefixes are plain parts of the names.
 */
export function el(parent: XmlNode, name: string, attributes?: Record<string, string>): XmlNode {
  return parent.ele(null, name, attributes);
}

export function optionalText(parent: XmlNode, name: string, value: string | undefined): void {
  if (value) text(parent, name, value);
}

export function amount(parent: XmlNode, name: string, value: string, currency: string): void {
  el(parent, name, { currencyID: clean(currency) }).txt(clean(value));
}

/** Characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF) */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NOT_XML_CHARS = new RegExp(NOT_XML_CHAR.source, 'gu');

/** Text from the data, without characters XML cannot carry (dropped, as the PDF never shows them either) */
export function clean(value: string): string {
  return NOT_XML_CHAR.test(value) ? value.replace(NOT_XML_CHARS, '') : value;
}

export function isZero(decimal: string): boolean {
  return /^[+-]?0*(\.0*)?$/.test(decimal.trim());
}
