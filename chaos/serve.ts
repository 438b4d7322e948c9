/**
 * `serve`, kept running through the whole run (never killed by the suite): manual runs are asked of it
 * over HTTP, and it must survive every database fault. If it ends anyway, that is counted and it is
 * started again.
 */
import type { ChaosProcess, ProcessPool } from './processes.js';

export interface ChaosServe {
  manualRun(company: string, user: string): Promise<number>;
  /** Answers a GET with 200 */
  answers(): Promise<boolean>;
  /** Times it ended on its own (and was started again) */
  readonly exits: number;
  /** SIGTERM; resolves with its exit code */
  stop(): Promise<number | null>;
}

async function portOf(p: ChaosProcess): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /"port":\s*(\d+)/.exec(p.stdout);
    if (m) return Number(m[1]);
    if (p.endedAt !== null) throw new Error(`serve ended before it listened: ${p.stderrTail}`);
    if (Date.now() > deadline) throw new Error('serve did not listen within a minute');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startServe(pool: ProcessPool, token: string): Promise<ChaosServe> {
  let exits = 0;
  let current = pool.start('serve', ['serve', '--port', '0', '--json']);
  let port = await portOf(current);
  const ensure = async () => {
    if (current.endedAt === null) return;
    exits++;
    current = pool.start('serve', ['serve', '--port', '0', '--json']);
    port = await portOf(current);
  };
  const request = async (method: 'GET' | 'POST', url: string, body?: unknown): Promise<number> => {
    await ensure();
    try {
      const response = await fetch(`http://127.0.0.1:${port}${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(120_000),
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    }
  };
  return {
    manualRun: (company, user) => request('POST', `/companies/${company}/runs`, { as: user }),
    answers: async () => (await request('GET', '/invoices?limit=1')) === 200,
    get exits() {
      return exits;
    },
    async stop() {
      await pool.stop(current, 60_000);
      if (current.endedAt === null) await pool.kill(current, 'hung');
      return current.code;
    },
  };
}
