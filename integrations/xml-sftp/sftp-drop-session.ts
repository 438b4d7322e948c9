/**
 * The sftp:// FileDropper: one SSH connection per session, host key pinned, each file written under a
 * temp name and moved into place with posix-rename (OpenSSH extension; plain SFTP rename refuses to
 * replace an existing file, and replacing is what makes a re-delivery after a crash harmless).
 */
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { posix } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { DeliveryError } from '../../src/domain/errors.js';
import type { DropOptions, DropSession } from './drop-session.js';
import { describeDropTarget, type DropTarget } from './drop-target.js';
import { safeFileName, tempFileName } from './file-names.js';
import { fingerprintHostKey, parseHostKeySha256 } from './host-key.js';

type SftpTarget = Extract<DropTarget, { protocol: 'sftp' }>;

/** ssh2's SFTP status codes */
const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;
const OP_UNSUPPORTED = 8;
const RETRYABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

export async function openSftpDropSession(target: SftpTarget, options: DropOptions): Promise<DropSession> {
  const location = describeDropTarget(target);
  const expectedHostKey = parseHostKeySha256(options.hostKeySha256);
  const credentials = await loadCredentials(options);
  const timeoutMs = options.connectTimeoutMs ?? 10_000;

  const socket = await connectSocket(target.host, target.port, timeoutMs);
  // Without this each small upload stalls ≈40 ms (Nagle + delayed ACK), see PLATFORM-NOTES.
  socket.setNoDelay(true);

  let lost: Error | null = null;
  let closing = false;
  const noteLoss = (error: Error) => {
    if (!closing) lost ??= error;
  };
  const client = new SftpClient('oms-xml-sftp', {
    error: (error) => noteLoss(error instanceof Error ? error : new Error(String(error))),
    end: () => noteLoss(new Error('the server ended the connection')),
    close: () => noteLoss(new Error('the connection closed')),
  });

  let presentedHostKey: string | null = null;
  let sftp: SFTPWrapper;
  try {
    sftp = await client.connect({
      sock: socket,
      username: target.username,
      ...credentials,
      readyTimeout: timeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      hostVerifier: (key: Buffer) => {
        presentedHostKey = fingerprintHostKey(key);
        return presentedHostKey === expectedHostKey;
      },
    });
  } catch (error) {
    socket.destroy();
    throw classifyConnectError(error, target, expectedHostKey, presentedHostKey, credentials);
  }

  const close = async () => {
    if (closing) return;
    closing = true;
    await client.end().catch(() => undefined);
    socket.destroy();
  };

  const dirStat = await call<{ isDirectory(): boolean }>((cb) => sftp.stat(target.directory, cb)).catch(async (error: unknown) => {
    await close();
    const code = statusOf(error);
    if (code === NO_SUCH_FILE) throw new DeliveryError(`remote directory ${target.directory} does not exist on ${location}`, false, error);
    throw classifyOperationError(error, `cannot read remote directory ${target.directory} on ${location}`, null);
  });
  if (!dirStat.isDirectory()) {
    await close();
    throw new DeliveryError(`remote path ${target.directory} on ${location} is not a directory`, false);
  }

  return {
    async upload(name, bytes) {
      if (lost) throw new DeliveryError(`connection to ${location} lost: ${lost.message}`, true, lost);
      const fileName = safeFileName(name);
      const finalPath = posix.join(target.directory, fileName);
      const tempPath = posix.join(target.directory, tempFileName(fileName));
      const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      try {
        await call<void>((cb) => sftp.writeFile(tempPath, data, cb));
      } catch (error) {
        removeQuietly(sftp, tempPath);
        throw classifyOperationError(error, `cannot write ${fileName} to ${target.directory} on ${location}`, lost);
      }
      try {
        await call<void>((cb) => sftp.ext_openssh_rename(tempPath, finalPath, cb));
      } catch (error) {
        removeQuietly(sftp, tempPath);
        throw classifyOperationError(error, `cannot move ${fileName} into place in ${target.directory} on ${location}`, lost);
      }
      return finalPath;
    },
    close,
  };
}

type Credentials = { privateKey: Buffer } | { password: string };

async function loadCredentials(options: DropOptions): Promise<Credentials> {
  if (options.privateKeyFile) {
    const file = options.privateKeyFile;
    const privateKey = await readFile(file).catch((error: unknown) => {
      throw new DeliveryError(`cannot read private key file ${file}: ${messageOf(error)}`, false, error);
    });
    return { privateKey };
  }
  if (options.password) return { password: options.password };
  throw new DeliveryError('xml-sftp needs privateKeyFile or passwordEnv (with the variable set) for an sftp:// target', false);
}

function connectSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (error: NodeJS.ErrnoException) => {
      socket.destroy();
      reject(new DeliveryError(`cannot connect to ${host}:${port}: ${error.code ?? error.message}`, true, error));
    };
    socket.setTimeout(timeoutMs, () => fail(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.removeListener('error', fail);
      resolve(socket);
    });
  });
}

function classifyConnectError(error: unknown, target: SftpTarget, expected: string, presented: string | null, credentials: Credentials): DeliveryError {
  const where = `${target.host}:${target.port}`;
  if (presented !== null && presented !== expected) {
    return new DeliveryError(`host key mismatch for ${where}: expected ${expected}, got ${presented}`, false, error);
  }
  const message = messageOf(error);
  if (/authentication methods failed/i.test(message)) {
    const method = 'privateKey' in credentials ? 'private key' : 'password';
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

/** SFTP status → permanent (missing, forbidden, unsupported) or retryable (everything else, e.g. disk full, lost link) */
function classifyOperationError(error: unknown, what: string, lost: Error | null): DeliveryError {
  if (lost) return new DeliveryError(`${what}: connection lost (${lost.message})`, true, error);
  const code = statusOf(error);
  if (code === NO_SUCH_FILE) return new DeliveryError(`${what}: no such file or directory`, false, error);
  if (code === PERMISSION_DENIED) return new DeliveryError(`${what}: permission denied`, false, error);
  if (code === OP_UNSUPPORTED || /does not support/i.test(messageOf(error))) {
    return new DeliveryError(`${what}: the server does not support it (posix-rename@openssh.com is required)`, false, error);
  }
  const socketCode = typeof code === 'string' && RETRYABLE_SOCKET_CODES.has(code) ? `${code}: ` : '';
  return new DeliveryError(`${what}: ${socketCode}${messageOf(error)}`, true, error);
}

function removeQuietly(sftp: SFTPWrapper, path: string): void {
  try {
    sftp.unlink(path, () => undefined);
  } catch {
    // the connection is gone: the temp file stays behind as a dotfile, which importers skip
  }
}

/** Promisifies one ssh2 SFTP call; a synchronous throw (e.g. a missing extension) rejects too. */
function call<T>(start: (cb: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      start((error, value) => (error ? reject(error) : resolve(value as T)));
    } catch (error) {
      reject(error);
    }
  });
}

function statusOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
