/**
 * How a tick groups its due integrations: in batches of companies that share a sequence owner (their runs
 * would queue at the owner's counter row anyway), so that statements are per batch, not per run.
 */
import type { IntegrationRecord } from '../db/integrations-repo.js';
import type { RunParties } from '../domain/company.js';

export interface BatchMember {
  integration: IntegrationRecord;
  /** The run's parties, or why the company cannot run */
  parties: RunParties | Error;
  /** Position among the tick's due integrations (reports keep that order) */
  order: number;
}

export interface Batch {
  members: BatchMember[];
  companies: Set<string>;
}

/** Companies per batch by default: enough to make the statements per run few, and a transaction short */
export const BATCH_COMPANIES = 50;

/**
 * The batch size for this tick: at most `max`, and small enough that there are four batches per slot of
 * concurrency, so that several workers ticking together share a small tick, and a stopping worker has
 * little in flight.
 */
export function batchSizeForTick(due: number, concurrency: number, max: number): number {
  return Math.max(1, Math.min(max, Math.ceil(due / (4 * concurrency))));
}

/**
 * Groups the due integrations (in due order) into batches per sequence owner. A company with several due
 * integrations has them in successive batches, so that the first invoices and the others deliver. One
 * whose parties cannot be resolved (no supplier above it, …) runs alone and fails with that reason.
 */
export function planBatches(due: readonly IntegrationRecord[], parties: ReadonlyMap<string, RunParties | Error>, size: number): Batch[] {
  const batches: Batch[] = [];
  const open = new Map<number, Batch[]>();
  due.forEach((integration, order) => {
    const p = parties.get(integration.companyCode) ?? new Error(`company ${integration.companyCode} not found`);
    const member = { integration, parties: p, order };
    if (p instanceof Error) {
      batches.push({ members: [member], companies: new Set([integration.companyCode]) });
      return;
    }
    const ownerBatches = open.get(p.sequenceOwner.id) ?? [];
    open.set(p.sequenceOwner.id, ownerBatches);
    let batch = ownerBatches.find((b) => b.members.length < size && !b.companies.has(integration.companyCode));
    if (!batch) {
      batch = { members: [], companies: new Set() };
      ownerBatches.push(batch);
      batches.push(batch);
    }
    batch.members.push(member);
    batch.companies.add(integration.companyCode);
  });
  return batches;
}
