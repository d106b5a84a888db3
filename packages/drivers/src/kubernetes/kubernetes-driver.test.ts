// The kubernetes driver against the real API server `npm run test:kubernetes` starts: what the
// objects look like on the cluster, idempotent server-side apply, pruning, one Job per run, the
// API's own reasons for refusals, and riding out an API server that stops answering.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, BatchV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ResolvedService } from '@slipway/contract';
import type { EnvironmentRef } from '@slipway/core';
import { fixtureJob, fixtureService } from '../conformance/runtime-driver-conformance.ts';
import type { KubernetesDriver } from './kubernetes-driver.ts';
import { namespaceName } from './objects.ts';
import { clusterSkipReason, TEST_IMAGE, testDriver, testKubeconfig } from './test-support/cluster-for-tests.ts';

const suite = clusterSkipReason ? describe.skip : describe;
const SECRET = 'k8s-secret-value-7f3a';

const temporary: string[] = [];
const drivers: KubernetesDriver[] = [];
let counter = 0;
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-k8s-'));
  temporary.push(dir);
  return dir;
};
const newEnv = (): EnvironmentRef => ({ workspace: 'k8s', app: 'shop', envId: `d${process.pid}-${++counter}` });
const driverOn = (stateDir = tempDir(), extra = {}) => {
  const driver = testDriver(stateDir, extra);
  drivers.push(driver);
  return driver;
};
const service = (name: string, overrides: Partial<ResolvedService> = {}): ResolvedService => ({ ...fixtureService(name), run: undefined, image: TEST_IMAGE, ...overrides });

function clients() {
  const kc = new KubeConfig();
  kc.loadFromFile(testKubeconfig!);
  return { kc, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), batch: kc.makeApiClient(BatchV1Api), discovery: kc.makeApiClient(DiscoveryV1Api) };
}

async function up(driver: KubernetesDriver, env: EnvironmentRef, services: ResolvedService[], extra = {}) {
  return driver.apply({ env, commit: 'c0ffee', services, waitFor: 'ready', timeoutMs: 30_000, secrets: { db: SECRET }, ...extra });
}

