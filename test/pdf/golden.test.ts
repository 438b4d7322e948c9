import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BillingDocument } from '../../src/domain/invoice-document.js';
import { createPdfRenderer } from '../../integrations/pdf/render-invoice-pdf.js';
import { pdfText, writeTempPdf } from './poppler.js';
import { goldenCombinedCreditNote, goldenCombinedInvoice, goldenIndividualCreditNote, goldenIndividualInvoice } from '../../bench/sample-documents.js';

/**
 * The text of two small invoices and two credit notes of them, as `pdftotext -layout` reads it, kept under
 * review in golden/.
 * After an intended change: UPDATE_GOLDEN=1 npx vitest run test/pdf/golden.test.ts, then read the diff.
 */
const GOLDEN_DIR = path.join(import.meta.dirname, 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

describe('golden text', () => {
  it.each<[string, () => BillingDocument]>([
    ['combined-invoice.txt', goldenCombinedInvoice],
    ['individual-invoice.txt', goldenIndividualInvoice],
    ['combined-credit-note.txt', goldenCombinedCreditNote],
    ['individual-credit-note.txt', goldenIndividualCreditNote],
  ])('%s matches the extracted text', async (name, build) => {
    const renderer = await createPdfRenderer();
    const text = pdfText(writeTempPdf((await renderer.render(build())).bytes));
    const file = path.join(GOLDEN_DIR, name);
    if (update || !existsSync(file)) {
      if (!update) throw new Error(`${file} does not exist yet: run with UPDATE_GOLDEN=1 to create it, then review it`);
      writeFileSync(file, text);
    }
    expect(text).toBe(readFileSync(file, 'utf8'));
  });
});
