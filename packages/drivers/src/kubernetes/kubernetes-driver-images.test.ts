// Images of services with `build` on the kubernetes runtime, against real parts: the Docker or
// Podman engine builds them with the docker runtime's code, a real registry (the CNCF distribution
// registry, built from its Go module, with htpasswd users) receives the push, and the real API
// server gets Deployments that name the pushed manifest by digest. kwok's pods pull nothing, so
// what is checked is the registry's own record and the Deployment's reference.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedService } from '@slipway/contract';
import type { EnvironmentRef } from '@slipway/core';
import { commitAll, createFixtureRepository } from '../conformance/fixture-app.ts';
import { fixtureJob, fixtureService } from '../conformance/runtime-driver-conformance.ts';
import { BUSYBOX_IMAGE } from '../docker/test-support/base-images.ts';
import { asImageBuild, testEngine } from '../docker/test-support/engine-for-tests.ts';
import { allocatePort } from '../shared/ports.ts';
import type { KubernetesDriver, KubernetesDriverOptions } from './kubernetes-driver.ts';
import { namespaceName } from './objects.ts';
import { clusterSkipReason, testDriver, testKubeconfig } from './test-support/cluster-for-tests.ts';
import { startTestRegistry, type TestRegistry } from './test-support/test-registry.ts';

const engine = clusterSkipReason ? undefined : await testEngine();
const skipReason = clusterSkipReason ?? engine?.skipReason;
const suite = skipReason ? describe.skip : describe;

const SECRET = 'k8s-image-secret-5c1d';
const REGISTRY_USER = 'slipway-ci';
const REGISTRY_PASSWORD = `pw-${process.pid}-registry-9e2b`;
const MANIFEST_TYPES = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';

