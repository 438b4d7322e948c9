/**
 * `/metrics` (Prometheus text format, prom-client). The pipeline's figures are counted in the database at
 * scrape time (readStoredMetrics), so every process answers the same and the work of every worker is
 * included; prom-client's default metrics describe the answering process itself.
 *
 * Needs an admin API token (`Authorization: Bearer …`): the figures cover every company. A company token
 * is answered as for anything outside its scope (404).
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import { readStoredMetrics, type RunDurations } from '../../db/metrics-repo.js';
import type { AppContext } from '../app-context.js';
import { notFound } from '../http/errors.js';

/** Run durations' bucket bounds, in seconds: a single company's run to a large scheduler batch. */
const DURATION_BOUNDS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900] as const;

/**
 * prom-client's Histogram counts observations made in this process; this one reports buckets counted by
 * the database. prom-client's Registry reads a metric only through `name`, `type`, `get()` (and `reset()`
 * on resetMetrics), so this object takes a Histogram's place there.
 */
function storedHistogram(name: string, help: string, read: () => readonly RunDurations[]): Metric {
  const values = () =>
    read().flatMap((d) => [
      ...DURATION_BOUNDS.map((bound, i) => ({ labels: { mode: d.mode, le: bound }, value: d.atMost[i] ?? 0, metricName: `${name}_bucket` })),
      { labels: { mode: d.mode, le: '+Inf' }, value: d.count, metricName: `${name}_bucket` },
      { labels: { mode: d.mode }, value: d.sumSeconds, metricName: `${name}_sum` },
      { labels: { mode: d.mode }, value: d.count, metricName: `${name}_count` },
    ]);
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    reset: () => undefined,
    get: () => Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values: values() }),
  };
  return metric as unknown as Metric;
}

export interface OpsMetrics {
  registry: Registry;
  /** Reads the stored figures into the metrics; false when the database did not answer */
  refresh(): Promise<boolean>;
}

export function createOpsMetrics(ctx: AppContext): OpsMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Gauge<L>({ name, help, labelNames, registers });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Counter<L>({ name, help, labelNames, registers });
  const up = gauge('oms_database_up', 'Whether the database answered this scrape (1) or not (0)');
  const runs = gauge('oms_runs', 'Runs in the run log, by mode (auto, manual) and status (running, ok, failed)', ['mode', 'status']);
  const takeovers = counter('oms_run_lease_takeovers_total', 'Runs whose process died, closed as interrupted by the worker that took over their integration');
  const invoices = counter('oms_invoices_total', 'Invoices issued, by run mode', ['mode']);
  const creditNotes = counter('oms_credit_notes_total', 'Credit notes issued');
  const deliveries = gauge('oms_deliveries', 'Deliveries by integration and status (pending, sending, sent, failed)', ['integration', 'status']);
  const attempts = counter('oms_delivery_attempts_total', 'Finished delivery attempts by integration and result (sent, failed)', ['integration', 'result']);
  let durations: readonly RunDurations[] = [];
  registry.registerMetric(storedHistogram('oms_run_duration_seconds', 'How long finished runs took, by mode', () => durations));

  return {
    registry,
    async refresh() {
      let stored;
      try {
        stored = await readStoredMetrics(await ctx.db(), DURATION_BOUNDS);
      } catch (err) {
        ctx.logger().warn({ err }, 'metrics: the database did not answer');
        up.set(0);
        return false;
      }
      // Replaced whole and at once (no await in between), so a scrape never mixes two reads
      up.set(1);
      for (const m of [runs, takeovers, invoices, creditNotes, deliveries, attempts]) m.reset();
      for (const r of stored.runs) runs.set({ mode: r.mode, status: r.status }, r.count);
      takeovers.inc(stored.interruptedRuns);
      for (const i of stored.invoices) invoices.inc({ mode: i.mode }, i.count);
      creditNotes.inc(stored.creditNotes);
      for (const d of stored.deliveries) deliveries.set({ integration: d.integration, status: d.status }, d.count);
      for (const a of stored.attempts) attempts.inc({ integration: a.integration, result: a.status }, a.count);
      durations = stored.runDurations;
      return true;
    },
  };
}

export function registerMetricsRoute(app: FastifyInstance, ctx: AppContext): void {
  const metrics = createOpsMetrics(ctx);
  app.get('/metrics', { logLevel: 'warn' }, async (request, reply) => {
    if (request.scope.companies !== null) throw notFound('no such endpoint: GET /metrics');
    await metrics.refresh();
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
