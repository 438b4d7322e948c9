/**
 * The HTTP API (SPEC §7) as a fastify instance built from an AppContext. `serve` listens with it; tests
 * call `inject()` on it. Handlers parse input and call repositories and the pipeline, nothing more.
 */
import helmet from '@fastify/helmet';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { registerAuth } from './auth.js';
import { registerCompanyRoutes } from './companies.js';
import { errorHandler, sendNotFound } from './errors.js';
import { BODY_LIMITS } from './input.js';
import { registerInvoiceRoutes } from './invoices.js';
import { registerCreditNoteRoutes } from './credit-notes.js';
import { registerOrderRoutes } from './orders.js';
import { registerRunRoutes } from './runs.js';
import { registerAdminWeb } from '../web/register-admin-web.js';

export function createServer(ctx: AppContext): FastifyInstance {
  // Fastify's request logs carry method, url and status (never the Authorization header), plus the token's label.
  // Bodies are limited per route (BODY_LIMITS); a larger one is refused with 413 before it is read whole.
  const logger: FastifyBaseLogger = ctx.logger();
  const app: FastifyInstance = Fastify({ loggerInstance: logger, bodyLimit: BODY_LIMITS.default });
  // Standard security headers on every answer, errors and 401s included (nosniff, frame and referrer policies, CSP, …)
  void app.register(helmet);
  // The API speaks JSON only: a text/plain body is refused (415) rather than handed to a handler as a string
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler(ctx.config.secrets));
  app.setNotFoundHandler(sendNotFound);
  registerAdminWeb(app, ctx);
  registerAuth(app, ctx);
  registerOrderRoutes(app, ctx);
  registerCompanyRoutes(app, ctx);
  registerInvoiceRoutes(app, ctx);
  registerCreditNoteRoutes(app, ctx);
  registerRunRoutes(app, ctx);
  return app;
}
