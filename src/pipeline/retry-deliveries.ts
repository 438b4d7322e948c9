/**
 * A person asks for deliveries to be sent again now (`deliveries retry`, the admin page's `Retry`): one
 * delivery by id, or every failed one of an invoice. They get a fresh set of attempts and are sent at once.
 * Failed or still pending deliveries qualify, and so does one left `sending` by a process that died (its
 * claim has expired); one being sent right now does not, and neither does one whose integration is disabled
 * (the outbox delivers only through enabled integrations).
 */
import { listDeliveries, resetDeliveriesForRetry, type DeliveryView } from '../db/deliveries-repo.js';
import { inputError } from '../domain/errors.js';
import type { RunDeps } from './run-integrations.js';

export interface RetriedDelivery {
  id: number;
  invoice: string;
  integration: string;
  status: string;
  error: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `target`: a delivery id (digits) or an invoice number. Input errors name `path`. */
export async function retryDeliveries(deps: RunDeps, target: string, path = 'idOrNumber'): Promise<RetriedDelivery[]> {
  const rows = await listDeliveries(deps.db, /^\d+$/.test(target) ? { id: Number(target) } : { invoiceNumber: target });
  if (rows.length === 0) throw inputError([{ path, message: `no delivery or invoice "${target}"` }]);
  const now = deps.clock.now();
  const expired = (r: DeliveryView) => r.status === 'sending' && r.claimedUntil !== null && r.claimedUntil < now;
  const candidates = rows.filter((r) => r.status === 'failed' || r.status === 'pending' || expired(r));
  if (candidates.length === 0) {
    const claims = rows.filter((r) => r.status === 'sending' && r.claimedUntil !== null).map((r) => r.claimedUntil!);
    const busy = claims.length > 0 ? ` (being sent by another process, claimed until ${iso(Math.max(...claims))})` : '';
    throw inputError([{ path, message: `nothing to retry: the deliveries of "${target}" are ${[...new Set(rows.map((r) => r.status))].join(', ')}${busy}` }]);
  }
  const disabled = candidates.filter((r) => !r.integrationEnabled);
  const retryable = candidates.filter((r) => r.integrationEnabled);
  if (retryable.length === 0) {
    const types = [...new Set(disabled.map((r) => r.integration))].join(' and ');
    throw inputError([{ path, message: `the ${types} integration of "${target}" is disabled: enable it, then retry` }]);
  }
  await resetDeliveriesForRetry(
    deps.db,
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
        : { id: r.id, invoice: r.invoice, integration: r.integration, status: 'sending', error: 'taken over by another process' };
    }),
    ...disabled.map((r) => ({ id: r.id, invoice: r.invoice, integration: r.integration, status: r.status, error: 'not retried: the integration is disabled' })),
  ].sort((a, b) => a.id - b.id);
}
