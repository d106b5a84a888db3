// The release flow on the local runtime, as a new user would drive it through the API: the seed's
// track (development → staging → production, hotfixes through staging), a set of two applications
// in git repositories, approvers holding qa, product, security and sre. A release reaches production
// only after staging's test job passed and qa, product and security approved; the author cannot
// approve; a failing test job stops a release in staging; a hotfix skips development; a rollback
// restores the previous version and holds the stage until someone promotes deliberately; and a
// restarted server carries a release on from where it was.
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseResponse, SnapshotResponse, TrackViewResponse } from '@slipway/contract';
import type { RunningServer } from '../start-server.ts';
import { git } from '../test-support/example-repository.ts';
import { closeServer } from '../test-support/test-server.ts';
import { apiAs, appRepository, createSeedPeople, seedTrackRepository, setVersion, startReleaseServer, until, type Json } from '../test-support/seed-release-track.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-release-flow-'));
const home = join(dir, 'home');
let server: RunningServer;
const tokens: Record<string, string> = {};
let shopRepo: string;
let ledgerRepo: string;
let configRepo: string;
const { api, ok, releaseIn } = apiAs(() => server.apiUrl, tokens);

/** What an environment's web service answers through the router. */
function viaRouter(host: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: server.routerPort, path: '/', headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.on('error', (e) => resolve(`error ${e.message}`));
    req.end();
  });
}

async function serves(host: string, text: string): Promise<void> {
  await until(`${host} to serve ${text}`, async () => ((await viaRouter(host)) === `200 ${text}` ? true : undefined), 30_000);
}

async function start(): Promise<void> {
  server = await startReleaseServer(home, join(dir, 'cli.yaml'));
}

async function deploysOf(envId: string): Promise<number> {
  const env = await server.environments.getLive('default', envId);
  return env ? (await server.environments.listDeploys(env.id)).length : 0;
}

beforeAll(async () => {
  shopRepo = appRepository(dir, 'shop', 'shop v1');
  ledgerRepo = appRepository(dir, 'ledger', 'ledger v1');
  configRepo = seedTrackRepository(dir);
  await start();
  Object.assign(tokens, await createSeedPeople(server));
  await ok('admin', 'POST', '/api/v1/applications', { repository: shopRepo });
  await ok('admin', 'POST', '/api/v1/applications', { repository: ledgerRepo });
}, 60_000);

afterAll(() => closeServer(server, dir), 60_000);

