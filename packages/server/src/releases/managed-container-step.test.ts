// A managed workflow step that names an image runs in a container of the docker runtime's engine,
// with the managed workspace's secret (masked in its log) and its folder at /work; on a server
// without an engine the same step fails, saying why, instead of running as a process. Skipped, with
// the reason, when no Docker or Podman engine answers.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedReleaseResponse } from '@slipway/contract';
import { detectDockerEngine } from '@slipway/drivers';
import { BUSYBOX_IMAGE, ensureBaseImages } from '@slipway/drivers/docker-test-images';
import { startServer, type RunningServer } from '../start-server.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { commitAll, git } from '../test-support/example-repository.ts';
import { apiAs } from '../test-support/seed-release-track.ts';
import { closeServer } from '../test-support/test-server.ts';

const detected = await detectDockerEngine();
const skipReason = detected.found ? undefined : `${detected.message} (scripts/setup-podman.sh sets one up)`;

describe.skipIf(skipReason !== undefined)(`a managed workflow step with an image${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-managed-container-'));
  const home = join(dir, 'home');
  let server: RunningServer | undefined;
  const tokens: Record<string, string> = {};

  const { ok } = apiAs(() => server!.apiUrl, tokens);

  async function ended(ref: number): Promise<ManagedReleaseResponse> {
    const end = Date.now() + 60_000;
    for (;;) {
      const r: ManagedReleaseResponse = await ok('rita', 'GET', `/api/v1/managed-releases/${ref}`);
      if (['Promoted', 'Failed', 'Errored', 'Aborted'].includes(r.state)) return r;
      if (Date.now() > end) throw new Error(`managed release ${ref} still ${r.state}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const start = async (docker: boolean) => {
    server = await startServer(
      { home, apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(dir, 'cli.yaml') },
      { graceMs: 1_000, docker, releases: { tickMs: 500 } },
    );
  };

  beforeAll(async () => {
    if (!detected.found) return;
    await ensureBaseImages(detected.docker, { busybox: true });
    const app = join(dir, 'shop');
    mkdirSync(join(app, '.slipway'), { recursive: true });
    mkdirSync(join(app, 'site'));
    writeFileSync(join(app, 'site/index.html'), 'shop\n');
    writeFileSync(join(app, '.slipway/app.yaml'), 'apiVersion: slipway.dev/v1\nkind: Application\nmetadata: { name: shop }\nspec:\n  runtime: local\n  services:\n    - { name: web, static: { output: site } }\n');
    git(app, 'init', '-q', '-b', 'main');
    commitAll(app, 'shop');
    await start(true);
    tokens.admin = (await createApiToken(server!.store.db, { name: 'admin', workspace: 'default', role: 'admin', user: 'admin' })).secret;
    tokens.rita = (await createApiToken(server!.store.db, { name: 'rita', workspace: 'default', role: 'release-manager', user: 'rita' })).secret;
    tokens.sre = (await createApiToken(server!.store.db, { name: 'sre', workspace: 'production-ops', role: 'admin', user: 'sre' })).secret;
    await ok('sre', 'PUT', '/api/v1/secrets/deploy-token', { value: 's3cr3t-deploy-token' });
    await ok('admin', 'POST', '/api/v1/applications', { repository: app });
    const release = 'apiVersion: slipway.dev/v1\nkind: ReleaseTrack\nmetadata: { name: t }\nspec:\n  releaseStages:\n    - environments: [staging]\n---\napiVersion: slipway.dev/v1\nkind: ApplicationSet\nmetadata: { name: shop }\nspec: { applications: [shop], releaseTrack: t }\n';
    await ok('rita', 'POST', '/api/v1/tracks', { files: [{ file: 'release.yaml', text: release }] });
    await ok('rita', 'POST', '/api/v1/sets', { files: [{ file: 'release.yaml', text: release }] });
    await ok('rita', 'POST', '/api/v1/release-plans', { files: [{ file: 'plan.yaml', text: 'apiVersion: slipway.dev/v1\nkind: ReleasePlan\nmetadata: { name: shop-to-production }\nspec: { applicationSet: shop, target: production-ops }\n' }] });
    const admission = `apiVersion: slipway.dev/v1
kind: ReleasePlanAdmission
metadata: { name: shop-admission }
spec:
  origins: [{ workspace: default, applications: [shop] }]
  secrets: [deploy-token]
  workflow:
    steps:
      - name: publish
        image: ${BUSYBOX_IMAGE}
        command: echo "publishing $(echo "$SLIPWAY_SNAPSHOT" | grep -o '"alias":"[^"]*"') with $DEPLOY_TOKEN"; hostname > where.txt; pwd >> where.txt
        env: { DEPLOY_TOKEN: { secret: deploy-token } }
        timeout: 1m
`;
    await ok('sre', 'POST', '/api/v1/release-plan-admissions', { files: [{ file: 'admission.yaml', text: admission }] });
  }, 60_000);

  afterAll(() => closeServer(server, dir), 60_000);

  it('runs the step in a container of the image, with the managed workspace’s secret masked in its log', async () => {
    const snapshot = await ok('rita', 'POST', '/api/v1/snapshots', { set: 'shop' });
    await ok('rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias });
    // The admission's default policy: the snapshot went through its track first.
    const end = Date.now() + 30_000;
    while ((await ok('rita', 'GET', '/api/v1/releases/1')).state !== 'Promoted') {
      if (Date.now() > end) throw new Error('release #1 was not promoted');
      await new Promise((r) => setTimeout(r, 100));
    }
    const created: ManagedReleaseResponse = await ok('rita', 'POST', '/api/v1/managed-releases', { plan: 'shop-to-production', snapshot: snapshot.alias });
    const done = await ended(created.number);
    expect(done.state, JSON.stringify(done)).toBe('Promoted');
    expect(done.steps[0]!.logTail).toBe(`publishing "alias":"${snapshot.alias}" with ***\n`);
    // In a container: its own hostname, the step's folder at /work, written back to the host.
    const [where, cwd] = readFileSync(join(home, 'managed', created.id, 'publish', 'where.txt'), 'utf8').trim().split('\n');
    expect(where).not.toBe(hostname());
    expect(cwd).toBe('/work');
    // Nothing is left on the engine.
    if (detected.found) expect(await detected.docker.listContainers({ all: true, filters: { label: [`dev.slipway.managed-release=${created.id}`] } })).toEqual([]);
  }, 90_000);

  it('fails the step, saying why, on a server without the docker runtime rather than running it as a process', async () => {
    await server!.close();
    server = undefined;
    await start(false);
    const snapshot = (await ok('rita', 'GET', '/api/v1/snapshots')).items[0];
    const created: ManagedReleaseResponse = await ok('rita', 'POST', '/api/v1/managed-releases', { plan: 'shop-to-production', snapshot: snapshot.alias });
    const done = await ended(created.number);
    expect(done.state).toBe('Failed');
    expect(done.steps[0]).toMatchObject({ name: 'publish', state: 'failed' });
    expect(done.steps[0]!.reason).toBe(
      `step publish names the image ${BUSYBOX_IMAGE}: such a step runs in a container of the docker runtime, and this server has none (the docker runtime is turned off); start the server where a Docker or Podman engine answers, or drop image to run the command as a process`,
    );
  }, 60_000);
});
