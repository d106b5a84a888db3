import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { routeStreamEventToSse, type RouteChangeEvent } from '@slipway/contract';
import { RouteTable } from './route-table.ts';
import { followRouteStream, type RouteStreamFollower } from './follow-route-stream.ts';
import { startRouter } from './start-router.ts';
import { send, startServer, upstreamRoute, type TestServer } from './test-support/network.ts';

// A stand-in for the control plane's route stream: a node:http server speaking server-sent events.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface StreamServer extends TestServer {
  connections: { lastEventId: string | undefined; authorization: string | undefined; res: ServerResponse }[];
  /** Sends to every open connection. */
  publish(event: RouteChangeEvent): void;
}

async function streamServer(onConnect: (res: ServerResponse, lastEventId: number | undefined) => void): Promise<StreamServer> {
  const connections: StreamServer['connections'] = [];
  const server = await startServer((req, res) => {
    if (req.headers.authorization !== 'Bearer router-token') {
      res.writeHead(401);
      res.end('no');
      return;
    }
    const lastEventId = req.headers['last-event-id'] as string | undefined;
    connections.push({ lastEventId, authorization: req.headers.authorization, res });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': connected\n\n');
    onConnect(res, lastEventId === undefined ? undefined : Number(lastEventId));
  });
  cleanups.push(() => server.close());
  return {
    ...server,
    connections,
    publish(event) {
      for (const { res } of connections) if (!res.destroyed) res.write(routeStreamEventToSse(event));
    },
  };
}

