import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snapshotAlias } from '@slipway/core';
import { testDatabases } from '../test-support/test-databases.ts';
import { openDatabase, type StoreDatabase } from './open-database.ts';
import { ReleaseCatalog } from './release-catalog.ts';
import { ReleaseStore } from './releases.ts';

const stages = [{ environments: ['staging'] }, { environments: ['production'] }];

for (const database of testDatabases()) {
  describe.skipIf(database.skip !== undefined)(`release store on ${database.name}${database.skip ? ` (skipped: ${database.skip})` : ''}`, () => {
    let store: StoreDatabase;
    let catalog: ReleaseCatalog;
    let releases: ReleaseStore;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      const created = await database.create();
      dispose = created.dispose;
      store = await openDatabase(created.location);
      catalog = new ReleaseCatalog(store.db);
      releases = new ReleaseStore(store.db);
    });
    afterEach(async () => {
      await store.close();
      await dispose();
    });

    const snapshot = async (id: string, day = new Date('2026-11-23T10:00:00Z')) =>
      (await catalog.putSnapshot({ id, workspace: 'default', set: 'shop', kind: 'release', components: [{ app: 'web', commit: id.padEnd(40, '0') }], createdBy: 'dev' }, (taken) => snapshotAlias(day, taken), day)).snapshot;

    it('keeps snapshots immutable and content-addressed, with aliases counting up per day', async () => {
      expect((await snapshot('aaaa1111')).alias).toBe('2026.11.23-1');
      expect((await snapshot('bbbb2222')).alias).toBe('2026.11.23-2');
      const again = await catalog.putSnapshot({ id: 'aaaa1111', workspace: 'default', set: 'shop', kind: 'release', components: [], createdBy: 'someone else' }, () => 'never', new Date());
      expect(again).toMatchObject({ created: false, snapshot: { alias: '2026.11.23-1', createdBy: 'dev', components: [{ app: 'web' }] } });
      expect((await snapshot('cccc3333', new Date('2026-11-24T01:00:00Z'))).alias).toBe('2026.11.24-1');
      expect(await catalog.findSnapshot('default', '2026.11.23-2')).toMatchObject({ id: 'bbbb2222' });
      expect(await catalog.findSnapshot('default', 'bbbb22')).toMatchObject({ alias: '2026.11.23-2' });
      expect(await catalog.findSnapshot('default', 'other')).toBeUndefined();
      expect(await catalog.findSnapshot('elsewhere', '2026.11.23-2')).toBeUndefined();
      await snapshot('bbbb2299');
      expect(await catalog.findSnapshot('default', 'bbbb22')).toBe('ambiguous');
      expect((await catalog.listSnapshots('default', 'shop')).map((s) => s.alias)).toEqual(['2026.11.24-1', '2026.11.23-3', '2026.11.23-2', '2026.11.23-1']);
    });

    it('replaces a set or track registered again, keeping when it was first registered', async () => {
      const first = await catalog.putSet({ workspace: 'default', name: 'shop', applications: ['web'], manifest: {}, version: 'v1', source: 'api' }, new Date('2026-01-01T00:00:00Z'));
      expect(first.created).toBe(true);
      const second = await catalog.putSet({ workspace: 'default', name: 'shop', applications: ['web', 'api'], releaseTrack: 't', manifest: {}, version: 'v2', source: 'abc' }, new Date('2026-01-02T00:00:00Z'));
      expect(second).toMatchObject({ created: false, set: { applications: ['web', 'api'], releaseTrack: 't', version: 'v2', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z' } });
      await catalog.putTrack({ workspace: 'default', name: 't', applicationSet: 'shop', spec: { preReleaseStages: [], releaseStages: stages, hotfixStages: [] }, version: 'x', source: 'api' });
      expect(await catalog.getTrack('default', 't')).toMatchObject({ applicationSet: 'shop', spec: { releaseStages: stages } });
      expect((await catalog.listTracks('other')).length).toBe(0);
    });

    it('numbers releases per workspace, moves a stage only from the state it is in, and keeps every transition', async () => {
      const s = await snapshot('aaaa1111');
      const base = { kind: 'release' as const, track: 't', set: 'shop', snapshotId: s.id, author: 'rita', stages, reason: 'created' };
      const one = await releases.createRelease({ workspace: 'default', ...base });
      const two = await releases.createRelease({ workspace: 'default', ...base });
      const elsewhere = await releases.createRelease({ workspace: 'payments', ...base });
      expect([one.number, two.number, elsewhere.number]).toEqual([1, 2, 1]);
      expect(await releases.findRelease('default', '#2')).toMatchObject({ id: two.id });
      expect(await releases.findRelease('default', one.id)).toMatchObject({ number: 1 });

      await releases.addStage({ releaseId: one.id, index: 0, name: 'staging', environments: ['staging'] }, 'slipway', 'started');
      expect(await releases.moveStage(one.id, 0, 'Pending', 'Deploying', 'slipway', 'entering', { enteredAt: '2026-01-01T00:00:00.000Z', targets: [{ app: 'web', environment: 'staging', envId: 'staging', commit: 'abc', deployId: 'd-1', state: 'running' }] })).toBe(true);
      // Someone else moved it first: the second move from Pending changes nothing.
      expect(await releases.moveStage(one.id, 0, 'Pending', 'Aborted', 'rita', 'too late')).toBe(false);
      expect(await releases.releasesDeploying('d-1')).toEqual([one.id]);
      expect((await releases.stagesOfSet('default', 'shop', ['Deploying'])).map((x) => [x.release.number, x.stage.name])).toEqual([[1, 'staging']]);
      expect(await releases.stagesOfSet('payments', 'shop', ['Deploying'])).toEqual([]);

      await releases.addDecision({ releaseId: one.id, stage: 0, user: 'quinn', decision: 'approve', roles: ['qa'], comment: 'ok' });
      expect(await releases.decisions(one.id)).toMatchObject([{ user: 'quinn', decision: 'approve', roles: ['qa'], comment: 'ok' }]);

      expect(await releases.endRelease(one.id, 'Aborted', 'rita', 'stop')).toBe(true);
      expect(await releases.endRelease(one.id, 'Failed', 'slipway', 'late')).toBe(false);
      expect((await releases.transitions(one.id)).map((t) => `${t.stage ?? '-'} ${t.from ?? ''}→${t.to} ${t.actor}`)).toEqual(['- →Pending rita', '0 →Pending slipway', '0 Pending→Deploying slipway', '- Pending→Aborted rita']);
      expect(await releases.activeReleaseIds()).toEqual([two.id, elsewhere.id]);
      expect((await releases.listReleases('default', { active: true })).map((r) => r.number)).toEqual([2]);
    });

    it('holds and releases environments of a set', async () => {
      await releases.putHolds({ workspace: 'default', set: 'shop', releaseId: 'r-1', actor: 'rita', reason: 'rolled back' }, ['production', 'eu-production']);
      await releases.putHolds({ workspace: 'default', set: 'shop', actor: 'sam', reason: 'again' }, ['production']);
      expect((await releases.holds('default', 'shop')).map((h) => `${h.environment} ${h.actor}`)).toEqual(['eu-production rita', 'production sam']);
      await releases.releaseHolds('default', 'shop', ['production']);
      expect((await releases.holds('default', 'shop')).map((h) => h.environment)).toEqual(['eu-production']);
      expect(await releases.holds('default', 'other')).toEqual([]);
    });
  });
}
