// The release flow on the local runtime, as a new user would drive it through the API: the seed's
// track (development → staging → production, hotfixes through staging), a set of two applications
// in git repositories, approvers holding qa, product, security and sre. A release reaches production
// only after staging's test job passed and qa, product and security approved; the author cannot
// approve; a failing test job stops a release in staging; a hotfix skips development; a rollback
// restores the previous version and holds the stage until someone promotes deliberately; and a
// restarted server carries a release on from where it was.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseResponse, SnapshotResponse, TrackViewResponse } from '@slipway/contract';
import { startServer, type RunningServer } from '../start-server.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { commitAll, git } from '../test-support/example-repository.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-release-flow-'));
const home = join(dir, 'home');
let server: RunningServer;
const tokens: Record<string, string> = {};
let shopRepo: string;
let ledgerRepo: string;
let configRepo: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function api(who: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const response = await fetch(new URL(path, server.apiUrl), {
    method,
    headers: { authorization: `Bearer ${tokens[who]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

async function ok(who: string, method: string, path: string, body?: unknown): Promise<Json> {
  const { status, json } = await api(who, method, path, body);
  if (status >= 300) throw new Error(`${method} ${path} as ${who}: ${status} ${JSON.stringify(json)}`);
  return json;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await probe().catch((e: Error) => e.message);
    if (last !== undefined && !(typeof last === 'string' && last.startsWith('!'))) return last as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const release = (n: number): Promise<ReleaseResponse> => ok('viewer', 'GET', `/api/v1/releases/${n}`);

/** Waits for release n to reach `state` (in stage `stage`, when given); fails at once if it ends otherwise. */
async function releaseIn(n: number, state: string, stage?: string): Promise<ReleaseResponse> {
  return until(`release #${n} ${state}${stage ? ` in ${stage}` : ''}`, async () => {
    const r = await release(n);
    const current = r.currentStage !== undefined ? r.stages[r.currentStage] : undefined;
    const here = stage === undefined || current?.name === stage;
    if (r.state === state && here) return r;
    if (['Promoted', 'Failed', 'Errored', 'Rejected', 'Aborted'].includes(r.state) && r.state !== state) {
      throw new Error(`release #${n} ended ${r.state}: ${r.reason} ${JSON.stringify(r.stages.map((s) => [s.name, s.state, s.reason, s.targets, s.tests]))}`);
    }
    return undefined;
  }, 90_000);
}

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

function appRepository(name: string, version: string): string {
  const repository = join(dir, name);
  mkdirSync(join(repository, '.slipway'), { recursive: true });
  writeFileSync(join(repository, 'server.mjs'), "import { createServer } from 'node:http';\nimport { readFileSync } from 'node:fs';\ncreateServer((req, res) => res.end(readFileSync('version.txt', 'utf8').trim())).listen(Number(process.env.PORT));\n");
  // The test job passes unless the version says it is broken.
  writeFileSync(join(repository, 'e2e.mjs'), "import { readFileSync } from 'node:fs';\nconst v = readFileSync('version.txt', 'utf8');\nif (v.includes('broken')) { console.error('checkout flow broken in ' + v.trim()); process.exit(1); }\nconsole.log('e2e passed for ' + v.trim());\n");
  writeFileSync(join(repository, 'version.txt'), `${version}\n`);
  writeFileSync(
    join(repository, '.slipway/app.yaml'),
    `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: ${name}
spec:
  runtime: local
  repository: { trackingBranch: main }
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
  commitAll(repository, `${name} ${version}`);
  return repository;
}

function setVersion(repository: string, version: string, branch = 'main'): string {
  git(repository, 'checkout', '-q', branch);
  writeFileSync(join(repository, 'version.txt'), `${version}\n`);
  return commitAll(repository, version);
}

/** The platform team's repository: the seed's track (in its lowops format) with gates, and the set. */
function configRepository(): string {
  const repository = join(dir, 'release-config');
  mkdirSync(join(repository, '.slipway'), { recursive: true });
  writeFileSync(
    join(repository, '.slipway/release.yaml'),
    `apiVersion: lowops.manifests.v1
kind: ReleaseTrack
metadata:
  name: shop-track
spec:
  preReleaseStages:
    - environments: [development]
      gates: { tests: [e2e] }
  releaseStages:
    - environments: [development]
    - environments: [staging]
      gates:
        tests: [e2e]
        approvals:
          required: [{ role: qa }, { role: product }, { role: security }]
    - environments: [production]
  hotfixStages:
    - environments: [staging]
      gates:
        approvals:
          required: [{ role: sre }]
    - environments: [production]
---
apiVersion: lowops.manifests.v1
kind: ApplicationSet
metadata:
  name: shop
  parent: shop-track
spec:
  applications: [shop, ledger]
`,
  );
  git(repository, 'init', '-q', '-b', 'main');
  commitAll(repository, 'release config');
  return repository;
}

async function start(): Promise<void> {
  server = await startServer(
    { home, apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(dir, 'cli.yaml') },
    { graceMs: 1_000, docker: false, engine: { tickMs: 200, refreshRoutesMs: 300 }, releases: { tickMs: 500, healthRecheckMs: 200 } },
  );
}

async function deploysOf(envId: string): Promise<number> {
  const env = await server.environments.getLive('default', envId);
  return env ? (await server.environments.listDeploys(env.id)).length : 0;
}

beforeAll(async () => {
  shopRepo = appRepository('shop', 'shop v1');
  ledgerRepo = appRepository('ledger', 'ledger v1');
  configRepo = configRepository();
  await start();
  const people: [string, string, string[]][] = [
    ['admin', 'admin', []],
    ['viewer', 'viewer', []],
    ['dev', 'developer', []],
    ['rita', 'release-manager', ['qa']], // the release manager, who is also in QA
    ['quinn', 'developer', ['qa']],
    ['pat', 'developer', ['product']],
    ['sam', 'developer', ['security']],
    ['olga', 'developer', ['sre']],
  ];
  for (const [user, role, approverRoles] of people) tokens[user] = (await createApiToken(server.store.db, { name: `${user}'s token`, workspace: 'default', role, user, approverRoles })).secret;
  await ok('admin', 'POST', '/api/v1/applications', { repository: shopRepo });
  await ok('admin', 'POST', '/api/v1/applications', { repository: ledgerRepo });
}, 60_000);

afterAll(async () => {
  if (server) {
    for (const driver of Object.values(server.drivers)) await driver.sweep([]);
    await server.close();
  }
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

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
