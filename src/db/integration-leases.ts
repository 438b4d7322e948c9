/**
 * The scheduler's leases on integrations: a worker owns an integration while it runs it, until
 * `lease_until`. Claiming is one conditional UPDATE, so among any number of workers sharing the database
 * exactly one wins each integration; a lease whose worker died expires and the integration is due again.
 */
import type { Knex } from 'knex';
import { valueById } from './bulk-insert.js';
import { retryOnConflict } from './connect.js';

/**
 * Claims the integrations still enabled and due as of `at` whose lease is free or expired; returns the ids
 * this worker won.
 */
export async function claimIntegrations(db: Knex, ids: readonly number[], at: number, token: string, now: number, leaseMs: number): Promise<Set<number>> {
  const changed = await retryOnConflict(() =>
    db('integrations')
      .whereIn('id', [...ids])
      .where('enabled', true)
      .where('next_invoice_at', '<=', at)
      .where((w) => w.whereNull('lease_until').orWhere('lease_until', '<', now))
      .update({ lease_owner: token, lease_until: now + leaseMs }),
  );
  if (changed === ids.length) return new Set(ids);
  if (changed === 0) return new Set();
  const won = await db('integrations')
    .whereIn('id', [...ids])
    .where('lease_owner', token)
    .select<Array<{ id: number | string }>>('id');
  return new Set(won.map((r) => Number(r.id)));
}

/** Extends the leases this token holds. */
export async function renewIntegrationLeases(db: Knex, ids: readonly number[], token: string, until: number): Promise<void> {
  await retryOnConflict(() =>
    db('integrations')
      .whereIn('id', [...ids])
      .where('lease_owner', token)
      .update({ lease_until: until }),
  );
}

/** Each integration's next run time, given back with its lease (one statement); returns how many this token still held. */
export async function releaseIntegrations(
  db: Knex,
  token: string,
  next: ReadonlyArray<{ integrationId: number; nextInvoiceAt: number }>,
  now: number,
): Promise<number> {
  if (next.length === 0) return 0;
  return retryOnConflict(() =>
    db('integrations')
      .whereIn(
        'id',
        next.map((n) => n.integrationId),
      )
      .where('lease_owner', token)
      .update({
        next_invoice_at: valueById(
          db,
          next.map((n) => [n.integrationId, n.nextInvoiceAt] as const),
        ),
        lease_owner: null,
        lease_until: null,
        updated_at: now,
      }),
  );
}
