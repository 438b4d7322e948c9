/**
 * The admin page (`/admin`, SPEC §10): server-rendered HTML (eta templates), one stylesheet and one small
 * script, no requests anywhere but this server. Signs in with an API token (admin-session.ts); every form
 * that changes something carries a CSRF token and is refused from another site (refuse-cross-site.ts).
 * Scope is exactly the API's: a company token sees its company and those below it, and anything else
 * is answered as not found.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { resumeSession, SESSION_COOKIE } from './admin-session.js';
import { cookieOptions, pageContext } from './page-context.js';
import { sendPageError } from './page-errors.js';
import { refuseCrossSite } from './refuse-cross-site.js';
import { requireSession } from './require-session.js';
import { registerCompanyPages } from './routes/company-pages.js';
import { registerCreditNotePages } from './routes/credit-note-pages.js';
import { registerDeliveryPages } from './routes/delivery-pages.js';
import { registerInvoicePages } from './routes/invoice-pages.js';
import { registerSignInPages } from './routes/sign-in-pages.js';
import { assetsDir, templatesDir } from './web-dir.js';

export async function registerAdminPage(web: FastifyInstance, ctx: AppContext): Promise<void> {
  await web.register(fastifyCookie);
  await web.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
  await web.register(fastifyCsrf, { cookieKey: 'oms_admin_csrf', cookieOpts: { path: '/admin', httpOnly: true, sameSite: 'strict' } });
  await web.register(fastifyView, { engine: { eta: new Eta() }, templates: templatesDir, production: true });
  await web.register(fastifyStatic, { root: assetsDir, prefix: '/assets/', index: false, list: false, maxAge: '1h' });

  web.decorateRequest('adminSession', null);
  web.addHook('onRequest', async (request) => {
    request.adminSession = await resumeSession(await ctx.db(), request.cookies[SESSION_COOKIE], ctx.clock.now());
    if (request.adminSession) {
      request.log = request.log.child({ token: request.adminSession.scope.label });
    }
  });
  // Every request that is not a plain read must come from this site's own form, with its CSRF token
  web.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD') return done();
    try {
      refuseCrossSite(request);
    } catch (err) {
      return done(err as Error);
    }
    web.csrfProtection(request, reply, done);
  });
  // Pages show one signed-in person's data: never kept by a browser or proxy cache
  web.addHook('onSend', async (request, reply) => {
    if (!request.url.startsWith('/admin/assets/')) reply.header('cache-control', 'no-store');
  });
  web.setErrorHandler(sendPageError);
  // Any other address under /admin is a page that does not exist; a route of its own (not a not-found
  // handler), so that the API's token check, which applies to unknown addresses, does not answer it
  web.route({
    method: ['GET', 'POST'],
    url: '/*',
    preHandler: requireSession,
    handler: (request, reply) => reply.status(404).view('error', { title: 'Not found', message: 'There is no such page.', ...pageContext(request, reply) }),
  });

  registerSignInPages(web, ctx, cookieOptions);
  registerCompanyPages(web, ctx);
  registerInvoicePages(web, ctx);
  registerCreditNotePages(web, ctx);
  registerDeliveryPages(web, ctx);
}
