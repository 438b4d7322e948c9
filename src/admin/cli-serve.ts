/**
 * `serve`: the HTTP API (SPEC §7) until SIGTERM or SIGINT, then a graceful stop: requests in flight
 * finish (a manual run included), idle connections close, the database is released, exit 0. A second
 * signal while stopping ends the process at once (the handlers are gone by then).
 */
import type { Command } from 'commander';
import { AppError, inputError } from '../domain/errors.js';
import type { AppContext } from './app-context.js';
import { createServer } from './http/create-server.js';

function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw inputError([{ path: '--port', message: `must be a port number from 0 to 65535 (0: any free port), got "${value}"` }]);
  return Number(value);
}

function onStopSignal(): { signal: Promise<string>; dispose(): void } {
  let stop: (signal: string) => void = () => {};
  const signal = new Promise<string>((resolve) => {
    stop = (name: string) => {
      dispose();
      resolve(name);
    };
  });
  const dispose = () => {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return { signal, dispose };
}

/** Errors the operating system gives for an address that cannot be listened on: the user's to fix. */
const LISTEN_ERRORS = new Set(['EADDRINUSE', 'EADDRNOTAVAIL', 'EACCES', 'ENOTFOUND', 'EAI_AGAIN']);

export function registerServeCommand(program: Command, ctx: AppContext): void {
  program
    .command('serve')
    .description('the HTTP API (token auth; see README "HTTP API")')
    .option('--port <n>', 'TCP port (0: any free port)', parsePort, 8080)
    .option('--host <address>', 'address to listen on (0.0.0.0: every interface)', '127.0.0.1')
    .option('--json', 'machine-readable output')
    .action(async (opts: { port: number; host: string; json?: boolean }) => {
      // Connect and migrate before accepting requests, so a bad DATABASE_URL fails here and not per request
      await ctx.db();
      const app = createServer(ctx);
      const stop = onStopSignal();
      try {
        await app.listen({ port: opts.port, host: opts.host });
      } catch (err) {
        stop.dispose();
        await app.close();
        const code = (err as { code?: string }).code;
        if (code && LISTEN_ERRORS.has(code)) {
          throw new AppError('INPUT', `cannot listen on ${opts.host}:${opts.port}: ${(err as Error).message}`, {
            problems: [{ path: code === 'EADDRINUSE' || code === 'EACCES' ? '--port' : '--host', message: (err as Error).message }],
          });
        }
        throw err;
      }
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : opts.port;
      const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
      if (opts.json) ctx.io.stdout.write(`${JSON.stringify({ listening: url, port })}\n`);
      else ctx.io.stdout.write(`listening on ${url} (SIGTERM or Ctrl-C stops)\n`);
      const signal = await stop.signal;
      ctx.logger().info({ signal }, 'stopping the HTTP API');
      await app.close();
    });
}
