// A pre-release's result as the pull request's commit status, end to end on the local runtime: the
// server reports to a local stand-in for GitHub's API (the one the webhook tests use), pending when
// the pre-release starts and success or failure when it ends, naming the failing test job and
// linking to the application's environment; an application with no GitHub repository gets the
// result recorded in the release instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseResponse } from '@slipway/contract';
import { git } from '../test-support/example-repository.ts';
import { startFakeGithubApi, type FakeGithubApi } from '../test-support/fake-github-api.ts';
import { branchVersion as branch, setUpSeedReleaseTrack, until, type Json, type SeedReleaseTrack } from '../test-support/seed-release-track.ts';

let track: SeedReleaseTrack;
let github: FakeGithubApi;
let shopRepo: string;

/** As rita, a release manager. */
const ok = (method: string, path: string, body?: unknown): Promise<Json> => track.ok('rita', method, path, body);

/** Waits for the release to end and its commit status to be written for that ending. */
async function ended(n: number): Promise<ReleaseResponse> {
  return until(
    `release #${n} to end with its commit status`,
    async () => {
      await track.server.releases.statuses.idle();
      const r: ReleaseResponse = await ok('GET', `/api/v1/releases/${n}`);
      return ['Promoted', 'Failed', 'Errored', 'Rejected', 'Aborted'].includes(r.state) && r.commitStatus && r.commitStatus.state !== 'pending' ? r : undefined;
    },
    90_000,
  );
}

const preReleaseStatuses = (sha: string) =>
  github.calls.filter((c) => c.method === 'POST' && c.path === `/repos/octo/shop/statuses/${sha}` && c.body.context === 'slipway/shop/pre-release').map((c) => c.body);

// The seed's track: a pre-release deploys into development and runs e2e there.
beforeAll(async () => {
  github = await startFakeGithubApi();
  track = await setUpSeedReleaseTrack('pre-release-status', {}, { shopGithub: 'Octo/Shop', config: { githubToken: 'ghs_test-token', githubApiUrl: github.url } });
  shopRepo = track.repositories.shop;
}, 60_000);

afterAll(async () => {
  await track?.close();
  await github?.close();
}, 60_000);

