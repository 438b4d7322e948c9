/**
 * `tokens create|list|revoke`: API tokens for the HTTP API. A token is printed once, when created; only
 * its SHA-256 is stored. A token may be made for a user (`--user`: manual runs through the API are theirs,
 * numbered from their primary company) and may expire (`--expires-in`); `tokens list` shows when each was
 * last used (to the minute).
 */
import type { Command } from 'commander';
import { deleteApiToken, insertApiToken, listApiTokens } from '../db/api-tokens-repo.js';
import { findCompanyByCode, findUserByEmail, listCompanyTree } from '../db/companies-repo.js';
import { generateApiToken, hashApiToken, isTokenExpired, parseTokenLifetime } from '../domain/api-token.js';
import { selfAndDescendants } from '../domain/company-tree.js';
import { AppError, inputError, type Problem } from '../domain/errors.js';
import { isSingleLine } from '../domain/text-rules.js';
import type { AppContext } from './app-context.js';
import { formatTable, isoTime, printJson } from './output.js';

interface CreateOptions {
  label: string;
  company?: string;
  user?: string;
  expiresIn?: string;
  json?: boolean;
}

export function registerTokenCommands(program: Command, ctx: AppContext): void {
  const { io } = ctx;
  const tokens = program.command('tokens').description('API tokens for `serve`');

  tokens
    .command('create')
    .description('create an API token and print it (once): scoped to --company and the companies below it, or an admin token')
    .requiredOption('--label <label>', 'what the token is for (shown in `tokens list` and the server logs)')
    .option('--company <code>', 'scope: this company and the companies below it (default: admin, every company)')
    .option('--user <email>', "the person it is for: manual runs through the API are theirs, numbered from the user's primary company")
    .option('--expires-in <lifetime>', 'stop working after this long: 90d, 12h, 30m or 2w (default: never)')
    .option('--json', 'machine-readable output')
    .action(async (opts: CreateOptions) => {
      const problems: Problem[] = [];
      if (opts.label.trim() === '' || opts.label.length > 255 || !isSingleLine(opts.label)) {
        problems.push({ path: '--label', message: 'must be one line of 1–255 characters' });
      }
      const lifetime = opts.expiresIn === undefined ? null : parseTokenLifetime(opts.expiresIn);
      if (opts.expiresIn !== undefined && lifetime === null) {
        problems.push({ path: '--expires-in', message: `must be a lifetime like 90d, 12h, 30m or 2w (at most ten years), got "${opts.expiresIn}"` });
      }
      const db = await ctx.db();
      let companyId: number | null = null;
      if (opts.company !== undefined) {
        const company = await findCompanyByCode(db, opts.company);
        if (company) companyId = company.id;
        else problems.push({ path: '--company', message: `unknown company "${opts.company}"` });
      }
      let userId: number | null = null;
      if (opts.user !== undefined) {
        const user = await findUserByEmail(db, opts.user);
        if (!user) problems.push({ path: '--user', message: `unknown user "${opts.user}"` });
        else if (user.primaryCompanyId === null) problems.push({ path: '--user', message: `${user.email} has no primary company to number manual runs from` });
        else if (companyId !== null && !selfAndDescendants(await listCompanyTree(db), companyId).has(user.primaryCompanyId)) {
          // The token could not start a run as this user anyway: its numbers would come from outside its scope
          problems.push({ path: '--user', message: `${user.email}'s primary company is outside ${opts.company} and the companies below it` });
        } else userId = user.id;
      }
      if (problems.length > 0) throw inputError(problems);

      const now = ctx.clock.now();
      const token = generateApiToken();
      const expiresAt = lifetime === null ? null : now + lifetime;
      const id = await insertApiToken(db, { sha256: hashApiToken(token), label: opts.label, companyId, userId, expiresAt, now });
      const company = opts.company ?? null;
      const user = opts.user ?? null;
      if (opts.json) return printJson(io, { token, id, label: opts.label, company, user, expiresAt: isoTime(expiresAt) });
      io.stdout.write(`${token}\n`);
      const scope = company === null ? 'admin: every company' : `${company} and the companies below it`;
      io.stderr.write(
        `token ${id} "${opts.label}" (${scope}${user === null ? '' : `; runs as ${user}`}${expiresAt === null ? '' : `; expires ${isoTime(expiresAt)}`}); it is not shown again\n`,
      );
    });

  tokens
    .command('list')
    .description('API tokens: id, label, scope, user, creation, expiry and last use (never the tokens themselves)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const now = ctx.clock.now();
      const list = (await listApiTokens(await ctx.db())).map((t) => ({
        id: t.id,
        label: t.label,
        company: t.companyCode,
        user: t.userEmail,
        createdAt: isoTime(t.createdAt)!,
        expiresAt: isoTime(t.expiresAt),
        expired: isTokenExpired(t.expiresAt, now),
        lastUsedAt: isoTime(t.lastUsedAt),
      }));
      if (opts.json) return printJson(io, list);
      const minute = (s: string | null) => (s === null ? '' : s.slice(0, 16).replace('T', ' '));
      io.stdout.write(
        formatTable(
          ['ID', 'LABEL', 'SCOPE', 'USER', 'CREATED', 'EXPIRES', 'LAST USED'],
          list.map((t) => [
            String(t.id),
            t.label,
            t.company ?? '(admin)',
            t.user ?? '',
            minute(t.createdAt),
            t.expiresAt === null ? 'never' : `${minute(t.expiresAt)}${t.expired ? ' (expired)' : ''}`,
            t.lastUsedAt === null ? 'never' : minute(t.lastUsedAt),
          ]),
        ),
      );
    });

  tokens
    .command('revoke')
    .description('delete an API token: requests with it are refused from the next one on')
    .argument('<id>', 'the token id from `tokens list`')
    .option('--json', 'machine-readable output')
    .action(async (idText: string, opts: { json?: boolean }) => {
      const id = /^\d{1,15}$/.test(idText) ? Number(idText) : null;
      if (id === null || !(await deleteApiToken(await ctx.db(), id))) {
        throw new AppError('NOT_FOUND', `no API token with id "${idText}"`, { problems: [{ path: 'id', message: `no API token with id "${idText}"` }] });
      }
      if (opts.json) return printJson(io, { revoked: id });
      io.stdout.write(`revoked token ${id}\n`);
    });
}
