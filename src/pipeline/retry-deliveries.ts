/**
 * A person asks for failed deliveries to be sent again now (`deliveries retry`, the admin page's Retry):
 * one delivery by id, or every failed delivery of an invoice. Also takes a delivery left `sending` by a
 * process that died, once its claim has expired. Refused while the integration is disabled, since the
 * outbox would not send it.
 */
import { findRetryCandidates, resetDeliveriesForRetry, type RetryCandidate } from '../db/delivery-retry-repo.js';
import { inputError } from '../domain/errors.js';
import type { RunDeps } from './run-company.js';

export interface RetryResult {
  id: number;
  invoice: string;
  integration: string;
  status: string;
  error: string | null;
}

export type RetryTarget = { deliveryId: number } | { invoiceNumber: string };

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The deliveries a retry names; `visible` drops those the caller may not see (they read as unknown).
 * Problems are reported under `path` (the caller's name for the target).
 */
export async function retryDeliveries(
  deps: RunDeps,
  target: RetryTarget,
  options: { path: string; label: string; visible?: (c: RetryCandidate) => boolean },
): Promise<RetryResult[]> {
  const { db, clock } = deps;
  const { path, label } = options;
  const rows = (await findRetryCandidates(db, target)).filter(options.visible ?? (() => true));
  if (rows.length === 0) throw inputError([{ path, message: `no delivery or invoice "${label}"` }]);
  const now = clock.now();
  const candidates = rows.filter(
    (r) => r.status === 'failed' || r.status === 'pending' || (r.status === 'sending' && r.claimedUntil !== null && r.claimedUntil < now),
  );
  if (candidates.length === 0) {
    const sending = rows.filter((r) => r.status === 'sending' && r.claimedUntil !== null);
    const busy = sending.length > 0 ? ` (being sent by another process, claimed until ${iso(Math.max(...sending.map((r) => r.claimedUntil!)))})` : '';
    throw inputError([{ path, message: `nothing to retry: the deliveries of "${label}" are ${[...new Set(rows.map((r) => r.status))].join(', ')}${busy}` }]);
  }
  const disabled = candidates.filter((r) => !r.enabled);
  const retryable = candidates.filter((r) => r.enabled);
  if (retryable.length === 0) {
    const types = [...new Set(disabled.map((r) => r.type))].join(' and ');
    throw inputError([{ path, message: `the ${types} integration of "${label}" is disabled: enable it, then retry` }]);
  }
  await resetDeliveriesForRetry(
    db,
    retryable.map((r) => r.id),
    now,
  );
  const delivered = await deps.deliverer.deliverPending({ invoiceIds: [...new Set(retryable.map((r) => r.invoiceId))] });
  return [
    ...retryable.map((r) => {
      const o = delivered.find((d) => d.deliveryId === r.id);
      // Not in this pass: another process took it first
      return o
        ? { id: r.id, invoice: o.invoice, integration: o.integration, status: o.status, error: o.error }
        : { id: r.id, invoice: r.number, integration: r.type, status: 'sending', error: 'taken over by another process' };
    }),
    ...disabled.map((r) => ({ id: r.id, invoice: r.number, integration: r.type, status: r.status, error: 'not retried: the integration is disabled' })),
  ].sort((a, b) => a.id - b.id);
}
