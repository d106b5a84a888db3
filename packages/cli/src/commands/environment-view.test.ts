import { stripVTControlCharacters } from 'node:util';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import type { DeployResponse, EnvironmentResponse, InstanceResponse } from '@slipway/contract';
import { deployDetails, endpointsOf, environmentDetails, environmentTable, expiryOf, instanceMessage } from './environment-view.ts';

const plain = pc.createColors(false);
const now = new Date('2026-01-01T12:00:00Z');
const hoursFromNow = (h: number) => new Date(now.getTime() + h * 3_600_000 + 30_000).toISOString();

const api: InstanceResponse = { name: 'api-0', service: 'api', replica: 0, state: 'ready', restarts: 0, endpoints: [{ port: 3000, host: '127.0.0.1', hostPort: 41234 }] };
const worker: InstanceResponse = { name: 'worker-0', service: 'worker', replica: 0, state: 'crash-looping', restarts: 4, endpoints: [], lastExit: { code: 1, signal: null, at: '2026-01-01T11:59:00Z' } };
const env: EnvironmentResponse = {
  id: 'pr-42',
  app: 'guestbook',
  kind: 'ephemeral',
  branch: 'feature/cart',
  commit: '0123456789abcdef0123456789abcdef01234567',
  status: 'ready',
  templateVersion: 'a1b2c3d4e5f60718',
  urls: { web: 'http://guestbook-pr-42.slipway.localhost:8080', api: 'http://api-pr-42.slipway.localhost:8080' },
  expiresAt: hoursFromNow(71),
  createdAt: '2026-01-01T11:00:00Z',
  updatedAt: '2026-01-01T11:01:00Z',
  instances: [api, worker],
};

describe('environment views', () => {
  it('shows one environment: facts, URLs and an instances table', () => {
    const text = environmentDetails(env, now, plain);
    expect(text).toContain('pr-42  ephemeral environment of guestbook');
    expect(text).toMatch(/status: +ready/);
    expect(text).toMatch(/commit: +0123456\n/);
    expect(text).toMatch(/expires: +in 71h \(/);
    expect(text).toContain('  web  http://guestbook-pr-42.slipway.localhost:8080');
    expect(text).toMatch(/NAME +STATE +RESTARTS +ENDPOINTS +MESSAGE/);
    expect(text).toMatch(/api-0 +ready +0 +127\.0\.0\.1:41234→3000/);
    expect(text).toMatch(/worker-0 +crash-looping +4 +- +last exit: exited with code 1/);
  });

  it('lists environments one per row, permanent ones without an expiry', () => {
    const text = environmentTable([env, { ...env, id: 'staging', kind: 'permanent', status: 'failed', expiresAt: undefined, commit: undefined, urls: {} }], now, plain);
    const [header, first, second] = text.split('\n');
    expect(header).toMatch(/^ID +APP +STATUS +BRANCH +COMMIT +EXPIRES +URL$/);
    expect(first).toMatch(/^pr-42 +guestbook +ready +feature\/cart +0123456 +in 71h +http:\/\/guestbook-pr-42\.slipway\.localhost:8080 \(\+1\)$/);
    expect(second).toMatch(/^staging +guestbook +failed +feature\/cart +- +permanent +-$/);
  });

  it('aligns columns whatever the colours', () => {
    const coloured = environmentTable([env], now, pc.createColors(true)).split('\n');
    const uncoloured = environmentTable([env], now, plain).split('\n');
    expect(stripVTControlCharacters(coloured[1]!)).toBe(uncoloured[1]);
  });

  it('says when an environment has expired', () => {
    expect(expiryOf({ kind: 'ephemeral', expiresAt: hoursFromNow(-3) }, now)).toBe('expired 2h ago');
    expect(expiryOf({ kind: 'permanent' }, now)).toBe('never (permanent)');
  });

  it('names endpoints and exits', () => {
    expect(endpointsOf({ endpoints: [{ port: 8080, host: '127.0.0.1', hostPort: 8080 }] })).toBe('127.0.0.1:8080');
    expect(instanceMessage({ ...worker, lastExit: { code: null, signal: 'SIGKILL', at: '' } })).toBe('last exit: killed by SIGKILL');
    expect(instanceMessage({ ...worker, message: 'readiness probe failing: GET /health 503' })).toBe('readiness probe failing: GET /health 503');
  });
});

describe('deployDetails', () => {
  it('shows the tasks and the log of the one that failed', () => {
    const deploy: DeployResponse = {
      id: 'd-1',
      envId: 'pr-42',
      app: 'guestbook',
      seq: 2,
      workflow: 'patch',
      state: 'failed',
      reason: 'job migrate failed: exit code 1',
      commit: 'abcdef0123',
      requestedBy: 'admin',
      createdAt: '2026-01-01T11:58:00Z',
      startedAt: '2026-01-01T11:58:00Z',
      finishedAt: '2026-01-01T11:58:05Z',
      tasks: [
        { key: 'source', step: -1, stepName: 'checkout and build', kind: 'source', state: 'succeeded' },
        { key: '0:job:migrate', step: 0, stepName: 'migrate', kind: 'job', name: 'migrate', state: 'failed', reason: 'exit code 1', logTail: 'boom\n' },
      ],
    };
    const text = deployDetails(deploy, now, plain);
    expect(text).toContain('patch deploy #2 of pr-42 (guestbook)  d-1');
    expect(text).toMatch(/state: +failed: job migrate failed: exit code 1/);
    expect(text).toMatch(/requested: 2m ago by admin/);
    expect(text).toMatch(/step 1 migrate · job migrate +failed +- +exit code 1/);
    expect(text).toContain('log of step 1 migrate · job migrate:\n  boom');
    expect(text).not.toContain('images:');
  });

  it('names the image each built service runs (the docker runtime)', () => {
    const deploy: DeployResponse = {
      id: 'd-2',
      envId: 'main',
      app: 'guestbook-docker',
      seq: 1,
      workflow: 'setup',
      state: 'succeeded',
      commit: 'abcdef0123',
      images: { api: `sha256:${'a1'.repeat(32)}`, web: `sha256:${'b2'.repeat(32)}` },
      createdAt: '2026-01-01T11:58:00Z',
    };
    expect(deployDetails(deploy, now, plain)).toContain('  images:    api sha256:a1a1a1a1a1a1, web sha256:b2b2b2b2b2b2');
  });
});
