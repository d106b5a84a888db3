import { afterEach, describe, expect, it } from 'vitest';
import { RouteTable } from './route-table.ts';
import { startRouter } from './start-router.ts';
import { send, startServer, upstreamRoute } from './test-support/network.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('router metrics', () => {
  it('are served on the admin listener only, counting requests, latency, connections and routes', async () => {
    const upstream = await startServer((_req, res) => res.end('ok'));
    cleanups.push(() => upstream.close());
    const table = new RouteTable();
    table.apply({ type: 'upsert-environment', version: 3, app: 'web', envId: 'main', routes: [upstreamRoute('web.test', [upstream.port])] });
    const router = await startRouter({ table, port: 0, host: '127.0.0.1', metricsPort: 0 });
    cleanups.push(() => router.close());
    expect(router.metricsPort).toBeGreaterThan(0);

    await send(router.port, { host: 'web.test' });
    await send(router.port, { host: 'web.test' });
    await send(router.port, { host: 'nobody.test' });
    // The proxied port knows nothing of /metrics: it is just a path of an unknown host.
    expect((await send(router.port, { host: '127.0.0.1', path: '/metrics' })).status).toBe(404);

    const scrape = await send(router.metricsPort!, { host: '127.0.0.1', path: '/metrics' });
    expect(scrape.status).toBe(200);
    expect(scrape.headers['content-type']).toMatch(/text\/plain/);
    expect(scrape.body).toContain('slipway_router_requests_total{host="web.test",status_class="2xx"} 2');
    expect(scrape.body).toContain('slipway_router_requests_total{host="(unmatched)",status_class="4xx"} 2');
    expect(scrape.body).toMatch(/slipway_router_upstream_latency_seconds_count\{outcome="response"\} 2/);
    expect(scrape.body).toMatch(/slipway_router_active_connections \d+/);
    expect(scrape.body).toContain('slipway_router_routes 1');
    expect(scrape.body).toContain('slipway_router_environments 1');
    expect(scrape.body).toContain('slipway_router_route_table_version 3');

    // Removed environments take their series with them.
    table.removeEnvironment('web', 'main');
    const after = await send(router.metricsPort!, { host: '127.0.0.1', path: '/metrics' });
    expect(after.body).not.toContain('host="web.test"');
    expect(after.body).toContain('slipway_router_routes 0');
    expect((await send(router.metricsPort!, { host: '127.0.0.1', path: '/healthz' })).status).toBe(200);
  });
});
