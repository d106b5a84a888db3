// What the docker runtime does beyond the shared conformance cases: names resolved by DNS on the
// environment's network, images reused for an unchanged commit and context, a broken build,
// volumes kept across applies and removed with the environment, a sweep after a crash that lost
// the driver's state, limits, secrets kept out of labels, an init that makes SIGTERM work, and the
// engine discovery's error.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedService } from '@slipway/contract';
import type { EnvironmentRef } from '@slipway/core';
import { commitAll, createFixtureRepository } from '../conformance/fixture-app.ts';
import { fixtureJob, fixtureService, httpGet, waitUntil } from '../conformance/runtime-driver-conformance.ts';
import { createDockerDriver, type DockerDriver } from './docker-driver.ts';
import { detectDockerEngine, engineCandidates } from './engine.ts';
import { dockerLabels } from './names.ts';
import { BUSYBOX_IMAGE } from './test-support/base-images.ts';
import { asImageBuild, testEngine } from './test-support/engine-for-tests.ts';

const engine = await testEngine();
const docker = engine.docker!;

describe('docker engine discovery', () => {
  it('names every place it tried when no engine answers', async () => {
    const detected = await detectDockerEngine({ env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(detected.found).toBe(false);
    if (detected.found) return;
    expect(detected.message).toContain('unix:///nonexistent/docker.sock (no such socket)');
    expect(engineCandidates({ env: { XDG_RUNTIME_DIR: '/run/user/1000' } })).toEqual(
      expect.arrayContaining(['unix:///var/run/docker.sock', 'unix:///run/podman/podman.sock', 'unix:///run/user/1000/podman/podman.sock']),
    );
  });
});

describe.skipIf(engine.skipReason !== undefined)(`docker runtime behaviour${engine.skipReason ? ` (skipped: ${engine.skipReason})` : ''}`, () => {
  const temporary: string[] = [];
  const drivers: DockerDriver[] = [];
  let repository = '';
  let commit = '';
  let counter = 0;
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), `slipway-docker-${prefix}-`));
    temporary.push(dir);
    return dir;
  };
  const newDriver = (stateDir = tempDir('state'), ownerTag?: string) => {
    const driver = createDockerDriver({ stateDir, docker, graceMs: 2_000, backoff: { initialMs: 200, maxMs: 1_000 }, ...(ownerTag ? { ownerTag } : {}) });
    drivers.push(driver);
    return driver;
  };
  const newEnv = (): EnvironmentRef => ({ workspace: 'behaviour', app: 'fixture', envId: `b${process.pid}-${++counter}` });
  const web = (overrides: Partial<ResolvedService> = {}) => asImageBuild(fixtureService('web', overrides));

  async function up(driver: DockerDriver, env: EnvironmentRef, services: ResolvedService[], secrets?: Record<string, string>) {
    const prepared = await driver.prepareSource({ env, repository, commit, services });
    if (prepared.outcome !== 'succeeded') throw new Error(`prepareSource ${prepared.outcome}: ${prepared.reason}\n${prepared.logTail ?? ''}`);
    const applied = await driver.apply({ env, commit: prepared.commit, services, waitFor: 'ready', timeoutMs: 30_000, ...(secrets ? { secrets } : {}) });
    if (applied.outcome !== 'succeeded') throw new Error(`apply ${applied.outcome}: ${applied.reason}\n${applied.logTail ?? ''}`);
    return applied.services;
  }

  beforeAll(() => {
    repository = tempDir('repo');
    commit = createFixtureRepository(repository);
  });

  afterAll(async () => {
    for (const driver of drivers) {
      await driver.sweep([]).catch(() => undefined);
      await driver.close();
    }
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('services reach each other by name on the environment network', async () => {
    const driver = newDriver();
    const env = newEnv();
    await up(driver, env, [web()]);
    const prepared = await driver.prepareSource({ env, repository, commit, services: [] });
    expect(prepared.outcome).toBe('succeeded');
    const client = { ...fixtureJob('client', {}), fromService: undefined, image: BUSYBOX_IMAGE, command: 'wget -q -O- http://web:3000/whoami && echo && wget -q -O- http://web-0:3000/whoami' };
    const result = await driver.runJob({ env, runId: 'dns-1', commit, job: client });
    expect(result).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
    const answers = ('logTail' in result ? (result.logTail ?? '') : '').split('\n').filter((l) => l.startsWith('{'));
    expect(answers).toHaveLength(2);
    expect(JSON.parse(answers[0]!)).toMatchObject({ port: 3000, cwd: '/app' });
  }, 60_000);

  it("keeps App Import links across a new driver instance: the import's restarted container and the importer's jobs join the shared network", async () => {
    const stateDir = tempDir('state');
    const first = newDriver(stateDir);
    const importer = newEnv();
    const imported = { ...newEnv(), app: 'fixture-backend' };
    await up(first, imported, [asImageBuild(fixtureService('api'))]);
    const linked = await first.link({ env: importer, services: ['web'], peers: [{ env: imported, services: ['api'] }] });
    expect(linked).toMatchObject({ outcome: 'succeeded', addresses: [{ env: imported, service: 'api', host: 'api', port: 3000 }] });
    await first.close();
    const second = newDriver(stateDir);
    const [api] = await second.instances(imported);
    await docker.getContainer(api!.runtimeId!).kill();
    await waitUntil('the api is restarted in a new container', async () => {
      const [now] = await second.instances(imported);
      return now?.state === 'ready' && now.runtimeId !== api!.runtimeId ? now : undefined;
    }, 30_000);
    // A service the import gained since it was linked joins under its own name too.
    await up(second, imported, [asImageBuild(fixtureService('api')), asImageBuild(fixtureService('extra'))]);
    expect((await second.prepareSource({ env: importer, repository, commit, services: [] })).outcome).toBe('succeeded');
    const client = {
      ...fixtureJob('client', {}),
      fromService: undefined,
      image: BUSYBOX_IMAGE,
      command: 'wget -q -O- http://api:3000/whoami && echo && wget -q -O- http://api.fixture-backend:3000/whoami && echo && wget -q -O- http://extra:3000/whoami',
    };
    const result = await second.runJob({ env: importer, runId: 'link-1', commit, job: client });
    expect(result).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
    const answers = ('logTail' in result ? (result.logTail ?? '') : '').split('\n').filter((l) => l.startsWith('{'));
    expect(answers).toHaveLength(3);
    await second.destroy({ env: importer });
    expect((await second.listOwned()).filter((r) => r.env.envId === importer.envId)).toEqual([]);
    const [still] = await second.instances(imported);
    expect(still).toMatchObject({ state: 'ready' });
    expect((await httpGet(still!.endpoints[0]!.hostPort, '/whoami')).status).toBe(200);
  }, 90_000);

  it('reuses the image built for the same commit and context, and retags it for a commit that left the context alone', async () => {
    const stateDir = tempDir('state');
    const driver = newDriver(stateDir);
    const env = newEnv();
    const first = await driver.prepareSource({ env, repository, commit, services: [web()] });
    expect(first.outcome).toBe('succeeded');
    const tagged = async () => (await docker.listImages({ filters: { reference: ['slipway/fixture-web'] } })).flatMap((i) => (i.RepoTags ?? []).map((t) => [t.replace(/^[^/]+\/(?=slipway\/)/, ''), i.Id] as const));
    const before = await tagged();
    const started = Date.now();
    const again = await driver.prepareSource({ env, repository, commit, services: [web()] });
    expect(again.outcome).toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await tagged()).toEqual(before);
    // A commit that changes only a file outside the build context (app/) reuses the image under a new tag.
    writeFileSync(join(repository, 'README.md'), `changed ${Date.now()}\n`);
    const next = commitAll(repository, 'outside the context');
    const patched = await driver.prepareSource({ env, repository, commit: next, services: [web()] });
    expect(patched.outcome).toBe('succeeded');
    const after = await tagged();
    const oldTag = after.find(([t]) => t.includes(`:${commit.slice(0, 12)}-`));
    const newTag = after.find(([t]) => t.includes(`:${next.slice(0, 12)}-`));
    expect(newTag).toBeDefined();
    // Same build hash, and no build ran: an image made from the same inputs was tagged again.
    expect(newTag![0].split('-').at(-1)).toBe(oldTag![0].split('-').at(-1));
    // Each result names the image the service runs, by its id on the engine: the same one all three times.
    const ids = [first, again, patched].map((p) => (p.outcome === 'succeeded' ? p.images : undefined));
    expect(ids[0]).toEqual({ web: oldTag![1] });
    expect(ids[1]).toEqual(ids[0]);
    expect(ids[2]).toEqual({ web: newTag![1] });
    expect(existsSync(join(stateDir, 'logs', `behaviour.fixture.${env.envId}`, 'builds', `${next.slice(0, 12)}-web.log`))).toBe(false);
  }, 60_000);

  it('a build that cannot even start is Failed with its reason and log tail', async () => {
    const driver = newDriver();
    const broken = { ...web(), build: { context: 'app', dockerfile: 'Missing.Dockerfile' } };
    const prepared = await driver.prepareSource({ env: newEnv(), repository, commit, services: [broken] });
    expect(prepared.outcome).toBe('failed');
    if (prepared.outcome === 'succeeded') return;
    expect(prepared.reason).toMatch(/^services\.web: at \w{7}, the build context "app" has no Missing\.Dockerfile/);
    // A base image the engine has not got, and cannot pull (no registry here, nor such an image).
    const base = `slipway-test/not-here:${process.pid}`;
    const unpullable = { ...web(), build: { ...web().build!, args: { ...web().build!.args, BASE_IMAGE: base } } };
    const pulled = await driver.prepareSource({ env: newEnv(), repository, commit, services: [unpullable] });
    expect(pulled.outcome).toBe('failed');
    if (pulled.outcome === 'succeeded') return;
    expect(pulled.reason).toContain(`services.web build: the base image ${base} (FROM in Dockerfile in the build context "app") is not on the engine and could not be pulled: `);
    expect(pulled.logTail).toContain(base);
    const outside = { ...web(), build: { context: '../elsewhere' } };
    const refused = await driver.prepareSource({ env: newEnv(), repository, commit, services: [outside] });
    expect(refused).toMatchObject({ outcome: 'failed' });
  }, 60_000);

  it('probes a starting instance every 50 ms until it is first ready, whatever its period', async () => {
    const driver = newDriver();
    const env = newEnv();
    // Listens 700 ms after it starts: the first probes fail; with a 10 s period the next would come 10 s later.
    const late = web({ readiness: { http: { path: '/ready' }, initialDelay: '0s', period: '10s', timeout: '1s', failureThreshold: 3, successThreshold: 1 } });
    const slow = { ...late, command: [process.execPath, '-e', "setTimeout(() => import('/app/server.mjs'), 700)"] };
    const started = Date.now();
    await up(driver, env, [slow]);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect((await driver.instances(env)).map((i) => i.state)).toEqual(['ready']);
  }, 60_000);

  it('keeps a persistent volume across applies and removes it with the environment', async () => {
    const driver = newDriver();
    const env = newEnv();
    const withVolume = (version: string) => web({ env: { VERSION: version }, volumes: [{ name: 'data', mountPath: '/data', type: 'persistent', readOnly: false }] });
    await up(driver, env, [withVolume('1')]);
    const ref = { env, service: 'web', replica: 0 };
    expect((await driver.exec(ref, 'echo kept > /data/file')).exitCode).toBe(0);
    const [report] = await up(driver, env, [withVolume('2')]);
    expect(report?.action).toBe('replaced');
    expect((await driver.exec(ref, 'cat /data/file')).output.trim()).toBe('kept');
    const volumes = (await driver.listOwned()).filter((r) => r.kind === 'volume' && r.env.envId === env.envId);
    expect(volumes).toHaveLength(1);
    // Another environment's volume of the same name is its own, and outlives this one's destroy.
    const neighbour = newEnv();
    await up(driver, neighbour, [withVolume('1')]);
    expect((await driver.exec({ env: neighbour, service: 'web', replica: 0 }, 'test ! -e /data/file')).exitCode).toBe(0);
    await driver.destroy({ env });
    await expect(docker.getVolume(volumes[0]!.id).inspect()).rejects.toThrow();
    expect((await driver.listOwned()).filter((r) => r.kind === 'volume' && r.env.envId === neighbour.envId)).toHaveLength(1);
    await driver.destroy({ env: neighbour });
    expect((await driver.listOwned()).filter((r) => r.env.envId === env.envId)).toEqual([]);
  }, 60_000);

  it('a sweep after a crash that lost the driver state removes the orphans from their labels alone', async () => {
    const ownerTag = `crash${process.pid}`;
    const crashed = newDriver(tempDir('crashed'), ownerTag);
    const env = newEnv();
    await up(crashed, env, [web(), asImageBuild(fixtureService('other'))]);
    const ids = (await crashed.instances(env)).map((i) => i.runtimeId!);
    // The server dies: nothing is stopped, and its state folder is gone with it.
    await crashed.close();
    const successor = newDriver(tempDir('successor'), ownerTag);
    const owned = await successor.listOwned();
    expect(new Set(owned.filter((r) => r.kind === 'container').map((r) => r.id))).toEqual(new Set(ids));
    expect(owned.some((r) => r.kind === 'network')).toBe(true);
    const report = await successor.sweep([]);
    expect(report.removed.filter((r) => r.kind === 'container')).toHaveLength(2);
    for (const id of ids) await expect(docker.getContainer(id).inspect()).rejects.toThrow();
    expect(await successor.listOwned()).toEqual([]);
  }, 60_000);

  it('builds a static site on the host for the router to serve', async () => {
    const driver = newDriver();
    const env = newEnv();
    const build = [process.execPath, '-e', "require('fs').mkdirSync('dist', { recursive: true }); require('fs').writeFileSync('dist/index.html', 'static ' + process.env.GREETING)"];
    const site: ResolvedService = { ...fixtureService('site', { readiness: undefined, ports: [], env: { GREETING: 'hello' } }), run: undefined, static: { build, output: 'dist', workdir: 'app', spa: false } };
    const prepared = await driver.prepareSource({ env, repository, commit, services: [site] });
    expect(prepared.outcome).toBe('succeeded');
    if (prepared.outcome !== 'succeeded') return;
    expect(readFileSync(join(prepared.staticRoots.site!, 'index.html'), 'utf8')).toBe('static hello');
    const applied = await driver.apply({ env, commit: prepared.commit, services: [site], waitFor: 'ready' });
    expect(applied).toMatchObject({ outcome: 'succeeded', services: [{ service: 'site', action: 'created', staticRoot: prepared.staticRoots.site }] });
    expect(await driver.instances(env)).toEqual([]);
  }, 60_000);

  it('applies limits, injects secrets without labelling them, and stops a process that ignores SIGTERM through its init', async () => {
    // A long grace: without an init, the stop would wait all of it (20 s) before SIGKILL, so the bound below tells the two apart even on a loaded machine.
    const driver = createDockerDriver({ stateDir: tempDir('state'), docker, graceMs: 20_000, backoff: { initialMs: 200, maxMs: 1_000 } });
    drivers.push(driver);
    const env = newEnv();
    const httpd: ResolvedService = {
      ...fixtureService('static', { readiness: undefined }),
      run: undefined,
      image: BUSYBOX_IMAGE,
      command: ['httpd', '-f', '-p', '8080', '-h', '/'],
      ports: [{ port: 8080, protocol: 'http' }],
      env: { TOKEN: { secret: 'api-token' } },
      resources: { limits: { cpu: '500m', memory: '64Mi' } },
    };
    await up(driver, env, [httpd], { 'api-token': 's3cret-value' });
    const [instance] = await driver.instances(env);
    expect(instance?.state).toBe('ready');
    expect((await httpGet(instance!.endpoints[0]!.hostPort, '/etc/passwd')).status).toBe(200);
    const info = await docker.getContainer(instance!.runtimeId!).inspect();
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.HostConfig.Init).toBe(true);
    expect(info.Config.Env).toContain('TOKEN=s3cret-value');
    expect(JSON.stringify(info.Config.Labels)).not.toContain('s3cret-value');
    expect(info.Config.Labels?.[dockerLabels.spec]).toContain('api-token');
    // busybox httpd as a container's only process ignores SIGTERM; with an init it stops at once, not after the grace.
    const started = Date.now();
    await driver.destroy({ env });
    expect(Date.now() - started).toBeLessThan(12_000);
  }, 60_000);
});
