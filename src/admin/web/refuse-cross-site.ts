/**
 * Forms that change something must come from this site's own pages. Beyond the CSRF token, a request
 * whose browser says it came from another site (Sec-Fetch-Site) or from another origin (Origin) is
 * refused before anything runs. Clients that send neither header (scripts, old browsers) are left to
 * the CSRF token and the SameSite=Strict cookies.
 */
import type { FastifyRequest } from 'fastify';
import { RefusedRequest } from './page-errors.js';

const refused = () => new RefusedRequest(403, 'This form came from another site and was refused. Open the admin page itself and submit it from there.');

/** The host (and port) of an Origin header; null for `null` and anything else that is not a URL. */
function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

export function refuseCrossSite(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw refused();
  const origin = request.headers.origin;
  if (origin === undefined) return;
  // A page served with `Referrer-Policy: no-referrer` (helmet's default) makes the browser send
  // `Origin: null` even on its own forms; Sec-Fetch-Site, which it also sends, has decided then
  if (origin === 'null') {
    if (site === undefined) throw refused();
    return;
  }
  if (originHost(origin) !== request.host) throw refused();
}
