import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApplicationManifest, RenderedEnvironment } from '@slipway/contract';
import { testDatabases } from '../test-support/test-databases.ts';
import { putApplication } from './applications.ts';
import { EnvironmentStore } from './environments.ts';
import { Leases } from './leases.ts';
import { openDatabase, type StoreDatabase } from './open-database.ts';

const manifest = { apiVersion: 'slipway.dev/v1', kind: 'Application', metadata: { name: 'shop' }, spec: { services: [] } } as unknown as ApplicationManifest;
const rendered = { app: 'shop', envId: 'pr-1', urls: { web: 'http://web-pr-1.test' }, workflows: { setup: [], patch: [], teardown: [] } } as unknown as RenderedEnvironment;

for (const database of testDatabases()) {
  describe.skipIf(database.skip !== undefined)(`environments store on ${database.name}${database.skip ? ` (skipped: ${database.skip})` : ''}`, () => {
    let store: StoreDatabase;
    let dispose: () => Promise<void>;
    let environments: EnvironmentStore;
    let applicationId: string;

    beforeEach(async () => {
      const created = await database.create();
      dispose = created.dispose;
      store = await openDatabase(created.location);
      environments = new EnvironmentStore(store.db);
      applicationId = (await putApplication(store.db, { workspace: 'default', manifest, source: 'api' })).application.id;
    });
    afterEach(async () => {
      await store.close();
      await dispose();
    });

    const create = (envId = 'pr-1', ttlMs?: number, excludedServices?: string[]) =>
      environments.createEnvironment({
        workspace: 'default',
        applicationId,
        app: 'shop',
        envId,
        kind: 'ephemeral',
        branch: 'feature',
        commit: 'a'.repeat(40),
        templateVersion: 'v1',
        variables: { A: '1' },
        rendered,
        ...(ttlMs !== undefined ? { ttlMs } : {}),
        ...(excludedServices !== undefined ? { excludedServices } : {}),
        now: new Date('2026-01-01T00:00:00Z'),
      });

    it('creates an environment with its queued setup deploy, and keeps ids unique among live environments', async () => {
      const { environment, deploy } = await create('pr-1', 3_600_000);
      expect(environment).toMatchObject({ envId: 'pr-1', status: 'queued', variables: { A: '1' }, urls: rendered.urls, expiresAt: '2026-01-01T01:00:00.000Z', ttlMs: 3_600_000 });
      expect(deploy).toMatchObject({ seq: 1, workflow: 'setup', state: 'queued', rendered });
      await expect(create('pr-1')).rejects.toThrow();
      await environments.updateEnvironment(environment.id, { status: 'deleted', deletedAt: new Date().toISOString() });
      expect(await environments.getLive('default', 'pr-1')).toBeUndefined();
      await create('pr-1');
      expect((await environments.listLive('default')).map((e) => e.envId)).toEqual(['pr-1']);
    });

    it("keeps an App Import's excluded services with its environment, and what each deploy was rendered from", async () => {
      const { environment, deploy } = await create('pr-1-shop', undefined, ['admin']);
      expect(environment.excludedServices).toEqual(['admin']);
      expect(deploy.renderInputs).toEqual({ templateVersion: 'v1', variables: { A: '1' } });
      const patch = await environments.queueDeploy({ environmentId: environment.id, workflow: 'patch', rendered, renderInputs: { templateVersion: 'v2', variables: {} } });
      expect((await environments.getDeploy(patch.id))!.renderInputs).toEqual({ templateVersion: 'v2', variables: {} });
      expect((await environments.getLive('default', 'pr-1-shop'))!.excludedServices).toEqual(['admin']);
      expect((await create('pr-2')).environment.excludedServices).toBeUndefined();
    });

    it('runs deploys in order, and a teardown cancels the ones still queued', async () => {
      const { environment, deploy } = await create();
      const patch = await environments.queueDeploy({ environmentId: environment.id, workflow: 'patch', rendered });
      expect(patch.seq).toBe(2);
      expect((await environments.nextDeploy(environment.id))!.id).toBe(deploy.id);
      await environments.updateDeploy(deploy.id, { state: 'running' });
      const teardown = await environments.queueDeploy({ environmentId: environment.id, workflow: 'teardown', rendered });
      expect((await environments.getDeploy(patch.id))!.state).toBe('cancelled');
      expect((await environments.nextDeploy(environment.id))!.id).toBe(deploy.id);
      await environments.updateDeploy(deploy.id, { state: 'succeeded', outcome: 'succeeded' });
      expect((await environments.nextDeploy(environment.id))!.id).toBe(teardown.id);
      expect(await environments.environmentsWithActiveDeploys()).toEqual([environment.id]);
      expect((await environments.listDeploys(environment.id)).map((d) => d.seq)).toEqual([3, 2, 1]);
    });

    it('records each task state and keeps when it started and ended', async () => {
      const { deploy } = await create();
      await environments.setTask(deploy.id, { key: '0:job:migrate', step: 0, state: 'running' });
      await environments.setTask(deploy.id, { key: '0:job:migrate', step: 0, state: 'failed', reason: 'exit code 2', logTail: 'boom' });
      const [task] = await environments.tasks(deploy.id);
      expect(task).toMatchObject({ key: '0:job:migrate', state: 'failed', reason: 'exit code 2', logTail: 'boom' });
      expect(task!.startedAt).toBeDefined();
      expect(task!.finishedAt).toBeDefined();
      expect((await environments.progress(deploy.id)).get('0:job:migrate')).toEqual({ state: 'failed', reason: 'exit code 2' });
    });

    it('finds expired ephemeral environments', async () => {
      await create('pr-1', 1000);
      await create('pr-2', 10 * 3_600_000);
      expect((await environments.expired(new Date('2026-01-01T00:00:02Z'))).map((e) => e.envId)).toEqual(['pr-1']);
    });

    it('gives a lease to one owner at a time, and takes over an expired one', async () => {
      const a = new Leases(store.db, 'other-host:1');
      const b = new Leases(store.db, 'other-host:2');
      const now = new Date('2026-01-01T00:00:00Z');
      expect(await a.acquire('environment:x', 1000, now)).toBe(true);
      expect(await b.acquire('environment:x', 1000, now)).toBe(false);
      expect(await a.acquire('environment:x', 1000, now)).toBe(true);
      expect(await b.acquire('environment:x', 1000, new Date(now.getTime() + 5000))).toBe(true);
      await b.release('environment:x');
      expect(await a.acquire('environment:x', 1000, now)).toBe(true);
    });
  });
}
