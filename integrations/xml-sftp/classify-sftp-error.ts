/** SFTP failures → DeliveryError: permanent when retrying cannot help, retryable otherwise. */
import { DeliveryError } from '../../src/domain/errors.js';
import type { DropTarget } from './drop-target.js';

type SftpTarget = Extract<DropTarget, { protocol: 'sftp' }>;

/** ssh2's SFTP status codes */
export const SFTP_STATUS = { NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, OP_UNSUPPORTED: 8 } as const;

const RETRYABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

/** Why the SSH login failed: a host key or credential problem is permanent, anything else retryable */
export function classifyConnectError(error: unknown, target: SftpTarget, expected: string, presented: string | null, method: string): DeliveryError {
  const where = `${target.host}:${target.port}`;
  if (presented !== null && presented !== expected) {
    return new DeliveryError(`host key mismatch for ${where}: expected ${expected}, got ${presented}`, false, error);
  }
  const message = messageOf(error);
  if (/authentication methods failed/i.test(message)) {
    return new DeliveryError(`authentication failed for ${target.username}@${where} (${method} rejected)`, false, error);
  }
  if (/privateKey|private key/i.test(message)) {
    return new DeliveryError(`cannot use the private key for ${target.username}@${where}: ${message}`, false, error);
  }
  if (/handshake failed/i.test(message)) {
    return new DeliveryError(`SSH handshake with ${where} failed: ${message}`, false, error);
  }
  return new DeliveryError(`SSH connection to ${where} failed: ${message}`, true, error);
}

/**
 * SFTP status → permanent (missing, forbidden, unsupported) or retryable (everything else: a lost link,
 * or SSH_FX_FAILURE, which is how OpenSSH reports a full disk or an exceeded quota: space can be freed).
 * `note` is added to the server's words (for example what statvfs says about free space).
 */
export function classifyOperationError(error: unknown, what: string, lost: Error | null, note = ''): DeliveryError {
  if (lost) return new DeliveryError(`${what}: connection lost (${lost.message})`, true, error);
  const code = statusOf(error);
  if (code === SFTP_STATUS.NO_SUCH_FILE) return new DeliveryError(`${what}: no such file or directory`, false, error);
  if (code === SFTP_STATUS.PERMISSION_DENIED) return new DeliveryError(`${what}: permission denied`, false, error);
  if (code === SFTP_STATUS.OP_UNSUPPORTED || /does not support/i.test(messageOf(error))) {
    return new DeliveryError(`${what}: the server does not support it (posix-rename@openssh.com is required)`, false, error);
  }
  const socketCode = typeof code === 'string' && RETRYABLE_SOCKET_CODES.has(code) ? `${code}: ` : '';
  return new DeliveryError(`${what}: ${socketCode}${messageOf(error)}${note}`, true, error);
}

export function statusOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
