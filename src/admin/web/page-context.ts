/**
 * What every page's layout needs: who is signed in, a CSRF token for its forms (Sign out is on every
 * page), and the session of the request (set once per request by the admin page's onRequest hook).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminSession } from './admin-session.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin page session of this request; null when signed out */
    adminSession: AdminSession | null;
  }
}

export interface PageContext {
  csrf: string;
  signedIn: { label: string; sees: string } | null;
}

/** The cookie options of every cookie the page sets: Secure when the request came over HTTPS. */
export const cookieOptions = (request: FastifyRequest) =>
  ({ path: '/admin', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https' }) as const;

export function pageContext(request: FastifyRequest, reply: FastifyReply): PageContext {
  const session = request.adminSession;
  const companies = session?.scope.companies;
  return {
    csrf: reply.generateCsrf(cookieOptions(request)),
    signedIn: session
      ? {
          label: session.scope.label,
          sees: !companies ? 'every company' : companies.codes.size === 1 ? [...companies.codes][0]! : `${companies.codes.size} companies`,
        }
      : null,
  };
}
