// The server's /metrics end to end: a real server (SQLite, local driver, embedded router, engine)
// with its metrics listener, a real deploy of the guestbook, real HTTP scrapes. The series must
// exist, move with what happened, carry only bounded labels, and never show a token.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../start-server.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { guestbookRepository } from '../test-support/example-repository.ts';
import { closeServer, httpRequest } from '../test-support/test-server.ts';

const SCRAPE_TOKEN = 'metrics-test-scrape-token-0123456789';

let dir: string;
let server: RunningServer;
let token: string;
let repository: string;

const apiPort = () => Number(new URL(server.apiUrl).port);
const api = (method: string, path: string, body?: unknown) => httpRequest(apiPort(), method, path, { token, body });

/** GET /metrics on the metrics listener, with the given Authorization header (none when undefined). */
function scrapeWith(authorization: string | undefined): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(server.metricsUrl!);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: authorization ? { authorization } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The exposition parsed into `name{label="v",…}` → value, labels sorted by name. */
async function scrape(): Promise<{ text: string; series: Map<string, number> }> {
  const answer = await scrapeWith(`Bearer ${SCRAPE_TOKEN}`);
  expect(answer.status, answer.text).toBe(200);
  const series = new Map<string, number>();
  for (const line of answer.text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(match, `an exposition line: ${line}`).not.toBeNull();
    const [, name, labels, value] = match!;
    const pairs = labels ? [...labels.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => `${m[1]}="${m[2]}"`).sort() : [];
    series.set(pairs.length ? `${name}{${pairs.join(',')}}` : name!, Number(value));
  }
  return { text: answer.text, series };
}

const value = (series: Map<string, number>, key: string): number => series.get(key) ?? 0;

beforeAll(async () => {
  repository = guestbookRepository();
  dir = mkdtempSync(join(tmpdir(), 'slipway-metrics-'));
  server = await startServer(
    {
      home: join(dir, 'home'),
      apiPort: 0,
      routerPort: 0,
      host: '127.0.0.1',
      domain: 'slipway.localhost',
      cliConfigPath: join(dir, 'cli.yaml'),
      metrics: { port: 0, host: '127.0.0.1', token: SCRAPE_TOKEN },
    },
    { graceMs: 2_000, docker: false, engine: { tickMs: 200, refreshRoutesMs: 500 } },
  );
  token = (await createApiToken(server.store.db, { name: 'metrics-test', workspace: 'default', role: 'admin' })).secret;
  const registered = await api('POST', '/api/v1/applications', { repository });
  expect(registered.status, registered.text).toBe(201);
}, 60_000);

afterAll(async () => {
  await closeServer(server, dir);
  if (repository) rmSync(repository, { recursive: true, force: true });
}, 60_000);

