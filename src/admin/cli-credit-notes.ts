/**
 * `credit-notes create|list|pdf|xml` (SPEC §5, §8).
 */
import type { Command } from 'commander';
import { listCreditNotes } from '../db/invoices-repo.js';
import { findCompanyByCode } from '../db/companies-repo.js';
import { AppError, inputError } from '../domain/errors.js';
import { creditInvoice, type CreditNoteReport } from '../pipeline/credit-invoice.js';
import type { AppContext } from './app-context.js';
import { registerArtefactCommands } from './cli-artefacts.js';
import { formatTable, printJson } from './output.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** `--line POS[:QTY]` */
function parseLine(text: string): { position: number; quantity: number | null } {
  const m = /^([1-9]\d{0,8})(?::([1-9]\d{0,8}))?$/.exec(text);
  if (!m) throw inputError([{ path: '--line', message: `must be a line position, optionally with a number of units (3 or 3:2), got "${text}"` }]);
  return { position: Number(m[1]), quantity: m[2] === undefined ? null : Number(m[2]) };
}

/** The pipeline names problems by the API's fields; the command line names its options. */
function asOptions(err: unknown): unknown {
  if (!(err instanceof AppError)) return err;
  const option = (path: string) =>
    path === 'invoice'
      ? '--invoice'
      : path === 'reason'
        ? '--reason'
        : path === 'reinvoice'
          ? '--reinvoice'
          : path === 'as'
            ? '--as'
            : path.startsWith('orders')
              ? '--order'
              : path.startsWith('lines')
                ? '--line'
                : path;
  const problems = err.problems.map((p) => ({ ...p, path: option(p.path) }));
  return new AppError(err.code, problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('\n'), {
    problems,
    retryable: err.retryable,
    cause: err,
  });
}

function printCreditNote(ctx: AppContext, report: CreditNoteReport, dryRun: boolean): void {
  const { io } = ctx;
  io.stdout.write(
    `${dryRun ? 'would credit' : `${report.number} credits`} ${report.invoice} (${report.company}): ${report.lines} line(s), net ${report.net}, tax ${report.tax}, total ${report.total} ${report.currency}; reason: ${report.reason}\n`,
  );
  if (report.reinvoiced.length > 0) io.stdout.write(`reopened to be invoiced again: ${report.reinvoiced.join(', ')}\n`);
  for (const d of report.deliveries) io.stdout.write(`delivery via ${d.integration}: ${d.status}${d.error ? ` (${d.error})` : ''}\n`);
}

export function registerCreditNoteCommands(program: Command, ctx: AppContext, setExit: (code: number) => void): void {
  const { io } = ctx;
  const creditNotes = program.command('credit-notes').description('credit notes: how an issued invoice is corrected (all or part of it)');

  creditNotes
    .command('create')
    .description('credit all or part of an invoice: everything still uncredited, or the lines of --order and --line (they add up)')
    .option('--invoice <number>', 'the invoice to credit')
    .option('--order <order>', 'credit every line of this order on the invoice (repeatable)', collect, [])
    .option('--line <pos[:qty]>', 'credit QTY units (default: all still uncredited) of the line at this position (repeatable)', collect, [])
    .option('--reason <text>', 'why: one line of 1–255 characters (required)')
    .option('--reinvoice', 'reopen the orders credited whole, so that the next run invoices them again')
    .option('--dry-run', 'show what would be credited; write nothing, take no number')
    .option('--as <email>', 'the user issuing it (recorded)')
    .option('--json', 'machine-readable output')
    .action(
      async (opts: {
        invoice?: string;
        order: string[];
        line: string[];
        reason?: string;
        reinvoice?: boolean;
        dryRun?: boolean;
        as?: string;
        json?: boolean;
      }) => {
        if (opts.invoice === undefined) throw inputError([{ path: '--invoice', message: 'which invoice to credit: --invoice NUMBER' }]);
        const lines = opts.line.map(parseLine);
        let report: CreditNoteReport;
        try {
          report = await creditInvoice(await ctx.runDeps(), {
            invoiceNumber: opts.invoice,
            orders: opts.order,
            lines,
            reason: opts.reason,
            reinvoice: Boolean(opts.reinvoice),
            dryRun: Boolean(opts.dryRun),
            issuedBy: opts.as ?? null,
          });
        } catch (err) {
          throw asOptions(err);
        }
        if (opts.json) printJson(io, report);
        else printCreditNote(ctx, report, Boolean(opts.dryRun));
        if (report.deliveries.some((d) => d.status === 'failed')) setExit(1);
      },
    );

  creditNotes
    .command('list')
    .description('credit notes with the invoice each credits, totals, reason and delivery status')
    .option('--company <code>', 'only this company')
    .option('--invoice <number>', 'only the credit notes of this invoice')
    .option('--json', 'machine-readable output')
    .action(async (opts: { company?: string; invoice?: string; json?: boolean }) => {
      const db = await ctx.db();
      if (opts.company !== undefined && !(await findCompanyByCode(db, opts.company))) {
        throw inputError([{ path: '--company', message: `unknown company "${opts.company}"` }]);
      }
      const list = await listCreditNotes(db, {
        ...(opts.company !== undefined ? { company: opts.company } : {}),
        ...(opts.invoice !== undefined ? { invoice: opts.invoice } : {}),
      });
      if (opts.json) return printJson(io, list);
      io.stdout.write(
        formatTable(
          ['NUMBER', 'INVOICE', 'COMPANY', 'ISSUED', 'CUR', 'NET', 'TAX', 'TOTAL', 'REASON', 'DELIVERIES'],
          list.map((c) => [
            c.number,
            c.invoice,
            c.company,
            c.issueDate,
            c.currency,
            c.net,
            c.tax,
            c.total,
            c.reason,
            c.deliveries.map((d) => `${d.integration}:${d.status}${d.error ? ` (${d.error})` : ''}`).join(', '),
          ]),
        ),
      );
    });

  registerArtefactCommands(creditNotes, ctx, 'credit_note');
}
