/**
 * The `oms-invoicing` command line (SPEC §5). Parses arguments, calls the pipeline, prints results.
 * No business rules here.
 */
import { Command, CommanderError, Option } from 'commander';
import { listAppliedMigrations, migrateLatest } from '../db/connect.js';
import { inputError } from '../domain/errors.js';
import { listOrders } from '../db/orders-repo.js';
import { readImportFiles } from '../import/read-import-files.js';
import { loadImport } from '../import/load-import.js';
import type { AppContext } from './app-context.js';
import { createProgress, formatTable, printJson } from './output.js';
import { registerInvoicingCommands } from './cli-invoicing.js';
import { registerCreditNoteCommands } from './cli-credit-notes.js';
import { registerDeliveryCommands } from './cli-deliveries.js';
import { registerWorkerCommands } from './cli-worker.js';
import { registerDemoCommand } from './cli-demo.js';
import { registerServeCommand } from './cli-serve.js';
import { registerTokenCommands } from './cli-tokens.js';

export interface Cli {
  run(argv: string[]): Promise<number>;
}

export function parseNonNegativeInt(name: string) {
  return (value: string): number => {
    if (!/^\d{1,9}$/.test(value)) throw inputError([{ path: name, message: `must be a whole number, got "${value}"` }]);
    return Number(value);
  };
}

export function buildCli(ctx: AppContext): Cli {
  const { io } = ctx;
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = Math.max(exitCode, code);
  };

  const program = new Command('oms-invoicing')
    .description('Dropship supplier invoicing: numbering, PDF invoices, email and UBL e-invoices over SFTP')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  program
    .command('migrate')
    .description('create or upgrade the database schema (idempotent)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const db = await ctx.db();
      // ctx.db() already applied pending migrations; report what the schema holds now
      const applied = await migrateLatest(db);
      const names = await listAppliedMigrations(db);
      if (opts.json) printJson(io, { database: ctx.config.database.client === 'mysql2' ? 'mysql' : 'sqlite', applied, migrations: names });
      else io.stdout.write(`schema is up to date (${names.length} migration${names.length === 1 ? '' : 's'})\n`);
    });

  program
    .command('load')
    .description('import companies, users, products and orders from JSON files (all-or-nothing)')
    .argument('<files...>', 'JSON files in the import format')
    .option('--json', 'machine-readable output')
    .action(async (files: string[], opts: { json?: boolean }) => {
      const sources = await readImportFiles(files.map((f) => f));
      const db = await ctx.db();
      const progress = createProgress(io, Boolean(opts.json), 'orders');
      try {
        const summary = await loadImport(db, sources, {
          now: ctx.clock.now(),
          policy: ctx.config.policy,
          onProgress: (done, total) => progress.update(done, total),
        });
        progress.stop();
        if (opts.json) printJson(io, { files, ...summary });
        else {
          io.stdout.write(
            `loaded ${files.join(', ')}: companies ${summary.companies.inserted} new, ${summary.companies.updated} updated; ` +
              `users ${summary.users.inserted} new, ${summary.users.updated} updated; ` +
              `products ${summary.products.inserted} new, ${summary.products.updated} updated; ` +
              `orders ${summary.orders.inserted} new, ${summary.orders.updated} updated, ${summary.orders.unchanged} unchanged (${summary.items} items)\n`,
          );
        }
      } finally {
        progress.stop();
      }
    });

  const orders = program.command('orders').description('orders');
  orders
    .command('list')
    .description('list orders, newest first')
    .option('--company <code>', 'only this company')
    .addOption(new Option('--invoiced', 'only invoiced orders').conflicts('notInvoiced'))
    .addOption(new Option('--not-invoiced', 'only orders not yet invoiced').conflicts('invoiced'))
    .option('--search <text>', 'match order number, relating-to, company, SKU, description or invoice number')
    .option('--limit <n>', 'page size (default 10)', parseNonNegativeInt('--limit'), 10)
    .option('--offset <n>', 'skip this many', parseNonNegativeInt('--offset'), 0)
    .option('--json', 'machine-readable output')
    .action(async (opts: { company?: string; invoiced?: boolean; notInvoiced?: boolean; search?: string; limit: number; offset: number; json?: boolean }) => {
      const db = await ctx.db();
      const page = await listOrders(db, {
        ...(opts.company !== undefined ? { company: opts.company } : {}),
        ...(opts.invoiced ? { invoiced: true } : opts.notInvoiced ? { invoiced: false } : {}),
        ...(opts.search !== undefined ? { search: opts.search } : {}),
        limit: opts.limit,
        offset: opts.offset,
      });
      if (opts.json) return printJson(io, page);
      io.stdout.write(
        formatTable(
          ['COMPANY', 'ORDER', 'STATUS', 'CREATED', 'HOLD', 'ERRORS', 'ITEMS', 'SHIPPING', 'INVOICE'],
          page.items.map((o) => [
            o.company,
            o.number,
            o.status,
            o.createdAt.slice(0, 16).replace('T', ' '),
            o.onHold ? 'yes' : '',
            o.hasErrors ? 'yes' : '',
            String(o.items.length),
            `${o.shippingCost} ${o.currency}`,
            o.invoice ?? '',
          ]),
        ),
      );
      io.stdout.write(`${page.items.length} of ${page.count} order${page.count === 1 ? '' : 's'}\n`);
    });

  registerInvoicingCommands(program, ctx, setExit);
  registerCreditNoteCommands(program, ctx, setExit);
  registerDeliveryCommands(program, ctx, setExit);
  registerWorkerCommands(program, ctx, setExit);
  registerDemoCommand(program, ctx);
  registerTokenCommands(program, ctx);
  registerServeCommand(program, ctx);

  return {
    async run(argv) {
      try {
        await program.parseAsync(argv, { from: 'user' });
      } catch (err) {
        if (err instanceof CommanderError) {
          // --help and --version end "successfully"; every other parse error is a usage error
          if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
          return 2;
        }
        throw err;
      }
      return exitCode;
    },
  };
}
