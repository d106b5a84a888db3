// Releasing into a managed workspace, as the two teams of the design documents would: the
// development team's ReleasePlan, the managed environment team's ReleasePlanAdmission with its
// workflow, secret and policy. A release must match exactly one admission (none or two is refused,
// naming them); the policy refuses a snapshot that has not passed its track; the workflow runs with
// the managed workspace's secret, which the development team's tokens cannot read; data merges
// admission over plan over release; the author is recorded; a plan may release automatically.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { releasePlanAdmissionManifest, type ManagedReleaseResponse } from '@slipway/contract';
import { startServer, type RunningServer } from '../start-server.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { commitAll, git } from '../test-support/example-repository.ts';
import { apiAs, type Json } from '../test-support/seed-release-track.ts';
import { closeServer } from '../test-support/test-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-managed-'));
const out = join(dir, 'workflow-output.json');
let server: RunningServer;
const tokens: Record<string, string> = {};

const { api, ok } = apiAs(() => server.apiUrl, tokens);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ended = (who: string, ref: string | number) =>
  until(`managed release ${ref} to end`, async () => {
    const r: ManagedReleaseResponse = await ok(who, 'GET', `/api/v1/managed-releases/${ref}`);
    return ['Promoted', 'Failed', 'Errored', 'Aborted'].includes(r.state) ? r : undefined;
  });

const admission = (name: string, extra: { block?: boolean; applications?: string[] } = {}) => `apiVersion: slipway.dev/v1
kind: ReleasePlanAdmission
metadata: { name: ${name} }
spec:
  origins: [{ workspace: default, applications: [${(extra.applications ?? ['shop']).join(', ')}] }]
  block: ${extra.block ?? false}
  secrets: [deploy-token]
  policy: { requirePassedStages: true, allowedRegistries: [ghcr.io/acme], requiredLabels: [team=shop] }
  data: { channel: stable, out: ${out} }
  workflow:
    steps:
      - name: publish
        command: node -e "const fs=require('fs');const d=JSON.parse(process.env.SLIPWAY_RELEASE_DATA);fs.writeFileSync(d.out, JSON.stringify({token:process.env.DEPLOY_TOKEN,data:d,author:process.env.SLIPWAY_RELEASE_AUTHOR,origin:process.env.SLIPWAY_ORIGIN_WORKSPACE,snapshot:JSON.parse(process.env.SLIPWAY_SNAPSHOT).alias,serverKey:process.env.SLIPWAY_SECRET_KEY}));console.log('published with', process.env.DEPLOY_TOKEN)"
        env: { DEPLOY_TOKEN: { secret: deploy-token } }
        timeout: 1m
      - name: announce
        command: echo announced
`;

beforeAll(async () => {
  const app = join(dir, 'shop');
  mkdirSync(join(app, '.slipway'), { recursive: true });
  writeFileSync(join(app, 'server.mjs'), "import { createServer } from 'node:http';\ncreateServer((q, s) => s.end('ok')).listen(Number(process.env.PORT));\n");
  writeFileSync(
    join(app, '.slipway/app.yaml'),
    'apiVersion: slipway.dev/v1\nkind: Application\nmetadata: { name: shop }\nspec:\n  runtime: local\n  services:\n    - { name: web, image: ghcr.io/acme/shop-web:1, run: { command: node server.mjs }, ports: [{ port: 3000 }] }\n',
  );
  git(app, 'init', '-q', '-b', 'main');
  commitAll(app, 'shop');
  server = await startServer(
    { home: join(dir, 'home'), apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(dir, 'cli.yaml') },
    { graceMs: 1_000, docker: false, releases: { tickMs: 500 } },
  );
  tokens.admin = (await createApiToken(server.store.db, { name: 'admin', workspace: 'default', role: 'admin', user: 'admin' })).secret;
  tokens.rita = (await createApiToken(server.store.db, { name: 'rita', workspace: 'default', role: 'release-manager', user: 'rita' })).secret;
  tokens.dev = (await createApiToken(server.store.db, { name: 'dev', workspace: 'default', role: 'developer', user: 'dev' })).secret;
  // The managed environment team: its own workspace, its admin, its secret.
  tokens.sre = (await createApiToken(server.store.db, { name: 'sre', workspace: 'production-ops', role: 'admin', user: 'sre' })).secret;
  await ok('sre', 'PUT', '/api/v1/secrets/deploy-token', { value: 's3cr3t-deploy-token' });

  await ok('admin', 'POST', '/api/v1/applications', { repository: app });
  const release = 'apiVersion: slipway.dev/v1\nkind: ReleaseTrack\nmetadata: { name: t }\nspec:\n  releaseStages:\n    - environments: [staging]\n---\napiVersion: slipway.dev/v1\nkind: ApplicationSet\nmetadata: { name: shop, labels: { team: shop } }\nspec: { applications: [shop], releaseTrack: t }\n';
  await ok('rita', 'POST', '/api/v1/tracks', { files: [{ file: 'release.yaml', text: release }] });
  await ok('rita', 'POST', '/api/v1/sets', { files: [{ file: 'release.yaml', text: release }] });
  const plans =
    'apiVersion: slipway.dev/v1\nkind: ReleasePlan\nmetadata: { name: shop-to-production }\nspec: { applicationSet: shop, target: production-ops, data: { channel: beta, notes: from-plan } }\n---\n' +
    'apiVersion: slipway.dev/v1\nkind: ReleasePlan\nmetadata: { name: shop-to-nowhere }\nspec: { applicationSet: shop, target: empty-ops }\n';
  await ok('rita', 'POST', '/api/v1/release-plans', { files: [{ file: 'plans.yaml', text: plans }] });
}, 60_000);

