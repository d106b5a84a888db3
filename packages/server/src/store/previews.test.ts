import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApplicationManifest } from '@slipway/contract';
import { testDatabases } from '../test-support/test-databases.ts';
import { putApplication } from './applications.ts';
import { openDatabase, type StoreDatabase } from './open-database.ts';
import { PreviewStore } from './previews.ts';

const manifest = (name: string, spec: Record<string, unknown> = {}): ApplicationManifest =>
  ({
    apiVersion: 'slipway.dev/v1',
    kind: 'Application',
    metadata: { name },
    spec: { services: [{ name: 'web', image: 'nginx', ports: [{ port: 80, protocol: 'http' }] }], ...spec },
  }) as unknown as ApplicationManifest;

for (const database of testDatabases()) {
  describe.skipIf(database.skip !== undefined)(`preview store on ${database.name}${database.skip ? ` (skipped: ${database.skip})` : ''}`, () => {
    let store: StoreDatabase;
    let previews: PreviewStore;
    let dispose: () => Promise<void>;
    let appId: string;

    beforeEach(async () => {
      const created = await database.create();
      dispose = created.dispose;
      store = await openDatabase(created.location);
      previews = new PreviewStore(store.db);
      appId = (await putApplication(store.db, { workspace: 'default', manifest: manifest('shop', { repository: { poll: true } }), source: 'api', repositoryUrl: '/srv/shop.git' })).application.id;
    });
    afterEach(async () => {
      await store.close();
      await dispose();
    });

    it('records a delivery once; a redelivery is refused unless handling it failed', async () => {
      expect(await previews.recordDelivery('github', 'd-1', { type: 'branch-deleted' })).toBe(true);
      expect(await previews.recordDelivery('github', 'd-1', { type: 'branch-deleted' })).toBe(false);
      expect(await previews.recordDelivery('git', 'd-1', { type: 'branch-deleted' })).toBe(true);
      expect(await previews.unhandledDeliveries('github')).toEqual([{ deliveryId: 'd-1', event: { type: 'branch-deleted' } }]);
      await previews.finishDelivery('github', 'd-1', 'done', 'web: nothing');
      expect(await previews.recordDelivery('github', 'd-1', {})).toBe(false);
      expect(await previews.unhandledDeliveries('github')).toEqual([]);
      await previews.recordDelivery('github', 'd-2', {});
      await previews.finishDelivery('github', 'd-2', 'failed', 'disk full');
      expect(await previews.recordDelivery('github', 'd-2', { again: true })).toBe(true);
      expect(await previews.getDelivery('github', 'd-2')).toEqual({ state: 'received', event: { again: true } });
      // Old handled deliveries are forgotten; one not handled yet is kept whatever its age.
      expect(await previews.pruneDeliveries(new Date(Date.now() + 1000))).toBe(1);
      expect((await previews.unhandledDeliveries('github')).map((d) => d.deliveryId)).toEqual(['d-2']);
    });

    it('reserves a link, completes it, finds it by its environment, and keeps its comment when reopened', async () => {
      const source = { applicationId: appId, provider: 'github', repository: 'acme/shop', sourceKey: 'pr:42' };
      const fields = { ...source, workspace: 'default', app: 'shop', pullRequest: 42, branch: 'feature', envId: 'pr-42', headSha: 'a'.repeat(40) };
      await previews.openLink(fields);
      const env = { id: 'row-1', workspace: 'default', app: 'shop', envId: 'pr-42' };
      expect(await previews.linkOfEnvironment(env)).toMatchObject({ sourceKey: 'pr:42', state: 'open' });
      const opened = await previews.openLink({ ...fields, environmentId: 'row-1' });
      expect(opened).toMatchObject({ pullRequest: 42, envId: 'pr-42', environmentId: 'row-1', state: 'open' });
      await previews.updateLink(opened.id, { commentId: '1001', state: 'closed' });
      expect(await previews.linkOfEnvironment(env)).toMatchObject({ commentId: '1001', state: 'closed' });
      // Another environment with the same id later is not this link's.
      expect(await previews.linkOfEnvironment({ ...env, id: 'row-2' })).toBeUndefined();
      const reopened = await previews.openLink({ ...fields, environmentId: 'row-2', headSha: 'b'.repeat(40) });
      expect(reopened).toMatchObject({ id: opened.id, environmentId: 'row-2', commentId: '1001', state: 'open', headSha: 'b'.repeat(40) });
      expect(await previews.listLinks({ workspace: 'default', state: 'open' })).toHaveLength(1);
    });

    it('keeps the heads a look saw, per application', async () => {
      await previews.setHead(appId, 'main', 'a'.repeat(40));
      await previews.setHead(appId, 'feature', 'b'.repeat(40));
      await previews.setHead(appId, 'feature', 'c'.repeat(40));
      expect(await previews.heads(appId)).toEqual(new Map([['main', 'a'.repeat(40)], ['feature', 'c'.repeat(40)]]));
      await previews.setHead(appId, 'feature', undefined);
      expect([...(await previews.heads(appId)).keys()]).toEqual(['main']);
    });

    it('lists applications with a repository across workspaces, with their current manifest', async () => {
      await putApplication(store.db, { workspace: 'other', manifest: manifest('api'), source: 'api', repositoryUrl: 'https://github.com/acme/api.git' });
      await putApplication(store.db, { workspace: 'default', manifest: manifest('bare'), source: 'api' });
      const apps = await previews.applicationsWithRepository();
      expect(apps.map((a) => `${a.workspace}/${a.name} ${a.repositoryUrl}`)).toEqual(['default/shop /srv/shop.git', 'other/api https://github.com/acme/api.git']);
      expect(apps[0]!.manifest?.spec.repository?.poll).toBe(true);
    });
  });
}
