/**
 * Invoice header logos arrive as data URIs (`data:image/png;base64,…`). Only PNG and JPEG are accepted,
 * and the bytes must really be one: the PDF renderer embeds them as they are.
 */
import type { InvoiceLogo } from './invoice-document.js';

const DATA_URI = /^data:(image\/png|image\/jpeg);base64,([A-Za-z0-9+/]+={0,2})$/;

/** The decoded logo, or a message saying what is wrong with the text. */
export function parseLogoDataUri(text: string): InvoiceLogo | string {
  const m = DATA_URI.exec(text);
  if (!m) return 'must be a data URI like "data:image/png;base64,…" (PNG or JPEG)';
  const mime = m[1] as InvoiceLogo['mime'];
  const data = new Uint8Array(Buffer.from(m[2]!, 'base64'));
  const isPng = data.length > 8 && data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47;
  const isJpeg = data.length > 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;
  if (mime === 'image/png' && !isPng) return 'says image/png but its data is not a PNG image';
  if (mime === 'image/jpeg' && !isJpeg) return 'says image/jpeg but its data is not a JPEG image';
  return { mime, data };
}
