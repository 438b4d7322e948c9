/**
 * CLI commands for the scheduler: `worker`, `integrations list`.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { listIntegrations, scheduleText, upcomingRunAt } from '../db/integrations-repo.js';
import { inputError } from '../domain/errors.js';
import { parseInstant } from '../domain/text-rules.js';
import { runTick, type TickReport } from '../scheduler/tick.js';
import { startWorker } from '../scheduler/worker.js';
import type { AppContext } from './app-context.js';
import { formatTable, isoTime, printJson } from './output.js';

function printTick(ctx: AppContext, report: TickReport, json: boolean): void {
  if (json) return printJson(ctx.io, report);
  const { io } = ctx;
  io.stdout.write(
    `tick at ${report.at}: ${report.ran.length} integration run${report.ran.length === 1 ? '' : 's'}, ${report.deliveriesRetried} deliveries retried\n`,
  );
  for (const r of report.ran) {
    io.stdout.write(
      `  ${r.company} ${r.type}: ${r.error ? `error: ${r.error}` : `${r.invoices.length} invoice(s) ${r.invoices.join(' ')}; deliveries sent ${r.deliveries.sent}, failed ${r.deliveries.failed}`}; next ${r.nextInvoiceAt}\n`,
    );
  }
}

export function registerWorkerCommands(program: Command, ctx: AppContext, setExit: (code: number) => void): void {
  const { io } = ctx;

  program
    .command('worker')
    .description('the scheduler: runs due integrations every minute (several workers may share one database)')
    .option('--once', 'run one tick and exit')
    .option('--at <iso>', 'with --once: the tick happens as of this time (default now)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { once?: boolean; at?: string; json?: boolean }) => {
      let at: number | null = null;
      if (opts.at !== undefined) {
        if (!opts.once) throw inputError([{ path: '--at', message: 'only goes with --once' }]);
        at = parseInstant(opts.at);
        if (at === null)
          throw inputError([{ path: '--at', message: `must be an ISO 8601 date-time with a time zone, like 2026-11-22T00:00:00Z; got "${opts.at}"` }]);
      }
      // Runs of one tick share SFTP sessions (one login per server, not one per run)
      const deps = await ctx.runDeps({ shareSessions: true });
      const tickDeps = {
        ...deps,
        workerId: `${hostname()}:${process.pid}`,
        leaseSeconds: ctx.config.worker.leaseSeconds,
        concurrency: ctx.config.worker.concurrency,
        batch: ctx.config.worker.batch,
        log: ctx.logger(),
        retryDeliveries: async () => (await deps.deliverer.deliverPending({ retriesOnly: true })).length,
        closeSessions: deps.closeSessions,
      };
      if (opts.once) {
        const report = await runTick(tickDeps, at ?? ctx.clock.now());
        printTick(ctx, report, Boolean(opts.json));
        if (report.ran.some((r) => r.deliveries.failed > 0 || r.error)) setExit(1);
        return;
      }
      const worker = startWorker(tickDeps, tickDeps.log, (report) => {
        if (opts.json) io.stdout.write(`${JSON.stringify(report)}\n`);
      });
      await worker.stopped;
    });

  const integrations = program.command('integrations').description('accounting integrations');
  integrations
    .command('list')
    .description('each integration with its schedule, last run, next run and last result')
    .option('--company <code>', 'only this company')
    .option('--json', 'machine-readable output')
    .action(async (opts: { company?: string; json?: boolean }) => {
      const db = await ctx.db();
      const list = await listIntegrations(db, opts.company !== undefined ? { companyCode: opts.company } : {});
      const now = ctx.clock.now();
      const rows = list.map((g) => {
        const next = upcomingRunAt(g, now);
        return {
          company: g.companyCode,
          type: g.type,
          enabled: g.enabled,
          schedule: scheduleText(g),
          timezone: g.timezone,
          nextInvoiceAt: isoTime(next),
          lastRunAt: isoTime(g.lastRunAt),
          lastResult: g.lastResult,
          includeOrdersWithErrors: g.includeOrdersWithErrors,
          startingFrom: g.startingFrom,
          settings: g.settings,
        };
      });
      if (opts.json) return printJson(io, rows);
      const local = (ms: string | null, tz: string) => (ms === null ? '' : DateTime.fromISO(ms, { zone: tz }).toFormat('yyyy-MM-dd HH:mm ZZZZ'));
      io.stdout.write(
        formatTable(
          ['COMPANY', 'TYPE', 'ENABLED', 'SCHEDULE', 'NEXT RUN (LOCAL)', 'NEXT RUN (UTC)', 'LAST RUN (UTC)', 'LAST RESULT'],
          rows.map((r) => [
            r.company,
            r.type,
            r.enabled ? 'yes' : 'no',
            r.schedule,
            local(r.nextInvoiceAt, r.timezone),
            r.nextInvoiceAt?.slice(0, 16).replace('T', ' ') ?? '',
            r.lastRunAt?.slice(0, 16).replace('T', ' ') ?? '',
            summariseResult(r.lastResult),
          ]),
        ),
      );
    });
}

function summariseResult(result: unknown): string {
  if (!result || typeof result !== 'object') return '';
  const r = result as { status?: string; invoices?: string[]; failed?: number; error?: string };
  if (r.status === 'error') return `error: ${r.error ?? ''}`;
  return `${r.status ?? ''}: ${r.invoices?.length ?? 0} invoice(s)${r.failed ? `, ${r.failed} delivery failed` : ''}${r.error ? ` (${r.error})` : ''}`;
}
