/**
 * Token authentication and scope (SPEC §7). `Authorization: Bearer <token>`; the token's SHA-256 is looked
 * up in `api_tokens` on every request, so a revoked (deleted) or expired token is refused at once (401).
 * An admin token (no company) sees every company; a company token sees its own company and every company
 * below it. Anything outside the scope is answered as if it did not exist (404, or 400 "unknown company"
 * for a code in a query or body), so a token cannot probe for other companies' orders or invoices.
 * A token's last use is recorded at most once a minute (one conditional UPDATE), not on every request.
 */
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import { findApiTokenByHash, recordApiTokenUse } from '../../db/api-tokens-repo.js';
import { findCompanyByCode, listCompanyTree, type CompanyRecord } from '../../db/companies-repo.js';
import { hashApiToken, isTokenExpired, LAST_USED_RESOLUTION_MS } from '../../domain/api-token.js';
import { selfAndDescendants } from '../../domain/company-tree.js';
import { AppError } from '../../domain/errors.js';
import type { AppContext } from '../app-context.js';
import { notFound } from './errors.js';

export interface Scope {
  /** The token's label, for the logs */
  label: string;
  /** The companies this token sees, by id and code; null: an admin token, which sees all */
  companies: { ids: ReadonlySet<number>; codes: ReadonlySet<string> } | null;
  /** The user the token was made for (`tokens create --user`): manual runs are theirs; null: none */
  userEmail: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    scope: Scope;
  }
  interface FastifyContextConfig {
    /** false: the route does not take the API's Bearer token (the admin page signs in on its own; /healthz is open) */
    apiAuth?: boolean;
  }
}

export const seesCompanyId = (scope: Scope, id: number): boolean => scope.companies === null || scope.companies.ids.has(id);
export const seesCompanyCode = (scope: Scope, code: string): boolean => scope.companies === null || scope.companies.codes.has(code);

/** Company ids for a repository filter: undefined (no filter) for an admin token. */
export const scopeIds = (scope: Scope): number[] | undefined => (scope.companies === null ? undefined : [...scope.companies.ids]);

const unauthorized = (message: string) => new AppError('UNAUTHORIZED', message, { problems: [{ path: '', message }] });

async function authenticate(db: Knex, header: string | undefined, now: number): Promise<Scope> {
  const match = /^Bearer +([A-Za-z0-9_\-.~+/=]{1,512})$/i.exec(header?.trim() ?? '');
  if (!match) throw unauthorized('an API token is required: send "Authorization: Bearer <token>" (create one with `oms-invoicing tokens create`)');
  return scopeOfToken(db, hashApiToken(match[1]!), now);
}

/** What the token with this SHA-256 sees, the API and the admin page alike; unknown or expired: 401. */
export async function scopeOfToken(db: Knex, sha256: string, now: number): Promise<Scope> {
  const token = await findApiTokenByHash(db, sha256);
  if (!token) throw unauthorized('unknown API token');
  if (isTokenExpired(token.expiresAt, now)) throw unauthorized('this API token has expired');
  if (token.lastUsedAt === null || now - token.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
    await recordApiTokenUse(db, token.id, now, LAST_USED_RESOLUTION_MS);
  }
  if (token.companyId === null) return { label: token.label, companies: null, userEmail: token.userEmail };
  // Computed on every request, so a company added below the token's company is visible at once
  const tree = await listCompanyTree(db);
  const ids = selfAndDescendants(tree, token.companyId);
  return { label: token.label, companies: { ids, codes: new Set(tree.filter((c) => ids.has(c.id)).map((c) => c.code)) }, userEmail: token.userEmail };
}

export function registerAuth(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('scope', null as unknown as Scope);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.apiAuth === false) return;
    request.scope = await authenticate(await ctx.db(), request.headers.authorization, ctx.clock.now());
    // Every later log line of this request (including fastify's "request completed") names the token
    request.log = request.log.child({ token: request.scope.label });
    reply.log = request.log;
    request.log.debug({ admin: request.scope.companies === null, user: request.scope.userEmail }, 'authenticated');
  });
}

/** The company named in a URL, if this token sees it; otherwise 404 (whether or not it exists). */
export async function findVisibleCompany(db: Knex, scope: Scope, code: string): Promise<CompanyRecord> {
  const company = seesCompanyCode(scope, code) ? await findCompanyByCode(db, code) : null;
  if (!company) throw notFound(`unknown company "${code}"`);
  return company;
}
