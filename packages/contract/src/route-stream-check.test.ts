import { describe, expect, it } from 'vitest';
import { isRouteTableEntry, parseRouteStreamEvent } from './route-stream-check.ts';
import { routeStreamEvent, routeTableEntry } from './route-table.ts';

// The in-place check must give zod's verdict on every route: valid ones of each target kind, and
// each of them with every key removed, an extra key at every level, and every value replaced by
// values of the wrong kind or out of range.

const ingress = { public: true, timeoutMs: 30_000, connectTimeoutMs: 5_000, maxBodyBytes: 0 };
const valid: unknown[] = [
  { host: 'web-pr-1.slipway.localhost', pathPrefix: '/', app: 'shop', envId: 'pr-1', service: 'web', target: { kind: 'upstream', addresses: [{ host: '127.0.0.1', port: 3000 }, { host: '::1', port: 65535 }], stripPrefix: false }, ingress },
  { host: '*.preview.test', pathPrefix: '/api/v1', app: 'a', envId: 'e', target: { kind: 'upstream', addresses: [{ host: 'h', port: 1 }], stripPrefix: true }, ingress },
  { host: 'docs.test', pathPrefix: '/', app: 'a', envId: 'e', service: 'docs', target: { kind: 'static', root: '/srv/site', spa: true }, ingress },
  { host: 'x.test', pathPrefix: '/', app: 'a', envId: 'e', target: { kind: 'deploying' }, ingress },
  { host: 'p.test', pathPrefix: '/', app: 'a', envId: 'e', target: { kind: 'paused' }, ingress },
  { host: 'w.test', pathPrefix: '/', app: 'a', envId: 'e', target: { kind: 'paused', wake: true }, ingress },
];
const wrongValues: unknown[] = [undefined, null, '', 'x', 'A B', '/a?b', '/', 0, -1, 1.5, 70_000, 2 ** 60, true, [], {}, [1]];

/** Every variant of `value` with one change somewhere inside it. */
function* mutations(value: unknown): Generator<unknown> {
  if (Array.isArray(value)) {
    yield [];
    for (let i = 0; i < value.length; i++) for (const inner of mutations(value[i])) yield value.map((v, j) => (j === i ? inner : v));
    return;
  }
  if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    yield { ...object, unexpected: 1 };
    for (const key of Object.keys(object)) {
      const { [key]: _removed, ...rest } = object;
      yield rest;
      for (const inner of mutations(object[key])) yield { ...object, [key]: inner };
    }
    return;
  }
  yield* wrongValues;
}

describe('isRouteTableEntry', () => {
  it('agrees with the zod schema on valid routes and on every one-change variant of them', () => {
    let variants = 0;
    for (const route of valid) {
      expect(isRouteTableEntry(route)).toBe(true);
      for (const variant of mutations(route)) {
        variants++;
        const verdict = routeTableEntry.safeParse(variant).success;
        if (isRouteTableEntry(variant) !== verdict) throw new Error(`zod says ${verdict} for ${JSON.stringify(variant)}`);
      }
    }
    expect(variants).toBeGreaterThan(500);
  });
});

describe('parseRouteStreamEvent', () => {
  it('returns a valid chunk as it is, and explains what is wrong with an invalid one, with its path', () => {
    const chunk = { type: 'snapshot-chunk', version: 7, routes: valid };
    const parsed = parseRouteStreamEvent(chunk);
    expect(parsed).toEqual({ success: true, data: chunk });
    expect(parsed.success && parsed.data).toBe(chunk);
    const bad = { type: 'snapshot-chunk', version: 7, routes: [valid[0], { ...(valid[1] as object), host: 'Not A Host' }] };
    expect(parseRouteStreamEvent(bad)).toEqual({ success: false, issue: expect.stringMatching(/^routes\.1\.host: expected a lowercase hostname/) });
    for (const variant of mutations(chunk)) {
      const result = parseRouteStreamEvent(variant);
      expect(result.success, JSON.stringify(variant)).toBe(routeStreamEvent.safeParse(variant).success);
    }
    // Other events go through zod.
    expect(parseRouteStreamEvent({ type: 'snapshot-end', version: 7, environments: 2 })).toEqual({ success: true, data: { type: 'snapshot-end', version: 7, environments: 2 } });
    expect(parseRouteStreamEvent({ type: 'closing', version: 7 })).toEqual({ success: false, issue: expect.stringMatching(/^reason: /) });
  });
});
