import { describe, expect, it } from 'vitest';
import type { InstanceStatus } from './runtime-driver.ts';
import { environmentKey, ownerFromLabels, ownerLabels, parseEnvironmentKey } from './ownership.ts';
import { notReadyReasons, probeTimings, resolveVariables, restartDelayMs, serviceReadiness } from './process-settings.ts';
import { specHash, stableStringify } from './spec-hash.ts';

const env = { workspace: 'team', app: 'guestbook', envId: 'pr-42' };

describe('runtime helpers', () => {
  it('hash specs independently of key order and sensitively to values', () => {
    expect(stableStringify({ b: 1, a: [1, { d: 2, c: undefined }] })).toBe('{"a":[1,{"d":2}],"b":1}');
    expect(specHash({ a: 1, b: 'x' })).toBe(specHash({ b: 'x', a: 1 }));
    expect(specHash({ a: 1 })).not.toBe(specHash({ a: 2 }));
    expect(specHash({ a: 1 })).toMatch(/^[0-9a-f]{16}$/);
  });

  it('round-trip owners through labels and keys', () => {
    expect(ownerFromLabels(ownerLabels(env, 'api', 'abc'))).toEqual(env);
    expect(ownerFromLabels({})).toBeUndefined();
    expect(environmentKey(env)).toBe('team.guestbook.pr-42');
    expect(parseEnvironmentKey('team.guestbook.pr-42')).toEqual(env);
    expect(parseEnvironmentKey('../etc')).toBeUndefined();
  });

  it('compute probe timings and backoff', () => {
    expect(probeTimings({ period: '500ms' })).toEqual({ initialDelayMs: 0, periodMs: 500, timeoutMs: 1000, failureThreshold: 3, successThreshold: 1 });
    expect([1, 2, 3, 10].map((n) => restartDelayMs(n, { initialMs: 100, maxMs: 500 }))).toEqual([100, 200, 400, 500]);
  });

  it('resolve secrets without exposing missing ones', () => {
    expect(resolveVariables({ A: 'x', B: { secret: 'db', key: 'password' }, C: { secret: 'nope' } }, { 'db/password': 's3' })).toEqual({
      values: { A: 'x', B: 's3' },
      missingSecrets: ['nope'],
    });
  });

  it('sum up readiness', () => {
    const instance = (state: InstanceStatus['state']): InstanceStatus => ({
      env, service: 'api', replica: 0, name: 'api-0', state, specHash: 'h', endpoints: [], restarts: 0,
      ...(state === 'crash-looping' ? { lastExit: { code: 3, signal: null, at: '' } } : {}),
    });
    expect(serviceReadiness([instance('ready')], 1)).toEqual({ state: 'ready' });
    expect(serviceReadiness([instance('ready'), instance('starting')], 2)).toEqual({ state: 'pending' });
    const failed = serviceReadiness([instance('crash-looping')], 1);
    expect(failed.state === 'failed' && failed.reason).toBe('api-0 is crash-looping (last exit code 3)');
    expect(serviceReadiness([instance('unhealthy')], 1)).toEqual({ state: 'pending' });
    expect(notReadyReasons([instance('ready'), { ...instance('unhealthy'), message: 'GET / answered 500' }])).toBe('api-0 unhealthy: GET / answered 500');
  });
});
