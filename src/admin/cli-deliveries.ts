/**
 * CLI commands for the outbox: `deliveries list`, `deliveries retry`.
 */
import type { Command } from 'commander';
import { listDeliveries, type DeliveryStatus } from '../db/deliveries-repo.js';
import { inputError } from '../domain/errors.js';
import { retryDeliveries } from '../pipeline/retry-deliveries.js';
import type { AppContext } from './app-context.js';
import { formatTable, isoTime, printJson } from './output.js';

const STATUSES: readonly DeliveryStatus[] = ['pending', 'sending', 'sent', 'failed'];
const isDeliveryStatus = (s: string): s is DeliveryStatus => (STATUSES as readonly string[]).includes(s);
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
      if (opts.status !== undefined && !isDeliveryStatus(opts.status)) {
        throw inputError([{ path: '--status', message: `must be one of ${STATUSES.join(', ')}` }]);
      }
      const db = await ctx.db();
      const rows = (
        await listDeliveries(db, {
          ...(opts.status !== undefined ? { status: opts.status } : {}),
          ...(opts.company !== undefined ? { company: opts.company } : {}),
        })
      ).map((r) => ({
        id: r.id,
        invoice: r.invoice,
        company: r.company,
        integration: r.integration,
        status: r.status,
        attempts: r.attempts,
        error: r.error,
        nextAttemptAt: r.status === 'failed' ? isoTime(r.nextAttemptAt) : null,
        sentAt: isoTime(r.sentAt),
        receipt: r.receipt,
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
      const results = await retryDeliveries(await ctx.runDeps(), target);
      if (opts.json) printJson(io, results);
      else for (const o of results) io.stdout.write(`delivery ${o.id} (${o.invoice} via ${o.integration}): ${o.status}${o.error ? ` (${o.error})` : ''}\n`);
      if (results.some((o) => o.status !== 'sent')) setExit(1);
    });
}
