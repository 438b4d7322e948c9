/**
 * The HTTP API in-process, through fastify's inject() (the same handlers `serve` runs), on the context the
 * command line builds; and requests to it carrying a token.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { createServer } from '../../src/admin/http/create-server.js';
import type { Clock } from '../../src/domain/clock.js';
import { createContext } from '../../src/main.js';

/**
 * The API over the database `env` names, ready for inject(); closing it also closes its context (the
 * database connections). What it logs goes to `log`, nowhere by default.
 */
export async function startApi(
  env: Record<string, string>,
  cwd: string,
  options: { clock?: Clock; log?: (text: string) => void } = {},
): Promise<FastifyInstance> {
  const log = options.log ?? (() => undefined);
  const ctx = createContext({ stdout: { write: () => true }, stderr: { write: (s: string) => log(s) }, env, cwd }, options.clock);
  const app = createServer(ctx);
  app.addHook('onClose', () => ctx.close());
  await app.ready();
  return app;
}

/** A request with `Authorization: Bearer <token>` (without one for null), and any other headers it names. */
export function injectAs(app: FastifyInstance, token: string | null, options: InjectOptions): Promise<LightMyRequestResponse> {
  return app.inject({ ...options, headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(options.headers ?? {}) } });
}
