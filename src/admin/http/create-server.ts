/**
 * The HTTP API (SPEC §7) as a fastify instance built from an AppContext. `serve` listens with it; tests
 * call `inject()` on it. Handlers parse input and call repositories and the pipeline, nothing more.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { registerAuth } from './auth.js';
import { registerCompanyRoutes } from './companies.js';
import { sendError, sendNotFound } from './errors.js';
import { registerInvoiceRoutes } from './invoices.js';
import { registerCreditNoteRoutes } from './credit-notes.js';
import { registerOrderRoutes } from './orders.js';
import { registerRunRoutes } from './runs.js';

/** An order may have up to 10,000 items, a logo up to 2 MB: 16 MiB leaves room for both. */
const BODY_LIMIT = 16 * 1024 * 1024;

export function createServer(ctx: AppContext): FastifyInstance {
  // Fastify's request logs carry method, url and status (never the Authorization header), plus the token's label
  const app: FastifyInstance = Fastify({ loggerInstance: ctx.logger() as FastifyBaseLogger, bodyLimit: BODY_LIMIT });
  app.setErrorHandler(sendError);
  app.setNotFoundHandler(sendNotFound);
  registerAuth(app, ctx);
  registerOrderRoutes(app, ctx);
  registerCompanyRoutes(app, ctx);
  registerInvoiceRoutes(app, ctx);
  registerCreditNoteRoutes(app, ctx);
  registerRunRoutes(app, ctx);
  return app;
}
