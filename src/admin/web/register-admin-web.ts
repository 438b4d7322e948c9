/**
 * What `serve` answers besides the API: the admin page (`/admin`), `/healthz`, `/metrics` and
 * `/openapi.json`. The admin page, `/healthz` and `/openapi.json` do not take the API's Bearer token (the
 * page signs in with a session; the others are open); `/metrics` does. Registered before the API's routes,
 * so that the OpenAPI document sees every route.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { registerAdminPage } from './admin-page.js';
import { registerHealthRoute } from './ops-health.js';
import { registerMetricsRoute } from './ops-metrics.js';
import { registerOpenApi } from './openapi/register-openapi.js';

export function registerAdminWeb(app: FastifyInstance, ctx: AppContext): void {
  registerOpenApi(app);
  registerHealthRoute(app, ctx);
  registerMetricsRoute(app, ctx);
  void app.register(
    async (web) => {
      web.addHook('onRoute', (route) => {
        route.config = { ...route.config, apiAuth: false };
      });
      await registerAdminPage(web, ctx);
    },
    { prefix: '/admin' },
  );
}
