// deploy/kubernetes/slipway.yaml on the test cluster: the API server accepts every object, the
// Deployments come up (on kwok's simulated node; on the real node their pods are scheduled and wait
// for Slipway's image, which no test builds: no registry is reachable to pull it from), and the
// ClusterRole it grants is enough for the kubernetes runtime to run and tear down an environment,
// and no more than that (it cannot read nodes or cluster roles).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureService } from '../conformance/runtime-driver-conformance.ts';
import { clusterSkipReason, realNode, TEST_IMAGE, testDriver, testKubeconfig } from './test-support/cluster-for-tests.ts';

const MANIFEST = resolve(import.meta.dirname, '../../../../deploy/kubernetes/slipway.yaml');
const kubectl = process.env.SLIPWAY_TEST_KUBECTL ?? 'kubectl';
const suite = clusterSkipReason ? describe.skip : describe;
const dir = mkdtempSync(join(tmpdir(), 'slipway-deploy-'));

const run = (args: string[], input?: string) => spawnSync(kubectl, ['--kubeconfig', testKubeconfig!, ...args], { encoding: 'utf8', ...(input ? { input } : {}) });

suite('deploy/kubernetes/slipway.yaml', () => {
  afterAll(() => {
    run(['delete', '-f', MANIFEST, '--wait=false', '--ignore-not-found']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is accepted by a server-side dry run, then applied: two servers and the router are scheduled, and come up where their image is', async () => {
    const dry = run(['apply', '--server-side', '--dry-run=server', '-f', MANIFEST]);
    // A dry run creates no namespace, so namespaced objects may be refused for want of it; everything else must pass.
    const refused = dry.stderr.split('\n').filter((l) => l.trim() && !/namespaces "slipway-system" not found/.test(l));
    expect(refused).toEqual([]);
    const applied = run(['apply', '--server-side', '-f', MANIFEST]);
    expect(applied.stderr).toBe('');
    expect(applied.status).toBe(0);
    const kc = new KubeConfig();
    kc.loadFromFile(testKubeconfig!);
    const apps = kc.makeApiClient(AppsV1Api);
    const server = (await apps.readNamespacedDeployment({ name: 'slipway-server', namespace: 'slipway-system' })).spec!.template.spec!.containers[0]!;
    expect(server.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'slipway-database', key: 'url' });
    // Metrics beyond loopback, so only with the scrape token from its Secret (the server refuses to start otherwise).
    expect(server.ports?.find((p) => p.name === 'metrics')?.containerPort).toBe(4401);
    expect(server.env?.find((e) => e.name === 'SLIPWAY_METRICS_TOKEN')?.valueFrom?.secretKeyRef).toEqual({ name: 'slipway-metrics-token', key: 'token' });
    if (realNode) {
      // Every pod is scheduled on the node, which asks for slipway:0.1.0 and reports it cannot pull it.
      const core = kc.makeApiClient(CoreV1Api);
      const deadline = Date.now() + 30_000;
      let waiting: string[] = [];
      while (Date.now() < deadline) {
        const pods = (await core.listNamespacedPod({ namespace: 'slipway-system' })).items;
        waiting = pods.map((p) => `${p.metadata!.labels?.['app.kubernetes.io/name'] ?? p.metadata!.name}: ${p.spec?.nodeName ? 'scheduled' : 'unscheduled'}, ${p.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? p.status?.phase}`);
        if (pods.length === 4 && pods.every((p) => p.spec?.nodeName && /ErrImagePull|ImagePullBackOff/.test(p.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? ''))) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(waiting.every((w) => /scheduled, (ErrImagePull|ImagePullBackOff)$/.test(w)), waiting.join('\n')).toBe(true);
      expect(waiting).toHaveLength(4);
      return;
    }
    const deadline = Date.now() + 30_000;
    let ready: Record<string, number | undefined> = {};
    while (Date.now() < deadline) {
      const list = await apps.listNamespacedDeployment({ namespace: 'slipway-system' });
      ready = Object.fromEntries(list.items.map((d) => [d.metadata!.name!, d.status?.readyReplicas]));
      if (ready['slipway-server'] === 2 && ready['slipway-router'] === 2) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(ready).toEqual({ 'slipway-server': 2, 'slipway-router': 2 });
  }, 60_000);

  it("grants the server's ServiceAccount what the kubernetes runtime uses, and nothing cluster-wide beyond it", async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(testKubeconfig!);
    const core = kc.makeApiClient(CoreV1Api);
    const token = (await core.createNamespacedServiceAccountToken({ name: 'slipway-server', namespace: 'slipway-system', body: { spec: { audiences: [], expirationSeconds: 600 } } })).status!.token!;
    const kubeconfig = join(dir, 'server.kubeconfig');
    writeFileSync(kubeconfig, readFileSync(testKubeconfig!, 'utf8').replace(/token: .*/, `token: ${token}`));
    const driver = testDriver(join(dir, 'state'), { kubeconfig });
    const env = { workspace: 'deploy', app: 'shop', envId: `rbac-${process.pid}` };
    const web = { ...fixtureService('web', { env: { TOKEN: { secret: 'db' } }, replicas: 2 }), run: undefined, image: TEST_IMAGE };
    const cronJobs = [{ name: 'nightly', command: ['true'], env: { TOKEN: { secret: 'db' } }, timeoutMs: 30_000, haltOnError: true, dependsOn: [], image: TEST_IMAGE, schedule: '@daily', concurrency: 'forbid' as const }];
    const applied = await driver.apply({ env, commit: 'c0ffee', services: [web], cronJobs, waitFor: 'ready', timeoutMs: 30_000, secrets: { db: 'value' } });
    expect(applied.outcome).toBe('succeeded');
    // Dropping the cron job: listed and deleted with the role's rights.
    expect((await driver.apply({ env, commit: 'c0ffee', services: [web], cronJobs: [], waitFor: 'ready', timeoutMs: 30_000, secrets: { db: 'value' } })).outcome).toBe('succeeded');
    const scaled = await driver.apply({ env, commit: 'c0ffee', services: [{ ...web, replicas: 1 }], waitFor: 'ready', timeoutMs: 30_000, secrets: { db: 'value' } });
    expect(scaled.outcome === 'succeeded' && scaled.services[0]!.action).toBe('updated');
    const job = await driver.runJob({ env, runId: 'r1', commit: 'c0ffee', job: { name: 'migrate', command: ['true'], env: {}, timeoutMs: 30_000, haltOnError: true, dependsOn: [], image: TEST_IMAGE } });
    expect(job.outcome).toBe('succeeded');
    expect((await driver.listOwned()).map((r) => r.env)).toContainEqual(env);
    await driver.destroy({ env });
    expect((await driver.listOwned()).map((r) => r.env)).not.toContainEqual(env);
    await driver.close();
    const can = (verb: string, resource: string) => execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'auth', 'can-i', verb, resource], { encoding: 'utf8' }).trim();
    const cannot = (verb: string, resource: string) => run(['--token', token, 'auth', 'can-i', verb, resource]).stdout.trim();
    expect(can('create', 'namespaces')).toBe('yes');
    expect(cannot('list', 'nodes')).toBe('no');
    expect(cannot('create', 'clusterroles')).toBe('no');
    expect(cannot('delete', 'nodes')).toBe('no');
  }, 90_000);
});