describe('the release flow', () => {
  it('registers the track and the set from the platform repository', async () => {
    const tracks = await ok('admin', 'POST', '/api/v1/tracks', { repository: configRepo });
    expect(tracks.items).toMatchObject([{ name: 'shop-track', releaseStages: [{ name: 'development' }, { name: 'staging', gates: { tests: ['e2e'] } }, { name: 'production' }] }]);
    const sets = await ok('admin', 'POST', '/api/v1/sets', { repository: configRepo });
    expect(sets.items).toMatchObject([{ name: 'shop', applications: ['shop', 'ledger'], releaseTrack: 'shop-track' }]);
    // Release managers and admins register sets and tracks; developers do not.
    expect((await api('dev', 'POST', '/api/v1/sets', { repository: configRepo })).status).toBe(403);
    expect((await api('dev', 'POST', '/api/v1/tracks', { repository: configRepo })).status).toBe(403);
    expect((await api('rita', 'POST', '/api/v1/tracks', { repository: configRepo })).status).toBe(200);
  });

  it('takes a release to production only after staging’s test passed and qa, product and security approved; the author cannot approve', async () => {
    const snapshot: SnapshotResponse = await ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' });
    expect(snapshot.alias).toMatch(/^\d{4}\.\d{2}\.\d{2}-1$/);
    expect(snapshot.components.map((c) => c.app)).toEqual(['ledger', 'shop']);
    // The same versions are the same snapshot.
    expect((await api('dev', 'POST', '/api/v1/snapshots', { set: 'shop' })).json.id).toBe(snapshot.id);
    expect((await api('dev', 'POST', '/api/v1/releases', { snapshot: snapshot.alias })).status).toBe(403);

    const created: ReleaseResponse = await ok('rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias });
    expect(created).toMatchObject({ number: 1, kind: 'release', track: 'shop-track', author: 'rita' });

    const waiting = await releaseIn(1, 'AwaitingApproval', 'staging');
    expect(waiting.stages.map((s) => s.state)).toEqual(['Promoted', 'AwaitingApproval', 'Pending']);
    const staging = waiting.stages[1]!;
    expect(staging.tests.map((t) => [t.job, t.envId, t.state])).toEqual(
      expect.arrayContaining([
        ['e2e', 'shop-staging', 'succeeded'],
        ['e2e', 'ledger-staging', 'succeeded'],
      ]),
    );
    expect(staging.missingApprovals).toEqual([{ role: 'qa', count: 1 }, { role: 'product', count: 1 }, { role: 'security', count: 1 }]);
    expect(waiting.stages[2]!.queuedAt).toBeUndefined();
    expect(await server.environments.getLive('default', 'shop-production')).toBeUndefined();
    await serves('web-shop-staging.slipway.localhost', 'shop v1');

    // The author, though in QA, may not approve; nor may someone without an approver role.
    const byAuthor = await api('rita', 'POST', '/api/v1/releases/1/approve', {});
    expect(byAuthor.status).toBe(403);
    expect(byAuthor.json.error.message).toMatch(/rita is the release's author/);
    const byDeveloper = await api('dev', 'POST', '/api/v1/releases/1/approve', {});
    expect(byDeveloper.status).toBe(403);
    expect(byDeveloper.json.error.message).toMatch(/needs one of the approver roles qa, product, security; dev has/);

    const afterQa: ReleaseResponse = await ok('quinn', 'POST', '/api/v1/releases/1/approve', { comment: 'regression suite green' });
    expect(afterQa.stages[1]).toMatchObject({ state: 'AwaitingApproval', missingApprovals: [{ role: 'product', count: 1 }, { role: 'security', count: 1 }] });
    expect(afterQa.stages[1]!.approvals).toMatchObject([{ user: 'quinn', countsAs: 'qa', comment: 'regression suite green' }]);
    await ok('pat', 'POST', '/api/v1/releases/1/approve', {});

    // The track stage by stage: staging holds release #1, awaiting security.
    const view: TrackViewResponse = await ok('viewer', 'GET', '/api/v1/tracks/shop-track/view');
    const lane = view.lanes.find((l) => l.kind === 'release')!;
    expect(lane.stages[1]!.releases).toMatchObject([{ number: 1, state: 'AwaitingApproval', current: true, missingApprovals: [{ role: 'security', count: 1 }] }]);
    expect(lane.stages[0]!.releases).toMatchObject([{ number: 1, state: 'Promoted', current: true }]);

    // The last approval: production is entered at once.
    const afterLast: ReleaseResponse = await ok('sam', 'POST', '/api/v1/releases/1/approve', {});
    expect(afterLast.stages[1]!.state).toBe('Promoted');
    expect(['Deploying', 'Verifying', 'Promoted']).toContain(afterLast.stages[2]!.state);
    const done = await releaseIn(1, 'Promoted');
    expect(done.stages.map((s) => s.state)).toEqual(['Promoted', 'Promoted', 'Promoted']);
    await serves('web-shop-production.slipway.localhost', 'shop v1');
    await serves('web-ledger-production.slipway.localhost', 'ledger v1');

    // Every transition is stored with who, when and why.
    const transitions = done.transitions!;
    expect(transitions[0]).toMatchObject({ to: 'Pending', actor: 'rita' });
    expect(transitions.find((t) => t.stage === 1 && t.to === 'Promoted')).toMatchObject({ from: 'AwaitingApproval', actor: 'slipway', reason: expect.stringMatching(/approvals: approved: .*qa by quinn/) });
    expect(transitions.at(-1)).toMatchObject({ to: 'Promoted', actor: 'slipway' });
    // …and the decisions are in the audit ledger.
    const audit = await ok('admin', 'GET', '/api/v1/audit?kind=release.*');
    expect(audit.items.map((e: Json) => `${e.kind} ${e.actor}`)).toEqual(expect.arrayContaining(['release.create rita', 'release.approve quinn', 'release.approve sam', 'release.promote slipway']));
  }, 120_000);

  it('stops a release in staging when its test job fails, leaving production as it was', async () => {
    setVersion(shopRepo, 'shop broken');
    const snapshot: SnapshotResponse = await ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' });
    await ok('rita', 'POST', '/api/v1/releases', { snapshot: snapshot.id.slice(0, 12) });
    const failed = await releaseIn(2, 'Failed');
    expect(failed.stages.map((s) => s.state)).toEqual(['Promoted', 'Failed', 'Pending']);
    expect(failed.reason).toMatch(/staging: test job e2e in shop-staging failed/);
    expect(failed.stages[1]!.tests.find((t) => t.envId === 'shop-staging')!.logTail).toMatch(/checkout flow broken/);
    expect((await api('quinn', 'POST', '/api/v1/releases/2/approve', {})).status).toBe(409);
    await serves('web-shop-production.slipway.localhost', 'shop v1');
  }, 120_000);

  it('carries a release on after a restart: approvals given before and after it count', async () => {
    setVersion(shopRepo, 'shop v2');
    const snapshot: SnapshotResponse = await ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' });
    await ok('rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias });
    await releaseIn(3, 'AwaitingApproval', 'staging');
    await ok('quinn', 'POST', '/api/v1/releases/3/approve', {});
    await server.close();
    await start();
    await ok('pat', 'POST', '/api/v1/releases/3/approve', {});
    await ok('sam', 'POST', '/api/v1/releases/3/approve', {});
    await releaseIn(3, 'Promoted');
    await serves('web-shop-production.slipway.localhost', 'shop v2');
  }, 120_000);

  it('rolls production back to the previous version and holds it; a hotfix skips development and is promoted into production deliberately', async () => {
    const rollback: ReleaseResponse = await ok('rita', 'POST', '/api/v1/releases/3/rollback', { stage: 'production', reason: 'checkout errors' });
    expect(rollback).toMatchObject({ number: 4, kind: 'rollback', rollbackOf: 3, snapshot: { alias: expect.stringMatching(/-1$/) } });
    await releaseIn(4, 'Promoted');
    await serves('web-shop-production.slipway.localhost', 'shop v1');
    expect((await api('dev', 'POST', '/api/v1/releases/3/rollback', {})).status).toBe(403);

    // A hotfix branch off what production runs: through staging (sre approves) and production only.
    const developmentDeploys = await deploysOf('shop-development');
    const v1 = (await ok('viewer', 'GET', '/api/v1/releases/4')).stages[0].targets.find((t: Json) => t.app === 'shop').commit;
    git(shopRepo, 'checkout', '-q', '-b', 'hotfix/checkout', v1);
    setVersion(shopRepo, 'shop v1.1', 'hotfix/checkout');
    git(shopRepo, 'checkout', '-q', 'main');
    const snapshot: SnapshotResponse = await ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop', branches: { shop: 'hotfix/checkout' } });
    expect(snapshot.components.find((c) => c.app === 'shop')).toMatchObject({ branch: 'hotfix/checkout' });
    const hotfix: ReleaseResponse = await ok('rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias, hotfix: true });
    expect(hotfix).toMatchObject({ number: 5, kind: 'hotfix' });
    expect(hotfix.stages.map((s) => s.name)).toEqual(['staging', 'production']);
    await releaseIn(5, 'AwaitingApproval', 'staging');
    // The hotfix lane's own approvers: qa does not count, sre does.
    expect((await api('quinn', 'POST', '/api/v1/releases/5/approve', {})).status).toBe(403);
    await ok('olga', 'POST', '/api/v1/releases/5/approve', {});

    // Production is held by the rollback: the hotfix waits until a release manager promotes it.
    const held = await releaseIn(5, 'Pending', 'production');
    expect(held.stages[1]!.waitingFor).toMatch(/held: production was rolled back \(release #4\) by rita.*slipway releases promote 5/);
    const view: TrackViewResponse = await ok('viewer', 'GET', '/api/v1/tracks/shop-track/view');
    expect(view.lanes.find((l) => l.kind === 'hotfix')!.stages[1]).toMatchObject({ held: { by: 'rita', release: 4 } });
    await serves('web-shop-production.slipway.localhost', 'shop v1');
    expect((await api('dev', 'POST', '/api/v1/releases/5/promote', {})).status).toBe(403);
    await ok('rita', 'POST', '/api/v1/releases/5/promote', { reason: 'hotfix verified in staging' });
    await releaseIn(5, 'Promoted');
    await serves('web-shop-production.slipway.localhost', 'shop v1.1');
    expect(await deploysOf('shop-development')).toBe(developmentDeploys);
  }, 180_000);

  it('aborts a release, and refuses what cannot be done with reasons', async () => {
    const snapshot: SnapshotResponse = await ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop', commits: { shop: git(shopRepo, 'rev-parse', 'main') } });
    await ok('rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias });
    const aborted: ReleaseResponse = await ok('rita', 'POST', '/api/v1/releases/6/abort', { reason: 'wrong day' });
    expect(aborted.state).toBe('Aborted');
    expect(aborted.transitions!.at(-1)).toMatchObject({ to: 'Aborted', actor: 'rita', reason: 'aborted by rita: wrong day' });
    expect((await api('rita', 'POST', '/api/v1/releases/6/abort', {})).status).toBe(409);
    expect((await api('rita', 'POST', '/api/v1/releases', { snapshot: 'nope' })).status).toBe(404);
    expect((await api('dev', 'POST', '/api/v1/snapshots', { set: 'shop', kind: 'pre-release', app: 'shop' })).json.error.message).toBe('invalid request body');
    const list = await ok('viewer', 'GET', '/api/v1/releases');
    expect(list.items.map((r: Json) => `${r.number} ${r.kind} ${r.state}`)).toEqual(['6 release Aborted', '5 hotfix Promoted', '4 rollback Promoted', '3 release Promoted', '2 release Failed', '1 release Promoted']);
  }, 60_000);

  it('runs one promotion at a time per environment: a second release waits for staging until the first leaves it', async () => {
    setVersion(shopRepo, 'shop v3');
    const first: SnapshotResponse = await ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' });
    await ok('rita', 'POST', '/api/v1/releases', { snapshot: first.alias });
    await releaseIn(7, 'AwaitingApproval', 'staging');
    setVersion(shopRepo, 'shop v4');
    const second: SnapshotResponse = await ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' });
    await ok('rita', 'POST', '/api/v1/releases', { snapshot: second.alias });
    const queued = await releaseIn(8, 'Pending', 'staging');
    expect(queued.stages.map((s) => s.state)).toEqual(['Promoted', 'Pending', 'Pending']);
    expect(queued.stages[1]!.waitingFor).toBe('queued: release #7 is AwaitingApproval in staging');
    await serves('web-shop-staging.slipway.localhost', 'shop v3');
    // An approval for a stage not entered yet is refused, saying why.
    expect((await api('quinn', 'POST', '/api/v1/releases/8/approve', {})).json.error.message).toMatch(/release #8 is waiting to enter staging \(queued: release #7/);

    const rejected: ReleaseResponse = await ok('sam', 'POST', '/api/v1/releases/7/reject', { reason: 'the new checkout leaks card numbers to the log' });
    expect(rejected).toMatchObject({ state: 'Rejected', reason: 'staging: rejected by sam: the new checkout leaks card numbers to the log' });
    expect(rejected.transitions!.at(-1)).toMatchObject({ to: 'Rejected', actor: 'sam' });
    await releaseIn(8, 'AwaitingApproval', 'staging');
    await serves('web-shop-staging.slipway.localhost', 'shop v4');
    await ok('rita', 'POST', '/api/v1/releases/8/abort', {});
  }, 120_000);

  it('takes a pre-release of one branch of one application into development only, next to the set’s other application', async () => {
    git(shopRepo, 'checkout', '-q', '-b', 'feature/cart');
    setVersion(shopRepo, 'shop cart', 'feature/cart');
    git(shopRepo, 'checkout', '-q', 'main');
    const ledgerDeploys = await deploysOf('ledger-development');
    const snapshot: SnapshotResponse = await ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop', kind: 'pre-release', app: 'shop', branch: 'feature/cart' });
    expect(snapshot).toMatchObject({ kind: 'pre-release', components: [{ app: 'shop', branch: 'feature/cart' }] });
    expect((await api('rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias, hotfix: true })).status).toBe(400);
    const created: ReleaseResponse = await ok('rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias });
    expect(created).toMatchObject({ number: 9, kind: 'pre-release' });
    const done = await releaseIn(9, 'Promoted');
    expect(done.stages).toHaveLength(1);
    expect(done.stages[0]!.targets.map((t) => t.envId)).toEqual(['shop-development']);
    expect(done.stages[0]!.tests.map((t) => `${t.envId} ${t.state}`).sort()).toEqual(['ledger-development succeeded', 'shop-development succeeded']);
    await serves('web-shop-development.slipway.localhost', 'shop cart');
    expect(await deploysOf('ledger-development')).toBe(ledgerDeploys);
  }, 120_000);
});
