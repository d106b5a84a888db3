// Pre-releases started by pull requests, end to end on the local runtime: signed GitHub deliveries
// of a repository whose application (shop) belongs to the seed's set, whose track deploys a
// pre-release into development and runs e2e there. Opening a pull request deploys its head alone
// into development and runs e2e, with the commit status and the pull request's one comment (shared
// with the preview) reported to a local stand-in for GitHub's API; a second pull request waits in
// the queue until the first ends; closing a pull request takes it out of the queue, or stops it and
// lets the next one in. Every action is audited as `slipway`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAll, git } from '../test-support/example-repository.ts';
import type { ReleaseResponse } from '@slipway/contract';
import { startFakeGithubApi, type FakeGithubApi } from '../test-support/fake-github-api.ts';
import { pullRequestPayload, signedDelivery } from '../test-support/github-payloads.ts';
import { branchVersion as branch, setUpSeedReleaseTrack, until, type Json, type SeedReleaseTrack } from '../test-support/seed-release-track.ts';

const SECRET = 'pre-release webhook secret';
let track: SeedReleaseTrack;
let github: FakeGithubApi;
let shopRepo: string;

const ok = (method: string, path: string, body?: unknown): Promise<Json> => track.ok('rita', method, path, body);

async function deliver(action: 'opened' | 'synchronize' | 'closed', number: number, head: { ref: string; sha: string }): Promise<void> {
  const delivery = signedDelivery('pull_request', pullRequestPayload({ action, repository: 'Octo/Shop', number, head, base: { ref: 'main' } }), SECRET);
  const res = await fetch(`${track.server.apiUrl}/api/v1/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body });
  expect(res.status).toBe(202);
}

/** The pre-releases of pull request `number`, newest first. */
async function preReleasesOf(number: number): Promise<ReleaseResponse[]> {
  const items: ReleaseResponse[] = (await ok('GET', '/api/v1/releases')).items;
  const mine: ReleaseResponse[] = [];
  for (const r of items.filter((i) => i.kind === 'pre-release')) {
    const snapshot = await ok('GET', `/api/v1/snapshots/${r.snapshot.id}`);
    if (snapshot.components[0]?.pullRequest === number) mine.push(r);
  }
  return mine;
}

const started = (number: number) => until(`a pre-release of pull request #${number}`, async () => (await preReleasesOf(number))[0], 60_000);

async function ended(n: number): Promise<ReleaseResponse> {
  return until(
    `release #${n} to end with its commit status`,
    async () => {
      await track.server.releases.statuses.idle();
      await track.server.previews.idle();
      const r: ReleaseResponse = await ok('GET', `/api/v1/releases/${n}`);
      return ['Promoted', 'Failed', 'Errored', 'Rejected', 'Aborted'].includes(r.state) && r.commitStatus && r.commitStatus.state !== 'pending' ? r : undefined;
    },
    120_000,
  );
}

/** A branch whose e2e job takes `ms` before it passes, so its pre-release holds development that long. */
function slowBranch(name: string, version: string, ms = 4_000): string {
  git(shopRepo, 'checkout', '-q', '-b', name, 'main');
  writeFileSync(join(shopRepo, 'version.txt'), `${version}\n`);
  writeFileSync(join(shopRepo, 'e2e.mjs'), `setTimeout(() => console.log('slow e2e passed'), ${ms});\n`);
  const sha = commitAll(shopRepo, version);
  git(shopRepo, 'checkout', '-q', 'main');
  return sha;
}

const statuses = (sha: string) => github.calls.filter((c) => c.method === 'POST' && c.path === `/repos/octo/shop/statuses/${sha}` && c.body.context === 'slipway/shop/pre-release').map((c) => c.body);
const comments = (number: number) => github.calls.filter((c) => (c.method === 'POST' && c.path === `/repos/octo/shop/issues/${number}/comments`) || (c.method === 'PATCH' && c.path.startsWith('/repos/octo/shop/issues/comments/')));

beforeAll(async () => {
  github = await startFakeGithubApi();
  track = await setUpSeedReleaseTrack('pr-pre-release', {}, { shopGithub: 'Octo/Shop', config: { githubToken: 'ghs_test-token', githubApiUrl: github.url, githubWebhookSecret: SECRET } });
  shopRepo = track.repositories.shop;
}, 60_000);

afterAll(async () => {
  await track?.close();
  await github?.close();
}, 60_000);

describe('pre-releases of pull requests', () => {
  it('deploys an opened pull request’s head alone into development, runs e2e, and reports its status and the one comment', async () => {
    const sha = branch(shopRepo, 'feature/pr-11', 'pr eleven');
    await deliver('opened', 11, { ref: 'feature/pr-11', sha });
    const release = await started(11);
    expect(release).toMatchObject({ kind: 'pre-release', author: 'slipway', track: 'shop-track' });
    const done = await ended(release.number);
    expect(done.state).toBe('Promoted');
    expect(done.stages[0]!.targets.map((t) => `${t.app} ${t.envId} ${t.commit}`)).toEqual([`shop shop-development ${sha}`]);
    expect(done.stages[0]!.tests.map((t) => `${t.job} ${t.state}`)).toEqual(['e2e succeeded']);
    expect(statuses(sha).map((s) => s.state)).toEqual(['pending', 'success']);

    // One comment for the pull request: the preview's part and the pre-release's part.
    await until('the comment to show the pre-release passed', async () => {
      await track.server.previews.idle();
      const last = comments(11).at(-1)?.body.body as string | undefined;
      return last?.includes('**Slipway pre-release** of `shop`: ✅ passed') && last.includes('**Slipway preview**') ? last : undefined;
    });
    expect(comments(11).filter((c) => c.method === 'POST')).toHaveLength(1);
    expect(comments(11).at(-1)!.body.body).toContain(`pre-release #${release.number} passed development: e2e in shop-development succeeded`);

    const audit = await track.server.store.db.selectFrom('audit_entries').selectAll().where('subject', '=', `release #${release.number}`).execute();
    expect(audit.map((a) => `${a.actor} ${a.kind}`)).toContain('slipway release.create');
    expect(JSON.parse(audit.find((a) => a.kind === 'release.create')!.details_json)).toMatchObject({ pullRequest: 11, repository: 'octo/shop', action: 'opened', headSha: sha, trigger: 'pull-request' });
  }, 180_000);

  it('queues a second pull request while the first is in development, and runs it after', async () => {
    const first = slowBranch('feature/pr-21', 'pr twenty-one');
    const second = branch(shopRepo, 'feature/pr-22', 'pr twenty-two');
    await deliver('opened', 21, { ref: 'feature/pr-21', sha: first });
    const a = await started(21);
    await deliver('opened', 22, { ref: 'feature/pr-22', sha: second });
    const b = await started(22);
    expect(b.number).toBeGreaterThan(a.number);
    expect(b.stages[0]).toMatchObject({ state: 'Pending' });
    const waiting = await until('the second to say what it waits behind', async () => {
      const r: ReleaseResponse = await ok('GET', `/api/v1/releases/${b.number}`);
      return r.stages[0]?.waitingFor ? r.stages[0] : undefined;
    });
    expect(waiting).toMatchObject({ state: 'Pending', waitingFor: expect.stringMatching(new RegExp(`release #${a.number}`)) });

    const doneA = await ended(a.number);
    const doneB = await ended(b.number);
    expect([doneA.state, doneB.state]).toEqual(['Promoted', 'Promoted']);
    expect(doneB.stages[0]!.enteredAt! >= doneA.stages[0]!.finishedAt!).toBe(true);
    expect(statuses(second).map((s) => s.state)).toEqual(['pending', 'pending', 'success']);
    expect(statuses(second)[0]!.description).toBe(`pre-release #${b.number}: waiting to enter development behind release #${a.number}`);
  }, 240_000);

  it('takes a closed pull request out of the queue, and stops a running one, letting the next in', async () => {
    const running = slowBranch('feature/pr-31', 'pr thirty-one', 30_000);
    const queued = branch(shopRepo, 'feature/pr-32', 'pr thirty-two');
    const next = branch(shopRepo, 'feature/pr-33', 'pr thirty-three');
    await deliver('opened', 31, { ref: 'feature/pr-31', sha: running });
    const a = await started(31);
    await deliver('opened', 32, { ref: 'feature/pr-32', sha: queued });
    const b = await started(32);
    await deliver('opened', 33, { ref: 'feature/pr-33', sha: next });
    const c = await started(33);
    expect(c.stages[0]).toMatchObject({ state: 'Pending' });

    await deliver('closed', 32, { ref: 'feature/pr-32', sha: queued });
    const doneB = await ended(b.number);
    expect(doneB).toMatchObject({ state: 'Aborted', reason: expect.stringMatching(/pull request #32 was closed/) });
    expect(doneB.stages[0]!.enteredAt).toBeUndefined();
    expect(statuses(queued).at(-1)).toMatchObject({ state: 'error' });

    await deliver('closed', 31, { ref: 'feature/pr-31', sha: running });
    const doneA = await ended(a.number);
    expect(doneA.state).toBe('Aborted');
    const doneC = await ended(c.number);
    expect(doneC.state).toBe('Promoted');
    expect(doneC.stages[0]!.enteredAt! >= doneA.finishedAt!).toBe(true);

    const aborts = await track.server.store.db.selectFrom('audit_entries').selectAll().where('kind', '=', 'release.abort').execute();
    expect(aborts.map((e) => `${e.actor} ${e.subject}`)).toEqual(expect.arrayContaining([`slipway release #${a.number}`, `slipway release #${b.number}`]));
  }, 240_000);
});
