/**
 * The chaos suite's audit finds each kind of damage it reports: a suite whose audit always said zero
 * would prove nothing.
 */
import { describe, expect, it } from 'vitest';
import { auditChaos, type AuditInput } from '../chaos/audit.js';
import type { DeliveryView } from '../src/db/deliveries-repo.js';

const FOLDER = '/srv/inbox';

function delivery(id: number, invoiceId: number, invoice: string, integration: 'pdf-emailer' | 'xml-sftp', extra: Partial<DeliveryView> = {}): DeliveryView {
  return {
    id,
    invoiceId,
    invoice,
    ofInvoice: invoice,
    company: 'RA',
    integration,
    integrationEnabled: true,
    status: 'sent',
    attempts: 1,
    error: null,
    nextAttemptAt: null,
    claimedUntil: null,
    sentAt: 1_000_050,
    receipt: null,
    ...extra,
  };
}

type Input = AuditInput & { deliveries: DeliveryView[]; loads: Array<AuditInput['loads'][number]>; emails: Array<AuditInput['emails'][number]> };

/** Two invoices of RA (emailed and uploaded), three orders, all as it should be */
function healthy(): Input {
  return {
    facts: {
      orders: [
        { id: 1, company: 'RA', number: 'O-1', invoiceId: 10 },
        { id: 2, company: 'RA', number: 'O-2', invoiceId: 10 },
        { id: 3, company: 'RA', number: 'O-3', invoiceId: 11 },
      ],
      invoiceOrders: [
        { invoiceId: 10, orderId: 1 },
        { invoiceId: 10, orderId: 2 },
        { invoiceId: 11, orderId: 3 },
      ],
      invoices: [
        { id: 10, number: 'S-000001', company: 'RA', sequenceOwner: 'S', lineCount: 2, orderCount: 2, linesStored: 2, taxGroupsStored: 1, ordersMarked: 2 },
        { id: 11, number: 'S-000002', company: 'RA', sequenceOwner: 'S', lineCount: 1, orderCount: 1, linesStored: 1, taxGroupsStored: 1, ordersMarked: 1 },
      ],
      sequences: [{ owner: 'S', prefix: 'S-', padding: 6, nextValue: 3, issued: 2 }],
    },
    deliveries: [
      delivery(1, 10, 'S-000001', 'pdf-emailer'),
      delivery(2, 10, 'S-000001', 'xml-sftp'),
      delivery(3, 11, 'S-000002', 'pdf-emailer'),
      delivery(4, 11, 'S-000002', 'xml-sftp'),
    ],
    integrations: [
      { company: 'RA', type: 'pdf-emailer', folder: null, includePdf: false },
      { company: 'RA', type: 'xml-sftp', folder: FOLDER, includePdf: true },
    ],
    emails: [
      { messageId: '<invoice-S-000001@oms-invoicing>', acceptedAt: 1_000_000, senderPid: 100 },
      { messageId: '<invoice-S-000002@oms-invoicing>', acceptedAt: 1_000_010, senderPid: 100 },
    ],
    kills: new Map(),
    databaseFaults: [],
    processNames: new Map([[100, '#1 worker --once (exit 0)']]),
    files: ['S-000001.xml', 'S-000001.pdf', 'S-000002.xml', 'S-000002.pdf'].map((name) => ({ folder: FOLDER, name, intact: true })),
    loads: [
      {
        orders: [
          { company: 'RA', number: 'O-1' },
          { company: 'RA', number: 'O-2' },
        ],
        outcome: 'ok',
      },
    ],
  };
}

