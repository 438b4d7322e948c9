/**
 * Signing in (a field `Token`, a button `Sign in`) and out (`Sign out`, which ends the session on the
 * server, not only in the browser).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { endSession, openSession, SESSION_COOKIE } from '../admin-session.js';
import { pageContext } from '../page-context.js';

/** Where to go after signing in: a page of the admin site, never another site. */
function nextPage(value: unknown): string {
  return typeof value === 'string' && /^\/admin(\/[^/\\]|\/?$|\?)/.test(value) && !value.includes('\\') ? value : '/admin/companies';
}

export function registerSignInPages(
  web: FastifyInstance,
  ctx: AppContext,
  cookieOptions: (request: FastifyRequest) => { path: string; httpOnly: boolean; sameSite: 'strict'; secure: boolean },
): void {
  web.get('/', async (request, reply) => reply.redirect(request.adminSession ? '/admin/companies' : '/admin/sign-in', 303));

  web.get<{ Querystring: { next?: string } }>('/sign-in', async (request, reply) => {
    if (request.adminSession) return reply.redirect(nextPage(request.query.next), 303);
    return reply.view('sign-in', { title: 'Sign in', next: nextPage(request.query.next), error: null, ...pageContext(request, reply) });
  });

  web.post<{ Body: { token?: unknown; next?: unknown } }>('/sign-in', async (request, reply) => {
    const token = typeof request.body?.token === 'string' ? request.body.token : '';
    const next = nextPage(request.body?.next);
    const db = await ctx.db();
    const opened = await openSession(db, token, ctx.clock.now());
    if (!opened) {
      // The token itself is never repeated back, nor logged
      return reply.status(401).view('sign-in', {
        title: 'Sign in',
        next,
        error: token.trim() === '' ? 'Enter an API token.' : 'This token is not valid: it is unknown or has been revoked.',
        ...pageContext(request, reply),
      });
    }
    // A new session id on every sign-in; the browser's previous session (if any) ends
    await endSession(db, request.cookies[SESSION_COOKIE]);
    request.log.info('admin page: signed in');
    reply.setCookie(SESSION_COOKIE, opened.id, { ...cookieOptions(request), expires: new Date(opened.expiresAt) });
    return reply.redirect(next, 303);
  });

  web.post('/sign-out', async (request, reply) => {
    await endSession(await ctx.db(), request.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
    return reply.redirect('/admin/sign-in', 303);
  });
}
