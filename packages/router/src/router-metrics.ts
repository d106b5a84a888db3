import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RouteTable } from './route-table.ts';

// The router's Prometheus metrics, in a registry of its own so that a control plane embedding the
// router (and its own metrics) never sees duplicate registrations. Requests are labelled by the
// route's host, never by the raw Host header: anyone can send any Host, and an unbounded label set
// would let them grow the router's memory.

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

/** The host label of requests that matched no route. */
export const unmatchedHost = '(unmatched)';

export class RouterMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'host' | 'status_class'>;
  private readonly requestChildren = new Map<string, Map<string, Counter.Internal>>();
  private readonly upstreamLatency: Histogram<'outcome'>;
  private readonly latencyOfResponses: Histogram.Internal<'outcome'>;
  private readonly latencyOfErrors: Histogram.Internal<'outcome'>;
  readonly activeConnections: Gauge;
  readonly activeTunnels: Gauge;

  constructor(table: RouteTable) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'slipway_router_requests_total',
      help: 'Requests answered by the router, by matched route host and status class',
      labelNames: ['host', 'status_class'],
      registers,
    });
    this.upstreamLatency = new Histogram({
      name: 'slipway_router_upstream_latency_seconds',
      help: 'Time from sending a request upstream to receiving its response headers',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.latencyOfResponses = this.upstreamLatency.labels('response');
    this.latencyOfErrors = this.upstreamLatency.labels('error');
    this.activeConnections = new Gauge({
      name: 'slipway_router_active_connections',
      help: 'Client connections open on the proxy listeners',
      registers,
    });
    this.activeTunnels = new Gauge({
      name: 'slipway_router_active_upgraded_connections',
      help: 'Upgraded (WebSocket) connections being piped to an upstream',
      registers,
    });
    // Read at scrape time, so table changes cost nothing here.
    new Gauge({
      name: 'slipway_router_routes',
      help: 'Routes in the route table',
      registers,
      collect() {
        this.set(table.size.routes);
      },
    });
    new Gauge({
      name: 'slipway_router_environments',
      help: 'Environments in the route table',
      registers,
      collect() {
        this.set(table.size.environments);
      },
    });
    new Gauge({
      name: 'slipway_router_route_table_version',
      help: 'Version of the last route change applied',
      registers,
      collect() {
        this.set(table.version);
      },
    });
  }

  /** Records how long an upstream took to answer (or fail), in milliseconds. */
  observeUpstream(milliseconds: number, outcome: 'response' | 'error' = 'response'): void {
    (outcome === 'response' ? this.latencyOfResponses : this.latencyOfErrors).observe(milliseconds / 1000);
  }

  /** Counts one answered request; label children are cached because this runs on every request. */
  countRequest(host: string, status: number): void {
    const statusClass = `${Math.floor(status / 100)}xx`;
    let byClass = this.requestChildren.get(host);
    if (!byClass) {
      byClass = new Map();
      this.requestChildren.set(host, byClass);
    }
    let child = byClass.get(statusClass);
    if (!child) {
      child = this.requests.labels(host, statusClass);
      byClass.set(statusClass, child);
    }
    child.inc();
  }

  /** Forgets the series of a host no route uses any more, so removed environments do not pile up. */
  forgetHost(host: string): void {
    const byClass = this.requestChildren.get(host);
    if (!byClass) return;
    this.requestChildren.delete(host);
    for (const statusClass of byClass.keys()) this.requests.remove({ host, status_class: statusClass });
  }
}
