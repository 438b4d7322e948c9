/**
 * The requests of one SFTP connection, failed as soon as the connection is lost: ssh2 never calls back a
 * request made after that, nor the close of a file whose write the loss interrupted (so its writeFile
 * would hang for good).
 */
export type SftpCallback<T> = (error: Error | null | undefined, value?: T) => void;

export interface SftpRequests {
  /** Starts one ssh2 SFTP call; rejects with its error, or with the loss of the connection */
  run<T>(start: (cb: SftpCallback<T>) => void): Promise<T>;
  /** Why the connection was lost; null while it is up (and after `end`, which is not a loss) */
  readonly lost: Error | null;
  /** The connection is gone: fails the requests in flight */
  noteLoss(error: Error): void;
  /** We end the connection: fails the requests in flight and refuses new ones */
  end(): void;
}

export function trackSftpRequests(): SftpRequests {
  let lost: Error | null = null;
  let ended = false;
  const pending = new Set<(error: Error) => void>();
  const failPending = (error: Error) => {
    for (const fail of pending) fail(error);
    pending.clear();
  };
  return {
    get lost() {
      return lost;
    },
    noteLoss(error) {
      if (!ended) lost ??= error;
      failPending(lost ?? error);
    },
    end() {
      ended = true;
      failPending(new Error('the session is closed'));
    },
    run<T>(start: (cb: SftpCallback<T>) => void): Promise<T> {
      if (lost || ended) return Promise.reject(lost ?? new Error('the session is closed'));
      return new Promise<T>((resolve, reject) => {
        pending.add(reject);
        const settle = (error: Error | null | undefined, value?: T) => {
          pending.delete(reject);
          if (error) reject(error);
          else resolve(value as T);
        };
        try {
          start(settle);
        } catch (error) {
          // a synchronous throw, e.g. an extension the server does not offer
          settle(error instanceof Error ? error : new Error(String(error)));
        }
      });
    },
  };
}
