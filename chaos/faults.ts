/**
 * The faults the chaos suite injects besides kills, each at a random moment of a round:
 *
 *  - MariaDB restarted (a clean shutdown, or a crash: SIGKILL and InnoDB recovery), down for up to two
 *    seconds; or every client connection killed (KILL CONNECTION);
 *  - the SMTP server answering 421 at the greeting or 451/452 at a later stage (retryable), 552/554 after
 *    the message (permanent), cutting the connection in the middle of the message or before it, or going
 *    silent (the client's timeout ends it);
 *  - the SFTP server cutting every connection, refusing the atomic rename (posix-rename) for a few seconds,
 *    or the small disk full for a few seconds.
 *
 * A fault returns how to end it (for those that last); the suite ends every fault before it settles.
 */
import { createWriteStream } from 'node:fs';
import { rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { SmtpStage } from '../bench/servers/smtp-server.js';
import type { Random } from './random.js';
import type { ChaosSite } from './site.js';

export type FaultTarget = 'mariadb' | 'smtp' | 'sftp';

export interface Fault {
  name: string;
  target: FaultTarget;
  /** Starts the fault; resolves once it has struck, with how to end it (lasting faults) or null */
  inject(site: ChaosSite, random: Random): Promise<(() => Promise<void>) | null>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes a file over what is left of the disk, until it is full; ending the fault removes it */
async function fillDisk(folder: string): Promise<() => Promise<void>> {
  const filler = path.join(folder, '.chaos-filler');
  const { bavail, bsize } = await statfs(folder);
  const stream = createWriteStream(filler);
  const chunk = Buffer.alloc(1024 * 1024);
  await new Promise<void>((resolve) => {
    let left = bavail * bsize;
    stream.on('error', () => resolve()); // ENOSPC: full
    const write = () => {
      while (left > 0) {
        const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= part.length;
        if (!stream.write(part)) return void stream.once('drain', write);
      }
      stream.end(() => resolve());
    };
    write();
  });
  return () => rm(filler, { force: true });
}

export const FAULTS: readonly Fault[] = [
  {
    name: 'MariaDB restarted (clean shutdown)',
    target: 'mariadb',
    async inject(site, random) {
      await site.mariadb.halt('clean');
      await sleep(random.int(0, 2000));
      await site.mariadb.start();
      return null;
    },
  },
  {
    name: 'MariaDB restarted (crash)',
    target: 'mariadb',
    async inject(site, random) {
      await site.mariadb.halt('crash');
      await sleep(random.int(0, 2000));
      await site.mariadb.start();
      return null;
    },
  },
  {
    name: 'MariaDB connections killed',
    target: 'mariadb',
    async inject(site) {
      await site.mariadb.killConnections();
      return null;
    },
  },
  {
    name: 'SMTP 4xx (421 greeting, 451/452)',
    target: 'smtp',
    inject(site, random) {
      const [code, at] = random.pick<[number, SmtpStage]>([
        [421, 'connect'],
        [451, 'mail'],
        [452, 'rcpt'],
        [451, 'data'],
        [452, 'data'],
      ]);
      site.smtp.failNext(random.int(1, 3), code, { at });
      return Promise.resolve(null);
    },
  },
  {
    name: 'SMTP 5xx (552/554 after the message)',
    target: 'smtp',
    inject(site, random) {
      site.smtp.failNext(1, random.pick([552, 554]), { at: 'data' });
      return Promise.resolve(null);
    },
  },
  {
    name: 'SMTP connection cut',
    target: 'smtp',
    inject(site, random) {
      site.smtp.dropNext(random.int(1, 2), random.pick<SmtpStage>(['data', 'data', 'mail', 'connect']));
      return Promise.resolve(null);
    },
  },
  {
    name: 'SMTP server stalls',
    target: 'smtp',
    inject(site, random) {
      site.smtp.stallNext(1, random.pick<SmtpStage>(['data', 'connect']));
      return Promise.resolve(null);
    },
  },
  {
    name: 'SFTP connections cut',
    target: 'sftp',
    async inject(site) {
      await site.sshd.dropConnections();
      return null;
    },
  },
  {
    name: 'SFTP rename refused',
    target: 'sftp',
    async inject(site) {
      await site.sshd.setSftpServerFlags(['-P', 'posix-rename']);
      return () => site.sshd.setSftpServerFlags([]);
    },
  },
  {
    name: 'SFTP disk full',
    target: 'sftp',
    inject(site) {
      return fillDisk(site.folders.full);
    },
  },
];

/** Ends what a fault may have left queued (SMTP faults that have not struck yet) */
export function clearQueuedFaults(site: ChaosSite): void {
  site.smtp.clearFaults();
}
