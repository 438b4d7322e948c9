/**
 * Companies as the pipeline sees them (SPEC §1), and the parties of a run: who is invoiced, who sells,
 * whose sequence numbers the invoices.
 */
import type { InvoiceLayout, PostalAddress } from './invoice-document.js';

export type CompanyType = 'admin' | 'supplier' | 'dropship' | 'self_fulfilment';

export interface CompanyRecord {
  id: number;
  code: string;
  name: string;
  type: CompanyType;
  parentId: number | null;
  timezone: string;
  email: string | null;
  vatNumber: string | null;
  endpoint: { scheme: string; id: string } | null;
  address: PostalAddress | null;
  sharedSequence: boolean;
  invoicing: {
    currency: string | null;
    paymentTermsDays: number;
    paymentDetails: string | null;
    iban: string | null;
    bic: string | null;
    logoSha256: string | null;
    layout: InvoiceLayout;
  };
}

/**
 * - buyer: the invoiced company (dropship or self-fulfilment);
 * - seller: its nearest supplier ancestor;
 * - sequenceOwner: the seller for automatic runs (or the nearest admin ancestor that shares its sequence),
 *   the triggering user's primary company for manual runs.
 */
export interface RunParties {
  buyer: CompanyRecord;
  seller: CompanyRecord;
  sequenceOwner: CompanyRecord;
  user: { id: number; email: string } | null;
}
