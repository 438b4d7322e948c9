/**
 * How invoices appear in lists: status and delivery state in words, links by number and company code.
 */
import type { DeliveryState, InvoiceStatus, InvoiceSummary } from '../../db/invoice-search-repo.js';
import { pathOf } from './format.js';

export const STATUS_LABELS: Record<InvoiceStatus, string> = {
  issued: 'issued',
  partially_credited: 'partially credited',
  credited: 'credited',
};

export const DELIVERY_LABELS: Record<DeliveryState, string> = { failed: 'some failed', unsent: 'some not sent yet', sent: 'all sent' };

export const invoiceRow = (i: InvoiceSummary) => ({
  ...i,
  href: pathOf.invoice(i.number),
  companyHref: pathOf.company(i.company),
  statusLabel: STATUS_LABELS[i.status],
  deliverySummary: (['sent', 'pending', 'sending', 'failed'] as const).filter((s) => i.deliveries[s] > 0).map((s) => ({ status: s, count: i.deliveries[s] })),
});
