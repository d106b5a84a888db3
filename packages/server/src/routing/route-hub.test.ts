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
});
