/**
 * What `serve` answers besides the API: the admin page (`/admin`), `/healthz` and `/metrics`.
 * The admin page and `/healthz` do not take the API's Bearer token (the page signs in with a session;
 * health is open); `/metrics` does.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { registerAdminPage } from './admin-page.js';
import { registerHealthRoute } from './ops-health.js';
import { registerMetricsRoute } from './ops-metrics.js';

export function registerAdminWeb(app: FastifyInstance, ctx: AppContext): void {
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
