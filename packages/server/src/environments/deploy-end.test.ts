import { describe, expect, it } from 'vitest';
import type { StoredDeploy } from '../store/environments.ts';
import type { DeployEvent, DeployListener } from '../workflows/workflow-engine.ts';
import { deployEnd } from './deploy-end.ts';

// The long-poll behind GET /api/v1/deploys/{id}?wait=: woken by this server's engine, by the store
// (a deploy another server runs), or by the time limit — whichever comes first.

function fakes(initial: StoredDeploy['state']) {
  let state = initial;
  let reads = 0;
  const listeners = new Set<DeployListener>();
  const store = {
    getDeploy: async (id: string) => {
      reads += 1;
      return { id, state } as StoredDeploy;
    },
  };
  const engine = {
    onDeploy: (listener: DeployListener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    store,
    engine,
    listeners,
    reads: () => reads,
    end(to: StoredDeploy['state'], announce: boolean) {
      state = to;
      if (announce) for (const l of listeners) void l({ type: 'ended', deploy: { id: 'd1', state: to } } as DeployEvent);
    },
  };
}

describe('deployEnd', () => {
  it('answers at once for a deploy that has ended', async () => {
    const f = fakes('succeeded');
    const started = Date.now();
    await deployEnd(f.store, f.engine, 'd1', 10_000);
    expect(Date.now() - started).toBeLessThan(200);
    expect(f.listeners.size).toBe(0);
  });

  it('wakes as soon as the engine ends the deploy, and stops listening', async () => {
    const f = fakes('running');
    const waiting = deployEnd(f.store, f.engine, 'd1', 10_000);
    await new Promise((r) => setTimeout(r, 30));
    const ended = Date.now();
    f.end('succeeded', true);
    await waiting;
    expect(Date.now() - ended).toBeLessThan(100);
    expect(f.reads()).toBe(1);
    expect(f.listeners.size).toBe(0);
  });

  it('ignores other deploys and sees an end the engine does not announce in the store', async () => {
    const f = fakes('running');
    const waiting = deployEnd(f.store, f.engine, 'd1', 10_000);
    for (const l of f.listeners) void l({ type: 'ended', deploy: { id: 'other', state: 'succeeded' } } as DeployEvent);
    f.end('failed', false);
    await waiting;
    expect(f.reads()).toBeGreaterThanOrEqual(2);
  });

  it('gives up after the time asked for', async () => {
    const f = fakes('running');
    const started = Date.now();
    await deployEnd(f.store, f.engine, 'd1', 120);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    expect(f.listeners.size).toBe(0);
  });
});
