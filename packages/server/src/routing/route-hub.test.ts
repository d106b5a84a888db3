import { describe, expect, it } from 'vitest';
import type { RouteTableEntry } from '@slipway/contract';
import { RouteHub } from './route-hub.ts';

const route = (host: string): RouteTableEntry => ({
  host,
  pathPrefix: '/',
  app: 'shop',
  envId: 'main',
  target: { kind: 'upstream', addresses: [{ host: '127.0.0.1', port: 3000 }], stripPrefix: false },
  ingress: { public: true, timeoutMs: 5_000, connectTimeoutMs: 2_000, maxBodyBytes: 1024 * 1024 },
});

describe('RouteHub', () => {
  it('answers which environment serves a host from its index, as routes come, change and go', () => {
    const hub = new RouteHub();
    for (let i = 0; i < 10_000; i++) hub.upsertEnvironment('shop', `pr-${i}`, [route(`web-pr-${i}.slipway.localhost`), route(`api-pr-${i}.slipway.localhost`)]);
    expect(hub.ownerOfHost('api-pr-9999.slipway.localhost')).toEqual({ app: 'shop', envId: 'pr-9999' });
    expect(hub.ownerOfHost('web-pr-10000.slipway.localhost')).toBeUndefined();
    // A patch that drops a service frees its host; the environment keeps the other.
    hub.upsertEnvironment('shop', 'pr-7', [route('web-pr-7.slipway.localhost')]);
    expect(hub.ownerOfHost('api-pr-7.slipway.localhost')).toBeUndefined();
    expect(hub.ownerOfHost('web-pr-7.slipway.localhost')).toEqual({ app: 'shop', envId: 'pr-7' });
    // Removed, and its host taken by another environment.
    hub.removeEnvironment('shop', 'pr-7');
    expect(hub.ownerOfHost('web-pr-7.slipway.localhost')).toBeUndefined();
    hub.upsertEnvironment('blog', 'main', [route('web-pr-7.slipway.localhost')]);
    expect(hub.ownerOfHost('web-pr-7.slipway.localhost')).toEqual({ app: 'blog', envId: 'main' });
    hub.upsertEnvironment('blog', 'main', []);
    expect(hub.ownerOfHost('web-pr-7.slipway.localhost')).toBeUndefined();
  });

  it('answers the changes since any version it saw, one per environment, oldest first; too old or unknown gets undefined', () => {
    const hub = new RouteHub({ rememberRemovals: 2, now: () => 1 });
    const start = hub.version;
    expect(start).toBe(1000);
    expect(hub.changesSince(start)).toEqual([]);
    hub.upsertEnvironment('shop', 'a', [route('a.test')]);
    hub.upsertEnvironment('shop', 'b', [route('b.test')]);
    hub.upsertEnvironment('shop', 'a', [route('a2.test')]);
    hub.removeEnvironment('shop', 'b');
    hub.upsertEnvironment('shop', 'c', [route('c.test')]);
    // a changed twice: only its newest; b came and went: its removal.
    expect(hub.changesSince(start)).toEqual([
      { type: 'upsert-environment', version: 1003, app: 'shop', envId: 'a', routes: [route('a2.test')] },
      { type: 'remove-environment', version: 1004, app: 'shop', envId: 'b' },
      { type: 'upsert-environment', version: 1005, app: 'shop', envId: 'c', routes: [route('c.test')] },
    ]);
    expect(hub.changesSince(1004)?.map((c) => c.version)).toEqual([1005]);
    expect(hub.changesSince(hub.version)).toEqual([]);
    expect(hub.changesSince(undefined)).toBeUndefined();
    expect(hub.changesSince(start - 1)).toBeUndefined();
    expect(hub.changesSince(hub.version + 1)).toBeUndefined();

    // Three removals with two remembered: the first is forgotten, so nobody before it can be answered.
    hub.removeEnvironment('shop', 'a');
    hub.removeEnvironment('shop', 'c');
    expect(hub.changesSince(start)).toBeUndefined();
    expect(hub.changesSince(1003)).toBeUndefined();
    // b's removal (1004) is the one forgotten: a follower that holds 1004 has seen it.
    expect(hub.changesSince(1004)?.map((c) => `${c.type} ${c.envId}`)).toEqual(['remove-environment a', 'remove-environment c']);
    expect(hub.changesSince(1005)?.map((c) => `${c.type} ${c.envId}`)).toEqual(['remove-environment a', 'remove-environment c']);
    // An environment that comes back is no longer a tombstone.
    hub.upsertEnvironment('shop', 'c', [route('c.test')]);
    expect(hub.changesSince(1005)?.map((c) => `${c.type} ${c.envId}`)).toEqual(['remove-environment a', 'upsert-environment c']);
    expect(hub.table()).toMatchObject({ version: hub.version, routes: 1, environments: [{ key: 'shop/c', version: hub.version }] });
  });
});
