// Fencing of what a release controller writes into environments: a server that lost its lease in
// the middle of a run — another server took it over — must neither queue a deploy nor create an
// environment. The change goes through the environment service with the worker's fence, exactly as
// the release controller's deployTargets does, on a real server and store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseLostError, Leases } from '../store/leases.ts';
import { setUpSeedReleaseTrack, type SeedReleaseTrack } from '../test-support/seed-release-track.ts';
import { KeyedWorker } from '../worker/keyed-worker.ts';

let seed: SeedReleaseTrack;
const workers: KeyedWorker[] = [];

beforeAll(async () => {
  seed = await setUpSeedReleaseTrack('fenced-release');
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await seed?.close();
}, 60_000);

/** A worker like the release controller's, on server "a", whose reconcile creates `envId` through the environment service. */
function controllerOn(envId: string, beforeWrite: (leaseName: string) => Promise<void>): { worker: KeyedWorker; outcome: Promise<unknown> } {
  let settle!: (value: unknown) => void;
  const outcome = new Promise((resolve) => (settle = resolve));
  const worker = new KeyedWorker({
    name: 'fenced-release-test',
    lease: { per: 'key', leases: new Leases(seed.server.store.db, 'host-a:1') },
    reconcile: async (key, context) => {
      await beforeWrite(context.lease!.name);
      try {
        settle(await seed.server.service.create('default', { app: 'shop', kind: 'permanent', id: key, branch: 'main' }, 'release #1 (rita)', { authority: 'release #1', fence: (tx) => worker.fence(tx) }));
      } catch (error) {
        settle(error);
        throw error;
      }
    },
  });
  workers.push(worker);
  worker.enqueue(envId);
  return { worker, outcome };
}

describe('release writes into environments', () => {
  it('are refused with LeaseLostError, writing nothing, once another server took the lease mid-run', async () => {
    const { worker, outcome } = controllerOn('shop-fenced', async (name) => {
      // The lease runs out under server a (paused, partitioned) and server b takes it over.
      await seed.server.store.db.updateTable('leases').set({ expires_at: new Date(Date.now() - 1_000).toISOString() }).where('name', '=', name).execute();
      expect(await new Leases(seed.server.store.db, 'host-b:1').take(name, 30_000)).toMatchObject({ owner: 'host-b:1', epoch: 2 });
    });
    expect(await outcome).toBeInstanceOf(LeaseLostError);
    expect(await seed.server.environments.getLive('default', 'shop-fenced')).toBeUndefined();
    const deploys = await seed.server.store.db.selectFrom('environments').select('env_id').where('env_id', '=', 'shop-fenced').execute();
    expect(deploys).toEqual([]);
    expect(worker.metrics()).toMatchObject({ fencedRefusals: 1, leaseLosses: 1 });
  }, 60_000);

  it('go through while the run holds its lease', async () => {
    const { outcome } = controllerOn('shop-held', async () => undefined);
    const created = (await outcome) as { environment: { envId: string } };
    expect(created.environment?.envId).toBe('shop-held');
    expect(await seed.server.environments.getLive('default', 'shop-held')).toMatchObject({ envId: 'shop-held', app: 'shop' });
  }, 60_000);
});
