import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RouteTableEntry } from '@slipway/contract';
import { buildApi, createApiToken, openDatabase, RouteHub } from '@slipway/server';
import { main } from '../main.ts';
import { captureIO } from '../test-support/capture-io.ts';
import { resolveRouterSettings, router } from './router.ts';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-router-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function route(host: string, envId: string, port: number): RouteTableEntry {
  return {
    host,
    pathPrefix: '/',
    app: 'shop',
    envId,
    target: { kind: 'upstream', addresses: [{ host: '127.0.0.1', port }], stripPrefix: false },
    ingress: { public: true, timeoutMs: 5_000, connectTimeoutMs: 2_000, maxBodyBytes: 1024 * 1024 },
  };
}

/** A GET with a chosen Host header, as a browser on *.localhost would send it. */
function get(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  let last: T | undefined;
  for (;;) {
    last = await probe().catch(() => undefined as T);
    if (last !== undefined && accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** The control plane's part: a real API with the route stream, on a store with a real token. */
async function controlPlane(dir: string, port = 0): Promise<{ hub: RouteHub; url: string; port: number; token: string; stop: () => Promise<void> }> {
  const store = await openDatabase({ sqlitePath: join(dir, 'slipway.db') });
  const token = (await createApiToken(store.db, { name: 'router', workspace: 'default', role: 'admin' })).secret;
  const hub = new RouteHub();
  const api = await buildApi({ db: store.db, routeHub: hub });
  await api.listen({ port, host: '127.0.0.1' });
  const bound = (api.server.address() as AddressInfo).port;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await api.close();
    await store.close();
  };
  cleanups.push(close);
  return { hub, url: `http://127.0.0.1:${bound}`, port: bound, token, stop: close };
}

/** Runs the command function as `slipway router` would, until the returned stop() is called. */
async function runRouter(flags: Parameters<typeof router>[0], env: NodeJS.ProcessEnv) {
  const io = captureIO();
  const abort = new AbortController();
  const exited = router(flags, io, { env, signal: abort.signal });
  const started = await eventually(
    async () => /Slipway router at http:\/\/127\.0\.0\.1:(\d+)/.exec(io.stdout()),
    (m) => m !== null,
    `the router to start (stderr: ${io.stderr()})`,
  );
  const stop = async () => {
    abort.abort();
    return exited;
  };
  cleanups.push(stop);
  const metrics = /Metrics at (http:\/\/\S+\/metrics)/.exec(io.stdout());
  return { io, port: Number(started![1]), metricsUrl: metrics?.[1], stop };
}

describe('slipway router', () => {
  it('follows the control plane, keeps serving while it is down, and restarts from its cache alone', async () => {
    const dir = tempDir();
    const upstream = createServer((req, res) => res.end(`upstream saw ${req.headers.host} ${req.url}`));
    const upstreamPort = await listen(upstream);
    cleanups.push(() => new Promise((resolve) => upstream.close(resolve)));
    const cp = await controlPlane(dir);
    cp.hub.upsertEnvironment('shop', 'main', [route('web-main.shop.test', 'main', upstreamPort)]);

    const cacheFile = join(dir, 'home', 'router-cache.json');
    const env = { SLIPWAY_TOKEN: cp.token, XDG_CONFIG_HOME: join(dir, 'no-config'), SLIPWAY_HOME: join(dir, 'home') };
    const first = await runRouter({ controlPlane: cp.url, port: 0, host: '127.0.0.1', metricsPort: 0 }, env);
    expect(first.io.stdout()).toContain(`following ${cp.url}`);
    expect(first.io.stdout()).toContain(`Route table cache: ${cacheFile} (none yet`);

    // The snapshot it connects to, then live changes, each reaching the upstream by Host.
    expect(await eventually(() => get(first.port, 'web-main.shop.test', '/hello'), (r) => r.status === 200, 'the snapshot')).toEqual({
      status: 200,
      body: 'upstream saw web-main.shop.test /hello',
    });
    cp.hub.upsertEnvironment('shop', 'pr-7', [route('web-pr-7.shop.test', 'pr-7', upstreamPort)]);
    expect((await eventually(() => get(first.port, 'web-pr-7.shop.test'), (r) => r.status === 200, 'the upsert')).body).toBe('upstream saw web-pr-7.shop.test /');
    cp.hub.upsertEnvironment('shop', 'pr-8', [route('web-pr-8.shop.test', 'pr-8', upstreamPort)]);
    cp.hub.removeEnvironment('shop', 'pr-7');
    await eventually(() => get(first.port, 'web-pr-7.shop.test'), (r) => r.status === 404, 'the removal');
    expect((await get(first.port, 'web-pr-8.shop.test')).status).toBe(200);
    expect((await get(first.port, 'nothing.shop.test')).status).toBe(404);

    // Its metrics listener, on loopback.
    expect(first.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const metrics = await (await fetch(first.metricsUrl!)).text();
    expect(metrics).toMatch(/slipway_router_routes 2/);
    expect(metrics).toMatch(/slipway_router_requests_total\{host="web-main.shop.test",status_class="2xx"\} 1/);

    // The control plane goes away: the router keeps its table.
    await cp.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await get(first.port, 'web-main.shop.test')).body).toBe('upstream saw web-main.shop.test /');
    expect((await get(first.port, 'web-pr-8.shop.test')).status).toBe(200);
    expect(first.io.stderr()).toMatch(/route stream disconnected/);

    // Stopped, it leaves the table in the cache file.
    expect(await first.stop()).toBe(0);
    expect(first.io.stdout()).toContain('stopping…');
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as { type: string; version: number; routes: { host: string }[] };
    expect(cached).toMatchObject({ type: 'snapshot', version: cp.hub.version });
    expect(cached.routes.map((r) => r.host).sort()).toEqual(['web-main.shop.test', 'web-pr-8.shop.test']);

    // Restarted with the control plane still down: it serves from the cache alone.
    const second = await runRouter({ controlPlane: cp.url, port: 0, host: '127.0.0.1', metrics: false }, env);
    expect(second.io.stdout()).toContain(`Serving 2 routes from ${cacheFile} until the control plane answers.`);
    expect(second.metricsUrl).toBeUndefined();
    expect((await get(second.port, 'web-main.shop.test', '/again')).body).toBe('upstream saw web-main.shop.test /again');
    expect((await get(second.port, 'web-pr-8.shop.test')).status).toBe(200);

    // A control plane back on the same address (a fresh hub: new versions) brings it up to date with a snapshot.
    const back = await controlPlane(dir, cp.port);
    back.hub.upsertEnvironment('shop', 'pr-9', [route('web-pr-9.shop.test', 'pr-9', upstreamPort)]);
    await eventually(() => get(second.port, 'web-pr-9.shop.test'), (r) => r.status === 200, 'the new control plane');
    expect((await get(second.port, 'web-main.shop.test')).status).toBe(404);
    // The control plane first: ending the API also ends the stream it serves the router.
    await back.stop();
    expect((await get(second.port, 'web-pr-9.shop.test')).status).toBe(200);
    expect(await second.stop()).toBe(0);
  }, 30_000);

  it('resolves its settings from flags, SLIPWAY_* variables and the CLI config', () => {
    const env = { SLIPWAY_URL: 'http://cp.example:4400', SLIPWAY_TOKEN: 't0ken', SLIPWAY_HOME: '/srv/slipway', XDG_CONFIG_HOME: '/nonexistent' };
    expect(resolveRouterSettings({}, env)).toEqual({
      problems: [],
      settings: {
        controlPlane: 'http://cp.example:4400',
        streamUrl: 'http://cp.example:4400/api/v1/routes/stream',
        token: 't0ken',
        port: 8080,
        host: '127.0.0.1',
        metricsPort: 9090,
        metricsHost: '127.0.0.1',
        cacheFile: '/srv/slipway/router-cache.json',
      },
    });
    const flagged = resolveRouterSettings(
      { controlPlane: 'https://slipway.internal/', port: '80', host: '0.0.0.0', metrics: false, cacheFile: '/tmp/routes.json' },
      { ...env, SLIPWAY_ROUTER_PORT: '8081' },
    ).settings;
    expect(flagged).toMatchObject({ streamUrl: 'https://slipway.internal/api/v1/routes/stream', port: 80, host: '0.0.0.0', cacheFile: '/tmp/routes.json' });
    expect(flagged).not.toHaveProperty('metricsPort');
    expect(resolveRouterSettings({}, { ...env, SLIPWAY_ROUTER_PORT: '8081', SLIPWAY_ROUTER_METRICS_PORT: '9191' }).settings).toMatchObject({ port: 8081, metricsPort: 9191 });

    const bad = resolveRouterSettings({ port: 'http', metricsPort: '70000' }, { XDG_CONFIG_HOME: '/nonexistent', SLIPWAY_HOME: '/srv/slipway' });
    expect(bad.settings).toBeUndefined();
    expect(bad.problems).toEqual([
      expect.stringMatching(/^not logged in/),
      '--port / SLIPWAY_ROUTER_PORT: expected a port number from 1 to 65535 (0 picks a free one), got "http"',
      '--metrics-port / SLIPWAY_ROUTER_METRICS_PORT: expected a port number from 1 to 65535 (0 picks a free one), got "70000"',
    ]);
    expect(resolveRouterSettings({ controlPlane: 'ftp://cp.example' }, env).problems).toEqual(['--control-plane: expected an http:// or https:// URL, got ftp://cp.example']);
  });

  it('is a command of the program, refusing bad settings before starting anything', async () => {
    const io = captureIO();
    expect(await main(['node', 'slipway', 'router', '--port', 'nope', '--cache-file', join(tempDir(), 'c.json')], io)).toBe(2);
    expect(io.stderr()).toContain('--port / SLIPWAY_ROUTER_PORT: expected a port number');
    const help = captureIO();
    await main(['node', 'slipway', 'router', '--help'], help);
    expect(help.stdout()).toMatch(/--control-plane <url>[\s\S]*--metrics-port <port>[\s\S]*--no-metrics[\s\S]*--cache-file <file>/);
  });
});
