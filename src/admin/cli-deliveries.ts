/**
 * CLI commands for the outbox: `deliveries list`, `deliveries retry`.
 */
import type { Command } from 'commander';
import { inputError } from '../domain/errors.js';
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
      const db = await ctx.db();
      const q = db('deliveries as d')
        .join('invoices as i', 'i.id', 'd.invoice_id')
        .join('integrations as g', 'g.id', 'd.integration_id')
        .orderBy('d.id')
        .select('d.id', 'd.invoice_id', 'd.status', 'd.claimed_until', 'i.number', 'g.type', 'g.enabled');
      if (/^\d+$/.test(target)) q.where('d.id', Number(target));
      else q.where('i.number', target);
      const rows = ((await q) as Array<Record<string, unknown>>).map((r) => ({
        id: Number(r.id),
        invoiceId: Number(r.invoice_id),
        status: r.status as string,
        claimedUntil: r.claimed_until === null ? null : Number(r.claimed_until),
        number: r.number as string,
        type: r.type as string,
        enabled: Boolean(r.enabled),
      }));
      if (rows.length === 0) throw inputError([{ path: 'idOrNumber', message: `no delivery or invoice "${target}"` }]);
      const now = ctx.clock.now();
      // Failed or still pending; or `sending` by a process that died (its claim has expired)
      const candidates = rows.filter(
        (r) => r.status === 'failed' || r.status === 'pending' || (r.status === 'sending' && r.claimedUntil !== null && r.claimedUntil < now),
      );
      if (candidates.length === 0) {
        const sending = rows.filter((r) => r.status === 'sending' && r.claimedUntil !== null);
        const busy = sending.length > 0 ? ` (being sent by another process, claimed until ${iso(Math.max(...sending.map((r) => r.claimedUntil!)))})` : '';
        throw inputError([
          { path: 'idOrNumber', message: `nothing to retry: the deliveries of "${target}" are ${[...new Set(rows.map((r) => r.status))].join(', ')}${busy}` },
        ]);
      }
      // The outbox delivers only through enabled integrations: say so rather than queue what will not go
      const disabled = candidates.filter((r) => !r.enabled);
      const retryable = candidates.filter((r) => r.enabled);
      if (retryable.length === 0) {
        const types = [...new Set(disabled.map((r) => r.type))].join(' and ');
        throw inputError([{ path: 'idOrNumber', message: `the ${types} integration of "${target}" is disabled: enable it, then retry` }]);
      }
      // A person asked for it: a fresh set of attempts, starting now. Only rows still in the state we saw
      // are reset, so a delivery a worker has just claimed is not sent twice at once.
      await db('deliveries')
        .whereIn(
          'id',
          retryable.map((r) => r.id),
        )
        .where((w) => w.whereIn('status', ['failed', 'pending']).orWhere((x) => x.where('status', 'sending').where('claimed_until', '<', now)))
        .update({ status: 'pending', attempts: 0, next_attempt_at: now, claimed_until: null, updated_at: now });
      const deps = await ctx.runDeps();
      const delivered = await deps.deliverer.deliverPending({ invoiceIds: [...new Set(retryable.map((r) => r.invoiceId))] });
      const results = [
        ...retryable.map((r) => {
          const o = delivered.find((d) => d.deliveryId === r.id);
          // Not in this pass: another process took it first
          return o
            ? { id: r.id, invoice: o.invoice, integration: o.integration as string, status: o.status as string, error: o.error }
            : { id: r.id, invoice: r.number, integration: r.type, status: 'sending', error: 'taken over by another process' };
        }),
        ...disabled.map((r) => ({ id: r.id, invoice: r.number, integration: r.type, status: r.status, error: 'not retried: the integration is disabled' })),
      ].sort((a, b) => a.id - b.id);
      if (opts.json) printJson(io, results);
      else for (const o of results) io.stdout.write(`delivery ${o.id} (${o.invoice} via ${o.integration}): ${o.status}${o.error ? ` (${o.error})` : ''}\n`);
      if (results.some((o) => o.status !== 'sent')) setExit(1);
    });
}
