/**
 * How invoices appear in lists: status and deliveries in words, links by number and company code.
 */
import type { InvoiceStatus } from '../../db/credit-notes-repo.js';
import type { InvoiceListItem } from '../../db/invoices-repo.js';
import { pathOf } from './format.js';

export const INVOICE_STATUSES: readonly InvoiceStatus[] = ['issued', 'partially_credited', 'credited'];

export const STATUS_LABELS: Record<InvoiceStatus, string> = {
  issued: 'issued',
  partially_credited: 'partially credited',
  credited: 'credited',
};

const DELIVERY_STATUSES = ['sent', 'pending', 'sending', 'failed'] as const;

export const invoiceRow = (i: InvoiceListItem) => ({
  ...i,
  href: pathOf.invoice(i.number),
  companyHref: pathOf.company(i.company),
  statusLabel: STATUS_LABELS[i.status],
  deliverySummary: DELIVERY_STATUSES.map((status) => ({ status, count: i.deliveries.filter((d) => d.status === status).length })).filter((d) => d.count > 0),
});
