import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RouteStreamEvent, RouteTableEntry } from '@slipway/contract';
import { RouteStreamApplier, RouteTable, SseParser } from '@slipway/router';
import { RouteHub } from './route-hub.ts';
import { openRouteStreamSession } from './route-stream-session.ts';

// The session on a real TCP connection whose far end does not read: the kernel's buffers fill and
// `write()` starts returning false, as with a router on a slow link.

const route = (host: string, envId: string, service = 'web'): RouteTableEntry => ({
  host,
  pathPrefix: '/',
  app: 'shop',
  envId,
  service,
  target: { kind: 'upstream', addresses: [{ host: '127.0.0.1', port: 3000 }], stripPrefix: false },
  ingress: { public: true, timeoutMs: 5_000, connectTimeoutMs: 2_000, maxBodyBytes: 1024 * 1024 },
});
const byHost = (a: RouteTableEntry, b: RouteTableEntry): number => a.host.localeCompare(b.host);

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

async function socketPair(): Promise<{ serverSide: Socket; client: Socket }> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  client.pause();
  const serverSide = await accepted;
  cleanups.push(() => {
    client.destroy();
    serverSide.destroy();
    server.close();
  });
  return { serverSide, client };
}

const until = async (condition: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('openRouteStreamSession', () => {
  it('sends the snapshot in bounded chunks at the socket’s pace, coalesces changes per environment, bounds its queue, and misses nothing', async () => {
    const hub = new RouteHub();
    for (let i = 0; i < 20_000; i++) hub.upsertEnvironment('shop', `pr-${i}`, [route(`web-pr-${i}.test`, `pr-${i}`), route(`api-pr-${i}.test`, `pr-${i}`, 'api')]);
    const { serverSide, client } = await socketPair();
    const session = openRouteStreamSession({ hub, out: serverSide, lastVersion: undefined, maxPendingChanges: 50 });
    cleanups.push(() => session.close('test over'));
    // About 10 MB of table: the socket pushes back long before the end.
    await until(() => session.state.waitingForDrain, 'backpressure');
    expect(session.state.sendingSnapshot).toBe(true);

    // One environment changed 500 times while the follower is behind: one change waits.
    for (let i = 0; i < 500; i++) hub.upsertEnvironment('shop', 'hot', [route('hot.test', 'hot', `revision-${i}`)]);
    hub.removeEnvironment('shop', 'pr-3');
    expect(session.state).toMatchObject({ pending: 2, coalesced: 499, overflows: 0 });
    // More environments waiting than the bound: the queue goes, to be rebuilt from the hub.
    for (let i = 100; i < 160; i++) hub.upsertEnvironment('shop', `pr-${i}`, [route(`web-pr-${i}.test`, `pr-${i}`, 'moved')]);
    expect(session.state).toMatchObject({ pending: 0, overflows: 1 });
    for (let i = 0; i < 10; i++) hub.upsertEnvironment('shop', 'late', [route('late.test', 'late', `revision-${i}`)]);
    expect(session.state.pending).toBe(0);

    // The follower reads now and applies everything as a router does.
    const table = new RouteTable();
    const applier = new RouteStreamApplier(table);
    const events: RouteStreamEvent[] = [];
    let largestEvent = 0;
    const parser = new SseParser((sse) => {
      largestEvent = Math.max(largestEvent, sse.data.length);
      const event = JSON.parse(sse.data) as RouteStreamEvent;
      events.push(event);
      applier.apply(event);
    });
    client.on('data', (chunk: Buffer) => parser.push(chunk));
    client.resume();
    await until(() => table.version === hub.version, 'the follower to catch up');
    expect(table.snapshot().routes.sort(byHost)).toEqual(hub.snapshot().routes.sort(byHost));
    expect(largestEvent).toBeLessThanOrEqual(64 * 1024);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'snapshot-begin')).toHaveLength(1);
    expect(types.filter((t) => t === 'snapshot-chunk').length).toBeGreaterThan(100);
    // After the snapshot: hot once, pr-3's removal, and the catch-up (60 moved, late once) — not 571 events.
    const after = events.slice(types.indexOf('snapshot-end') + 1);
    expect(after.length).toBeLessThanOrEqual(63);
    const versions = after.map((e) => e.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(session.state).toMatchObject({ snapshots: 1, pending: 0, sentVersion: hub.version });
  });

  it('resumes from a version with only the newest change of each environment since, and sends a snapshot when the version is unknown', async () => {
    const hub = new RouteHub();
    hub.upsertEnvironment('shop', 'a', [route('a.test', 'a')]);
    const held = hub.version;
    hub.upsertEnvironment('shop', 'a', [route('a.test', 'a', 'second')]);
    hub.upsertEnvironment('shop', 'b', [route('b.test', 'b')]);
    hub.upsertEnvironment('shop', 'a', [route('a.test', 'a', 'third')]);
    const { serverSide, client } = await socketPair();
    openRouteStreamSession({ hub, out: serverSide, lastVersion: held });
    let text = '';
    client.setEncoding('utf8');
    client.on('data', (chunk: string) => (text += chunk));
    client.resume();
    await until(() => text.includes(`id: ${hub.version}\n`), 'the changes');
    const events = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as RouteStreamEvent);
    expect(events.map((e) => [e.type, 'envId' in e ? e.envId : '', e.version])).toEqual([
      ['upsert-environment', 'b', held + 2],
      ['upsert-environment', 'a', held + 3],
    ]);

    const other = await socketPair();
    openRouteStreamSession({ hub, out: other.serverSide, lastVersion: 12 });
    let fresh = '';
    other.client.setEncoding('utf8');
    other.client.on('data', (chunk: string) => (fresh += chunk));
    other.client.resume();
    await until(() => fresh.includes('event: snapshot-end'), 'the snapshot');
    expect(fresh).toContain(`event: snapshot-begin\ndata: {"type":"snapshot-begin","version":${hub.version},"environments":2,"routes":2}`);
  });
});
