/**
 * Host-key pinning: the fingerprint format `ssh-keygen -lf` prints, "SHA256:" + unpadded base64 of the
 * SHA-256 of the raw public key blob.
 */
import { createHash } from 'node:crypto';
import { DeliveryError } from '../../src/domain/errors.js';

export function fingerprintHostKey(rawKey: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(rawKey).digest('base64').replace(/=+$/, '')}`;
}

/** "SHA256:abc…" (padding optional) → the canonical form; anything else is a permanent settings error. */
export function parseHostKeySha256(value: string | null | undefined): string {
  const match = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec((value ?? '').trim());
  if (!match) {
    throw new DeliveryError(`hostKeySha256 must be the server's key fingerprint as "ssh-keygen -lf" prints it (SHA256:…), got "${value ?? ''}"`, false);
  }
  return `SHA256:${match[1]}`;
}
