/**
 * The proof: once everything has settled, what the database, the SMTP server and the SFTP folders hold,
 * checked against what must hold after any number of kills and faults. Pure: gather.ts collects the facts.
 */
import { safeFileStem } from '../integrations/contract.js';
import type { ConsistencyFacts } from '../src/db/consistency-repo.js';
import type { DeliveryView } from '../src/db/deliveries-repo.js';
import type { OrderRef } from './dataset.js';

export interface AuditInput {
  facts: ConsistencyFacts;
  deliveries: readonly DeliveryView[];
  /** The enabled integrations of each company: email, and/or uploads to a folder */
  integrations: ReadonlyArray<{ company: string; type: 'pdf-emailer' | 'xml-sftp'; folder: string | null; includePdf: boolean }>;
  /** Every message the SMTP server accepted (answered 250), with the process that sent it when known */
  emails: ReadonlyArray<{ messageId: string | null; acceptedAt: number; senderPid: number | null }>;
  /** The processes the suite killed (SIGKILL), by pid: when */
  kills: ReadonlyMap<number, number>;
  /** Every process of the suite, by pid, as a report names it */
  processNames: ReadonlyMap<number, string>;
  /** Every file in the upload folders; for a final name of an invoice, whether its bytes are the invoice's artefact */
  files: ReadonlyArray<{ folder: string; name: string; intact: boolean | null }>;
  /** When MariaDB was restarting or losing its connections */
  databaseFaults: ReadonlyArray<{ from: number; to: number | null }>;
  /** Every load the rounds started, with how it ended */
  loads: ReadonlyArray<{ orders: readonly OrderRef[]; outcome: 'ok' | 'killed' | 'failed' }>;
}

/** The figures; all but `emailsSentTwice` (at-least-once allows it) must be zero */
export interface Figures {
  ordersInvoicedTwice: number;
  ordersNeverInvoiced: number;
  numberGaps: number;
  numberDuplicates: number;
  invoicesHalfWritten: number;
  loadsHalfWritten: number;
  ordersLostByLoads: number;
  deliveriesNotSent: number;
  filesMissing: number;
  partialFiles: number;
  tempFilesLeft: number;
  /** Emails or files for numbers that no invoice has (a delivery of work that was rolled back) */
  phantomDeliveries: number;
  emailsLost: number;
  emailsSentTwice: number;
}

export const ALLOWED_NONZERO: ReadonlySet<keyof Figures> = new Set(['emailsSentTwice']);

export interface SequenceAudit {
  owner: string;
  prefix: string;
  /** What the counter says it issued */
  issued: number;
  invoices: number;
  gaps: number;
  duplicates: number;
}

/** Why each email was sent again: what became of the process that sent the copy before it */
export interface DuplicateAudit {
  /** Killed within WINDOW_BOUND_MS after the server's 250: between the 250 and its record of `sent` */
  killedAfter250: number;
  /** Of those, how many while a MariaDB fault held the record up (restarting, connections killed) */
  killedAfter250DuringDatabaseFault: number;
  /** Killed before the 250 was sent: the whole message had reached the server, the answer never reached it */
  killedBefore250: number;
  /** Anything else: a record lost to a database fault, a claim that ran out while the sender was held up */
  other: number;
  /** Of the first kind: how long after the 250 the kill came (ms), the median and the largest */
  killDelayMedianMs: number | null;
  killDelayMaxMs: number | null;
}

/**
 * The window itself, measured on every email sent exactly once: from the server's 250 to the moment the
 * outbox wrote `sent` (the delivery's sent_at; the UPDATE's own time comes on top)
 */
export interface RecordWindow {
  emails: number;
  medianMs: number | null;
  p90Ms: number | null;
  maxMs: number | null;
}

/** A kill later than this after the 250 is not counted as one in the window (a record takes milliseconds) */
export const WINDOW_BOUND_MS = 2000;

export interface AuditResult {
  figures: Figures;
  sequences: SequenceAudit[];
  duplicates: DuplicateAudit;
  recordWindow: RecordWindow;
  totals: { orders: number; invoices: number; deliveries: number; emails: number; files: number };
  /** Up to ten examples per failing figure, for the report */
  examples: Partial<Record<keyof Figures, string[]>>;
}

const TEMP_FILE = /^\..+\.part-[0-9a-f]{12}$/;

function auditSequences(facts: ConsistencyFacts): SequenceAudit[] {
  return facts.sequences.map((seq) => {
    const values = facts.invoices
      .filter((i) => i.sequenceOwner === seq.owner && i.number.startsWith(seq.prefix))
      .map((i) => Number(i.number.slice(seq.prefix.length)));
    const distinct = new Set(values);
    let gaps = 0;
    // The counter started at 1 (the suite never sets a start); every number below the next is issued once
    for (let v = 1; v < seq.nextValue; v++) if (!distinct.has(v)) gaps++;
    const beyond = [...distinct].filter((v) => v >= seq.nextValue).length;
    return {
      owner: seq.owner,
      prefix: seq.prefix,
      issued: seq.issued,
      invoices: values.length,
      // A counter that disagrees with itself or with the invoices counts as one more gap
      gaps: gaps + (seq.issued === seq.nextValue - 1 && seq.issued === values.length ? 0 : 1),
      duplicates: values.length - distinct.size + beyond,
    };
  });
}