suite('kubernetes driver on a real API server', () => {
  afterEach(async () => {
    for (const driver of drivers.splice(0)) {
      await driver.sweep([]).catch(() => undefined);
      await driver.close();
    }
  }, 120_000);
  afterAll(() => {
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  it('applies a namespace, Deployment, Service and Secret; a second apply of the same plan changes no resourceVersion; no secret value outside the Secret', async () => {
    const driver = driverOn();
    const env = newEnv();
    const ns = namespaceName('sw', env);
    const web = service('web', { env: { PLAIN: 'shown', DB_PASSWORD: { secret: 'db' } }, replicas: 2 });
    const cronJobs = [{ ...fixtureJob('nightly', {}), env: { DB_PASSWORD: { secret: 'db' } }, schedule: '* * * * *', concurrency: 'forbid' as const }];
    const first = await up(driver, env, [web], { cronJobs });
    expect(first).toMatchObject({ outcome: 'succeeded', services: [{ service: 'web', action: 'created' }] });
    const { core, apps, batch } = clients();
    const versions = async () => ({
      deployment: (await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).metadata?.resourceVersion,
      service: (await core.readNamespacedService({ name: 'web', namespace: ns })).metadata?.resourceVersion,
      secret: (await core.readNamespacedSecret({ name: 'web-env', namespace: ns })).metadata?.resourceVersion,
      namespace: (await core.readNamespace({ name: ns })).metadata?.resourceVersion,
    });
    const before = await versions();
    const second = await up(driver, env, [web], { cronJobs });
    expect(second).toMatchObject({ outcome: 'succeeded', services: [{ service: 'web', action: 'unchanged' }] });
    expect(await versions()).toEqual(before);

    const namespace = await core.readNamespace({ name: ns });
    expect(namespace.metadata?.labels).toMatchObject({ 'dev.slipway.workspace': 'k8s', 'dev.slipway.app': 'shop', 'dev.slipway.env': env.envId });
    const deployment = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.metadata?.managedFields?.map((f) => f.manager)).toContain('slipway');
    // Every object of the namespace but the Secrets, with its managed fields and annotations.
    const everything = JSON.stringify([
      deployment,
      await batch.listNamespacedCronJob({ namespace: ns }),
      await batch.listNamespacedJob({ namespace: ns }),
      await apps.listNamespacedReplicaSet({ namespace: ns }),
      await core.listNamespacedPod({ namespace: ns }),
      await core.listNamespacedService({ namespace: ns }),
      await core.listNamespacedConfigMap({ namespace: ns }),
      await core.listNamespacedEvent({ namespace: ns }),
      namespace,
    ]);
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(Buffer.from(SECRET).toString('base64'));
    const secret = await core.readNamespacedSecret({ name: 'web-env', namespace: ns });
    expect(Buffer.from(secret.data!.DB_PASSWORD!, 'base64').toString()).toBe(SECRET);
    expect(secret.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
  }, 90_000);

  it('routes through the Service: its EndpointSlice lists every ready pod, and instances name the Service address', async () => {
    const driver = driverOn();
    const env = newEnv();
    const ns = namespaceName('sw', env);
    await up(driver, env, [service('web', { replicas: 2 })]);
    const instances = await driver.instances(env);
    expect(instances.map((i) => [i.name, i.state])).toEqual([
      ['web-0', 'ready'],
      ['web-1', 'ready'],
    ]);
    expect(instances[0]!.endpoints).toEqual([{ port: 3000, host: `web.${ns}.svc.cluster.local`, hostPort: 3000 }]);
    const { core, discovery } = clients();
    const pods = (await core.listNamespacedPod({ namespace: ns })).items.map((p) => p.status?.podIP).sort();
    const addresses = async () => {
      const slices = await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'kubernetes.io/service-name=web' });
      return slices.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses)).sort();
    };
    const deadline = Date.now() + 20_000;
    while ((await addresses()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await addresses()).toEqual(pods);
    expect((await clients().core.readNamespacedService({ name: 'web', namespace: ns })).spec?.ports?.[0]).toMatchObject({ port: 3000, targetPort: 3000 });

    // For a router outside the cluster: a NodePort Service, and instances at the node's address on it.
    const outside = driverOn(tempDir(), { exposure: 'node-port', nodeAddress: '127.0.0.1' });
    const envOutside = newEnv();
    await up(outside, envOutside, [service('web')]);
    const svc = await clients().core.readNamespacedService({ name: 'web', namespace: namespaceName('sw', envOutside) });
    expect(svc.spec?.type).toBe('NodePort');
    const [reached] = await outside.instances(envOutside);
    expect(reached!.endpoints).toEqual([{ port: 3000, host: '127.0.0.1', hostPort: svc.spec!.ports![0]!.nodePort }]);
  }, 90_000);

  it('replaces pods when the spec changes, scales without replacing, and prunes a dropped service with its Service and Secret', async () => {
    const driver = driverOn();
    const env = newEnv();
    const ns = namespaceName('sw', env);
    await up(driver, env, [service('web', { env: { VERSION: '1' } }), service('worker', { env: { TOKEN: { secret: 'db' } } })]);
    const [before] = await driver.instances(env, 'web');
    const changed = await up(driver, env, [service('web', { env: { VERSION: '2' } }), service('worker', { env: { TOKEN: { secret: 'db' } } })]);
    expect(changed.outcome === 'succeeded' && changed.services.map((s) => [s.service, s.action])).toEqual([
      ['web', 'replaced'],
      ['worker', 'unchanged'],
    ]);
    const [after] = await driver.instances(env, 'web');
    expect(after!.runtimeId).not.toBe(before!.runtimeId);
    expect(after!.specHash).not.toBe(before!.specHash);
    const scaled = await up(driver, env, [service('web', { env: { VERSION: '2' }, replicas: 3 }), service('worker', { env: { TOKEN: { secret: 'db' } } })]);
    expect(scaled.outcome === 'succeeded' && scaled.services[0]!.action).toBe('updated');
    expect((await driver.instances(env, 'web')).map((i) => i.runtimeId)).toContain(after!.runtimeId);
    const pruned = await up(driver, env, [service('web', { env: { VERSION: '2' }, replicas: 3 })]);
    expect(pruned.outcome === 'succeeded' && pruned.services.map((s) => [s.service, s.action])).toEqual([
      ['web', 'unchanged'],
      ['worker', 'removed'],
    ]);
    const { core, apps } = clients();
    expect((await apps.listNamespacedDeployment({ namespace: ns })).items.map((d) => d.metadata?.name)).toEqual(['web']);
    expect((await core.listNamespacedService({ namespace: ns })).items.map((s) => s.metadata?.name)).toEqual(['web']);
    expect((await core.listNamespacedSecret({ namespace: ns })).items.map((s) => s.metadata?.name)).not.toContain('worker-env');
    expect(await driver.instances(env, 'worker')).toEqual([]);
  }, 120_000);

  it('creates one Job per run id, even when two drivers run it at once, and returns the recorded result after', async () => {
    const env = newEnv();
    const stateDir = tempDir();
    const [one, two] = [driverOn(stateDir), driverOn(stateDir)];
    const request = { env, runId: 'run-7', commit: 'c0ffee', job: { ...fixtureJob('migrate', {}), env: { PASSWORD: { secret: 'db' } }, image: TEST_IMAGE }, secrets: { db: SECRET } };
    const [a, b] = await Promise.all([one.runJob(request), two.runJob(request)]);
    expect(a).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
    expect(b).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
    expect([a, b].filter((r) => 'recorded' in r && !r.recorded)).toHaveLength(1);
    expect(await one.runJob(request)).toMatchObject({ outcome: 'succeeded', recorded: true });
    const jobs = await clients().batch.listNamespacedJob({ namespace: namespaceName('sw', env), labelSelector: 'dev.slipway.job=migrate' });
    expect(jobs.items).toHaveLength(1);
    expect(jobs.items[0]!.metadata?.annotations?.['dev.slipway/run-id']).toBe('run-7');
    expect(JSON.stringify(jobs.items[0])).not.toContain(SECRET);
  }, 90_000);

  it('fails a deploy over quota with the API\'s reason, and leaves nothing once the environment is deleted', async () => {
    const driver = driverOn();
    const env = newEnv();
    const ns = namespaceName('sw', env);
    const { core } = clients();
    await up(driver, env, []);
    await core.createNamespacedResourceQuota({ namespace: ns, body: { metadata: { name: 'no-pods' }, spec: { hard: { pods: '0' } } } });
    const applied = await up(driver, env, [service('web')]);
    expect(applied.outcome).toBe('failed');
    expect(applied.outcome !== 'succeeded' && applied.reason).toMatch(/exceeded quota: no-pods/);
    await driver.destroy({ env });
    await expect(core.readNamespace({ name: ns })).rejects.toMatchObject({ code: 404 });
    expect((await driver.listOwned()).filter((r) => r.env.envId === env.envId)).toEqual([]);
  }, 90_000);

  it('fails an invalid object with the API\'s field and reason', async () => {
    const driver = driverOn();
    const env = newEnv();
    const applied = await up(driver, env, [service('web', { resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } })]);
    expect(applied.outcome).toBe('failed');
    expect(applied.outcome !== 'succeeded' && applied.reason).toMatch(/422 Invalid.*spec\.template\.spec\.containers\[0\]\.resources\.requests.*must be less than or equal to cpu limit/);
  }, 60_000);

  it('fails with the API\'s reason when its credentials are not allowed, and refuses host ports and process services', async () => {
    const { core } = clients();
    const account = `nobody-${process.pid}-${++counter}`;
    await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: account } } });
    const token = (await core.createNamespacedServiceAccountToken({ name: account, namespace: 'default', body: { spec: { audiences: [], expirationSeconds: 600 } } })).status?.token;
    const kubeconfig = join(tempDir(), 'nobody.kubeconfig');
    writeFileSync(kubeconfig, readFileSync(testKubeconfig!, 'utf8').replace(/token: .*/, `token: ${token}`));
    const denied = await driverOn(tempDir(), { kubeconfig }).apply({ env: newEnv(), commit: 'c0ffee', services: [service('web')] });
    expect(denied.outcome).toBe('failed');
    expect(denied.outcome !== 'succeeded' && denied.reason).toMatch(/403 Forbidden.*system:serviceaccount:default:nobody/);
    await core.deleteNamespacedServiceAccount({ name: account, namespace: 'default' });

    const driver = driverOn();
    const ports = await driver.apply({ env: newEnv(), commit: 'c0ffee', services: [service('web')], hostPorts: { web: 8080 } });
    expect(ports.outcome !== 'succeeded' && ports.reason).toContain('no host ports');
    const processes = await driver.apply({ env: newEnv(), commit: 'c0ffee', services: [fixtureService('web')] });
    expect(processes.outcome !== 'succeeded' && processes.reason).toContain('services.web.run: the kubernetes runtime runs containers');
  }, 60_000);

  it('waits while the API server does not answer and completes the deploy once it does', async () => {
    const admin = readFileSync(testKubeconfig!, 'utf8');
    const target = new URL(/server: (\S+)/.exec(admin)![1]!);
    // A TCP hop in front of the API server that answers only once it is switched on.
    const open = new Set<Socket>();
    const hop: Server = createServer((socket) => {
      const upstream = connect(Number(target.port), target.hostname);
      for (const s of [socket, upstream]) {
        open.add(s);
        s.on('close', () => open.delete(s));
      }
      socket.pipe(upstream).pipe(socket);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const kubeconfig = join(tempDir(), 'hop.kubeconfig');
    writeFileSync(kubeconfig, admin.replace(/server: \S+/, `server: https://127.0.0.1:${port}`));
    const driver = driverOn(tempDir(), { kubeconfig });
    const env = newEnv();
    try {
      const started = Date.now();
      const applying = up(driver, env, [service('web')]);
      await new Promise((r) => setTimeout(r, 1_500));
      await new Promise<void>((resolve) => hop.listen(port, '127.0.0.1', resolve));
      const applied = await applying;
      expect(applied).toMatchObject({ outcome: 'succeeded', services: [{ service: 'web', action: 'created' }] });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
      await driver.destroy({ env });
    } finally {
      // Swept through the hop, or not at all: the cluster sweep of the other tests' drivers would wait on it.
      drivers.splice(drivers.indexOf(driver), 1);
      await driver.close();
      // The driver's client keeps its connections alive: end them, or the hop never closes.
      for (const s of open) s.destroy();
      await new Promise((resolve) => hop.close(resolve));
    }
  }, 90_000);

  it('links an importer to its imports by Service DNS', async () => {
    const driver = driverOn();
    const backend = { ...newEnv(), app: 'backend' };
    await up(driver, backend, [service('api')]);
    const linked = await driver.link({ env: newEnv(), services: ['web'], peers: [{ env: backend, services: ['api', 'absent'] }] });
    expect(linked).toEqual({ outcome: 'succeeded', addresses: [{ env: backend, service: 'api', host: `api.${namespaceName('sw', backend)}.svc.cluster.local`, port: 3000 }] });
  }, 60_000);
});
