import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { ApplicationManifest, RenderedEnvironment } from '@slipway/contract';
import { testDatabases } from '../test-support/test-databases.ts';
import { putApplication } from './applications.ts';
import { EnvironmentStore } from './environments.ts';
import { pageInMemory, type PageKey } from './keyset-page.ts';
import { openDatabase, type StoreDatabase } from './open-database.ts';

const manifest = { apiVersion: 'slipway.dev/v1', kind: 'Application', metadata: { name: 'shop' }, spec: { services: [] } } as unknown as ApplicationManifest;
const rendered = { app: 'shop', envId: 'x', urls: {}, workflows: { setup: [], patch: [], teardown: [] } } as unknown as RenderedEnvironment;

describe('pageInMemory', () => {
  const names = ['b', 'a', 'd', 'c', 'e'].map((name) => ({ name }));
  const keyOf = (item: { name: string }): PageKey => [item.name];

  it('pages a list by key, exactly once each, and says when it ends', () => {
    const first = pageInMemory(names, keyOf, { limit: 2 });
    expect(first.items.map((i) => i.name)).toEqual(['a', 'b']);
    const second = pageInMemory(names, keyOf, { limit: 2, after: first.nextKey! });
    expect(second.items.map((i) => i.name)).toEqual(['c', 'd']);
    const last = pageInMemory(names, keyOf, { limit: 2, after: second.nextKey! });
    expect(last).toEqual({ items: [{ name: 'e' }] });
    expect(pageInMemory(names, keyOf, { limit: 5 }).nextKey).toBeUndefined();
  });

  it('continues after a key whose item is gone', () => {
    expect(pageInMemory(names, keyOf, { limit: 10, after: ['bb'] }).items.map((i) => i.name)).toEqual(['c', 'd', 'e']);
    expect(pageInMemory(names, keyOf, { limit: 10, after: ['z'] }).items).toEqual([]);
  });
});

for (const database of testDatabases()) {
  describe.skipIf(database.skip !== undefined)(`keyset pages on ${database.name}${database.skip ? ` (skipped: ${database.skip})` : ''}`, () => {
    let store: StoreDatabase;
    let dispose: () => Promise<void>;
    let environments: EnvironmentStore;
    let applicationId: string;
    const apps = ['api', 'shop', 'web'];

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

    const create = (envId: string, app = apps[envId.length % apps.length]!, workspace = 'default') =>
      environments.createEnvironment({ workspace, applicationId, app, envId, kind: 'ephemeral', branch: 'main', commit: 'a'.repeat(40), templateVersion: 'v1', variables: {}, rendered: { ...rendered, app, envId } });
    const remove = async (envId: string) => {
      const env = await environments.getLive('default', envId);
      await environments.updateEnvironment(env!.id, { status: 'deleted', deletedAt: new Date().toISOString() });
    };

    it('lists every live environment exactly once across pages while others are created and deleted', async () => {
      const before = Array.from({ length: 60 }, (_, i) => `env-${String(i).padStart(3, '0')}`);
      for (const id of before) await create(id);
      const deleted = new Set(before.filter((_, i) => i % 7 === 3));
      const seen: string[] = [];
      let after: PageKey | undefined;
      let round = 0;
      do {
        const page = await environments.pageLive('default', { limit: 7, ...(after ? { after } : {}) });
        seen.push(...page.items.map((e) => e.envId));
        after = page.nextKey;
        // Between two pages: new environments before and after the position, and deletions on both sides.
        await create(`aaa-${round}`);
        await create(`zzz-${round}`);
        for (const id of [...deleted].slice(round * 2, round * 2 + 2)) await remove(id);
        round++;
      } while (after);
      expect(new Set(seen).size, 'no environment is listed twice').toBe(seen.length);
      // Every environment that was live from the first page to the last is listed.
      for (const id of before.filter((id) => !deleted.has(id))) expect(seen).toContain(id);
      // The order is the list's: by application, then id.
      const order = (await environments.listLive('default')).map((e) => `${e.app}/${e.envId}`);
      const listed = seen.map((id) => order.find((o) => o.endsWith(`/${id}`))).filter((o): o is string => o !== undefined);
      expect(listed).toEqual([...listed].sort());
    });

    it("pages only the workspace's and the application's environments, in the order of listLive", async () => {
      for (const id of ['a1', 'b22', 'c333', 'd4444']) await create(id);
      await create('other-1', 'shop', 'payments');
      const all: string[] = [];
      let after: PageKey | undefined;
      do {
        const page = await environments.pageLive('default', { limit: 1, ...(after ? { after } : {}) });
        all.push(...page.items.map((e) => e.envId));
        after = page.nextKey;
      } while (after);
      expect(all).toEqual((await environments.listLive('default')).map((e) => e.envId));
      const shop = await environments.pageLive('default', { limit: 10 }, { app: 'shop' });
      expect(shop.items.every((e) => e.app === 'shop' && e.workspace === 'default')).toBe(true);
      expect(shop.nextKey).toBeUndefined();
    });

    it('pages deploys newest first without their rendered environments, which a list never shows', async () => {
      const { environment } = await create('many-deploys');
      for (let i = 0; i < 4; i++) await environments.queueDeploy({ environmentId: environment.id, workflow: 'patch', commit: 'b'.repeat(40), rendered: { ...rendered, app: environment.app, envId: 'many-deploys' } });
      const seqs: number[] = [];
      let after: PageKey | undefined;
      do {
        const page = await environments.pageDeploys(environment.id, { limit: 2, ...(after ? { after } : {}) });
        for (const deploy of page.items) {
          expect(deploy).not.toHaveProperty('rendered');
          expect(deploy).toMatchObject({ environmentId: environment.id, workflow: deploy.seq === 1 ? 'setup' : 'patch', state: 'queued', commit: (deploy.seq === 1 ? 'a' : 'b').repeat(40) });
        }
        seqs.push(...page.items.map((d) => d.seq));
        after = page.nextKey;
      } while (after);
      expect(seqs).toEqual([5, 4, 3, 2, 1]);
    });

    it.skipIf(database.name !== 'sqlite')('reads a page of environments from its index, not a scan and a sort', async () => {
      const plan = await sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT * FROM environments WHERE workspace = 'default' AND deleted_at IS NULL AND (app, env_id) > ('shop', 'x') ORDER BY app, env_id LIMIT 101`.execute(store.db);
      const details = plan.rows.map((r) => r.detail).join('\n');
      expect(details).toMatch(/environments_live_order/);
      expect(details).not.toMatch(/TEMP B-TREE/);
    });
  });
}