describe('the server metrics listener', () => {
  it('answers a scrape only with the token, and is not part of the API', async () => {
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const none = await scrapeWith(undefined);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="slipway-metrics"');
    expect(none.text).toContain('SLIPWAY_METRICS_TOKEN');
    expect(none.text).not.toContain('slipway_');
    expect((await scrapeWith(`Bearer ${SCRAPE_TOKEN}x`)).status).toBe(401);
    expect((await scrapeWith(`Bearer ${token}`)).status).toBe(401);
    expect((await scrapeWith(`Basic ${SCRAPE_TOKEN}`)).status).toBe(401);
    // The API's port has no /metrics: nothing there to authenticate or leak.
    expect((await httpRequest(apiPort(), 'GET', '/metrics')).status).toBe(404);
    expect((await httpRequest(apiPort(), 'GET', '/metrics', { token })).status).toBe(404);
  });

  it('moves the deploy, task, request, worker, router and route stream series with a real deploy', async () => {
    const before = (await scrape()).series;
    const stream = await openRouteStream();

    const created = await api('POST', '/api/v1/environments', { app: 'guestbook', kind: 'permanent', id: 'main', branch: 'main' });
    expect(created.status, created.text).toBe(202);
    const deployId = created.json().deploy.id as string;
    const waited = await api('GET', `/api/v1/deploys/${deployId}?wait=60`);
    expect(waited.json().state, waited.text).toBe('succeeded');
    expect((await httpRequest(server.routerPort, 'GET', '/api/health', { host: 'guestbook-main.slipway.localhost' })).status).toBe(200);
    expect((await api('GET', '/api/v1/no-such-thing-7f3a')).status).toBe(404);
    // A query the store refuses (the table does not exist).
    await expect(sql`select * from no_such_table_for_metrics`.execute(server.store.db)).rejects.toThrow();
    // Deploy metrics are recorded beside the engine, as its deploy event is handled.
    await until(async () => value((await scrape()).series, 'slipway_deploy_duration_seconds_count{outcome="succeeded",workflow="setup"}') === 1);

    const { text, series } = await scrape();
    const moved = (key: string) => value(series, key) - value(before, key);
    expect(moved('slipway_deploy_duration_seconds_count{outcome="succeeded",workflow="setup"}')).toBe(1);
    expect(value(series, 'slipway_deploy_duration_seconds_sum{outcome="succeeded",workflow="setup"}')).toBeGreaterThan(0);
    // The guestbook's setup: the source, the api and worker services, the web site's build, the migrate job.
    expect(moved('slipway_deploy_task_duration_seconds_count{kind="source",outcome="succeeded"}')).toBe(1);
    expect(moved('slipway_deploy_task_duration_seconds_count{kind="service",outcome="succeeded"}')).toBeGreaterThanOrEqual(2);
    expect(moved('slipway_deploy_task_duration_seconds_count{kind="job",outcome="succeeded"}')).toBe(1);

    expect(moved('slipway_http_request_duration_seconds_count{method="POST",route="/api/v1/environments",status_class="2xx"}')).toBe(1);
    expect(moved('slipway_http_request_duration_seconds_count{method="GET",route="/api/v1/deploys/:deployId",status_class="2xx"}')).toBe(1);
    expect(moved('slipway_http_request_duration_seconds_count{method="GET",route="(unmatched)",status_class="4xx"}')).toBe(1);
    // Templates, never raw paths: no deploy id, no path a client made up.
    expect(text).not.toContain(deployId);
    expect(text).not.toContain('no-such-thing-7f3a');

    expect(moved('slipway_worker_reconciles_total{controller="environment"}')).toBeGreaterThanOrEqual(1);
    expect(moved('slipway_worker_lease_gains_total{controller="environment"}')).toBeGreaterThanOrEqual(1);
    expect(moved('slipway_worker_reconcile_duration_seconds_count{controller="environment"}')).toBeGreaterThanOrEqual(1);
    expect(value(series, 'slipway_worker_reconcile_duration_seconds_bucket{controller="environment",le="+Inf"}')).toBe(value(series, 'slipway_worker_reconcile_duration_seconds_count{controller="environment"}'));
    expect(series.has('slipway_worker_queue_depth{controller="environment"}')).toBe(true);
    for (const controller of ['expiry', 'sweep', 'poll']) expect(series.has(`slipway_worker_reconciles_total{controller="${controller}"}`), controller).toBe(true);

    expect(moved('slipway_store_query_errors_total{dialect="sqlite",operation="select"}')).toBe(1);
    // The embedded router's series are served beside the server's.
    expect(moved('slipway_router_requests_total{host="guestbook-main.slipway.localhost",status_class="2xx"}')).toBe(1);
    expect(value(series, 'slipway_route_stream_clients')).toBe(1);
    expect(moved('slipway_route_stream_connections_total')).toBe(1);
    expect(moved('slipway_route_stream_sent_bytes_total')).toBeGreaterThanOrEqual(stream.bytes());
    expect(stream.bytes()).toBeGreaterThan(0);
    expect(series.has('process_cpu_seconds_total')).toBe(true);

    stream.close();
    await until(async () => value((await scrape()).series, 'slipway_route_stream_clients') === 0);
    // No credential of any kind shows, whatever the labels.
    const secretKey = readFileSync(join(dir, 'home', 'secret.key'), 'utf8').trim();
    for (const secret of [token, SCRAPE_TOKEN, secretKey]) expect(text).not.toContain(secret);
  }, 120_000);
});

/** Follows the route stream as a router would (admin token); counts the bytes it reads. */
async function openRouteStream(): Promise<{ bytes(): number; close(): void }> {
  let bytes = 0;
  let close = () => undefined as void;
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: apiPort(), path: '/api/v1/routes/stream', headers: { authorization: `Bearer ${token}` } }, (res) => {
      expect(res.statusCode).toBe(200);
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('error', () => undefined);
      close = () => req.destroy();
      resolve();
    });
    req.on('error', (error) => (bytes === 0 ? reject(error) : undefined));
    req.end();
  });
  return { bytes: () => bytes, close: () => close() };
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not so within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
