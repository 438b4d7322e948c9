/**
 * `/healthz`: 200 when the database answers, 503 when it does not (within two seconds). Open to anyone
 * (load balancers and orchestrators probe it without a token); it says nothing but that.
 */
import type { FastifyInstance } from 'fastify';
import { pingDatabase } from '../../db/ping-database.js';
import type { AppContext } from '../app-context.js';

const TIMEOUT_MS = 2000;

export function registerHealthRoute(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', { logLevel: 'warn', config: { apiAuth: false } }, async (_request, reply) => {
    const up = await ctx
      .db()
      .then((db) => pingDatabase(db, TIMEOUT_MS))
      .catch(() => false);
    return reply.status(up ? 200 : 503).send(up ? { status: 'ok', database: 'up' } : { status: 'unavailable', database: 'down' });
  });
}
