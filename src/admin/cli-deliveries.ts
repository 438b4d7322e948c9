/**
 * CLI commands for the outbox: `deliveries list`, `deliveries retry`.
 */
import type { Command } from 'commander';
import { inputError } from '../domain/errors.js';
import { retryDeliveries } from '../pipeline/retry-deliveries.js';
import type { AppContext } from './app-context.js';
import { formatTable, printJson } from './output.js';

const STATUSES = ['pending', 'sending', 'sent', 'failed'];
const iso = (ms: unknown) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

export function registerDeliveryCommands(program: Command, ctx: AppContext, setExit: (code: number) => void): void {
  const { io } = ctx;
  const deliveries = program.command('deliveries').description('the outbox: one delivery per invoice and integration');

  deliveries
    .command('list')
    .description('deliveries with their status, attempts and last error')
    .option('--status <status>', `only this status (${STATUSES.join(', ')})`)
    .option('--company <code>', 'only this company')
    .option('--json', 'machine-readable output')
    .action(async (opts: { status?: string; company?: string; json?: boolean }) => {
      if (opts.status !== undefined && !STATUSES.includes(opts.status)) {
        throw inputError([{ path: '--status', message: `must be one of ${STATUSES.join(', ')}` }]);
      }
      const db = await ctx.db();
      const q = db('deliveries as d')
        .join('invoices as i', 'i.id', 'd.invoice_id')
        .join('integrations as g', 'g.id', 'd.integration_id')
        .join('companies as c', 'c.id', 'i.company_id')
        .orderBy('d.id')
        .select('d.*', 'i.number as invoice', 'g.type as integration', 'c.code as company');
      if (opts.status) q.where('d.status', opts.status);
      if (opts.company) q.where('c.code', opts.company);
      const rows = ((await q) as Array<Record<string, unknown>>).map((r) => ({
        id: Number(r.id),
        invoice: r.invoice as string,
        company: r.company as string,
        integration: r.integration as string,
        status: r.status as string,
        attempts: Number(r.attempts),
        error: (r.last_error as string | null) ?? null,
        nextAttemptAt: r.status === 'failed' ? iso(r.next_attempt_at) : null,
        sentAt: iso(r.sent_at),
        receipt: (r.receipt as string | null) ?? null,
      }));
      if (opts.json) return printJson(io, rows);
      io.stdout.write(
        formatTable(
          ['ID', 'INVOICE', 'COMPANY', 'INTEGRATION', 'STATUS', 'ATTEMPTS', 'NEXT ATTEMPT', 'DETAIL'],
          rows.map((r) => [String(r.id), r.invoice, r.company, r.integration, r.status, String(r.attempts), r.nextAttemptAt ?? '', r.error ?? r.receipt ?? '']),
        ),
      );
    });

  deliveries
    .command('retry')
    .description('send failed deliveries again now: one delivery by ID, or every failed delivery of an invoice NUMBER')
    .argument('<idOrNumber>', 'delivery id or invoice number')
    .option('--json', 'machine-readable output')
    .action(async (target: string, opts: { json?: boolean }) => {
      const results = await retryDeliveries(await ctx.runDeps(), /^\d+$/.test(target) ? { deliveryId: Number(target) } : { invoiceNumber: target }, {
        path: 'idOrNumber',
        label: target,
      });
      if (opts.json) printJson(io, results);
      else for (const o of results) io.stdout.write(`delivery ${o.id} (${o.invoice} via ${o.integration}): ${o.status}${o.error ? ` (${o.error})` : ''}\n`);
      if (results.some((o) => o.status !== 'sent')) setExit(1);
    });
}
