import { createHash } from 'node:crypto';
import { JpegEmbedder, PDFContext, PDFObjectCopier, PngEmbedder, type PDFRef } from 'pdf-lib';
import { AppError } from '../../../src/domain/errors.js';
import type { InvoiceLogo } from '../../../src/domain/invoice-document.js';

/** A logo decoded once per process into a scratch PDF context; documents copy the finished objects. */
export interface PreparedLogo {
  width: number;
  height: number;
  context: PDFContext;
  ref: PDFRef;
}

const LOGO_CACHE_LIMIT = 32;
const logoCache = new Map<string, Promise<PreparedLogo>>();

/** Decodes (PNG) or parses (JPEG) the logo, at most once per distinct image per process. */
export function prepareLogo(logo: InvoiceLogo): Promise<PreparedLogo> {
  const key = `${logo.mime}:${createHash('sha256').update(logo.data).digest('hex')}`;
  let prepared = logoCache.get(key);
  if (prepared === undefined) {
    if (logoCache.size >= LOGO_CACHE_LIMIT) logoCache.delete(logoCache.keys().next().value!);
    prepared = decodeLogo(logo);
    logoCache.set(key, prepared);
    prepared.catch(() => logoCache.delete(key));
  }
  return prepared;
}

/** Copies the image XObject (and its alpha mask) into a document. */
export function copyLogo(prepared: PreparedLogo, context: PDFContext): PDFRef {
  const copier = PDFObjectCopier.for(prepared.context, context);
  return context.register(copier.copy(prepared.context.lookup(prepared.ref)!));
}

async function decodeLogo(logo: InvoiceLogo): Promise<PreparedLogo> {
  // pdf-lib reads the bytes through `data.buffer` from offset 0, which is wrong for a view into a larger
  // buffer (a Node Buffer from base64 or a small file usually is one): hand it a copy of its own.
  const data = new Uint8Array(logo.data);
  try {
    const embedder = logo.mime === 'image/png' ? await PngEmbedder.for(data) : await JpegEmbedder.for(data);
    const context = PDFContext.create();
    const ref = await embedder.embedIntoContext(context);
    return { width: embedder.width, height: embedder.height, context, ref };
  } catch (cause) {
    const format = logo.mime === 'image/png' ? 'PNG' : 'JPEG';
    throw new AppError('INPUT', `The invoice logo is not a valid ${format} image`, { cause });
  }
}
