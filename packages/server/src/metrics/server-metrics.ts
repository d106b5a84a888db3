import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import type { StoredDeploy, StoredTask } from '../store/environments.ts';
import type { QueryOperation } from '../store/open-database.ts';
import type { WorkerMetrics } from '../worker/keyed-worker.ts';

// The control plane's Prometheus metrics, in a registry of its own (the embedded router keeps its
// own; the metrics listener serves both). Every label has a bounded set of values: a route's
// template, never the raw path (ids, names); a task's kind, never its name (manifests choose names);
// a controller's name. Nothing a client sends, and no token or secret, ever becomes a label value.

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

/** The route label of requests no route matched (404s, the portal's fallback). */
export const unmatchedRoute = '(unmatched)';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** What the metrics read when they are scraped: counters their owners keep. */
export interface ServerMetricSources {
  /** Every controller's keyed-worker counters. */
  workers(): WorkerMetrics[];
  /** Failed store queries by statement. */
  queryErrors(): ReadonlyMap<QueryOperation, number>;
  /** sqlite or postgres. */
  dialect: string;
}

/** What the route stream reports (routes/route-stream.ts). */
export interface RouteStreamMetrics {
  streamOpened(): void;
  streamClosed(): void;
  streamSent(bytes: number): void;
}

const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Deploys and tasks take from a fraction of a second (a job) to minutes (an image build, a slow readiness). */
const DEPLOY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

export class ServerMetrics implements RouteStreamMetrics {
  readonly registry = new Registry();
  private readonly requests: Histogram<'route' | 'method' | 'status_class'>;
  private readonly deploys: Histogram<'workflow' | 'outcome'>;
  private readonly tasks: Histogram<'kind' | 'outcome'>;
  private readonly streamClients: Gauge;
  private readonly streamBytes: Counter;
  private readonly streamsOpened: Counter;

