/**
 * The contract every accounting integration exports (see docs/delivery.md).
 *
 * A driver is long-lived (built once by the composition root). The outbox delivers in batches:
 *
 *   const session = await driver.open(settings);      // one SFTP login; for email, the shared SMTP pool
 *   try {
 *     for (const d of pending) record(d, await session.deliver(doc, artefacts));   // throws DeliveryError
 *   } finally {
 *     await session.close();
 *   }
 *
 * - `open` and `deliver` fail only with `DeliveryError` (from src/domain/errors.ts); its `retryable`
 *   says whether the outbox should try again after a back-off. An `open` failure (bad host key, wrong
 *   credentials, missing directory) applies to every delivery of that integration.
 * - After a retryable failure a session may still be used: it reconnects on the next `deliver`.
 * - `deliver` resolves only once the far side has accepted the artefacts (SMTP 250, file renamed into
 *   place): mark a delivery `sent` only after it resolves.
 * - Artefacts are lazy so an integration renders only what it sends; the caller renders them once and
 *   passes the same bytes to every integration, and `invoices pdf|xml` (`credit-notes pdf|xml`) prints the same bytes.
 * - Integrations never touch the database, never read `process.env`, never read the clock.
 */
import { createHash } from 'node:crypto';
import type { BillingDocument } from '../src/domain/invoice-document.js';

export type { IntegrationType } from '../src/domain/integration-settings.js';
import type { IntegrationType } from '../src/domain/integration-settings.js';

export interface DeliveryArtefacts {
  pdf: () => Promise<Uint8Array>;
  /** The UBL 2.1 Invoice or CreditNote, as the document's kind says (see xml-sftp/build-ubl-document.ts) */
  xml: () => string;
}

export interface DeliveryReceipt {
  /** What a person checks to find the delivery: the SMTP Message-ID and server reply, or the remote paths */
  detail: string;
}

export interface DeliverySession {
  deliver(doc: BillingDocument, artefacts: DeliveryArtefacts): Promise<DeliveryReceipt>;
  /** Idempotent; never throws */
  close(): Promise<void>;
}

export interface IntegrationDriver<Settings> {
  readonly type: IntegrationType;
  open(settings: Settings): Promise<DeliverySession>;
}

/** One delivery in its own session, for callers that deliver a single invoice or credit note. */
export async function deliverOnce<Settings>(
  driver: IntegrationDriver<Settings>,
  settings: Settings,
  doc: BillingDocument,
  artefacts: DeliveryArtefacts,
): Promise<DeliveryReceipt> {
  const session = await driver.open(settings);
  try {
    return await session.deliver(doc, artefacts);
  } finally {
    await session.close();
  }
}

const UNSAFE = /[^A-Za-z0-9_-]/g;
const MAX_STEM = 100;

/**
 * A document number (invoice or credit note) as a token safe for file names and Message-IDs: `[A-Za-z0-9_-]+`, never `.`/`..`,
 * never a path. A number that is already safe is kept as is (`SUPA-000042`); otherwise unsafe characters
 * become `_` and a hash of the original is appended (`INV/2026/7` → `INV_2026_7-1f0c…`), so two distinct
 * numbers never share a file name or a Message-ID.
 */
export function safeFileStem(documentNumber: string): string {
  const replaced = documentNumber.replace(UNSAFE, '_');
  if (replaced === documentNumber && replaced.length > 0 && replaced.length <= MAX_STEM) return replaced;
  const hash = createHash('sha256').update(documentNumber, 'utf8').digest('hex').slice(0, 10);
  return `${replaced.slice(0, MAX_STEM)}-${hash}`;
}