suite(`kubernetes runtime: built images pushed to a registry${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const temporary: string[] = [];
  const drivers: KubernetesDriver[] = [];
  let registry: TestRegistry;
  let repository = '';
  let commit = '';
  let counter = 0;
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), `slipway-k8s-images-${prefix}-`));
    temporary.push(dir);
    return dir;
  };
  const newEnv = (): EnvironmentRef => ({ workspace: 'k8s', app: 'fixture', envId: `i${process.pid}-${++counter}` });
  const driverOn = (extra: Partial<KubernetesDriverOptions> = {}, stateDir = tempDir('state')) => {
    const driver = testDriver(stateDir, {
      docker: engine!.docker!,
      imageRegistry: `${registry.address}/team`,
      registryAuth: { username: REGISTRY_USER, password: REGISTRY_PASSWORD },
      registryInsecure: true,
      ...extra,
    });
    drivers.push(driver);
    return driver;
  };
  const web = (overrides: Partial<ResolvedService> = {}): ResolvedService => asImageBuild(fixtureService('web', { env: { DB_PASSWORD: { secret: 'db' } }, ...overrides }));
  const clients = () => {
    const kc = new KubeConfig();
    kc.loadFromFile(testKubeconfig!);
    return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), batch: kc.makeApiClient(BatchV1Api) };
  };

  beforeAll(async () => {
    registry = await startTestRegistry(tempDir('registry'), { users: { [REGISTRY_USER]: REGISTRY_PASSWORD } });
    repository = tempDir('repo');
    commit = createFixtureRepository(repository);
  }, 300_000);

  afterAll(async () => {
    for (const driver of drivers) {
      await driver.sweep([]).catch(() => undefined);
      await driver.close();
    }
    await registry?.stop();
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('builds with the engine, pushes under the registry prefix, runs the Deployment by digest, and changes nothing for an unchanged image', async () => {
    const stateDir = tempDir('state');
    const driver = driverOn({}, stateDir);
    const env = newEnv();
    const ns = namespaceName('sw', env);
    const lines: string[] = [];
    const services = [web()];
    const cronJobs = [{ ...fixtureJob('report', { MODE: 'nightly' }), env: { MODE: 'nightly', TOKEN: { secret: 'db' } }, schedule: '@daily', concurrency: 'forbid' as const }];
    const prepared = await driver.prepareSource({ env, repository, commit, services, secrets: { db: SECRET }, onOutput: (line, service) => lines.push(`${service}: ${line}`) });
    if (prepared.outcome !== 'succeeded') throw new Error(`${prepared.reason}\n${prepared.logTail ?? ''}`);
    const reference = prepared.images?.web ?? '';
    const repositoryPath = 'team/fixture-web';
    expect(reference).toMatch(new RegExp(`^${registry.address.replace(/\./g, '\\.')}/${repositoryPath}@sha256:[a-f0-9]{64}$`));
    const digest = reference.split('@')[1]!;
    // The deploy log tells the build, the push and where it went.
    expect(lines.some((l) => l.startsWith('web: ') && /pushing .*team\/fixture-web:/.test(l))).toBe(true);
    expect(lines).toContain(`web: [slipway] services.web: pushed ${reference}`);

    // The registry has the manifest, under the build's tag and by digest.
    const tags = JSON.parse((await registry.get(`/v2/${repositoryPath}/tags/list`)).body) as { tags: string[] };
    expect(tags.tags).toEqual([expect.stringMatching(new RegExp(`^${commit.slice(0, 12)}-[a-f0-9]{12}$`))]);
    const manifest = await registry.get(`/v2/${repositoryPath}/manifests/${tags.tags[0]}`, { accept: MANIFEST_TYPES });
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('docker-content-digest')).toBe(digest);
    // The image's config as pushed (variables, labels, history) holds no secret value or credential.
    const config = (JSON.parse(manifest.body) as { config: { digest: string } }).config.digest;
    const configBlob = await registry.get(`/v2/${repositoryPath}/blobs/${config}`);
    expect(configBlob.status).toBe(200);
    expect(configBlob.body).not.toContain(SECRET);
    expect(configBlob.body).not.toContain(REGISTRY_PASSWORD);

    const applied = await driver.apply({ env, commit: prepared.commit, services, cronJobs, secrets: { db: SECRET }, waitFor: 'ready', timeoutMs: 30_000 });
    expect(applied).toMatchObject({ outcome: 'succeeded', services: [{ service: 'web', action: 'created' }] });
    const { core, apps, batch } = clients();
    const deployment = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(reference);
    expect(deployment.spec?.template.spec?.imagePullSecrets).toEqual([{ name: 'slipway-registry' }]);
    const cron = await batch.readNamespacedCronJob({ name: 'report', namespace: ns });
    expect(cron.spec?.jobTemplate.spec?.template.spec?.containers[0]?.image).toBe(reference);
    // The kubelet pulls with the pull Secret: the registry's credentials, in a Secret only.
    const pull = await core.readNamespacedSecret({ name: 'slipway-registry', namespace: ns });
    expect(pull.type).toBe('kubernetes.io/dockerconfigjson');
    const auths = (JSON.parse(Buffer.from(pull.data!['.dockerconfigjson']!, 'base64').toString()) as { auths: Record<string, { username: string; password: string }> }).auths;
    expect(auths[registry.address]).toMatchObject({ username: REGISTRY_USER, password: REGISTRY_PASSWORD });

    // A commit that leaves the build context alone: the same image, so the Deployment is not written.
    writeFileSync(join(repository, 'NOTES.md'), 'outside the build context\n');
    const next = commitAll(repository, 'touch a file outside app/');
    const before = (await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).metadata?.resourceVersion;
    const again = await driver.prepareSource({ env, repository, commit: next, services, secrets: { db: SECRET } });
    expect(again.outcome === 'succeeded' && again.images?.web).toBe(reference);
    const reapplied = await driver.apply({ env, commit: next, services, secrets: { db: SECRET }, waitFor: 'ready', timeoutMs: 30_000 });
    expect(reapplied).toMatchObject({ outcome: 'succeeded', services: [{ service: 'web', action: 'unchanged' }] });
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).metadata?.resourceVersion).toBe(before);

    // A driver started afresh on the same state (a restarted server) names the same digest without preparing the source again.
    await driver.close();
    const restarted = driverOn({}, stateDir);
    const adopted = await restarted.apply({ env, commit: next, services, secrets: { db: SECRET }, waitFor: 'ready', timeoutMs: 30_000 });
    expect(adopted).toMatchObject({ outcome: 'succeeded', services: [{ service: 'web', action: 'unchanged' }] });

    // No secret value nor the registry's password in any object but the Secrets, with managed fields and events.
    const everything = JSON.stringify([
      await apps.listNamespacedDeployment({ namespace: ns }),
      await apps.listNamespacedReplicaSet({ namespace: ns }),
      await batch.listNamespacedCronJob({ namespace: ns }),
      await batch.listNamespacedJob({ namespace: ns }),
      await core.listNamespacedPod({ namespace: ns }),
      await core.listNamespacedConfigMap({ namespace: ns }),
      await core.listNamespacedEvent({ namespace: ns }),
      await core.readNamespace({ name: ns }),
      lines,
    ]);
    for (const value of [SECRET, REGISTRY_PASSWORD]) {
      expect(everything).not.toContain(value);
      expect(everything).not.toContain(Buffer.from(value).toString('base64'));
    }
  }, 300_000);

  it('fails the deploy with the registry\'s own reason when it refuses the push, and never shows the credentials', async () => {
    const lines: string[] = [];
    const env = newEnv();
    const wrong = `wrong-${REGISTRY_PASSWORD}`;
    const driver = driverOn({ registryAuth: { username: REGISTRY_USER, password: wrong } });
    const prepared = await driver.prepareSource({ env, repository, commit, services: [web()], onOutput: (line) => lines.push(line) });
    expect(prepared.outcome).toBe('failed');
    const reason = prepared.outcome !== 'succeeded' ? prepared.reason : '';
    expect(reason).toMatch(/^services\.web: pushing .*\/team\/fixture-web:\S+ failed: .*unauthorized/);
    expect(lines.some((l) => /failed: .*unauthorized/.test(l))).toBe(true);
    expect(JSON.stringify([reason, lines])).not.toContain(wrong);
    // Without credentials the registry refuses the same way; a second deploy tries the push again.
    const anonymous = driverOn({ registryAuth: undefined });
    const refused = await anonymous.prepareSource({ env, repository, commit, services: [web()] });
    expect(refused.outcome !== 'succeeded' && refused.reason).toMatch(/unauthorized: authentication required/);
    const applied = await anonymous.apply({ env, commit: refused.outcome === 'succeeded' ? refused.commit : commit, services: [web()] });
    expect(applied.outcome !== 'succeeded' && applied.reason).toMatch(/unauthorized/);
    // Nothing of the environment was made with an image that is not there.
    await expect(clients().apps.readNamespacedDeployment({ name: 'web', namespace: namespaceName('sw', env) })).rejects.toMatchObject({ code: 404 });
  }, 300_000);

  it('serves a static site from an image of its output on busybox httpd: pushed, run by digest behind a Service, answering over HTTP', async () => {
    const driver = driverOn({ staticServerImage: BUSYBOX_IMAGE });
    const env = newEnv();
    const ns = namespaceName('sw', env);
    const build = [process.execPath, '-e', "const fs = require('fs'); fs.mkdirSync('dist', { recursive: true }); fs.writeFileSync('dist/index.html', 'static ' + process.env.GREETING); fs.writeFileSync('dist/.env', 'TOKEN=' + process.env.TOKEN)"];
    const site: ResolvedService = { ...fixtureService('site', { readiness: undefined, ports: [], env: { GREETING: 'hello', TOKEN: { secret: 'db' } } }), run: undefined, static: { build, output: 'dist', workdir: 'app', spa: true } };
    const lines: string[] = [];
    const prepared = await driver.prepareSource({ env, repository, commit, services: [site], secrets: { db: SECRET }, onOutput: (line) => lines.push(line) });
    if (prepared.outcome !== 'succeeded') throw new Error(`${prepared.reason}\n${prepared.logTail ?? ''}`);
    // The router serves no folder: the runtime runs the site.
    expect(prepared.staticRoots).toEqual({});
    const reference = prepared.images?.site ?? '';
    expect(reference).toMatch(/\/team\/fixture-site@sha256:[a-f0-9]{64}$/);
    expect(lines).toContain(`[slipway] services.site: pushed ${reference}`);

    // The pushed image's layers hold the site, and not its dotfiles.
    const manifest = JSON.parse((await registry.get(`/v2/team/fixture-site/manifests/${reference.split('@')[1]}`, { accept: MANIFEST_TYPES })).body) as { layers: { digest: string }[] };
    const layerFiles = async (digest: string) => {
      const layer = await fetch(`http://${registry.address}/v2/team/fixture-site/blobs/${digest}`, { headers: { authorization: `Basic ${Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64')}` } });
      const bytes = gunzipSync(Buffer.from(await layer.arrayBuffer()));
      return new Promise<string[]>((resolve, reject) => {
        const names: string[] = [];
        const tar = extract();
        tar.on('entry', (header, stream, next) => {
          names.push(header.name);
          stream.on('end', next);
          stream.resume();
        });
        tar.on('finish', () => resolve(names));
        tar.on('error', reject);
        tar.end(bytes);
      });
    };
    const files = (await Promise.all(manifest.layers.map((l) => layerFiles(l.digest)))).flat();
    expect(files.map((f) => f.replace(/^\.?\//, ''))).toContain('site/index.html');
    expect(files.some((f) => f.endsWith('.env'))).toBe(false);

    const applied = await driver.apply({ env, commit: prepared.commit, services: [site], secrets: { db: SECRET }, waitFor: 'ready', timeoutMs: 30_000 });
    expect(applied).toMatchObject({ outcome: 'succeeded', services: [{ service: 'site', action: 'created' }] });
    const { apps, core } = clients();
    const deployment = await apps.readNamespacedDeployment({ name: 'site', namespace: ns });
    expect(deployment.spec?.template.spec?.containers[0]).toMatchObject({ image: reference, ports: [{ containerPort: 8080 }] });
    // The build's variables stay the build's: the server gets only the ones every container gets, so no Secret is made.
    expect(deployment.spec?.template.spec?.containers[0]?.env?.map((e) => e.name).sort()).toEqual(['PORT', 'SLIPWAY_SERVICE']);
    expect((await core.listNamespacedSecret({ namespace: ns })).items.map((x) => x.metadata?.name)).not.toContain('site-env');
    expect((await core.readNamespacedService({ name: 'site', namespace: ns })).spec?.ports?.[0]).toMatchObject({ port: 8080, targetPort: 8080 });
    const [instance] = await driver.instances(env, 'site');
    expect(instance).toMatchObject({ state: 'ready', endpoints: [{ port: 8080, host: `site.${ns}.svc.cluster.local`, hostPort: 8080 }] });
    // Deployed again unchanged: nothing is written.
    expect(await driver.apply({ env, commit: prepared.commit, services: [site], secrets: { db: SECRET } })).toMatchObject({ outcome: 'succeeded', services: [{ service: 'site', action: 'unchanged' }] });

    // kwok runs no container: the engine runs the very image the Deployment names, and it answers.
    const docker = engine!.docker!;
    const port = await allocatePort(new Set());
    const [tag] = (JSON.parse((await registry.get('/v2/team/fixture-site/tags/list')).body) as { tags: string[] }).tags;
    const image = `${registry.address}/team/fixture-site:${tag}`;
    const container = await docker.createContainer({ Image: image, HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } } });
    try {
      await container.start();
      const get = async (path: string) => {
        const deadline = Date.now() + 10_000;
        for (;;) {
          try {
            const answer = await fetch(`http://127.0.0.1:${port}${path}`);
            return { status: answer.status, body: await answer.text() };
          } catch (error) {
            if (Date.now() > deadline) throw error;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      };
      expect(await get('/')).toEqual({ status: 200, body: 'static hello' });
      // A single-page app: an unknown path gets the app shell.
      expect((await get('/some/client/route')).body).toBe('static hello');
      expect((await get('/.env')).body).not.toContain(SECRET);
    } finally {
      await container.remove({ force: true });
    }
  }, 300_000);

  it('refuses a build without a registry prefix, saying what to set', async () => {
    const driver = driverOn({ imageRegistry: undefined });
    const prepared = await driver.prepareSource({ env: newEnv(), repository, commit, services: [web()] });
    expect(prepared.outcome !== 'succeeded' && prepared.reason).toContain('services.web: the kubernetes runtime pushes the images it builds to a registry the cluster pulls from, and none is configured: set SLIPWAY_KUBE_IMAGE_REGISTRY');
  }, 60_000);
});