  constructor(sources: ServerMetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Histogram({
      name: 'slipway_http_request_duration_seconds',
      help: 'API requests, from arrival to the response sent, by route template, method and status class',
      labelNames: ['route', 'method', 'status_class'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.deploys = new Histogram({
      name: 'slipway_deploy_duration_seconds',
      help: 'Deploys that ended, from start (or, never started, from being queued) to end, by workflow and outcome',
      labelNames: ['workflow', 'outcome'],
      buckets: DEPLOY_BUCKETS,
      registers,
    });
    this.tasks = new Histogram({
      name: 'slipway_deploy_task_duration_seconds',
      help: "Tasks of deploys that ended, by kind (source, service, job, remove-environment) and the task's end state",
      labelNames: ['kind', 'outcome'],
      buckets: DEPLOY_BUCKETS,
      registers,
    });
    this.streamClients = new Gauge({ name: 'slipway_route_stream_clients', help: 'Routers following the route stream now', registers });
    this.streamsOpened = new Counter({ name: 'slipway_route_stream_connections_total', help: 'Route stream connections opened (a router reconnecting counts again)', registers });
    this.streamBytes = new Counter({ name: 'slipway_route_stream_sent_bytes_total', help: 'Bytes written to route stream followers: snapshots, changes, heartbeats', registers });

    // Read from their owners at each scrape: nothing on the workers' paths changes for metrics.
    const gauge = (name: string, help: string, pick: (m: WorkerMetrics) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['controller'],
        registers,
        collect() {
          this.reset();
          for (const m of sources.workers()) this.set({ controller: m.name }, pick(m));
        },
      });
    const counter = (name: string, help: string, pick: (m: WorkerMetrics) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['controller'],
        registers,
        collect() {
          this.reset();
          for (const m of sources.workers()) this.inc({ controller: m.name }, pick(m));
        },
      });
    gauge('slipway_worker_queue_depth', 'Keys waiting to run now, per controller', (m) => m.depth);
    gauge('slipway_worker_running', 'Keys running now, per controller', (m) => m.running);
    gauge('slipway_worker_delayed', 'Keys waiting for a requeue-after or backoff timer, per controller', (m) => m.delayed);
    counter('slipway_worker_reconciles_total', 'Reconciles run, per controller', (m) => m.runs);
    counter('slipway_worker_failures_total', 'Reconciles that threw, per controller', (m) => m.failures);
    counter('slipway_worker_retries_total', 'Failed reconciles queued again after a backoff, per controller', (m) => m.retries);
    counter('slipway_worker_lease_gains_total', 'Leases taken (per key, or the worker-wide one gained), per controller', (m) => m.leaseGains);
    counter('slipway_worker_lease_refusals_total', 'Runs not started because another server holds the lease, per controller', (m) => m.leaseRefusals);
    counter('slipway_worker_lease_losses_total', 'Leases held and lost (renewal or a fenced write refused), per controller', (m) => m.leaseLosses);
    counter('slipway_worker_fenced_refusals_total', 'Writes refused by fencing, per controller', (m) => m.fencedRefusals);
    this.registry.registerMetric(reconcileDurations(sources));

    new Counter({
      name: 'slipway_store_query_errors_total',
      help: 'Store queries that failed, by statement (select, insert, update, delete, transaction, other)',
      labelNames: ['operation', 'dialect'],
      registers,
      collect() {
        this.reset();
        for (const [operation, count] of sources.queryErrors()) this.inc({ operation, dialect: sources.dialect }, count);
      },
    });
  }

  /** Records one answered API request; `route` is the matched route's template (undefined: none matched). */
  observeRequest(route: string | undefined, method: string, status: number, milliseconds: number): void {
    const statusClass = `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx`;
    this.requests.observe({ route: route ?? unmatchedRoute, method: METHODS.has(method) ? method : 'OTHER', status_class: statusClass }, milliseconds / 1000);
  }

  /** Records a deploy that ended and the tasks it ran. */
  observeDeploy(deploy: StoredDeploy, tasks: StoredTask[]): void {
    const outcome = deploy.outcome ?? deploy.state;
    const seconds = spanSeconds(deploy.startedAt ?? deploy.createdAt, deploy.finishedAt);
    if (seconds !== undefined) this.deploys.observe({ workflow: deploy.workflow, outcome }, seconds);
    for (const task of tasks) {
      const taskSeconds = spanSeconds(task.startedAt, task.finishedAt);
      if (taskSeconds !== undefined) this.tasks.observe({ kind: taskKind(task.key), outcome: task.state }, taskSeconds);
    }
  }

  streamOpened(): void {
    this.streamClients.inc();
    this.streamsOpened.inc();
  }

  streamClosed(): void {
    this.streamClients.dec();
  }

  streamSent(bytes: number): void {
    this.streamBytes.inc(bytes);
  }
}

/** A task's kind from its key (`source`, `<step>:service:<name>`, `<step>:job:<name>`, `<step>:remove-environment`). */
export function taskKind(key: string): string {
  if (key === 'source') return 'source';
  const kind = key.split(':')[1];
  return kind === 'service' || kind === 'job' || kind === 'remove-environment' ? kind : 'other';
}

function spanSeconds(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
}

/**
 * `slipway_worker_reconcile_duration_seconds{controller}`: the histograms each keyed worker keeps
 * (worker/keyed-worker.ts) in Prometheus's form, read at scrape time. prom-client's Histogram can
 * only be observed, not read from counts kept elsewhere, so this one metric is a registry entry of
 * its own, in the shape prom-client's own histograms give the registry.
 */
function reconcileDurations(sources: ServerMetricSources): Metric {
  const name = 'slipway_worker_reconcile_duration_seconds';
  const help = 'How long reconciles took, per controller';
  const get = async () => ({
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    values: sources.workers().flatMap((m) => {
      const { buckets, counts, sum, count } = m.reconcileSeconds;
      const controller = m.name;
      return [
        ...buckets.map((le, i) => ({ metricName: `${name}_bucket`, labels: { controller, le }, value: counts[i] ?? 0 })),
        { metricName: `${name}_bucket`, labels: { controller, le: '+Inf' }, value: count },
        { metricName: `${name}_sum`, labels: { controller }, value: sum },
        { metricName: `${name}_count`, labels: { controller }, value: count },
      ];
    }),
  });
  return { name, help, get, reset: () => undefined } as unknown as Metric;
}
