import { describe, expect, it } from 'vitest';
import type { RouteTableEntry } from '@slipway/contract';
import { RouteTable, normalizeHost } from './route-table.ts';
import { upstreamRoute } from './test-support/network.ts';

function route(host: string, pathPrefix: string, envId = 'main', port = 3000): RouteTableEntry {
  return { ...upstreamRoute(host, [port]), pathPrefix, envId };
}

describe('RouteTable', () => {
  it('normalises Host headers: port, case, trailing dot, IPv6', () => {
    expect(normalizeHost('Web-Main.Slipway.LOCALHOST:8080')).toBe('web-main.slipway.localhost');
    expect(normalizeHost('example.com.')).toBe('example.com');
    expect(normalizeHost('[::1]:8080')).toBe('[::1]');
  });

  it('finds a host whatever its case or port, and nothing for an unknown host', () => {
    const table = new RouteTable();
    table.upsertEnvironment('web', 'main', [route('web-main.slipway.localhost', '/')]);
    expect(table.lookup('WEB-main.slipway.localhost:8080', '/x')?.entry.host).toBe('web-main.slipway.localhost');
    expect(table.lookup('other.slipway.localhost', '/')).toBeUndefined();
    expect(table.servesHost('web-main.slipway.localhost')).toBe(true);
    expect(table.servesHost('other.slipway.localhost')).toBe(false);
  });

  it('takes the longest prefix, on whole path segments, and strips it', () => {
    const table = new RouteTable();
    table.upsertEnvironment('web', 'main', [route('a.test', '/', 'main', 1), route('a.test', '/api', 'main', 2), route('a.test', '/api/v2/', 'main', 3)]);
    const portOf = (path: string) => {
      const target = table.lookup('a.test', path)?.entry.target;
      return target?.kind === 'upstream' ? target.addresses[0]!.port : undefined;
    };
    expect(portOf('/')).toBe(1);
    expect(portOf('/apix')).toBe(1);
    expect(portOf('/api')).toBe(2);
    expect(portOf('/api?q=1')).toBe(2);
    expect(portOf('/api/v2')).toBe(3);
    expect(portOf('/api/v2/users')).toBe(3);
    expect(table.lookup('a.test', '/api/v2/users?x=1')?.pathAfterPrefix).toBe('/users?x=1');
    expect(table.lookup('a.test', '/api?x=1')?.pathAfterPrefix).toBe('/?x=1');
    expect(table.lookup('a.test', '/other')?.pathAfterPrefix).toBe('/other');
  });

  it('matches wildcard hosts at any depth, most specific first, after exact hosts', () => {
    const table = new RouteTable();
    table.upsertEnvironment('web', 'wild', [route('*.example.com', '/', 'wild')]);
    table.upsertEnvironment('web', 'deep', [route('*.b.example.com', '/', 'deep')]);
    table.upsertEnvironment('web', 'exact', [route('x.b.example.com', '/', 'exact')]);
    expect(table.lookup('a.example.com', '/')?.entry.envId).toBe('wild');
    expect(table.lookup('a.b.example.com', '/')?.entry.envId).toBe('deep');
    expect(table.lookup('x.b.example.com', '/')?.entry.envId).toBe('exact');
    expect(table.lookup('example.com', '/')).toBeUndefined();
  });

  it('replaces one environment incrementally and leaves the others untouched', () => {
    const table = new RouteTable();
    table.upsertEnvironment('web', 'one', [route('one.test', '/', 'one')]);
    table.upsertEnvironment('web', 'two', [route('two.test', '/', 'two')]);
    const two = table.lookup('two.test', '/')!.entry;
    table.upsertEnvironment('web', 'one', [route('one-renamed.test', '/', 'one')]);
    expect(table.lookup('one.test', '/')).toBeUndefined();
    expect(table.lookup('one-renamed.test', '/')).toBeDefined();
    expect(table.lookup('two.test', '/')!.entry).toBe(two);
    table.removeEnvironment('web', 'one');
    expect(table.size).toEqual({ routes: 1, environments: 1, hosts: 1 });
  });

  it('lets the environment changed last win a host two environments claim, and the other return when it leaves', () => {
    const table = new RouteTable();
    table.upsertEnvironment('web', 'old', [route('shared.test', '/', 'old')]);
    table.upsertEnvironment('web', 'new', [route('shared.test', '/', 'new')]);
    expect(table.lookup('shared.test', '/')?.entry.envId).toBe('new');
    table.removeEnvironment('web', 'new');
    expect(table.lookup('shared.test', '/')?.entry.envId).toBe('old');
  });

  it('applies versioned events, ignores stale ones, and diffs snapshots', () => {
    const table = new RouteTable();
    expect(table.apply({ type: 'snapshot', version: 5, routes: [route('one.test', '/', 'one'), route('two.test', '/', 'two')] })).toBe(true);
    const two = table.lookup('two.test', '/')!.entry;
    expect(table.apply({ type: 'upsert-environment', version: 4, app: 'web', envId: 'three', routes: [route('three.test', '/', 'three')] })).toBe(false);
    expect(table.lookup('three.test', '/')).toBeUndefined();
    expect(table.apply({ type: 'remove-environment', version: 6, app: 'web', envId: 'one' })).toBe(true);
    expect(table.version).toBe(6);
    // The snapshot keeps "two" as it was (same object: never removed), adds "four".
    table.apply({ type: 'snapshot', version: 7, routes: [route('two.test', '/', 'two'), route('four.test', '/', 'four')] });
    expect(table.lookup('two.test', '/')!.entry).toBe(two);
    expect(table.lookup('four.test', '/')).toBeDefined();
    expect(table.snapshot()).toMatchObject({ type: 'snapshot', version: 7 });
    expect(table.snapshot().routes.map((r) => r.host).sort()).toEqual(['four.test', 'two.test']);
  });

  it('reports upstream origins and hosts no route uses any more', () => {
    const table = new RouteTable();
    const released: string[] = [];
    table.onRelease(({ kind, key }) => released.push(`${kind} ${key}`));
    table.upsertEnvironment('web', 'one', [route('one.test', '/', 'one', 4001), route('one.test', '/api', 'one', 4002)]);
    table.upsertEnvironment('web', 'two', [route('two.test', '/', 'two', 4001)]);
    table.upsertEnvironment('web', 'one', [route('one.test', '/', 'one', 4001)]);
    expect(released).toEqual(['origin http://127.0.0.1:4002']);
    table.removeEnvironment('web', 'one');
    table.removeEnvironment('web', 'two');
    expect(released).toEqual(['origin http://127.0.0.1:4002', 'host one.test', 'host two.test', 'origin http://127.0.0.1:4001']);
  });
});
