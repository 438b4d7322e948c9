/**
 * The failed deliveries across companies (the admin page's queue), the most recently failed first, a page
 * at a time. Deliveries of invoices and of credit notes alike.
 */
import type { Knex } from 'knex';
import type { IntegrationType } from '../domain/integration-settings.js';
import { numberOrNull, readPage, type DbRow } from './read-rows.js';

export interface FailedDelivery {
  id: number;
  /** The number of the invoice or credit note */
  document: string;
  kind: 'invoice' | 'credit_note';
  /** The invoice it belongs to: itself, or the invoice a credit note credits */
  ofInvoice: string;
  company: string;
  integration: IntegrationType;
  attempts: number;
  error: string | null;
  /** When the outbox tries again by itself; null when it has given up */
  nextAttemptAt: number | null;
  failedAt: number;
}

export async function listFailedDeliveries(
  db: Knex,
  q: { companyIds?: readonly number[]; limit: number; offset: number },
): Promise<{ items: FailedDelivery[]; count: number }> {
  const failed = db('deliveries as d').join('invoices as i', 'i.id', 'd.invoice_id').where('d.status', 'failed');
  if (q.companyIds !== undefined) failed.whereIn('i.company_id', [...q.companyIds]);
  const { rows, count } = await readPage(failed, q, (deliveries) =>
    deliveries
      .join('integrations as g', 'g.id', 'd.integration_id')
      .join('companies as c', 'c.id', 'i.company_id')
      .leftJoin('invoices as ci', 'ci.id', 'i.credits_invoice_id')
      .orderBy([
        { column: 'd.updated_at', order: 'desc' },
        { column: 'd.id', order: 'desc' },
      ])
      .select<DbRow[]>(
        'd.id',
        'd.attempts',
        'd.last_error',
        'd.next_attempt_at',
        'd.updated_at',
        'i.number',
        'i.kind',
        'ci.number as credited_invoice',
        'g.type',
        'c.code',
      ),
  );
  return {
    count,
    items: rows.map((r) => ({
      id: Number(r.id),
      document: r.number as string,
      kind: r.kind as FailedDelivery['kind'],
      ofInvoice: (r.credited_invoice as string | null) ?? (r.number as string),
      company: r.code as string,
      integration: r.type as IntegrationType,
      attempts: Number(r.attempts),
      error: (r.last_error as string | null) ?? null,
      nextAttemptAt: numberOrNull(r.next_attempt_at),
      failedAt: Number(r.updated_at),
    })),
  };
}
