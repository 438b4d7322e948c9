/**
 * The small policies the scheduler and the outbox apply, tested on their own: how a tick sizes and plans its
 * batches, and how long a failed delivery waits before its next attempt.
 */
import { describe, expect, it } from 'vitest';
import type { IntegrationRecord } from '../../src/db/integrations-repo.js';
import type { CompanyRecord, RunParties } from '../../src/domain/company.js';
import { AppError } from '../../src/domain/errors.js';
import { nextAttemptDelayMs } from '../../src/pipeline/outbox.js';
import { BATCH_COMPANIES, batchSizeForTick, planBatches } from '../../src/scheduler/plan-batches.js';

const company = (id: number, code: string): CompanyRecord => ({
  id,
  code,
  name: code,
  type: 'dropship',
  parentId: null,
  timezone: 'Europe/London',
  email: null,
  vatNumber: null,
  endpoint: null,
  address: null,
  sharedSequence: false,
  invoicing: { currency: 'GBP', paymentTermsDays: 30, paymentDetails: null, iban: null, bic: null, logoSha256: null, layout: 'combined' },
});

const integration = (id: number, companyCode: string, type: IntegrationRecord['type'] = 'pdf-emailer'): IntegrationRecord => ({
  id,
  companyId: id,
  companyCode,
  timezone: 'Europe/London',
  enabled: true,
  includeOrdersWithErrors: false,
  startingFrom: null,
  schedule: null,
  nextInvoiceAt: 0,
  lastRunAt: null,
  lastResult: null,
  ...(type === 'pdf-emailer'
    ? { type, settings: { emailTo: 'ap@x.example', emailBcc: null } }
    : { type, settings: { target: 'file:///tmp', privateKeyFile: null, passwordEnv: null, hostKeySha256: null, includePdf: false } }),
});

const partiesUnder = (ownerId: number, buyer: CompanyRecord): RunParties => {
  const owner = company(ownerId, `OWNER${ownerId}`);
  return { buyer, seller: owner, sequenceOwner: owner, user: null };
};

describe('batch sizing', () => {
  it('makes four batches per slot of concurrency for a small tick, never fewer than one company each', () => {
    expect(batchSizeForTick(0, 4, BATCH_COMPANIES)).toBe(1);
    expect(batchSizeForTick(1, 4, BATCH_COMPANIES)).toBe(1);
    expect(batchSizeForTick(16, 4, BATCH_COMPANIES)).toBe(1);
    expect(batchSizeForTick(17, 4, BATCH_COMPANIES)).toBe(2);
    expect(batchSizeForTick(400, 4, BATCH_COMPANIES)).toBe(25);
  });

  it('never exceeds the configured most companies per batch', () => {
    expect(batchSizeForTick(10_000, 4, BATCH_COMPANIES)).toBe(50);
    expect(batchSizeForTick(10_000, 4, 1)).toBe(1);
    expect(batchSizeForTick(10_000, 1, 1000)).toBe(1000);
  });
});

describe('batch planning', () => {
  it('groups due integrations by sequence owner, in due order, up to the batch size', () => {
    const codes = ['A1', 'A2', 'B1', 'A3', 'B2'];
    const due = codes.map((code, i) => integration(i + 1, code));
    const parties = new Map(codes.map((code, i) => [code, partiesUnder(code.startsWith('A') ? 100 : 200, company(i + 1, code))]));
    const batches = planBatches(due, parties, 2);
    expect(batches.map((b) => b.members.map((m) => m.integration.companyCode))).toEqual([['A1', 'A2'], ['B1', 'B2'], ['A3']]);
    expect(batches.flatMap((b) => b.members.map((m) => m.order)).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("puts a company's second due integration in a later batch, so that one invoices and the other delivers", () => {
    const due = [integration(1, 'A1', 'pdf-emailer'), integration(2, 'A1', 'xml-sftp'), integration(3, 'A2')];
    const parties = new Map([
      ['A1', partiesUnder(100, company(1, 'A1'))],
      ['A2', partiesUnder(100, company(3, 'A2'))],
    ]);
    const batches = planBatches(due, parties, 50);
    expect(batches.map((b) => b.members.map((m) => m.integration.id))).toEqual([[1, 3], [2]]);
  });

  it('runs a company whose parties cannot be resolved alone, carrying the reason', () => {
    const reason = new AppError('INPUT', 'B1 has no supplier above it, so there is no seller to invoice from');
    const due = [integration(1, 'A1'), integration(2, 'B1'), integration(3, 'A2')];
    const parties = new Map<string, RunParties | Error>([
      ['A1', partiesUnder(100, company(1, 'A1'))],
      ['B1', reason],
      ['A2', partiesUnder(100, company(3, 'A2'))],
    ]);
    const batches = planBatches(due, parties, 50);
    expect(batches.map((b) => b.members.map((m) => m.integration.id))).toEqual([[1, 3], [2]]);
    expect(batches[1]!.members[0]!.parties).toBe(reason);
  });
});

describe('delivery back-off', () => {
  const policy = { backoffSeconds: 60 };
  const middle = () => 0.5;

  it('doubles the wait with each attempt, starting at the configured back-off', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => nextAttemptDelayMs(attempt, policy, middle))).toEqual([60_000, 120_000, 240_000, 480_000, 960_000]);
  });

  it('waits at most a day', () => {
    expect(nextAttemptDelayMs(30, policy, middle)).toBe(24 * 3600 * 1000);
  });

  it('spreads retries by ±20 % so that failures at one instant do not retry at one instant', () => {
    expect(nextAttemptDelayMs(1, policy, () => 0)).toBe(48_000);
    expect(nextAttemptDelayMs(1, policy, () => 0.999999)).toBe(72_000);
    const delays = new Set(Array.from({ length: 50 }, () => nextAttemptDelayMs(3, policy, Math.random)));
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(192_000);
      expect(d).toBeLessThanOrEqual(288_000);
    }
    expect(delays.size).toBeGreaterThan(10);
  });
});
