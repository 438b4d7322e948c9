/**
 * Which process holds a loopback TCP connection, read from /proc: the SMTP server knows the client's
 * port of each message it accepts, and this tells which of the suite's processes sent it.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

/** The socket inodes of the connections whose local port is `port` (IPv4 and IPv6 tables) */
async function inodesOfLocalPort(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      if (fields[1]?.endsWith(`:${hex}`) && fields[9] !== undefined && fields[9] !== '0') inodes.add(fields[9]);
    }
  }
  return inodes;
}

/** The pid among `pids` that has the connection with local port `port` open, or null (gone, or not ours) */
export async function ownerOfLocalPort(port: number, pids: readonly number[]): Promise<number | null> {
  const inodes = await inodesOfLocalPort(port);
  if (inodes.size === 0) return null;
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) return pid;
    }
  }
  return null;
}
