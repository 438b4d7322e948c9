/**
 * The facts a consistency audit checks once the work has settled (the chaos suite, chaos/audit.ts): every
 * order and the invoices its lines are on, every invoice with what was stored of it, every numbering
 * sequence. Read-only; deliveries and integrations come from their own repositories.
 */
import type { Knex } from 'knex';

export interface ConsistencyFacts {
  orders: Array<{ id: number; company: string; number: string; invoiceId: number | null }>;
  /** The distinct (invoice, order) pairs of the invoice lines */
  invoiceOrders: Array<{ invoiceId: number; orderId: number }>;
  invoices: Array<{
    id: number;
    number: string;
    company: string;
    /** The code of the company whose counter numbered it */
    sequenceOwner: string;
    lineCount: number;
    orderCount: number;
    /** Lines and tax groups stored for it, orders marked with it */
    linesStored: number;
    taxGroupsStored: number;
    ordersMarked: number;
  }>;
  sequences: Array<{ owner: string; prefix: string; padding: number; nextValue: number; issued: number }>;
}

type Row = Record<string, unknown>;

const countsBy = async (db: Knex, table: string, column: string): Promise<Map<number, number>> =>
  new Map((await db<Row>(table).whereNotNull(column).select(column).count({ n: '*' }).groupBy(column)).map((r: Row) => [Number(r[column]), Number(r.n)]));

export async function readConsistencyFacts(db: Knex): Promise<ConsistencyFacts> {
  const orders: Row[] = await db<Row>('orders as o').join('companies as c', 'c.id', 'o.company_id').select('o.id', 'c.code', 'o.number', 'o.invoice_id');
  const pairs: Row[] = await db<Row>('invoice_lines').distinct('invoice_id', 'order_id');
  const invoices: Row[] = await db<Row>('invoices as i')
    .join('companies as c', 'c.id', 'i.company_id')
    .join('companies as s', 's.id', 'i.sequence_owner_id')
    .select('i.id', 'i.number', 'c.code as company', 's.code as owner', 'i.line_count', 'i.order_count');
  const lines = await countsBy(db, 'invoice_lines', 'invoice_id');
  const taxGroups = await countsBy(db, 'invoice_tax_groups', 'invoice_id');
  const marked = await countsBy(db, 'orders', 'invoice_id');
  const sequences: Row[] = await db<Row>('sequences as q')
    .join('companies as c', 'c.id', 'q.owner_company_id')
    .select('c.code', 'q.prefix', 'q.padding', 'q.next_value', 'q.issued');
  return {
    orders: orders.map((r) => ({
      id: Number(r.id),
      company: r.code as string,
      number: r.number as string,
      invoiceId: r.invoice_id === null ? null : Number(r.invoice_id),
    })),
    invoiceOrders: pairs.map((r) => ({ invoiceId: Number(r.invoice_id), orderId: Number(r.order_id) })),
    invoices: invoices.map((r) => {
      const id = Number(r.id);
      return {
        id,
        number: r.number as string,
        company: r.company as string,
        sequenceOwner: r.owner as string,
        lineCount: Number(r.line_count),
        orderCount: Number(r.order_count),
        linesStored: lines.get(id) ?? 0,
        taxGroupsStored: taxGroups.get(id) ?? 0,
        ordersMarked: marked.get(id) ?? 0,
      };
    }),
    sequences: sequences.map((r) => ({
      owner: r.code as string,
      prefix: r.prefix as string,
      padding: Number(r.padding),
      nextValue: Number(r.next_value),
      issued: Number(r.issued),
    })),
  };
}
