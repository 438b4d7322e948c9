/**
 * The Mailer used when no SMTP server is configured: each message becomes `<message-id local part>.eml`
 * in a folder (written atomically; a re-send of the same invoice replaces its file). The file keeps the
 * Bcc header so a person can see who would have received it.
 */
import { mkdir } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import { DeliveryError } from '../../src/domain/errors.js';
import { safeFileStem } from '../contract.js';
import { writeFileAtomically } from '../xml-sftp/write-file-atomically.js';
import type { Mailer } from './mailer.js';
import { toNodemailerMessage } from './to-nodemailer.js';

const PERMANENT_CODES = new Set(['ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EROFS']);

export function createEmlFileMailer(directory: string): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    async send(message) {
      const info = await transport.sendMail(toNodemailerMessage(message)).catch((error: unknown) => {
        throw new DeliveryError(`cannot compose the email: ${messageOf(error)}`, false, error);
      });
      // `buffer: true` makes it a Buffer; the type also allows the streaming variant
      if (!Buffer.isBuffer(info.message)) throw new DeliveryError('the email was not composed into a buffer', false);
      const bytes = info.message;
      const name = `${safeFileStem(message.messageId.replace(/^<|@.*$|>$/g, ''))}.eml`;
      try {
        await mkdir(directory, { recursive: true });
        const path = await writeFileAtomically(directory, name, bytes);
        return { messageId: info.messageId, response: `written to ${path}`, rejected: [] };
      } catch (error) {
        const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
        throw new DeliveryError(`cannot write ${name} to ${directory}: ${messageOf(error)}`, !PERMANENT_CODES.has(code), error);
      }
    },
    async close() {},
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
