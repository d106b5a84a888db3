// Fencing of what a release controller writes into environments: a server that lost its lease in
// the middle of a run — another server took it over — must neither queue a deploy nor create an
// environment. The change goes through the environment service with the worker's fence, exactly as
// the release controller's deployTargets does, on a real server and store.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../store/database-schema.ts';
import { LeaseLostError, Leases } from '../store/leases.ts';
import { commitAll } from '../test-support/example-repository.ts';
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

/** The lease runs out under server a (paused, partitioned) and server b takes it over. */
async function takenOver(name: string): Promise<void> {
  await seed.server.store.db.updateTable('leases').set({ expires_at: new Date(Date.now() - 1_000).toISOString() }).where('name', '=', name).execute();
  expect(await new Leases(seed.server.store.db, 'host-b:1').take(name, 30_000)).toMatchObject({ owner: 'host-b:1' });
}

type Write = (key: string, fence: (tx: Db) => Promise<void>) => Promise<unknown>;

/** A worker like the release controller's, on server "a", whose reconcile creates `envId` through the environment service (or makes `write`). */
function controllerOn(envId: string, beforeWrite: (leaseName: string) => Promise<void>, write?: Write): { worker: KeyedWorker; outcome: Promise<unknown> } {
  let settle!: (value: unknown) => void;
  const outcome = new Promise((resolve) => (settle = resolve));
  const worker = new KeyedWorker({
    name: 'fenced-release-test',
    lease: { per: 'key', leases: new Leases(seed.server.store.db, 'host-a:1') },
    reconcile: async (key, context) => {
      await beforeWrite(context.lease!.name);
      try {
        const fence = (tx: Db) => worker.fence(tx);
        settle(write ? await write(key, fence) : await seed.server.service.create('default', { app: 'shop', kind: 'permanent', id: key, branch: 'main' }, 'release #1 (rita)', { authority: 'release #1', fence }));
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
    const { worker, outcome } = controllerOn('shop-fenced', takenOver);
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

  it("and a patch to a commit whose manifests are invalid records no failed deploy once the lease is lost", async () => {
    const created = (await controllerOn('shop-patched', async () => undefined).outcome) as { environment: { id: string } };
    const repository = seed.repositories.shop;
    const manifest = readFileSync(join(repository, '.slipway/app.yaml'), 'utf8');
    writeFileSync(join(repository, '.slipway/app.yaml'), manifest.replace('runtime: local', 'runtime: local\n  replicas: many'));
    commitAll(repository, 'an invalid manifest');
    try {
      const deploysBefore = await seed.server.store.db.selectFrom('deploys').select('id').where('environment_id', '=', created.environment.id).execute();
      const patch: Write = (key, fence) => seed.server.service.patch('default', key, undefined, 'release #2 (rita)', { authority: 'release #2', fence, invalidManifest: 'fail-environment' });
      const { outcome } = controllerOn('shop-patched', takenOver, patch);
      expect(await outcome).toBeInstanceOf(LeaseLostError);
      const deploysAfter = await seed.server.store.db.selectFrom('deploys').select('id').where('environment_id', '=', created.environment.id).execute();
      expect(deploysAfter).toEqual(deploysBefore);
      expect((await seed.server.environments.getById(created.environment.id))?.status).not.toBe('failed');
    } finally {
      writeFileSync(join(repository, '.slipway/app.yaml'), manifest);
      commitAll(repository, 'the manifest again');
    }
  }, 60_000);
});
