/**
 * `tokens create|list|revoke`: API tokens for the HTTP API. A token is printed once, when created; only
 * its SHA-256 is stored.
 */
import type { Command } from 'commander';
import { deleteApiToken, insertApiToken, listApiTokens } from '../db/api-tokens-repo.js';
import { findCompanyByCode } from '../db/companies-repo.js';
import { generateApiToken, hashApiToken } from '../domain/api-token.js';
import { AppError, inputError } from '../domain/errors.js';
import { isSingleLine } from '../domain/text-rules.js';
import type { AppContext } from './app-context.js';
import { formatTable, printJson } from './output.js';

export function registerTokenCommands(program: Command, ctx: AppContext): void {
  const { io } = ctx;
  const tokens = program.command('tokens').description('API tokens for `serve`');

  tokens
    .command('create')
    .description('create an API token and print it (once): scoped to --company and the companies below it, or an admin token')
    .requiredOption('--label <label>', 'what the token is for (shown in `tokens list` and the server logs)')
    .option('--company <code>', 'scope: this company and the companies below it (default: admin, every company)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { label: string; company?: string; json?: boolean }) => {
      if (opts.label.trim() === '' || opts.label.length > 255 || !isSingleLine(opts.label)) {
        throw inputError([{ path: '--label', message: 'must be one line of 1–255 characters' }]);
      }
      const db = await ctx.db();
      let companyId: number | null = null;
      if (opts.company !== undefined) {
        const company = await findCompanyByCode(db, opts.company);
        if (!company) throw inputError([{ path: '--company', message: `unknown company "${opts.company}"` }]);
        companyId = company.id;
      }
      const token = generateApiToken();
      await insertApiToken(db, { sha256: hashApiToken(token), label: opts.label, companyId, now: ctx.clock.now() });
      const company = opts.company ?? null;
      if (opts.json) return printJson(io, { token, label: opts.label, company });
      io.stdout.write(`${token}\n`);
      io.stderr.write(
        `token "${opts.label}" (${company === null ? 'admin: every company' : `${company} and the companies below it`}); it is not shown again\n`,
      );
    });

  tokens
    .command('list')
    .description('API tokens: id, label, scope and creation time (never the tokens themselves)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const list = (await listApiTokens(await ctx.db())).map((t) => ({ id: t.id, label: t.label, company: t.companyCode, createdAt: t.createdAt }));
      if (opts.json) return printJson(io, list);
      io.stdout.write(
        formatTable(
          ['ID', 'LABEL', 'SCOPE', 'CREATED'],
          list.map((t) => [String(t.id), t.label, t.company ?? '(admin)', t.createdAt]),
        ),
      );
    });

  tokens
    .command('revoke')
    .description('delete an API token: requests with it are refused from now on')
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
