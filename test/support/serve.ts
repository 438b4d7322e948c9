/**
 * `serve` as a real process on a free port (`--port 0`), for the tests that drive it over HTTP or from a
 * browser. Needs the compiled dist/ (the global setup builds it).
 */
import { spawn } from 'node:child_process';
import { binPath, projectRoot } from './cli.js';

export interface RunningServe {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** What the process wrote to standard error so far (pino's JSON logs) */
  logs(): string;
  /** SIGTERM, then waits for the process to end */
  stop(): Promise<void>;
}

export async function startServe(env: Record<string, string>, timeoutMs = 30_000): Promise<RunningServe> {
  const child = spawn(process.execPath, [binPath, 'serve', '--port', '0', '--json'], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within ${timeoutMs} ms:\n${stdout}\n${stderr}`)), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`serve exited before listening:\n${stdout}\n${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    logs: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
