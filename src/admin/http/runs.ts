/**
 * Runs (SPEC §7): start one for a company (manual with `as`, else its enabled integrations, exactly as
 * `run --company C [--as EMAIL]`), and read the company's run history.
 *
 * A token made for a user (`tokens create --user EMAIL`) always starts manual runs as that user, numbered
 * from their primary company (as the admin page's `Run now`, SPEC §10): `as` may be left out or name the
 * same user; any other address is refused, so a person's token cannot run as someone else.
 */
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import { z } from 'zod';
import { findUserByEmail } from '../../db/companies-repo.js';
import { listRuns } from '../../db/runs-repo.js';
import { inputError } from '../../domain/errors.js';
import { runCompanyIntegrations, runManual } from '../../pipeline/run-company.js';
import type { AppContext } from '../app-context.js';
import { runReportJson } from '../output.js';
import { findVisibleCompany, seesCompanyId, type Scope } from './auth.js';
import { renamePaths } from './errors.js';
import { BODY_LIMITS, pageParams, parseInput } from './input.js';

const bool = z.boolean({ error: 'must be true or false' });
export const runBody = z.strictObject(
  {
    as: z.string({ error: 'must be the email of the user whose primary company numbers the run' }).max(254).optional(),
    dryRun: bool.optional().default(false),
    includeErrors: bool.optional().default(false),
    from: z.string({ error: 'must be a date like 2026-01-01 or a date-time with a time zone' }).nullable().optional(),
  },
  { error: 'must be an object' },
);

export const runsQuery = z.strictObject(pageParams);

/** What the pipeline calls `--as` and `--from` are `as` and `from` here; the company is in the URL. */
const FIELD_NAMES = { '--as': 'as', '--from': 'from', '--company': '' };

/**
 * Whom a run is numbered for (the API and the admin page alike): the token's user, else `as`; undefined: the
 * company's integrations run. A company token numbers runs only from sequences within its scope.
 */
export async function runUserFor(db: Knex, scope: Scope, as: string | undefined): Promise<string | undefined> {
  const tokenUser = scope.userEmail;
  if (tokenUser !== null && as !== undefined && as.toLowerCase() !== tokenUser.toLowerCase()) {
    throw inputError([{ path: 'as', message: `this token runs as ${tokenUser}: leave "as" out or give that address` }]);
  }
  const user = tokenUser ?? as;
  if (user !== undefined && scope.companies !== null) {
    // Any other user reads as unknown
    const found = await findUserByEmail(db, user);
    if (!found || found.primaryCompanyId === null || !seesCompanyId(scope, found.primaryCompanyId)) {
      throw inputError([{ path: 'as', message: `unknown user "${user}"` }]);
    }
  }
  return user;
}

export function registerRunRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Params: { code: string } }>('/companies/:code/runs', { bodyLimit: BODY_LIMITS.settings }, async (request) => {
    const db = await ctx.db();
    const company = await findVisibleCompany(db, request.scope, request.params.code);
    const body = parseInput(runBody, request.body);
    const as = await runUserFor(db, request.scope, body.as);
    const deps = await ctx.runDeps();
    try {
      const report =
        as !== undefined
          ? await runManual(deps, {
              companyCode: company.code,
              userEmail: as,
              dryRun: body.dryRun,
              includeErrors: body.includeErrors,
              from: body.from ?? null,
            })
          : await runCompanyIntegrations(deps, {
              companyCode: company.code,
              dryRun: body.dryRun,
              ...(body.includeErrors ? { includeErrors: true } : {}),
              ...(body.from != null ? { from: body.from } : {}),
            });
      return runReportJson(report);
    } catch (err) {
      throw renamePaths(err, FIELD_NAMES);
    }
  });

  app.get<{ Params: { code: string } }>('/companies/:code/runs', async (request) => {
    const db = await ctx.db();
    const company = await findVisibleCompany(db, request.scope, request.params.code);
    const q = parseInput(runsQuery, request.query);
    return listRuns(db, { companyId: company.id, limit: q.limit, offset: q.offset });
  });
}
