/**
 * A DropSession that outlives its connection: when the connection is lost, the next upload opens a new
 * one, which first removes the temp files the lost one left behind. A failure that leaves the
 * connection up (a full disk, a refused rename) keeps it, so the uploads in flight beside it go on.
 */
import type { DropSession } from './drop-session.js';

export interface ReconnectingDrop {
  /** As DropSession.upload, on the current connection (opened again if it was lost) */
  upload(name: string, bytes: Uint8Array): Promise<string>;
  /** As DropSession.sweepTempFiles, on the current connection */
  sweepTempFiles(olderThanSeconds: number): Promise<string[]>;
  /**
   * Closes the connection. If temp files of a lost connection are still there, first opens one more
   * connection (bounded by the connect timeout) to remove them. Idempotent; never throws.
   */
  close(): Promise<void>;
}

/** Opens the first connection now: its failure is the caller's (every delivery of the batch fails alike). */
export async function openReconnectingDrop(open: () => Promise<DropSession>): Promise<ReconnectingDrop> {
  let live: DropSession | null = await open();
  let current: Promise<DropSession> | null = Promise.resolve(live);
  /** Temp files that lost connections left behind, by path */
  let orphans = new Set<string>();
  let closed: Promise<void> | null = null;

  const adoptLeftovers = (drop: DropSession) => {
    for (const path of drop.leftovers) orphans.add(path);
  };
  const removeOrphans = async (drop: DropSession) => {
    if (orphans.size === 0) return;
    const paths = [...orphans];
    orphans = new Set(await drop.removeTempFiles(paths));
  };
  const retire = async (drop: DropSession) => {
    adoptLeftovers(drop);
    if (live === drop) {
      live = null;
      current = null;
    }
    await drop.close();
  };
  /** One connection at a time: concurrent uploads after a loss share the reconnect */
  const connection = async (): Promise<DropSession> => {
    // lost while idle (the server restarted, or closed it between two deliveries): replaced before use
    if (live !== null && !live.connected) await retire(live);
    current ??= open().then(
      async (drop) => {
        live = drop;
        await removeOrphans(drop);
        return drop;
      },
      (error: unknown) => {
        current = null; // the next upload tries again
        throw error;
      },
    );
    return current;
  };
  return {
    async upload(name, bytes) {
      const drop = await connection();
      try {
        return await drop.upload(name, bytes);
      } catch (error) {
        if (!drop.connected) await retire(drop);
        throw error;
      }
    },
    async sweepTempFiles(olderThanSeconds) {
      return (await connection()).sweepTempFiles(olderThanSeconds);
    },
    close() {
      closed ??= (async () => {
        const drop = current === null ? null : await current.catch(() => null);
        current = null;
        live = null;
        if (drop) adoptLeftovers(drop);
        if (orphans.size > 0) {
          const cleaner = drop?.connected ? drop : await open().catch(() => null);
          if (cleaner) {
            await removeOrphans(cleaner);
            if (cleaner !== drop) await cleaner.close();
          }
        }
        await drop?.close();
      })();
      return closed;
    },
  };
}
