import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { RouteStreamEvent, RouteTableEntry } from '@slipway/contract';
import { followRouteStream, RouteStreamApplier, RouteTable, SseParser, type RouteStreamFollower } from '@slipway/router';
import { testDatabases } from '../../test-support/test-databases.ts';
import { createApiToken } from '../../store/api-tokens.ts';
import { openDatabase, type StoreDatabase } from '../../store/open-database.ts';
import { RouteHub } from '../../routing/route-hub.ts';
import { buildApi } from '../build-api.ts';
import { routeStreamRoute } from './route-stream.ts';

function route(host: string, envId: string, port = 9999): RouteTableEntry {
  return {
    host,
    pathPrefix: '/',
    app: 'web',
    envId,
    target: { kind: 'upstream', addresses: [{ host: '127.0.0.1', port }], stripPrefix: false },
    ingress: { public: true, timeoutMs: 5_000, connectTimeoutMs: 2_000, maxBodyBytes: 1024 * 1024 },
  };
}

/** A raw reader of the stream, to see exactly which events (and comments) the server sends. */
interface RawStream {
  status: number;
  text: () => string;
  events: () => RouteStreamEvent[];
  waitFor(predicate: (text: string) => boolean): Promise<void>;
  close(): void;
}

function openRaw(port: number, headers: Record<string, string>, path = '/api/v1/routes/stream'): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers } }, (res: IncomingMessage) => {
      let text = '';
      const waiters: (() => void)[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        for (const waiter of [...waiters]) waiter();
      });
      res.on('error', () => undefined);
      resolve({
        status: res.statusCode ?? 0,
        text: () => text,
        events: () =>
          text
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => JSON.parse(line.slice('data: '.length)) as RouteStreamEvent),
        waitFor: (predicate) =>
          new Promise<void>((done, fail) => {
            const timer = setTimeout(() => fail(new Error(`timed out; the stream said:\n${text}`)), 5_000);
            const check = () => {
              if (!predicate(text)) return;
              clearTimeout(timer);
              waiters.splice(waiters.indexOf(check), 1);
              done();
            };
            waiters.push(check);
            check();
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A stream whose response is paused from the start: the socket is read only until Node's buffer is full. */
function openPaused(port: number, headers: Record<string, string>): Promise<{ req: ClientRequest; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/routes/stream', headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      res.pause();
      res.on('error', () => undefined);
      resolve({ req, res });
    });
    req.on('error', reject);
    req.end();
  });
}

const byHost = (a: RouteTableEntry, b: RouteTableEntry): number => a.host.localeCompare(b.host) || a.pathPrefix.localeCompare(b.pathPrefix);