describe('the chaos audit', () => {
  it('finds nothing wrong when nothing is', () => {
    const result = auditChaos(healthy());
    expect(Object.values(result.figures).every((n) => n === 0)).toBe(true);
    expect(result.sequences).toEqual([{ owner: 'S', prefix: 'S-', issued: 2, invoices: 2, gaps: 0, duplicates: 0 }]);
    expect(result.recordWindow).toMatchObject({ emails: 2, maxMs: 50 });
  });

  it('finds an order on two invoices, and one never invoiced', () => {
    const input = healthy();
    input.facts.invoiceOrders.push({ invoiceId: 11, orderId: 1 });
    input.facts.orders.push({ id: 4, company: 'RA', number: 'O-4', invoiceId: null });
    const { figures, examples } = auditChaos(input);
    expect([figures.ordersInvoicedTwice, figures.ordersNeverInvoiced]).toEqual([1, 1]);
    expect(examples.ordersInvoicedTwice).toEqual(['RA O-1']);
  });

  it('finds a number skipped, a number issued twice, and a counter that disagrees', () => {
    const skipped = healthy();
    skipped.facts.invoices[1]!.number = 'S-000003';
    skipped.facts.sequences[0]!.nextValue = 4;
    expect(auditChaos(skipped).figures.numberGaps).toBeGreaterThan(0);
    const twice = healthy();
    twice.facts.invoices[1]!.number = 'S-000001';
    expect(auditChaos(twice).figures.numberDuplicates).toBe(1);
  });

  it('finds an invoice without its lines or a delivery, and a load half-written or lost', () => {
    const input = healthy();
    input.facts.invoices[0]!.linesStored = 1;
    input.deliveries.pop();
    input.loads.push({
      orders: [
        { company: 'RA', number: 'O-3' },
        { company: 'RA', number: 'O-9' },
      ],
      outcome: 'killed',
    });
    input.loads.push({ orders: [{ company: 'RA', number: 'O-8' }], outcome: 'ok' });
    const { figures } = auditChaos(input);
    expect([figures.invoicesHalfWritten, figures.loadsHalfWritten, figures.ordersLostByLoads]).toEqual([2, 1, 1]);
  });

  it('finds deliveries not sent, files missing, partial or stray, temp files left', () => {
    const input = healthy();
    input.deliveries[1] = delivery(2, 10, 'S-000001', 'xml-sftp', { status: 'failed', error: 'disk full' });
    input.files = [
      { folder: FOLDER, name: 'S-000001.xml', intact: false },
      { folder: FOLDER, name: 'S-000002.xml', intact: true },
      { folder: FOLDER, name: 'S-000002.pdf', intact: true },
      { folder: FOLDER, name: '.S-000001.pdf.part-0123456789ab', intact: null },
      { folder: FOLDER, name: 'S-000009.xml', intact: null },
    ];
    const { figures } = auditChaos(input);
    expect(figures).toMatchObject({ deliveriesNotSent: 1, filesMissing: 1, partialFiles: 1, tempFilesLeft: 1, phantomDeliveries: 1 });
  });

  it('finds an email lost, and explains each one sent twice', () => {
    const input = healthy();
    input.emails = [
      // S-000001 three times: its first sender was killed 30 ms after the 250; the second lived on
      { messageId: '<invoice-S-000001@oms-invoicing>', acceptedAt: 1_000_000, senderPid: 100 },
      { messageId: '<invoice-S-000001@oms-invoicing>', acceptedAt: 1_005_000, senderPid: 101 },
      { messageId: '<invoice-S-000001@oms-invoicing>', acceptedAt: 1_009_000, senderPid: 102 },
      // and an email of an invoice that does not exist
      { messageId: '<invoice-S-000042@oms-invoicing>', acceptedAt: 1_009_000, senderPid: 102 },
    ];
    input.kills = new Map([[100, 1_000_030]]);
    const { figures, duplicates } = auditChaos(input);
    expect([figures.emailsLost, figures.emailsSentTwice, figures.phantomDeliveries]).toEqual([1, 2, 1]);
    expect(duplicates).toEqual({
      killedAfter250: 1,
      killedAfter250DuringDatabaseFault: 0,
      killedBefore250: 0,
      other: 1,
      killDelayMedianMs: 30,
      killDelayMaxMs: 30,
    });
  });

  it('tells a kill in the window that a MariaDB fault held the record up', () => {
    const input = healthy();
    input.emails.push({ messageId: '<invoice-S-000001@oms-invoicing>', acceptedAt: 1_004_000, senderPid: 101 });
    input.kills = new Map([[100, 1_000_400]]);
    input.databaseFaults = [{ from: 999_500, to: 1_000_100 }];
    expect(auditChaos(input).duplicates).toMatchObject({ killedAfter250: 1, killedAfter250DuringDatabaseFault: 1 });
  });
});
