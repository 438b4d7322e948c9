/**
 * The sftp:// FileDropper: one SSH connection per session, host key pinned, each file written under a
 * temp name and moved into place with posix-rename (OpenSSH extension; plain SFTP rename refuses to
 * replace an existing file, and replacing is what makes a re-delivery after a crash harmless).
 */
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { posix } from 'node:path';
import type { FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { DeliveryError } from '../../src/domain/errors.js';
import { classifyConnectError, classifyOperationError, messageOf, SFTP_STATUS, statusOf } from './classify-sftp-error.js';
import type { DropOptions, DropSession } from './drop-session.js';
import { describeDropTarget, type DropTarget } from './drop-target.js';
import { isTempFileName, safeFileName, tempFileName } from './file-names.js';
import { fingerprintHostKey, parseHostKeySha256 } from './host-key.js';
import { trackSftpRequests, type SftpRequests } from './sftp-requests.js';
import { staleTempFiles } from './stale-temp-files.js';

type SftpTarget = Extract<DropTarget, { protocol: 'sftp' }>;

export async function openSftpDropSession(target: SftpTarget, options: DropOptions): Promise<DropSession> {
  const location = describeDropTarget(target);
  const expectedHostKey = parseHostKeySha256(options.hostKeySha256);
  const credentials = await loadCredentials(options);
  const timeoutMs = options.connectTimeoutMs ?? 10_000;

  const socket = await connectSocket(target.host, target.port, timeoutMs);
  // Without this each small upload stalls ≈40 ms (Nagle + delayed ACK), see PLATFORM-NOTES.
  socket.setNoDelay(true);

  const requests = trackSftpRequests();
  const request = requests.run.bind(requests);
  let closing = false;
  const client = new SftpClient('oms-xml-sftp', {
    error: (error) => requests.noteLoss(error instanceof Error ? error : new Error(String(error))),
    end: () => requests.noteLoss(new Error('the server ended the connection')),
    close: () => requests.noteLoss(new Error('the connection closed')),
  });

  let presentedHostKey: string | null = null;
  let sftp: SFTPWrapper;
  try {
    sftp = await client.connect({
      sock: socket,
      username: target.username,
      ...credentials,
      readyTimeout: timeoutMs,
      // a server that stops answering is given up after a minute, well within a delivery's claim
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      hostVerifier: (key: Buffer) => {
        presentedHostKey = fingerprintHostKey(key);
        return presentedHostKey === expectedHostKey;
      },
    });
  } catch (error) {
    socket.destroy();
    throw classifyConnectError(error, target, expectedHostKey, presentedHostKey, 'privateKey' in credentials ? 'private key' : 'password');
  }

  sftp.once('close', () => requests.noteLoss(new Error('the SFTP channel closed')));
  const close = async () => {
    if (closing) return;
    closing = true;
    requests.end();
    await client.end().catch(() => undefined);
    socket.destroy();
  };

  const dirStat = await request<Stats>((cb) => sftp.stat(target.directory, cb)).catch(async (error: unknown) => {
    await close();
    const code = statusOf(error);
    if (code === SFTP_STATUS.NO_SUCH_FILE) throw new DeliveryError(`remote directory ${target.directory} does not exist on ${location}`, false, error);
    throw classifyOperationError(error, `cannot read remote directory ${target.directory} on ${location}`, null);
  });
  if (!dirStat.isDirectory()) {
    await close();
    throw new DeliveryError(`remote path ${target.directory} on ${location} is not a directory`, false);
  }

  const leftovers: string[] = [];
  let lastPlaced: string | null = null;

  /** True when the file is gone; false when it could not be removed (typically: the connection is lost) */
  const remove = async (path: string): Promise<boolean> => {
    return request<void>((cb) => sftp.unlink(path, cb)).then(
      () => true,
      (error: unknown) => statusOf(error) === SFTP_STATUS.NO_SUCH_FILE,
    );
  };
  /** Awaited before a failed upload reports: its temp file is gone, or listed for a new session to remove */
  const discard = async (tempPath: string) => {
    if (!(await remove(tempPath))) leftovers.push(tempPath);
  };

  return {
    get connected() {
      return requests.lost === null && !closing;
    },
    leftovers,
    async upload(name, bytes) {
      const { lost } = requests;
      if (lost) throw new DeliveryError(`connection to ${location} lost: ${lost.message}`, true, lost);
      const fileName = safeFileName(name);
      const finalPath = posix.join(target.directory, fileName);
      const tempPath = posix.join(target.directory, tempFileName(fileName));
      const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      try {
        await request<void>((cb) => sftp.writeFile(tempPath, data, cb));
      } catch (error) {
        const note = statusOf(error) === SFTP_STATUS.FAILURE && !requests.lost ? await diskFullNote(request, sftp, target.directory, data.length) : '';
        await discard(tempPath);
        throw classifyOperationError(error, `cannot write ${fileName} to ${target.directory} on ${location}`, requests.lost, note);
      }
      try {
        await request<void>((cb) => sftp.ext_openssh_rename(tempPath, finalPath, cb));
      } catch (error) {
        await discard(tempPath);
        // The temp file vanished under us (or the directory did): a retry writes it again, or finds out
        if (statusOf(error) === SFTP_STATUS.NO_SUCH_FILE && !requests.lost) {
          throw new DeliveryError(`cannot move ${fileName} into place in ${target.directory} on ${location}: its temp file is gone`, true, error);
        }
        throw classifyOperationError(error, `cannot move ${fileName} into place in ${target.directory} on ${location}`, requests.lost);
      }
      lastPlaced = fileName;
      return finalPath;
    },
    async removeTempFiles(paths) {
      const mine = paths.filter((path) => posix.dirname(path) === target.directory && isTempFileName(posix.basename(path)));
      const gone = await Promise.all(mine.map(remove));
      return mine.filter((_, i) => !gone[i]);
    },
    async sweepTempFiles(olderThanSeconds) {
      const directory = target.directory;
      const [listing, dir] = await Promise.all([
        request<FileEntryWithStats[]>((cb) => sftp.readdir(directory, cb)),
        request<Stats>((cb) => sftp.stat(directory, cb)).catch(() => undefined),
      ]);
      const placed = lastPlaced === null ? undefined : listing.find((entry) => entry.filename === lastPlaced);
      const files = listing.map((entry) => ({ name: entry.filename, mtimeMs: secondsToMs(entry.attrs.mtime) }));
      const stale = staleTempFiles(files, [secondsToMs(dir?.mtime), secondsToMs(placed?.attrs.mtime)], olderThanSeconds * 1000);
      const gone = await Promise.all(stale.map((name) => remove(posix.join(directory, name))));
      return stale.filter((_, i) => gone[i]);
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

/**
 * OpenSSH reports a full disk (and an exceeded quota) as a bare "Failure". When the server's file system
 * has less room than the file, say so (statvfs@openssh.com); otherwise add nothing.
 */
async function diskFullNote(request: SftpRequests['run'], sftp: SFTPWrapper, directory: string, fileSize: number): Promise<string> {
  const info = await request<unknown>((cb) => sftp.ext_openssh_statvfs(directory, cb)).catch(() => null);
  if (typeof info !== 'object' || info === null || !('f_bavail' in info) || !('f_frsize' in info)) return '';
  const free = Number(info.f_bavail) * Number(info.f_frsize);
  return Number.isFinite(free) && free < fileSize ? ` (the server's disk is full: ${free} bytes free)` : '';
}

function secondsToMs(seconds: number | undefined): number | undefined {
  return typeof seconds === 'number' ? seconds * 1000 : undefined;
}
