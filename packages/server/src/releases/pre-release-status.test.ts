// A pre-release's result as the pull request's commit status, end to end on the local runtime: the
// server reports to a local stand-in for GitHub's API (the one the webhook tests use), pending when
// the pre-release starts and success or failure when it ends, naming the failing test job and
// linking to the application's environment; an application with no GitHub repository gets the
// result recorded in the release instead.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseResponse } from '@slipway/contract';
import { startServer, type RunningServer } from '../start-server.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { commitAll, git } from '../test-support/example-repository.ts';
import { startFakeGithubApi, type FakeGithubApi } from '../test-support/fake-github-api.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-pre-release-status-'));
let server: RunningServer;
let github: FakeGithubApi;
let token: string;
let shopRepo: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function ok(method: string, path: string, body?: unknown): Promise<Json> {
  const response = await fetch(new URL(path, server.apiUrl), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Waits for the release to end and its commit status to be written for that ending. */
async function ended(n: number): Promise<ReleaseResponse> {
  return until(`release #${n} to end with its commit status`, async () => {
    await server.releases.statuses.idle();
    const r: ReleaseResponse = await ok('GET', `/api/v1/releases/${n}`);
    return ['Promoted', 'Failed', 'Errored', 'Rejected', 'Aborted'].includes(r.state) && r.commitStatus && r.commitStatus.state !== 'pending' ? r : undefined;
  });
}

function appRepository(name: string, github?: string): string {
  const repository = join(dir, name);
  mkdirSync(join(repository, '.slipway'), { recursive: true });
  writeFileSync(join(repository, 'server.mjs'), "import { createServer } from 'node:http';\ncreateServer((req, res) => res.end('ok')).listen(Number(process.env.PORT));\n");
  writeFileSync(join(repository, 'e2e.mjs'), "import { readFileSync } from 'node:fs';\nif (readFileSync('version.txt', 'utf8').includes('broken')) { console.error('cart total is wrong'); process.exit(3); }\n");
  writeFileSync(join(repository, 'version.txt'), 'v1\n');
  writeFileSync(
    join(repository, '.slipway/app.yaml'),
    `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: ${name}
spec:
  runtime: local
  repository: { trackingBranch: main${github ? `, github: ${github}` : ''} }
  services:
    - name: web
      run: { command: node server.mjs }
      ports: [{ port: 3000 }]
      readiness: { http: { path: / }, period: 1s }
  jobs:
    - name: e2e
      fromService: web
      command: node e2e.mjs
      timeout: 1m
  workflows:
    setup:
      steps:
        - tasks: [services.all]
`,
  );
  git(repository, 'init', '-q', '-b', 'main');
  commitAll(repository, `${name} v1`);
  return repository;
}

function branch(repository: string, name: string, version: string): string {
  git(repository, 'checkout', '-q', '-b', name, 'main');
  writeFileSync(join(repository, 'version.txt'), `${version}\n`);
  const sha = commitAll(repository, version);
  git(repository, 'checkout', '-q', 'main');
  return sha;
}

function configRepository(): string {
  const repository = join(dir, 'release-config');
  mkdirSync(join(repository, '.slipway'), { recursive: true });
  writeFileSync(
    join(repository, '.slipway/release.yaml'),
    `apiVersion: lowops.manifests.v1
kind: ReleaseTrack
metadata: { name: shop-track }
spec:
  preReleaseStages:
    - environments: [development]
      gates: { tests: [e2e] }
  releaseStages:
    - environments: [development]
---
apiVersion: lowops.manifests.v1
kind: ApplicationSet
metadata: { name: shop, parent: shop-track }
spec:
  applications: [shop, ledger]
`,
  );
  git(repository, 'init', '-q', '-b', 'main');
  commitAll(repository, 'release config');
  return repository;
}

const preReleaseStatuses = (sha: string) =>
  github.calls.filter((c) => c.method === 'POST' && c.path === `/repos/octo/shop/statuses/${sha}` && c.body.context === 'slipway/shop/pre-release').map((c) => c.body);

beforeAll(async () => {
  github = await startFakeGithubApi();
  shopRepo = appRepository('shop', 'Octo/Shop');
  const ledgerRepo = appRepository('ledger');
  const configRepo = configRepository();
  server = await startServer(
    { home: join(dir, 'home'), apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(dir, 'cli.yaml'), githubToken: 'ghs_test-token', githubApiUrl: github.url },
    { graceMs: 1_000, docker: false, engine: { tickMs: 200, refreshRoutesMs: 300 }, releases: { tickMs: 500, healthRecheckMs: 200 } },
  );
  token = (await createApiToken(server.store.db, { name: 'rm', workspace: 'default', role: 'release-manager', user: 'rita' })).secret;
  const admin = (await createApiToken(server.store.db, { name: 'admin', workspace: 'default', role: 'admin', user: 'ada' })).secret;
  for (const repository of [shopRepo, ledgerRepo]) {
    const response = await fetch(new URL('/api/v1/applications', server.apiUrl), { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ repository }) });
    expect(response.status, await response.text()).toBe(201);
  }
  await ok('POST', '/api/v1/tracks', { repository: configRepo });
  await ok('POST', '/api/v1/sets', { repository: configRepo });
}, 60_000);

afterAll(async () => {
  if (server) {
    for (const driver of Object.values(server.drivers)) await driver.sweep([]);
    await server.close();
  }
  await github?.close();
  rmSync(dir, { recursive: true, force: true });
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
    expect(sent[1]).toMatchObject({ description: `pre-release #${created.number} passed development: e2e in shop-development succeeded`, target_url: 'http://web-shop-development.slipway.localhost:' + server.routerPort });
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
    const ledgerRepo = join(dir, 'ledger');
    const sha = branch(ledgerRepo, 'feature/fees', 'fees');
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
    await server.releases.store.setCommitStatus(last.id, { ...last.commitStatus!, state: 'pending', description: 'pending' });
    const before = github.calls.length;
    await server.releases.statuses.resume();
    await server.releases.statuses.idle();
    expect(github.calls.slice(before).map((c) => c.body.state)).toEqual(['error']);
    expect((await ok('GET', `/api/v1/releases/${last.number}`)).commitStatus).toMatchObject({ state: 'error', reportedTo: 'github' });
  });
});
