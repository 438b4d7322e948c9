/**
 * Finding invoices by company, status and delivery state, newest first (the admin page's invoice list).
 *
 * Status: an invoice is `issued` until credit notes exist; once the `invoices` table has a `status`
 * column (`issued`, `partially_credited`, `credited`), the filter and the list read it.
 */
import type { Knex } from 'knex';
import { formatAmount } from '../domain/money.js';

export const INVOICE_STATUSES = ['issued', 'partially_credited', 'credited'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** `failed`: some delivery failed; `unsent`: some delivery is pending or sending; `sent`: all sent. */
export const DELIVERY_STATES = ['failed', 'unsent', 'sent'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface InvoiceSearch {
  /** Only invoices of these companies (a token's scope); undefined: all */
  companyIds?: readonly number[];
  company?: string;
  status?: InvoiceStatus;
  delivery?: DeliveryState;
  limit: number;
  offset: number;
}

export interface InvoiceSummary {
  id: number;
  number: string;
  company: string;
  issueDate: string;
  dueDate: string;
  currency: string;
  total: string;
  status: InvoiceStatus;
  deliveries: Record<'pending' | 'sending' | 'sent' | 'failed', number>;
}

const statusColumn = new WeakMap<Knex, Promise<boolean>>();

/** Whether invoices carry a stored status (asked once per database). */
export function invoicesHaveStatus(db: Knex): Promise<boolean> {
  let known = statusColumn.get(db);
  if (!known) statusColumn.set(db, (known = db.schema.hasColumn('invoices', 'status')));
  return known;
}

export async function searchInvoices(db: Knex, s: InvoiceSearch): Promise<{ items: InvoiceSummary[]; count: number }> {
  const stored = await invoicesHaveStatus(db);
  const q = db('invoices as i').join('companies as c', 'c.id', 'i.company_id');
  if (s.companyIds !== undefined) q.whereIn('i.company_id', [...s.companyIds]);
  if (s.company !== undefined) q.where('c.code', s.company);
  if (s.status !== undefined) {
    if (stored) q.where('i.status', s.status);
    else if (s.status !== 'issued') q.whereRaw('1 = 0');
  }
  const deliveries = (status: string[]) => db('deliveries as d').whereRaw('d.invoice_id = i.id').whereIn('d.status', status);
  if (s.delivery === 'failed') q.whereExists(deliveries(['failed']));
  if (s.delivery === 'unsent') q.whereExists(deliveries(['pending', 'sending']));
  if (s.delivery === 'sent') q.whereExists(deliveries(['sent'])).whereNotExists(deliveries(['pending', 'sending', 'failed']));
  const countRow = (await q.clone().count({ n: '*' }).first()) as { n: number | string } | undefined;
  const rows = (await q
    .select('i.id', 'i.number', 'c.code as company', 'i.issue_date', 'i.due_date', 'i.currency', 'i.total_minor', ...(stored ? ['i.status'] : []))
    .orderBy('i.id', 'desc')
    .limit(s.limit)
    .offset(s.offset)) as Array<Record<string, unknown>>;
  const counts = new Map<number, InvoiceSummary['deliveries']>();
  if (rows.length > 0) {
    const grouped = await db('deliveries')
      .count({ n: '*' })
      .whereIn(
        'invoice_id',
        rows.map((r) => Number(r.id)),
      )
      .groupBy('invoice_id', 'status')
      .select<Array<Record<string, unknown>>>('invoice_id', 'status');
    for (const g of grouped) {
      const id = Number(g.invoice_id);
      const c = counts.get(id) ?? { pending: 0, sending: 0, sent: 0, failed: 0 };
      c[g.status as keyof InvoiceSummary['deliveries']] = Number(g.n);
      counts.set(id, c);
    }
  }
  return {
    count: Number(countRow?.n ?? 0),
    items: rows.map((r) => ({
      id: Number(r.id),
      number: r.number as string,
      company: r.company as string,
      issueDate: r.issue_date as string,
      dueDate: r.due_date as string,
      currency: r.currency as string,
      total: formatAmount(Number(r.total_minor)),
      status: stored ? (r.status as InvoiceStatus) : 'issued',
      deliveries: counts.get(Number(r.id)) ?? { pending: 0, sending: 0, sent: 0, failed: 0 },
    })),
  };
}

/** One invoice's status (see the module comment). */
export async function findInvoiceStatus(db: Knex, invoiceId: number): Promise<InvoiceStatus> {
  if (!(await invoicesHaveStatus(db))) return 'issued';
  const row = (await db('invoices').where('id', invoiceId).select('status').first()) as { status: InvoiceStatus } | undefined;
  return row?.status ?? 'issued';
}