function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

export function auditChaos(input: AuditInput): AuditResult {
  const { facts } = input;
  const examples: Partial<Record<keyof Figures, string[]>> = {};
  const note = (figure: keyof Figures, what: string) => {
    const list = (examples[figure] ??= []);
    if (list.length < 10) list.push(what);
  };

  // Orders: on exactly one invoice, and marked with it
  const invoicesOfOrder = new Map<number, Set<number>>();
  for (const p of facts.invoiceOrders) {
    const set = invoicesOfOrder.get(p.orderId) ?? new Set<number>();
    set.add(p.invoiceId);
    invoicesOfOrder.set(p.orderId, set);
  }
  let ordersInvoicedTwice = 0;
  let ordersNeverInvoiced = 0;
  for (const o of facts.orders) {
    const on = invoicesOfOrder.get(o.id) ?? new Set<number>();
    if (on.size > 1 || (o.invoiceId !== null && on.size === 1 && !on.has(o.invoiceId))) {
      ordersInvoicedTwice++;
      note('ordersInvoicedTwice', `${o.company} ${o.number}`);
    } else if (o.invoiceId === null || on.size === 0) {
      ordersNeverInvoiced++;
      note('ordersNeverInvoiced', `${o.company} ${o.number}`);
    }
  }

  // Invoices: whole (lines, tax groups, orders, one delivery per enabled integration)
  const ordersOnInvoice = new Map<number, number>();
  for (const p of facts.invoiceOrders) ordersOnInvoice.set(p.invoiceId, (ordersOnInvoice.get(p.invoiceId) ?? 0) + 1);
  const deliveriesOf = new Map<number, DeliveryView[]>();
  for (const d of input.deliveries) deliveriesOf.set(d.invoiceId, [...(deliveriesOf.get(d.invoiceId) ?? []), d]);
  const integrationsOf = (company: string) => input.integrations.filter((g) => g.company === company);
  let invoicesHalfWritten = 0;
  for (const i of facts.invoices) {
    const whole =
      i.linesStored === i.lineCount &&
      i.lineCount > 0 &&
      i.taxGroupsStored > 0 &&
      i.ordersMarked === i.orderCount &&
      (ordersOnInvoice.get(i.id) ?? 0) === i.orderCount &&
      (deliveriesOf.get(i.id)?.length ?? 0) === integrationsOf(i.company).length;
    if (!whole) {
      invoicesHalfWritten++;
      note('invoicesHalfWritten', i.number);
    }
  }

  // Loads: all or nothing; a load that reported success lost nothing
  const stored = new Set(facts.orders.map((o) => `${o.company}\u0000${o.number}`));
  let loadsHalfWritten = 0;
  let ordersLostByLoads = 0;
  for (const load of input.loads) {
    const present = load.orders.filter((o) => stored.has(`${o.company}\u0000${o.number}`)).length;
    if (present !== 0 && present !== load.orders.length) {
      loadsHalfWritten++;
      note('loadsHalfWritten', `${present} of ${load.orders.length} orders (${load.outcome})`);
    }
    if (load.outcome === 'ok' && present < load.orders.length) {
      ordersLostByLoads += load.orders.length - present;
      note('ordersLostByLoads', `${load.orders.length - present} of ${load.orders[0]?.number.split('-')[0]}`);
    }
  }

  const notSent = input.deliveries.filter((d) => d.status !== 'sent');
  for (const d of notSent) note('deliveriesNotSent', `${d.invoice} ${d.integration}: ${d.status} ${d.error ?? ''}`.trim());

  // Files: each invoice's artefacts at their final names in its folder, whole; nothing else left there
  const byStem = new Map(facts.invoices.map((i) => [safeFileStem(i.number), i]));
  const present = new Set(input.files.map((f) => `${f.folder}\u0000${f.name}`));
  let filesMissing = 0;
  for (const i of facts.invoices) {
    for (const g of integrationsOf(i.company)) {
      if (g.type !== 'xml-sftp' || g.folder === null) continue;
      const stem = safeFileStem(i.number);
      for (const name of g.includePdf ? [`${stem}.pdf`, `${stem}.xml`] : [`${stem}.xml`]) {
        if (!present.has(`${g.folder}\u0000${name}`)) {
          filesMissing++;
          note('filesMissing', `${g.folder}/${name}`);
        }
      }
    }
  }
  let partialFiles = 0;
  let tempFilesLeft = 0;
  let phantomDeliveries = 0;
  for (const f of input.files) {
    if (TEMP_FILE.test(f.name)) {
      tempFilesLeft++;
      note('tempFilesLeft', `${f.folder}/${f.name}`);
    } else if (!byStem.has(f.name.replace(/\.(xml|pdf)$/, ''))) {
      phantomDeliveries++;
      note('phantomDeliveries', `${f.folder}/${f.name}`);
    } else if (f.intact === false) {
      partialFiles++;
      note('partialFiles', `${f.folder}/${f.name}`);
    }
  }

  // Emails: every invoice of a company that emails arrived at least once; copies after the first are duplicates
  const copies = new Map<string, Array<{ acceptedAt: number; senderPid: number | null }>>();
  for (const e of input.emails) {
    const key = e.messageId ?? '(no Message-ID)';
    copies.set(key, [...(copies.get(key) ?? []), e]);
  }
  let emailsLost = 0;
  for (const i of facts.invoices) {
    if (!integrationsOf(i.company).some((g) => g.type === 'pdf-emailer')) continue;
    if (!copies.has(`<invoice-${safeFileStem(i.number)}@oms-invoicing>`)) {
      emailsLost++;
      note('emailsLost', i.number);
    }
  }
  let emailsSentTwice = 0;
  const duplicates: DuplicateAudit = {
    killedAfter250: 0,
    killedAfter250DuringDatabaseFault: 0,
    killedBefore250: 0,
    other: 0,
    killDelayMedianMs: null,
    killDelayMaxMs: null,
  };
  // A fault's effect outlasts it a little: connections are re-established, retries wait out their pause
  const duringDatabaseFault = (from: number, to: number) => input.databaseFaults.some((f) => f.from <= to && (f.to ?? Infinity) + 2000 >= from);
  const killDelays: number[] = [];
  const windows: number[] = [];
  const sentAt = new Map(input.deliveries.filter((d) => d.integration === 'pdf-emailer' && d.sentAt !== null).map((d) => [safeFileStem(d.invoice), d.sentAt!]));
  for (const [messageId, list] of copies) {
    const m = /^<invoice-(.+)@oms-invoicing>$/.exec(messageId);
    if (!m || !byStem.has(m[1]!)) {
      phantomDeliveries += list.length;
      note('phantomDeliveries', `email ${messageId}`);
      continue;
    }
    const stem = m[1]!;
    const sorted = [...list].sort((a, b) => a.acceptedAt - b.acceptedAt);
    if (sorted.length === 1 && sentAt.has(stem)) windows.push(sentAt.get(stem)! - sorted[0]!.acceptedAt);
    for (let k = 1; k < sorted.length; k++) {
      emailsSentTwice++;
      const previous = sorted[k - 1]!;
      const killedAt = previous.senderPid === null ? undefined : input.kills.get(previous.senderPid);
      const sender = previous.senderPid === null ? 'an unknown process' : (input.processNames.get(previous.senderPid) ?? `pid ${previous.senderPid}`);
      if (killedAt !== undefined && killedAt >= previous.acceptedAt && killedAt - previous.acceptedAt <= WINDOW_BOUND_MS) {
        duplicates.killedAfter250++;
        killDelays.push(killedAt - previous.acceptedAt);
        const fault = duringDatabaseFault(previous.acceptedAt, killedAt);
        if (fault) duplicates.killedAfter250DuringDatabaseFault++;
        note('emailsSentTwice', `${stem}: ${sender} killed ${killedAt - previous.acceptedAt} ms after the 250${fault ? ', during a MariaDB fault' : ''}`);
      } else if (killedAt !== undefined && killedAt < previous.acceptedAt) {
        duplicates.killedBefore250++;
        note('emailsSentTwice', `${stem}: ${sender} killed ${previous.acceptedAt - killedAt} ms before the 250`);
      } else {
        duplicates.other++;
        note(
          'emailsSentTwice',
          `${stem}: first sent by ${sender}${killedAt === undefined ? '' : `, killed ${killedAt - previous.acceptedAt} ms after the 250`}`,
        );
      }
    }
  }
  duplicates.killDelayMedianMs = quantile(killDelays, 0.5);
  duplicates.killDelayMaxMs = killDelays.length === 0 ? null : Math.max(...killDelays);
  const recordWindow: RecordWindow = {
    emails: windows.length,
    medianMs: quantile(windows, 0.5),
    p90Ms: quantile(windows, 0.9),
    maxMs: windows.length === 0 ? null : Math.max(...windows),
  };

  const sequences = auditSequences(facts);
  for (const s of sequences) {
    if (s.gaps > 0) note('numberGaps', `${s.prefix}: ${s.gaps}`);
    if (s.duplicates > 0) note('numberDuplicates', `${s.prefix}: ${s.duplicates}`);
  }
  return {
    figures: {
      ordersInvoicedTwice,
      ordersNeverInvoiced,
      numberGaps: sequences.reduce((n, s) => n + s.gaps, 0),
      numberDuplicates: sequences.reduce((n, s) => n + s.duplicates, 0),
      invoicesHalfWritten,
      loadsHalfWritten,
      ordersLostByLoads,
      deliveriesNotSent: notSent.length,
      filesMissing,
      partialFiles,
      tempFilesLeft,
      phantomDeliveries,
      emailsLost,
      emailsSentTwice,
    },
    sequences,
    duplicates,
    recordWindow,
    totals: {
      orders: facts.orders.length,
      invoices: facts.invoices.length,
      deliveries: input.deliveries.length,
      emails: input.emails.length,
      files: input.files.length,
    },
    examples,
  };
}
