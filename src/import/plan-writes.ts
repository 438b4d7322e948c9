/**
 * A checked load's records in the form the database writes take: amounts in integer units, logos
 * decoded, sequence defaults filled in. Pure.
 */
import { createHash } from 'node:crypto';
import type { StoredSequence } from '../db/import-reads.js';
import type { CompanyWrite, IntegrationWrite, LogoBlob, ProductWrite, SequenceWrite } from '../db/import-writes.js';
import { DEFAULT_SEQUENCE_PADDING, defaultSequencePrefix } from '../domain/invoice-number.js';
import { parseLogoDataUri } from '../domain/logo.js';
import { parseTaxRate, parseUnitPrice } from '../domain/money.js';
import { parseInstant } from '../domain/text-rules.js';
import type { CompanyGraph } from './company-graph.js';
import type { CompanyInput, IntegrationInput, ProductInput } from './import-schema.js';

export function toCompanyWrite(c: CompanyInput): CompanyWrite {
  const inv = c.invoicing;
  return {
    code: c.code,
    name: c.name,
    type: c.type,
    parent: c.parent,
    timezone: c.timezone,
    email: c.email,
    tradeTier: c.tradeTier,
    vatNumber: c.vatNumber,
    endpoint: c.endpoint,
    address: c.address,
    sharedSequence: c.sharedSequence,
    pricingStrategy: c.pricingStrategy,
    invoicing: inv
      ? {
          currency: inv.currency,
          paymentTermsDays: inv.paymentTermsDays,
          paymentDetails: inv.paymentDetails,
          iban: inv.iban,
          bic: inv.bic,
          layout: inv.layout,
          logo: inv.logo === undefined || inv.logo === null ? inv.logo : toLogoBlob(inv.logo),
        }
      : undefined,
  };
}

function toLogoBlob(dataUri: string): LogoBlob | undefined {
  const logo = parseLogoDataUri(dataUri);
  // (the schema has refused a logo that does not parse)
  if (typeof logo === 'string') return undefined;
  return { sha256: createHash('sha256').update(logo.data).digest('hex'), mime: logo.mime, data: logo.data };
}

/**
 * The sequences the load sets up or changes, every value resolved: the file's, else the stored one,
 * else the default. Numbering that has issued numbers, and a credit-note prefix that has issued credit
 * notes, are left as they are (the checks refused a change).
 */
export function toSequenceWrites(companies: readonly CompanyInput[], graph: CompanyGraph, stored: ReadonlyMap<number, StoredSequence>): SequenceWrite[] {
  const out: SequenceWrite[] = [];
  for (const c of companies) {
    const s = c.sequence;
    if (!s) continue;
    const id = graph.get(c.code)?.id;
    const old = id == null ? undefined : stored.get(id);
    const numberingFrozen = old !== undefined && old.issued > 0;
    const creditNotePrefixFrozen = old !== undefined && old.creditNotesIssued > 0;
    if (numberingFrozen && (creditNotePrefixFrozen || s.creditNotePrefix === undefined)) continue;
    out.push({
      ownerCode: c.code,
      stored: old !== undefined,
      ...(numberingFrozen
        ? {}
        : {
            numbering: {
              prefix: s.prefix ?? old?.prefix ?? defaultSequencePrefix(c.code),
              padding: s.padding ?? old?.padding ?? DEFAULT_SEQUENCE_PADDING,
              nextValue: s.next ?? old?.nextValue ?? 1,
            },
          }),
      ...(s.creditNotePrefix !== undefined && !creditNotePrefixFrozen ? { creditNotePrefix: s.creditNotePrefix } : {}),
    });
  }
  return out;
}

export function toIntegrationWrites(c: CompanyInput): IntegrationWrite[] {
  return (c.integrations ?? []).map((i) => ({
    companyCode: c.code,
    type: i.type,
    enabled: i.enabled,
    includeOrdersWithErrors: i.includeOrdersWithErrors,
    startingFrom: i.startingFrom ?? null,
    schedule: i.schedule ?? null,
    settings: integrationSettings(i),
    // null keeps the next run the scheduler already computed
    nextInvoiceAt: i.nextInvoiceAt ? (parseInstant(i.nextInvoiceAt) ?? undefined) : undefined,
  }));
}

/** The settings column: what the integration's driver is opened with. */
function integrationSettings(i: IntegrationInput): Record<string, unknown> {
  if (i.type === 'pdf-emailer') return { emailTo: i.emailTo, emailBcc: i.emailBcc ?? null };
  return {
    target: i.target,
    privateKeyFile: i.privateKeyFile ?? null,
    passwordEnv: i.passwordEnv ?? null,
    hostKeySha256: i.hostKeySha256 ?? null,
    includePdf: i.includePdf,
  };
}

export function toProductWrite(p: ProductInput): ProductWrite {
  return {
    sku: p.sku,
    name: p.name,
    taxRateBp: parseTaxRate(p.taxRate)!,
    costPriceE4: p.costPrice == null ? null : parseUnitPrice(p.costPrice)!,
    tierPricesE4:
      p.tradeTierPrices === undefined ? undefined : Object.entries(p.tradeTierPrices).map(([tier, price]) => [tier, parseUnitPrice(price)!] as const),
  };
}