const until = async (condition: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('GET /api/v1/routes/stream', () => {
  const database = testDatabases()[0]!;
  let store: StoreDatabase;
  let dispose: () => Promise<void>;
  let hub: RouteHub;
  let api: FastifyInstance;
  let port: number;
  let token: string;
  let subscribers: number;
  const followers: RouteStreamFollower[] = [];

  const start = async (configure?: (app: FastifyInstance) => void): Promise<void> => {
    api = await buildApi(configure ? { db: store.db } : { db: store.db, routeHub: hub });
    configure?.(api);
    await api.listen({ port: 0, host: '127.0.0.1' });
    port = (api.server.address() as { port: number }).port;
  };

  const follow = (table: RouteTable, applied: number[] = []): RouteStreamFollower => {
    const follower = followRouteStream({
      url: `http://127.0.0.1:${port}/api/v1/routes/stream`,
      token,
      table,
      minBackoffMs: 20,
      maxBackoffMs: 100,
      onApplied: (version) => applied.push(version),
    });
    followers.push(follower);
    return follower;
  };

  beforeEach(async () => {
    const created = await database.create();
    dispose = created.dispose;
    store = await openDatabase(created.location);
    token = (await createApiToken(store.db, { name: 'router', workspace: 'default', role: 'admin' })).secret;
    hub = new RouteHub({ rememberRemovals: 3 });
    // Counts live subscriptions, to see that a closed stream lets go of the hub.
    subscribers = 0;
    const subscribe = hub.subscribe.bind(hub);
    hub.subscribe = (listener) => {
      subscribers += 1;
      const unsubscribe = subscribe(listener);
      return () => {
        subscribers -= 1;
        return unsubscribe();
      };
    };
  });
  afterEach(async () => {
    for (const follower of followers.splice(0)) await follower.stop();
    await api.close();
    await store.close();
    await dispose();
  });

  it('refuses a request without a token (401) or without the admin role (403)', async () => {
    await start();
    const none = await fetch(`http://127.0.0.1:${port}/api/v1/routes/stream`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { message: string } }).error.message).toMatch(/missing API token/);
    const viewer = (await createApiToken(store.db, { name: 'viewer', workspace: 'default', role: 'viewer' })).secret;
    const refused = await fetch(`http://127.0.0.1:${port}/api/v1/routes/stream`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(refused.status).toBe(403);
    expect(subscribers).toBe(0);
  });

  it('feeds followRouteStream a snapshot, then live upserts and removals', async () => {
    hub.upsertEnvironment('web', 'one', [route('one.test', 'one')]);
    await start();
    const table = new RouteTable();
    const follower = follow(table);
    await until(() => table.version === hub.version, 'the snapshot');
    expect(follower.connected).toBe(true);
    expect(table.lookup('one.test', '/')?.entry.envId).toBe('one');

    hub.upsertEnvironment('web', 'two', [route('two.test', 'two')]);
    await until(() => table.version === hub.version, 'the upsert');
    expect(table.lookup('two.test', '/')?.entry.envId).toBe('two');
    hub.removeEnvironment('web', 'one');
    await until(() => table.version === hub.version, 'the removal');
    expect(table.lookup('one.test', '/')).toBeUndefined();
    expect(table.size.environments).toBe(1);
  });

  it('resumes a reconnecting follower with only the events it missed', async () => {
    hub.upsertEnvironment('web', 'one', [route('one.test', 'one')]);
    await start();
    const table = new RouteTable();
    const first = follow(table);
    await until(() => table.version === hub.version, 'the snapshot');
    await first.stop();
    await until(() => subscribers === 0, 'the first stream to let go of the hub');

    const missedFrom = hub.version;
    hub.upsertEnvironment('web', 'two', [route('two.test', 'two')]);
    hub.removeEnvironment('web', 'one');
    const applied: number[] = [];
    follow(table, applied);
    await until(() => table.version === hub.version, 'the missed events');
    expect(applied).toEqual([missedFrom + 1, missedFrom + 2]);
    expect(table.lookup('two.test', '/')).toBeDefined();
    expect(table.lookup('one.test', '/')).toBeUndefined();

    // The raw stream shows the same: the two changes, no snapshot.
    const raw = await openRaw(port, { authorization: `Bearer ${token}`, 'last-event-id': String(missedFrom) });
    await raw.waitFor((text) => text.includes(`id: ${missedFrom + 2}\n`));
    expect(raw.events().map((e) => e.type)).toEqual(['upsert-environment', 'remove-environment']);
    expect(raw.text()).toContain('event: upsert-environment\n');
    raw.close();
  });

  it('answers an unknown, too old or future version with a chunked snapshot; ?lastEventId= works like the header', async () => {
    await start((app) => routeStreamRoute(app, { routeHub: hub, maxEventBytes: 600 }));
    const before = hub.version;
    for (let i = 0; i < 10; i++) hub.upsertEnvironment('web', `env-${i}`, [route(`env-${i}.test`, `env-${i}`)]);
    // Four removals with three remembered: the oldest is forgotten, so `before` is too old to answer for.
    for (let i = 6; i < 10; i++) hub.removeEnvironment('web', `env-${i}`);
    const auth = { authorization: `Bearer ${token}` };
    const cases: { headers: Record<string, string>; path?: string }[] = [
      { headers: auth },
      { headers: { ...auth, 'last-event-id': '1' } },
      { headers: { ...auth, 'last-event-id': String(before) } },
      { headers: { ...auth, 'last-event-id': String(hub.version + 100) } },
      { headers: { ...auth, 'last-event-id': 'not-a-version' } },
    ];
    for (const { headers, path } of cases) {
      const raw = await openRaw(port, headers, path);
      expect(raw.status).toBe(200);
      await raw.waitFor((text) => text.includes('event: snapshot-end\n'));
      const events = raw.events();
      expect(events[0]).toEqual({ type: 'snapshot-begin', version: hub.version, environments: 6, routes: 6 });
      expect(events.at(-1)).toEqual({ type: 'snapshot-end', version: hub.version, environments: 6 });
      const chunks = events.slice(1, -1) as Extract<RouteStreamEvent, { type: 'snapshot-chunk' }>[];
      // Each route is about 280 bytes of JSON: two environments per 600-byte chunk.
      expect(chunks.map((c) => c.routes.length)).toEqual([2, 2, 2]);
      expect(chunks.every((c) => c.type === 'snapshot-chunk' && c.version === hub.version)).toBe(true);
      expect(chunks.flatMap((c) => c.routes.map((r) => r.envId))).toEqual(['env-0', 'env-1', 'env-2', 'env-3', 'env-4', 'env-5']);
      // Only the end carries an id: a client cut off half-way still names the version it held before.
      expect(raw.text().match(/^id: .*$/gm)).toEqual([`id: ${hub.version}`]);
      raw.close();
    }
    // The oldest version it can still answer for: the three remembered removals.
    const query = await openRaw(port, auth, `/api/v1/routes/stream?lastEventId=${hub.version - 3}`);
    await query.waitFor((text) => text.includes(`id: ${hub.version}\n`));
    expect(query.events()).toMatchObject([
      { type: 'remove-environment', envId: 'env-7', version: hub.version - 2 },
      { type: 'remove-environment', envId: 'env-8', version: hub.version - 1 },
      { type: 'remove-environment', envId: 'env-9', version: hub.version },
    ]);
    query.close();

    // Up to date: nothing until the next change.
    const current = await openRaw(port, { ...auth, 'last-event-id': String(hub.version) });
    hub.removeEnvironment('web', 'env-0');
    await current.waitFor((text) => text.includes('\n\n'));
    expect(current.events()).toMatchObject([{ type: 'remove-environment', version: hub.version }]);
    current.close();
  });

  it('brings a second router that starts late to the same table, while changes keep coming during its snapshot', async () => {
    await start((app) => routeStreamRoute(app, { routeHub: hub, maxEventBytes: 4096 }));
    for (let i = 0; i < 3_000; i++) hub.upsertEnvironment('web', `pr-${i}`, [route(`pr-${i}.test`, `pr-${i}`)]);
    const first = new RouteTable();
    follow(first);
    await until(() => first.version === hub.version, 'the first router');
    for (let i = 0; i < 100; i++) hub.removeEnvironment('web', `pr-${i}`);

    const late = new RouteTable();
    const lateApplied: number[] = [];
    follow(late, lateApplied);
    // Changes while the late router's snapshot (about 200 chunks) is on its way.
    for (let i = 0; i < 50; i++) {
      hub.upsertEnvironment('web', `pr-${1000 + i}`, [route(`pr-${1000 + i}.test`, `pr-${1000 + i}`, 7000 + i)]);
      hub.upsertEnvironment('web', `new-${i}`, [route(`new-${i}.test`, `new-${i}`)]);
      hub.removeEnvironment('web', `pr-${2000 + i}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => late.version === hub.version && first.version === hub.version, 'both routers to converge');
    const expected = hub.snapshot().routes.sort(byHost);
    expect(first.snapshot().routes.sort(byHost)).toEqual(expected);
    expect(late.snapshot().routes.sort(byHost)).toEqual(expected);
    expect(late.size.environments).toBe(2_900);
    // The late router went from its snapshot's version straight to changes: never a second snapshot.
    expect(lateApplied.length).toBeGreaterThanOrEqual(1);
    expect(lateApplied).toEqual([...lateApplied].sort((a, b) => a - b));
  });

  it('sends heartbeat comments, and lets go of the hub when the client disconnects', async () => {
    await start((app) => routeStreamRoute(app, { routeHub: hub, heartbeatMs: 30 }));
    const raw = await openRaw(port, { authorization: `Bearer ${token}` });
    expect(raw.status).toBe(200);
    await raw.waitFor((text) => text.split(': ping\n\n').length > 2);
    expect(subscribers).toBe(1);
    raw.close();
    await until(() => subscribers === 0, 'the subscription to end');
  });

  it('paces a follower that stops reading instead of dropping it: its changes wait coalesced, and it converges once it reads', async () => {
    await start((app) => routeStreamRoute(app, { routeHub: hub, stallTimeoutMs: 60_000 }));
    for (let i = 0; i < 50; i++) hub.upsertEnvironment('web', `small-${i}`, [route(`small-${i}.test`, `small-${i}`)]);
    // A real socket that is not read: Node stops reading it once the paused response's buffer is
    // full, so the server's writes meet backpressure from the kernel.
    const { res, req } = await openPaused(port, { authorization: `Bearer ${token}` });
    await until(() => subscribers === 1, 'the stream to open');
    const manyRoutes = Array.from({ length: 1000 }, (_, i) => route(`host-${i}.big.test`, 'big'));
    // About 250 KB per change: 200 of them are 50 MB, far more than the socket buffers hold.
    for (let i = 0; i < 200; i++) {
      hub.upsertEnvironment('web', 'big', manyRoutes.map((r) => ({ ...r, service: `revision-${i}` })));
      if (i % 20 === 0) hub.removeEnvironment('web', `small-${i / 20}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(subscribers).toBe(1);

    // Now it reads, applying what comes as a router does.
    const table = new RouteTable();
    const applier = new RouteStreamApplier(table);
    let bigChanges = 0;
    const parser = new SseParser((event) => {
      const parsed = JSON.parse(event.data) as RouteStreamEvent;
      if (parsed.type === 'upsert-environment' && parsed.envId === 'big') bigChanges += 1;
      applier.apply(parsed);
    });
    res.on('data', (chunk: Buffer) => parser.push(chunk));
    res.resume();
    await until(() => table.version === hub.version, 'the follower to catch up');
    req.destroy();
    expect(table.snapshot().routes.sort(byHost)).toEqual(hub.snapshot().routes.sort(byHost));
    expect(table.routesOf('web', 'big')?.[0]?.service).toBe('revision-199');
    // The changes that waited were sent as the newest of each environment.
    expect(bigChanges).toBeLessThan(100);
    expect(table.size.environments).toBe(41);
  });

  it('closes a follower that takes nothing for the stall timeout, with the reason as its last event', async () => {
    await start((app) => routeStreamRoute(app, { routeHub: hub, stallTimeoutMs: 300 }));
    const { res } = await openPaused(port, { authorization: `Bearer ${token}` });
    await until(() => subscribers === 1, 'the stream to open');
    const manyRoutes = Array.from({ length: 1000 }, (_, i) => route(`host-${i}.big.test`, 'big'));
    for (let i = 0; i < 200 && subscribers > 0; i++) {
      hub.upsertEnvironment('web', 'big', manyRoutes.map((r) => ({ ...r, service: `revision-${i}` })));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => subscribers === 0, 'the stalled follower to be closed');
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    res.resume();
    await new Promise((resolve) => res.once('end', resolve));
    const events = text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)) as RouteStreamEvent);
    const last = events.at(-1)!;
    expect(last.type).toBe('closing');
    expect(last).toMatchObject({ reason: expect.stringMatching(/took nothing for 300 ms while \d+ changes waited; resume from version \d+/) });
    // The version it names is the last change it was sent in full.
    const lastChange = events.filter((e) => e.type === 'upsert-environment').at(-1)!;
    expect(last.version).toBe(lastChange.version);
  });

  it('ends open streams when the API closes, instead of waiting for the routers', async () => {
    await start();
    const table = new RouteTable();
    hub.upsertEnvironment('web', 'one', [route('one.test', 'one')]);
    follow(table);
    await until(() => table.version === hub.version, 'the snapshot');
    const started = Date.now();
    await api.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(subscribers).toBe(0);
  });
});