afterAll(() => closeServer(server, dir), 60_000);

describe('releases into a managed workspace', () => {
  it('keeps the managed workspace’s admissions and secrets out of the development team’s reach', async () => {
    await ok('sre', 'POST', '/api/v1/release-plan-admissions', { files: [{ file: 'admission.yaml', text: admission('shop-admission') }] });
    expect((await api('dev', 'GET', '/api/v1/secrets?workspace=production-ops')).status).toBe(403);
    expect((await api('rita', 'GET', '/api/v1/release-plan-admissions?workspace=production-ops')).status).toBe(403);
    expect((await api('rita', 'POST', '/api/v1/release-plan-admissions', { files: [{ file: 'a.yaml', text: admission('mine') }] })).status).toBe(403);
    expect((await ok('sre', 'GET', '/api/v1/release-plan-admissions')).items).toMatchObject([{ name: 'shop-admission', secrets: ['deploy-token'], steps: [{ name: 'publish' }, { name: 'announce' }] }]);
  });

  it('refuses a snapshot that has not passed its track, saying which rule and why', async () => {
    const snapshot = await ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' });
    const created: ManagedReleaseResponse = await ok('rita', 'POST', '/api/v1/managed-releases', { plan: 'shop-to-production', snapshot: snapshot.alias });
    const done = await ended('rita', created.number);
    expect(done).toMatchObject({ state: 'Failed', admission: 'shop-admission', author: 'rita' });
    expect(done.reason).toBe(`refused by the policy of admission shop-admission: requirePassedStages: the snapshot has not passed its track's stages: no release of ${snapshot.alias} went through every stage of its track (it was never released)`);
    expect(done.policy.map((p) => `${p.rule} ${p.passed}`)).toEqual(['requirePassedStages false', 'allowedRegistries true', 'requiredLabels true']);
    expect(done.steps.map((s) => s.state)).toEqual(['pending', 'pending']);
  });

  it('runs the admission’s workflow with the managed workspace’s secret once the snapshot passed its track', async () => {
    const snapshot = await ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' });
    await ok('rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias });
    await until('the release to be promoted', async () => ((await ok('rita', 'GET', '/api/v1/releases/1')).state === 'Promoted' ? true : undefined));

    const created: ManagedReleaseResponse = await ok('rita', 'POST', '/api/v1/managed-releases', { plan: 'shop-to-production', snapshot: snapshot.alias, data: { channel: 'nightly', notes: 'from-release', version: '1.0' } });
    const done = await ended('rita', created.number);
    expect(done).toMatchObject({ state: 'Promoted', origin: 'default', target: 'production-ops', author: 'rita', data: { channel: 'stable', notes: 'from-plan', version: '1.0' } });
    expect(done.steps.map((s) => `${s.name} ${s.state}`)).toEqual(['publish succeeded', 'announce succeeded']);
    expect(done.steps[0]!.logTail).toBe('published with ***\n');
    expect(done.transitions!.map((t) => t.to)).toEqual(['Pending', 'Verifying', 'Deploying', 'Promoted']);
    const written = JSON.parse(readFileSync(out, 'utf8'));
    expect(written).toEqual({ token: 's3cr3t-deploy-token', data: { channel: 'stable', notes: 'from-plan', version: '1.0', out }, author: 'rita', origin: 'default', snapshot: snapshot.alias });
    // The managed team sees the release it received.
    expect((await ok('sre', 'GET', '/api/v1/managed-releases')).items.map((r: Json) => `${r.origin} ${r.state}`)).toContain('default Promoted');
    expect((await api('sre', 'GET', `/api/v1/managed-releases/${created.id}`)).status).toBe(200);
  }, 60_000);

  it('refuses a release that matches no admission, or two, naming them', async () => {
    const snapshot = (await ok('dev', 'GET', '/api/v1/snapshots')).items[0];
    const none = await api('rita', 'POST', '/api/v1/managed-releases', { plan: 'shop-to-nowhere', snapshot: snapshot.alias });
    expect(none.status).toBe(400);
    expect(none.json.error.message).toBe('no ReleasePlanAdmission of workspace empty-ops accepts application set shop from workspace default (it has none); the managed environment team must admit it');

    await ok('sre', 'POST', '/api/v1/release-plan-admissions', { files: [{ file: 'b.yaml', text: admission('shop-admission-copy') }] });
    const two = await api('rita', 'POST', '/api/v1/managed-releases', { plan: 'shop-to-production', snapshot: snapshot.alias });
    expect(two.status).toBe(400);
    expect(two.json.error.message).toBe('2 ReleasePlanAdmissions of workspace production-ops accept application set shop from workspace default (shop-admission, shop-admission-copy); exactly one must — block or narrow the others');

    await ok('sre', 'POST', '/api/v1/release-plan-admissions', { files: [{ file: 'b.yaml', text: admission('shop-admission-copy', { block: true }) }] });
    expect((await api('rita', 'POST', '/api/v1/managed-releases', { plan: 'shop-to-production', snapshot: snapshot.alias })).status).toBe(201);
    expect((await api('dev', 'POST', '/api/v1/managed-releases', { plan: 'shop-to-production', snapshot: snapshot.alias })).status).toBe(403);
  }, 60_000);

  it('releases automatically under a plan that says so, when a release went through its track', async () => {
    const plan = 'apiVersion: slipway.dev/v1\nkind: ReleasePlan\nmetadata: { name: shop-auto }\nspec: { applicationSet: shop, target: production-ops, autoRelease: true }\n';
    await ok('rita', 'POST', '/api/v1/release-plans', { files: [{ file: 'auto.yaml', text: plan }] });
    git(join(dir, 'shop'), 'commit', '-q', '--allow-empty', '-m', 'v2');
    const snapshot = await ok('dev', 'POST', '/api/v1/snapshots', { set: 'shop' });
    await ok('rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias });
    const auto = await until('the automatic managed release', async () => (await ok('rita', 'GET', '/api/v1/managed-releases')).items.find((r: Json) => r.plan === 'shop-auto'));
    const done = await ended('rita', auto.number);
    expect(done).toMatchObject({ state: 'Promoted', author: 'rita', snapshot: { alias: snapshot.alias } });
    expect(done.transitions![0]).toMatchObject({ to: 'Pending', actor: 'slipway' });
  }, 60_000);

  it('refuses at registration an admission whose step reads a secret or variable it does not provide, storing nothing', async () => {
    const before = (await ok('sre', 'GET', '/api/v1/release-plan-admissions')).items.map((a: Json) => `${a.name} ${a.version}`);
    const text = admission('shop-admission').replace('{ secret: deploy-token }', '{ secret: deploy-key }').replace('command: echo announced', 'command: echo announced $VERSION');
    const refused = await api('sre', 'POST', '/api/v1/release-plan-admissions', { files: [{ file: 'admission.yaml', text }] });
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe('invalid_input');
    expect(refused.json.error.diagnostics).toMatchObject([
      { severity: 'error', file: 'admission.yaml', line: 14, column: 40, path: 'spec.workflow.steps[0].env.DEPLOY_TOKEN.secret' },
      { severity: 'error', file: 'admission.yaml', line: 17, column: 33, path: 'spec.workflow.steps[1].command' },
    ]);
    expect(refused.json.error.diagnostics[1].message).toMatch(/^step announce reads \$VERSION, which this admission does not provide/);
    expect((await ok('sre', 'GET', '/api/v1/release-plan-admissions')).items.map((a: Json) => `${a.name} ${a.version}`)).toEqual(before);
  });

  it('refuses a release matched to an admission stored before such steps were refused', async () => {
    const text = admission('legacy-admission').replace('command: echo announced', 'command: echo announced $VERSION');
    const spec = releasePlanAdmissionManifest.parse(parse(text)).spec;
    await server.releases.managedStore.putAdmission({ workspace: 'legacy-ops', name: 'legacy-admission', spec, version: 'old', source: 'api' });
    const plan = 'apiVersion: slipway.dev/v1\nkind: ReleasePlan\nmetadata: { name: shop-to-legacy }\nspec: { applicationSet: shop, target: legacy-ops }\n';
    await ok('rita', 'POST', '/api/v1/release-plans', { files: [{ file: 'legacy.yaml', text: plan }] });
    const snapshot = (await ok('dev', 'GET', '/api/v1/snapshots')).items[0];
    const refused = await api('rita', 'POST', '/api/v1/managed-releases', { plan: 'shop-to-legacy', snapshot: snapshot.alias });
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toMatch(/^the workflow of ReleasePlanAdmission legacy-admission of workspace legacy-ops reads secrets or variables it does not provide \(1 problem\)/);
    expect(refused.json.error.message).not.toMatch(/VERSION/);
  });
});
