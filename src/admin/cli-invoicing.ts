/**
 * CLI commands around runs and invoices: `run`, `invoices …`.
 */
import type { Command } from 'commander';
import { findCompanyByCode } from '../db/companies-repo.js';
import { listInvoices, showInvoice } from '../db/invoices-repo.js';
import { AppError, inputError } from '../domain/errors.js';
import { runCompanyIntegrations, runManual, type RunReport } from '../pipeline/run-company.js';
import type { AppContext } from './app-context.js';
import { registerArtefactCommands } from './cli-artefacts.js';
import { formatTable, printJson, runReportJson } from './output.js';

function printRunReport(ctx: AppContext, report: RunReport, json: boolean): void {
  const { io } = ctx;
  if (json) return printJson(io, runReportJson(report));
  const verb = report.dryRun ? 'would issue' : 'issued';
  if (report.invoices.length === 0) {
    io.stdout.write(`${report.company}: nothing to invoice${report.dryRun ? ' (dry run)' : ''}\n`);
  } else {
    io.stdout.write(
      `${report.company}: ${verb} ${report.invoices.length} invoice${report.invoices.length === 1 ? '' : 's'}${report.dryRun ? ' (dry run: no number consumed)' : ''}\n`,
    );
    io.stdout.write(
      formatTable(
        ['NUMBER', 'CURRENCY', 'ORDERS', 'LINES', 'NET', 'TAX', 'TOTAL', 'LAYOUT'],
        report.invoices.map((i) => [i.number, i.currency, String(i.orders.length), String(i.lines), i.net, i.tax, i.total, i.layout]),
      ),
    );
  }
  const skipped = Object.entries(report.skipped).filter(([, n]) => n > 0);
  if (skipped.length > 0) io.stdout.write(`skipped: ${skipped.map(([k, n]) => `${n} ${k}`).join(', ')}\n`);
  for (const d of report.deliveries) {
    io.stdout.write(`delivery ${d.invoice} via ${d.integration}: ${d.status}${d.error ? ` (${d.error})` : ''}\n`);
  }
  if (report.missingCharacters) {
    io.stdout.write(
      `warning: no configured font can draw ${report.missingCharacters.map((c) => `${c} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`).join(', ')}; ` +
        'the PDF shows � in their place (see OMS_PDF_FONTS)\n',
    );
  }
}

export function registerInvoicingCommands(program: Command, ctx: AppContext, setExit: (code: number) => void): void {
  const { io } = ctx;

  program
    .command('run')
    .description('invoice a company now: its enabled integrations, or a manual run with --as')
    .requiredOption('--company <code>', 'the dropship or self-fulfilment company to invoice')
    .option('--as <email>', "manual run, numbered from this user's primary company")
    .option('--dry-run', 'show what would be invoiced; consume no number, write nothing')
    .option('--include-errors', 'include orders that have errors')
    .option('--from <date>', 'only orders created on or after this date (company time zone)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { company: string; as?: string; dryRun?: boolean; includeErrors?: boolean; from?: string; json?: boolean }) => {
      const deps = await ctx.runDeps();
      const report = opts.as
        ? await runManual(deps, {
            companyCode: opts.company,
            userEmail: opts.as,
            dryRun: Boolean(opts.dryRun),
            includeErrors: Boolean(opts.includeErrors),
            from: opts.from ?? null,
          })
        : await runCompanyIntegrations(deps, {
            companyCode: opts.company,
            dryRun: Boolean(opts.dryRun),
            ...(opts.includeErrors ? { includeErrors: true } : {}),
            ...(opts.from !== undefined ? { from: opts.from } : {}),
          });
      printRunReport(ctx, report, Boolean(opts.json));
      if (report.deliveries.some((d) => d.status === 'failed')) setExit(1);
    });

  const invoices = program.command('invoices').description('issued invoices');
  invoices
    .command('list')
    .description('invoices with their totals, orders and delivery status')
    .option('--company <code>', 'only this company')
    .option('--json', 'machine-readable output')
    .action(async (opts: { company?: string; json?: boolean }) => {
      const db = await ctx.db();
      if (opts.company !== undefined && !(await findCompanyByCode(db, opts.company))) {
        throw inputError([{ path: '--company', message: `unknown company "${opts.company}"` }]);
      }
      const list = await listInvoices(db, opts.company !== undefined ? { company: opts.company } : {});
      if (opts.json) return printJson(io, list);
      io.stdout.write(
        formatTable(
          ['NUMBER', 'COMPANY', 'SELLER', 'ISSUED', 'DUE', 'CUR', 'NET', 'TAX', 'TOTAL', 'ORDERS', 'DELIVERIES'],
          list.map((i) => [
            i.number,
            i.company,
            i.seller,
            i.issueDate,
            i.dueDate,
            i.currency,
            i.net,
            i.tax,
            i.total,
            String(i.orders.length),
            i.deliveries.map((d) => `${d.integration}:${d.status}${d.error ? ` (${d.error})` : ''}`).join(', '),
          ]),
        ),
      );
    });

  invoices
    .command('show')
    .description('one invoice with its lines (what is credited of each), its status and its credit notes')
    .argument('<number>', 'invoice number')
    .option('--json', 'machine-readable output')
    .action(async (number: string, opts: { json?: boolean }) => {
      const invoice = await showInvoice(await ctx.db(), number);
      if (!invoice) throw new AppError('NOT_FOUND', `unknown invoice "${number}"`, { problems: [{ path: 'NUMBER', message: `unknown invoice "${number}"` }] });
      if (opts.json) return printJson(io, invoice);
      io.stdout.write(
        `${invoice.number}  ${invoice.company} (seller ${invoice.seller})  issued ${invoice.issueDate}, due ${invoice.dueDate}  ${invoice.status.replace('_', ' ')}\n`,
      );
      io.stdout.write(
        formatTable(
          ['#', 'ORDER', 'SKU', 'DESCRIPTION', 'QTY', 'UNIT PRICE', 'NET', 'TAX %', 'CREDITED QTY', 'CREDITED NET'],
          invoice.lines.map((l) => [
            String(l.position),
            l.order,
            l.sku,
            l.description,
            String(l.quantity),
            l.unitPrice,
            l.net,
            l.taxRate,
            String(l.creditedQuantity),
            l.creditedNet,
          ]),
        ),
      );
      io.stdout.write(`net ${invoice.net}  tax ${invoice.tax}  total ${invoice.total} ${invoice.currency}; credited ${invoice.credited}\n`);
      if (invoice.creditNotes.length > 0) io.stdout.write(`credit notes: ${invoice.creditNotes.join(', ')}\n`);
    });

  registerArtefactCommands(invoices, ctx, 'invoice');
}
