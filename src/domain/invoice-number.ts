/** Invoice numbers: the sequence's prefix and its value, zero-padded: ("SUPA-", 6, 42) → "SUPA-000042". */
export function formatInvoiceNumber(prefix: string, padding: number, value: number): string {
  return `${prefix}${String(value).padStart(padding, '0')}`;
}

export const defaultSequencePrefix = (ownerCode: string): string => `${ownerCode}-`;
/** A credit note's number prefix when the owner has set none (SPEC §8) */
export const defaultCreditNotePrefix = (ownerCode: string): string => `${ownerCode}-CN-`;
export const DEFAULT_SEQUENCE_PADDING = 6;
