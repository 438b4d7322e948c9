import type { FastifyReply } from 'fastify';

/** Document numbers may hold `/` (a prefix like `INV/2026/`); a file name may not. */
const fileName = (number: string, ext: string) => `${number.replace(/[^A-Za-z0-9_.-]/g, '_')}.${ext}`;

const TYPES = { pdf: 'application/pdf', xml: 'application/xml' } as const;

/** A document's PDF or XML named by its number: a download, or (`inline`) shown where it is opened. */
export function sendArtefact(
  reply: FastifyReply,
  bytes: Uint8Array,
  format: keyof typeof TYPES,
  number: string,
  disposition: 'attachment' | 'inline' = 'attachment',
): FastifyReply {
  return reply
    .type(TYPES[format])
    .header('content-disposition', `${disposition}; filename="${fileName(number, format)}"`)
    .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