describe('a pre-release as a commit status', () => {
  it('reports pending, then success with the passing test job and the environment’s URL, on the branch’s commit', async () => {
    const sha = branch(shopRepo, 'feature/cart', 'cart');
    const snapshot = await ok('POST', '/api/v1/snapshots', { set: 'shop', kind: 'pre-release', app: 'shop', branch: 'feature/cart' });
    expect(snapshot.components[0].commit).toBe(sha);
    const created: ReleaseResponse = await ok('POST', '/api/v1/releases', { snapshot: snapshot.alias });
    const done = await ended(created.number);
    expect(done.state).toBe('Promoted');

    const sent = preReleaseStatuses(sha);
    expect(sent.map((s) => s.state)).toEqual(['pending', 'success']);
    expect(sent[0]).toMatchObject({ description: `pre-release #${created.number}: deploying into development and running e2e` });
    expect(sent[1]).toMatchObject({ description: `pre-release #${created.number} passed development: e2e in shop-development succeeded`, target_url: 'http://web-shop-development.slipway.localhost:' + track.server.routerPort });
    expect(github.calls.find((c) => c.path === `/repos/octo/shop/statuses/${sha}`)?.authorization).toBe('token ghs_test-token');
    // What was sent is recorded in the release.
    expect(done.commitStatus).toMatchObject({ state: 'success', sha, context: 'slipway/shop/pre-release', repository: 'octo/shop', reportedTo: 'github', description: sent[1]!.description });
  }, 120_000);

  it('says a pre-release waiting for its environment is queued, and why, before it deploys', async () => {
    const first = branch(shopRepo, 'feature/first', 'first');
    const second = branch(shopRepo, 'feature/second', 'second');
    const a = await ok('POST', '/api/v1/snapshots', { set: 'shop', kind: 'pre-release', app: 'shop', branch: 'feature/first' });
    const b = await ok('POST', '/api/v1/snapshots', { set: 'shop', kind: 'pre-release', app: 'shop', branch: 'feature/second' });
    const ra: ReleaseResponse = await ok('POST', '/api/v1/releases', { snapshot: a.alias });
    const rb: ReleaseResponse = await ok('POST', '/api/v1/releases', { snapshot: b.alias });
    expect((await ended(ra.number)).state).toBe('Promoted');
    expect((await ended(rb.number)).state).toBe('Promoted');
    expect(preReleaseStatuses(first).map((s) => s.state)).toEqual(['pending', 'success']);
    const sent = preReleaseStatuses(second);
    expect(sent.map((s) => s.state)).toEqual(['pending', 'pending', 'success']);
    expect(sent[0]!.description).toBe(`pre-release #${rb.number}: waiting to enter development behind release #${ra.number}`);
    expect(sent[1]!.description).toBe(`pre-release #${rb.number}: deploying into development and running e2e`);
  }, 120_000);

  it('reports a pull request’s pre-release on the pull request’s head commit', async () => {
    const head = branch(shopRepo, 'feature/pr-7', 'pr seven');
    // As GitHub keeps it: refs/pull/7/head.
    git(shopRepo, 'update-ref', 'refs/pull/7/head', head);
    const snapshot = await ok('POST', '/api/v1/snapshots', { set: 'shop', kind: 'pre-release', app: 'shop', pullRequest: 7 });
    expect(snapshot.components[0]).toMatchObject({ commit: head, pullRequest: 7 });
    const created: ReleaseResponse = await ok('POST', '/api/v1/releases', { snapshot: snapshot.alias });
    expect((await ended(created.number)).commitStatus).toMatchObject({ state: 'success', sha: head, reportedTo: 'github' });
    expect(preReleaseStatuses(head).map((s) => s.state)).toEqual(['pending', 'success']);
  }, 120_000);

  it('records the result in the release when the application names no GitHub repository', async () => {
    const before = github.calls.length;
    const sha = branch(track.repositories.ledger, 'feature/fees', 'fees');
    const snapshot = await ok('POST', '/api/v1/snapshots', { set: 'shop', kind: 'pre-release', app: 'ledger', branch: 'feature/fees' });
    const created: ReleaseResponse = await ok('POST', '/api/v1/releases', { snapshot: snapshot.alias });
    const done = await ended(created.number);
    expect(done.commitStatus).toMatchObject({ state: 'success', sha, context: 'slipway/ledger/pre-release', note: expect.stringMatching(/application ledger names no GitHub repository/) });
    expect(done.commitStatus!.reportedTo).toBeUndefined();
    expect(github.calls.slice(before).filter((c) => c.body.context === 'slipway/ledger/pre-release')).toEqual([]);
  }, 120_000);

  it('reports failure naming the test job that failed', async () => {
    const sha = branch(shopRepo, 'feature/broken', 'broken');
    const snapshot = await ok('POST', '/api/v1/snapshots', { set: 'shop', kind: 'pre-release', app: 'shop', branch: 'feature/broken' });
    const created: ReleaseResponse = await ok('POST', '/api/v1/releases', { snapshot: snapshot.alias });
    const done = await ended(created.number);
    expect(done.state).toBe('Failed');
    const sent = preReleaseStatuses(sha);
    expect(sent.map((s) => s.state)).toEqual(['pending', 'failure']);
    expect(sent[1]!.description).toMatch(new RegExp(`^pre-release #${created.number} failed in development: test job e2e in shop-development failed \\(.*code 3`));
    expect(String(sent[1]!.description).length).toBeLessThanOrEqual(140);
    expect(done.commitStatus).toMatchObject({ state: 'failure', reportedTo: 'github' });
  }, 120_000);

  it('reports an aborted pre-release as an error', async () => {
    const sha = branch(shopRepo, 'feature/abort', 'abort');
    const snapshot = await ok('POST', '/api/v1/snapshots', { set: 'shop', kind: 'pre-release', app: 'shop', branch: 'feature/abort' });
    const created: ReleaseResponse = await ok('POST', '/api/v1/releases', { snapshot: snapshot.alias });
    await ok('POST', `/api/v1/releases/${created.number}/abort`, { reason: 'superseded' });
    const done = await ended(created.number);
    expect(done.state).toBe('Aborted');
    const sent = preReleaseStatuses(sha);
    expect(sent.at(-1)).toMatchObject({ state: 'error', description: expect.stringMatching(new RegExp(`^pre-release #${created.number} aborted in development: aborted by rita: superseded`)) });
  }, 120_000);

  it('sends at the next start an ending that a stopped server did not report', async () => {
    const last: ReleaseResponse = (await ok('GET', '/api/v1/releases')).items[0];
    expect(last.commitStatus?.state).toBe('error');
    // As if the server stopped after the release ended and before its status went out.
    await track.server.releases.store.setCommitStatus(last.id, { ...last.commitStatus!, state: 'pending', description: 'pending' });
    const before = github.calls.length;
    await track.server.releases.statuses.resume();
    await track.server.releases.statuses.idle();
    expect(github.calls.slice(before).map((c) => c.body.state)).toEqual(['error']);
    expect((await ok('GET', `/api/v1/releases/${last.number}`)).commitStatus).toMatchObject({ state: 'error', reportedTo: 'github' });
  });
});