function follow(options: Omit<Parameters<typeof followRouteStream>[0], 'minBackoffMs' | 'cacheWriteDelayMs'>): { follower: RouteStreamFollower; applied: (version: number) => Promise<void> } {
  const waiters: { version: number; resolve: () => void }[] = [];
  const follower = followRouteStream({
    ...options,
    minBackoffMs: 20,
    maxBackoffMs: 200,
    cacheWriteDelayMs: 10,
    onApplied: () => {
      for (const waiter of [...waiters]) {
        if (options.table.version >= waiter.version) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
  });
  cleanups.push(() => follower.stop());
  return {
    follower,
    applied: (version) =>
      options.table.version >= version ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ version, resolve })),
  };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-follow-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('followRouteStream', () => {
  it('applies a snapshot and then changes, resumes after a disconnect with Last-Event-ID, and keeps the cache', async () => {
    const upstream = await startServer((_req, res) => res.end('served'));
    cleanups.push(() => upstream.close());
    const cacheFile = join(await tempDir(), 'routes.json');
    const server = await streamServer((res, lastEventId) => {
      if (lastEventId === undefined) {
        res.write(routeStreamEventToSse({ type: 'snapshot', version: 1, routes: [upstreamRoute('one.test', [upstream.port], { envId: 'one' })] }));
      }
    });
    const table = new RouteTable();
    const router = await startRouter({ table, port: 0, host: '127.0.0.1' });
    cleanups.push(() => router.close());
    const { follower, applied } = follow({ url: `http://127.0.0.1:${server.port}/api/v1/routes/stream`, token: 'router-token', table, cacheFile });

    await applied(1);
    expect((await send(router.port, { host: 'one.test' })).body).toBe('served');
    server.publish({ type: 'upsert-environment', version: 2, app: 'web', envId: 'two', routes: [upstreamRoute('two.test', [upstream.port], { envId: 'two' })] });
    await applied(2);
    expect((await send(router.port, { host: 'two.test' })).status).toBe(200);

    // The control plane drops the connection; the follower comes back asking for what came after 2.
    server.connections[0]!.res.destroy();
    while (server.connections.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server.connections[1]).toMatchObject({ lastEventId: '2', authorization: 'Bearer router-token' });
    // A repeated old event is ignored; the newer removal applies.
    server.publish({ type: 'upsert-environment', version: 2, app: 'web', envId: 'stale', routes: [upstreamRoute('stale.test', [upstream.port], { envId: 'stale' })] });
    server.publish({ type: 'remove-environment', version: 3, app: 'web', envId: 'one' });
    await applied(3);
    expect(table.lookup('stale.test', '/')).toBeUndefined();
    expect((await send(router.port, { host: 'one.test' })).status).toBe(404);

    await follower.stop();
    const cached = JSON.parse(await readFile(cacheFile, 'utf8'));
    expect(cached).toMatchObject({ type: 'snapshot', version: 3 });
    expect(cached.routes.map((r: { host: string }) => r.host)).toEqual(['two.test']);
  });

  it('serves the cached table after a restart while the control plane is unreachable, then catches up', async () => {
    const upstream = await startServer((_req, res) => res.end('from cache'));
    cleanups.push(() => upstream.close());
    const cacheFile = join(await tempDir(), 'routes.json');
    await writeFile(cacheFile, JSON.stringify({ type: 'snapshot', version: 9, routes: [upstreamRoute('cached.test', [upstream.port])] }));

    // Nothing listens here yet: the control plane is down.
    const unreachable = await startServer(() => undefined);
    await unreachable.close();
    const table = new RouteTable();
    const router = await startRouter({ table, port: 0, host: '127.0.0.1' });
    cleanups.push(() => router.close());
    const { follower } = follow({ url: `http://127.0.0.1:${unreachable.port}/stream`, token: 'router-token', table, cacheFile });
    await follower.cacheLoaded;
    expect(table.version).toBe(9);
    expect((await send(router.port, { host: 'cached.test' })).body).toBe('from cache');
    expect(follower.connected).toBe(false);
    await follower.stop();

    // A follower with a wrong token keeps the table and retries; a corrupt cache is ignored.
    const server = await streamServer((res) => res.write(routeStreamEventToSse({ type: 'snapshot', version: 10, routes: [] })));
    const refused = new RouteTable();
    const second = follow({ url: `http://127.0.0.1:${server.port}/stream`, token: 'wrong', table: refused, cacheFile });
    await second.follower.cacheLoaded;
    expect(refused.lookup('cached.test', '/')).toBeDefined();
    await second.follower.stop();

    const corrupt = join(await tempDir(), 'routes.json');
    await writeFile(corrupt, '{ not json');
    const fresh = new RouteTable();
    const third = follow({ url: `http://127.0.0.1:${server.port}/stream`, token: 'router-token', table: fresh, cacheFile: corrupt });
    await third.follower.cacheLoaded;
    expect(fresh.size.routes).toBe(0);
    await third.applied(10);
    expect(fresh.version).toBe(10);
  });

  it('applies a chunked snapshot onto the table it serves, keeps its version through a break half-way, logs a closing reason, and resumes', async () => {
    const upstream = await startServer((_req, res) => res.end('ok'));
    cleanups.push(() => upstream.close());
    const route = (envId: string, service = 'web') => ({ ...upstreamRoute(`${envId}.test`, [upstream.port], { envId }), service });
    const chunk = (version: number, envIds: string[], service?: string): string =>
      routeStreamEventToSse({ type: 'snapshot-chunk', version, routes: envIds.map((id) => route(id, service)) });
    const server = await streamServer((res, lastEventId) => {
      if (lastEventId === undefined) {
        // The first connection: a whole snapshot at version 5.
        res.write(routeStreamEventToSse({ type: 'snapshot-begin', version: 5, environments: 3, routes: 3 }));
        res.write(chunk(5, ['a', 'b']));
        res.write(chunk(5, ['keep']));
        res.write(routeStreamEventToSse({ type: 'snapshot-end', version: 5, environments: 3 }));
      } else if (server.connections.length === 2) {
        // The second: a newer snapshot that breaks half-way.
        res.write(routeStreamEventToSse({ type: 'snapshot-begin', version: 9, environments: 3, routes: 3 }));
        res.write(chunk(9, ['a'], 'moved'));
        setTimeout(() => res.destroy(), 50);
      } else {
        // The third resumes from 5: the changes since, then the server says why it stops.
        res.write(routeStreamEventToSse({ type: 'remove-environment', version: 7, app: 'web', envId: 'b' }));
        res.write(routeStreamEventToSse({ type: 'upsert-environment', version: 9, app: 'web', envId: 'a', routes: [route('a', 'moved')] }));
        res.end(routeStreamEventToSse({ type: 'closing', version: 9, reason: 'the follower took nothing for 60 s' }));
      }
    });
    const table = new RouteTable();
    const router = await startRouter({ table, port: 0, host: '127.0.0.1' });
    cleanups.push(() => router.close());
    const warnings: { message: string; details: object }[] = [];
    const infos: { message: string; details: object }[] = [];
    const logger = { info: (details: object, message: string) => infos.push({ details, message }), warn: (details: object, message: string) => warnings.push({ details, message }) };
    const { applied } = follow({ url: `http://127.0.0.1:${server.port}/stream`, token: 'router-token', table, logger });
    await applied(5);
    expect(table.size).toMatchObject({ environments: 3, routes: 3 });
    expect((await send(router.port, { host: 'keep.test' })).body).toBe('ok');
    expect(infos.find((i) => i.message === 'route table snapshot applied')?.details).toMatchObject({ version: 5, environments: 3, changed: 3, removed: 0 });

    // The server hangs up on the first connection; the follower resumes from 5 and gets the half snapshot.
    server.connections[0]!.res.destroy();
    while (server.connections.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(server.connections[1]!.lastEventId).toBe('5');
    while (server.connections.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    // What came of the broken snapshot stays; the version is still the one the table fully holds.
    expect(table.routesOf('web', 'a')?.[0]?.service).toBe('moved');
    expect(server.connections[2]!.lastEventId).toBe('5');
    expect(warnings.map((w) => w.message)).toContain('route stream broke in the middle of a snapshot; what arrived stays, the rest comes on resume');
    await applied(9);
    expect(table.lookup('b.test', '/')).toBeUndefined();
    expect((await send(router.port, { host: 'keep.test' })).status).toBe(200);
    while (!warnings.some((w) => w.message === 'the control plane closed the route stream')) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(warnings.find((w) => w.message === 'the control plane closed the route stream')?.details).toEqual({ version: 9, reason: 'the follower took nothing for 60 s' });
    // …and it comes back asking for what came after 9.
    while (server.connections.length < 4) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(server.connections[3]!.lastEventId).toBe('9');
  });
});
