/**
 * Companies, their ancestry, users and sequences as the pipeline needs them.
 */
import type { Knex } from 'knex';
import type { CompanyRecord } from '../domain/company.js';
import { defaultCreditNotePrefix } from '../domain/invoice-number.js';
import type { InvoiceLayout, PostalAddress } from '../domain/invoice-document.js';
import { chunk } from './connect.js';
import { numberOrNull, type DbRow } from './read-rows.js';
import type { SequenceRow } from './sequences-repo.js';

export type { CompanyRecord };

export function toCompanyRecord(r: DbRow): CompanyRecord {
  return {
    id: Number(r.id),
    code: r.code as string,
    name: r.name as string,
    type: r.type as CompanyRecord['type'],
    parentId: numberOrNull(r.parent_id),
    timezone: r.timezone as string,
    email: (r.email as string | null) ?? null,
    vatNumber: (r.vat_number as string | null) ?? null,
    endpoint: r.endpoint_scheme && r.endpoint_id ? { scheme: r.endpoint_scheme as string, id: r.endpoint_id as string } : null,
    address: r.address ? (JSON.parse(r.address as string) as PostalAddress) : null,
    sharedSequence: Boolean(r.shared_sequence),
    invoicing: {
      currency: (r.inv_currency as string | null) ?? null,
      paymentTermsDays: Number(r.payment_terms_days),
      paymentDetails: (r.payment_details as string | null) ?? null,
      iban: (r.iban as string | null) ?? null,
      bic: (r.bic as string | null) ?? null,
      logoSha256: (r.logo_sha256 as string | null) ?? null,
      layout: (r.layout as InvoiceLayout) ?? 'combined',
    },
  };
}

export async function findCompanyByCode(db: Knex, code: string): Promise<CompanyRecord | null> {
  const row = await db('companies').where('code', code).first<DbRow | undefined>();
  return row ? toCompanyRecord(row) : null;
}

/** The company's ancestors, nearest first. */
export async function findAncestors(db: Knex, company: CompanyRecord): Promise<CompanyRecord[]> {
  const out: CompanyRecord[] = [];
  const seen = new Set([company.id]);
  let parentId = company.parentId;
  while (parentId !== null && !seen.has(parentId)) {
    seen.add(parentId);
    const row = await db('companies').where('id', parentId).first<DbRow | undefined>();
    if (!row) break;
    const parent = toCompanyRecord(row);
    out.push(parent);
    parentId = parent.parentId;
  }
  return out;
}

export async function findUserByEmail(db: Knex, email: string): Promise<{ id: number; email: string; primaryCompanyId: number | null } | null> {
  const row = await db('users')
    .whereRaw('lower(email) = ?', [email.toLowerCase()])
    .first<{ id: number | string; email: string; primary_company_id: number | string | null } | undefined>();
  if (!row) return null;
  return { id: Number(row.id), email: row.email, primaryCompanyId: numberOrNull(row.primary_company_id) };
}

/** Companies by code, in one query per 500 codes. */
export async function findCompaniesByCodes(db: Knex, codes: readonly string[]): Promise<Map<string, CompanyRecord>> {
  const out = new Map<string, CompanyRecord>();
  for (const part of chunk([...new Set(codes)], 500)) {
    const query = db('companies').select<DbRow[]>('*');
    if (part.length === 1) query.where('code', part[0]!);
    else query.whereIn('code', part);
    for (const row of await query) {
      const company = toCompanyRecord(row);
      out.set(company.code, company);
    }
  }
  return out;
}

export async function findCompanyById(db: Knex, id: number): Promise<CompanyRecord | null> {
  const row = await db('companies').where('id', id).first<DbRow | undefined>();
  return row ? toCompanyRecord(row) : null;
}

/** Every company's id, code and parent: the tree API scopes are computed on. */
export async function listCompanyTree(db: Knex): Promise<Array<{ id: number; code: string; parentId: number | null }>> {
  const rows = await db('companies').select<Array<{ id: number | string; code: string; parent_id: number | string | null }>>('id', 'code', 'parent_id');
  return rows.map((r) => ({ id: Number(r.id), code: r.code, parentId: numberOrNull(r.parent_id) }));
}

/** A company for people and the API, in the shape of the import format (SPEC §6). */
export type CompanyView = Omit<CompanyRecord, 'id' | 'parentId' | 'invoicing'> & {
  parent: string | null;
  tradeTier: string | null;
  pricingStrategy: string;
  /** The logo itself is not repeated here; `hasLogo` says whether invoices carry one */
  invoicing: Omit<CompanyRecord['invoicing'], 'logoSha256'> & { hasLogo: boolean };
};

/** Companies by id (all when `ids` is omitted), ordered by code. */
export async function listCompanyViews(db: Knex, ids?: readonly number[]): Promise<CompanyView[]> {
  const q = db('companies as c').leftJoin('companies as p', 'p.id', 'c.parent_id').select<DbRow[]>('c.*', 'p.code as parent_code').orderBy('c.code');
  if (ids !== undefined) q.whereIn('c.id', [...ids]);
  return (await q).map((r) => {
    const c = toCompanyRecord(r);
    return {
      code: c.code,
      name: c.name,
      type: c.type,
      parent: (r.parent_code as string | null) ?? null,
      timezone: c.timezone,
      email: c.email,
      tradeTier: (r.trade_tier as string | null) ?? null,
      vatNumber: c.vatNumber,
      endpoint: c.endpoint,
      address: c.address,
      sharedSequence: c.sharedSequence,
      pricingStrategy: r.pricing_strategy as string,
      invoicing: {
        currency: c.invoicing.currency,
        paymentTermsDays: c.invoicing.paymentTermsDays,
        paymentDetails: c.invoicing.paymentDetails,
        iban: c.invoicing.iban,
        bic: c.invoicing.bic,
        layout: c.invoicing.layout,
        hasLogo: c.invoicing.logoSha256 !== null,
      },
    };
  });
}

/** The numbering sequence a company owns (invoices and credit notes), or null. */
export async function findSequence(
  db: Knex,
  owner: { id: number; code: string },
): Promise<{ prefix: string; padding: number; next: number; issued: number; creditNotePrefix: string; creditNotesIssued: number } | null> {
  const row = await db('sequences')
    .where('owner_company_id', owner.id)
    .first<SequenceRow | undefined>('prefix', 'padding', 'next_value', 'issued', 'credit_note_prefix', 'credit_notes_issued');
  return row
    ? {
        prefix: row.prefix,
        padding: Number(row.padding),
        next: Number(row.next_value),
        issued: Number(row.issued),
        creditNotePrefix: row.credit_note_prefix ?? defaultCreditNotePrefix(owner.code),
        creditNotesIssued: Number(row.credit_notes_issued),
      }
    : null;
}
