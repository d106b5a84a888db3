import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { RouteChangeEvent, RouteTableEntry } from '@slipway/contract';
import { followRouteStream, RouteTable, type RouteStreamFollower } from '@slipway/router';
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
  events: () => RouteChangeEvent[];
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
            .map((line) => JSON.parse(line.slice('data: '.length)) as RouteChangeEvent),
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
    hub = new RouteHub({ keepEvents: 3 });
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

  it('answers an unknown, too old or future version with a snapshot; ?lastEventId= works like the header', async () => {
    await start();
    for (let i = 0; i < 6; i++) hub.upsertEnvironment('web', `env-${i}`, [route(`env-${i}.test`, `env-${i}`)]);
    const auth = { authorization: `Bearer ${token}` };
    const cases: { headers: Record<string, string>; path?: string }[] = [
      { headers: auth },
      { headers: { ...auth, 'last-event-id': '1' } },
      { headers: { ...auth, 'last-event-id': String(hub.version - 5) } },
      { headers: { ...auth, 'last-event-id': String(hub.version + 100) } },
      { headers: { ...auth, 'last-event-id': 'not-a-version' } },
    ];
    for (const { headers, path } of cases) {
      const raw = await openRaw(port, headers, path);
      expect(raw.status).toBe(200);
      await raw.waitFor((text) => text.includes('\n\n'));
      const events = raw.events();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'snapshot', version: hub.version });
      expect((events[0] as Extract<RouteChangeEvent, { type: 'snapshot' }>).routes).toHaveLength(6);
      raw.close();
    }
    const query = await openRaw(port, auth, `/api/v1/routes/stream?lastEventId=${hub.version - 1}`);
    await query.waitFor((text) => text.includes('\n\n'));
    expect(query.events()).toMatchObject([{ type: 'upsert-environment', version: hub.version, envId: 'env-5' }]);
    query.close();

    // Up to date: nothing until the next change.
    const current = await openRaw(port, { ...auth, 'last-event-id': String(hub.version) });
    hub.removeEnvironment('web', 'env-0');
    await current.waitFor((text) => text.includes('\n\n'));
    expect(current.events()).toMatchObject([{ type: 'remove-environment', version: hub.version }]);
    current.close();
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

  it('disconnects a client that stops reading once its buffer passes the limit', async () => {
    await start((app) => routeStreamRoute(app, { routeHub: hub, maxBufferedBytes: 256 * 1024 }));
    // A client that sends its request and never reads: the server's buffer for it can only grow.
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(`GET /api/v1/routes/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
    socket.pause();
    await until(() => subscribers === 1, 'the stream to open');
    const manyRoutes = Array.from({ length: 200 }, (_, i) => route(`host-${i}.big.test`, 'big'));
    for (let i = 0; i < 200 && subscribers > 0; i++) {
      hub.upsertEnvironment('web', 'big', manyRoutes.map((r) => ({ ...r, service: `revision-${i}` })));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => subscribers === 0, 'the slow client to be disconnected');
    socket.destroy();
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
