/**
 * Reading invoices for people and for renderers.
 */
import type { Knex } from 'knex';
import { formatAmount } from '../domain/money.js';

export interface InvoiceListItem {
  number: string;
  company: string;
  seller: string;
  issueDate: string;
  dueDate: string;
  currency: string;
  net: string;
  tax: string;
  total: string;
  orders: string[];
  deliveries: Array<{
    id: number;
    integration: string;
    status: string;
    attempts: number;
    error: string | null;
    nextAttemptAt: string | null;
    receipt: string | null;
  }>;
}

const iso = (ms: unknown): string | null => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

export interface InvoiceFilter {
  company?: string;
  /** Only invoices of these companies, by id (an API token's scope) */
  companyIds?: readonly number[];
}

function invoicesQuery(db: Knex, filter: InvoiceFilter): Knex.QueryBuilder {
  const q = db('invoices as i').join('companies as c', 'c.id', 'i.company_id');
  if (filter.company !== undefined) q.where('c.code', filter.company);
  if (filter.companyIds !== undefined) q.whereIn('i.company_id', [...filter.companyIds]);
  return q;
}

export async function countInvoices(db: Knex, filter: InvoiceFilter = {}): Promise<number> {
  const row = (await invoicesQuery(db, filter).count({ n: '*' }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

/** The invoice with this number and the code of the company it was raised against, or null. */
export async function findInvoiceByNumber(db: Knex, number: string): Promise<{ id: number; companyId: number; company: string } | null> {
  const row = (await invoicesQuery(db, {}).where('i.number', number).first('i.id', 'i.company_id', 'c.code')) as Record<string, unknown> | undefined;
  return row ? { id: Number(row.id), companyId: Number(row.company_id), company: row.code as string } : null;
}

/** Invoices in the order they were issued. */
export async function listInvoices(db: Knex, filter: InvoiceFilter & { limit?: number; offset?: number } = {}): Promise<InvoiceListItem[]> {
  const q = invoicesQuery(db, filter)
    .join('companies as s', 's.id', 'i.seller_id')
    .select(
      'i.id',
      'i.number',
      'c.code as company',
      's.code as seller',
      'i.issue_date',
      'i.due_date',
      'i.currency',
      'i.net_minor',
      'i.tax_minor',
      'i.total_minor',
    )
    .orderBy('i.id', 'asc');
  if (filter.limit !== undefined) q.limit(filter.limit);
  if (filter.offset !== undefined) q.offset(filter.offset);
  const rows = (await q) as Array<Record<string, unknown>>;
  const ids = rows.map((r) => Number(r.id));
  const orders = new Map<number, string[]>();
  const deliveries = new Map<number, InvoiceListItem['deliveries']>();
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    const orderRows = (await db('orders').whereIn('invoice_id', part).orderBy(['created_at', 'number']).select('invoice_id', 'number')) as Array<{
      invoice_id: number;
      number: string;
    }>;
    for (const o of orderRows) {
      const list = orders.get(Number(o.invoice_id)) ?? [];
      list.push(o.number);
      orders.set(Number(o.invoice_id), list);
    }
    const deliveryRows = (await db('deliveries as d')
      .join('integrations as g', 'g.id', 'd.integration_id')
      .whereIn('d.invoice_id', part)
      .orderBy(['d.invoice_id', 'g.type'])
      .select('d.id', 'd.invoice_id', 'g.type', 'd.status', 'd.attempts', 'd.last_error', 'd.next_attempt_at', 'd.receipt')) as Array<Record<string, unknown>>;
    for (const d of deliveryRows) {
      const list = deliveries.get(Number(d.invoice_id)) ?? [];
      list.push({
        id: Number(d.id),
        integration: d.type as string,
        status: d.status as string,
        attempts: Number(d.attempts),
        error: (d.last_error as string | null) ?? null,
        nextAttemptAt: d.status === 'failed' ? iso(d.next_attempt_at) : null,
        receipt: (d.receipt as string | null) ?? null,
      });
      deliveries.set(Number(d.invoice_id), list);
    }
  }
  return rows.map((r) => ({
    number: r.number as string,
    company: r.company as string,
    seller: r.seller as string,
    issueDate: r.issue_date as string,
    dueDate: r.due_date as string,
    currency: r.currency as string,
    net: formatAmount(Number(r.net_minor)),
    tax: formatAmount(Number(r.tax_minor)),
    total: formatAmount(Number(r.total_minor)),
    orders: orders.get(Number(r.id)) ?? [],
    deliveries: deliveries.get(Number(r.id)) ?? [],
  }));
}
