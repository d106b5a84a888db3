// Cron jobs on the kubernetes runtime, against the real API server `npm run test:kubernetes`
// starts: CronJobs written with server-side apply (an unchanged one is not written again), the
// CronJob controller of kube-controller-manager making Jobs on schedule, pruning of a dropped cron
// job with its Secret and Jobs, and secret values in the Secret only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ResolvedJob, ResolvedService } from '@slipway/contract';
import type { EnvironmentRef } from '@slipway/core';
import { fixtureJob, fixtureService } from '../conformance/runtime-driver-conformance.ts';
import type { KubernetesDriver } from './kubernetes-driver.ts';
import { namespaceName } from './objects.ts';
import { clusterSkipReason, TEST_IMAGE, testDriver, testKubeconfig } from './test-support/cluster-for-tests.ts';

const suite = clusterSkipReason ? describe.skip : describe;
const SECRET = 'k8s-cron-secret-4b8e';

const temporary: string[] = [];
const drivers: KubernetesDriver[] = [];
let counter = 0;
const newEnv = (): EnvironmentRef => ({ workspace: 'k8s', app: 'shop', envId: `c${process.pid}-${++counter}` });
const driverOn = () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-k8s-cron-'));
  temporary.push(dir);
  const driver = testDriver(dir);
  drivers.push(driver);
  return driver;
};
const web = (): ResolvedService => ({ ...fixtureService('web'), run: undefined, image: TEST_IMAGE, env: { FROM_WEB: 'yes' } });
const cron = (name: string, overrides: Partial<ResolvedJob> = {}): ResolvedJob => ({ ...fixtureJob(name, {}), env: { TOKEN: { secret: 'api' } }, schedule: '* * * * *', concurrency: 'forbid', ...overrides });
const clients = () => {
  const kc = new KubeConfig();
  kc.loadFromFile(testKubeconfig!);
  return { core: kc.makeApiClient(CoreV1Api), batch: kc.makeApiClient(BatchV1Api) };
};
const waitFor = async <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
};

suite('kubernetes driver: cron jobs as CronJobs on a real API server', () => {
  afterEach(async () => {
    for (const driver of drivers.splice(0)) {
      await driver.sweep([]).catch(() => undefined);
      await driver.close();
    }
  }, 120_000);
  afterAll(() => {
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  it('applies CronJobs the controller runs on schedule, rewrites nothing unchanged, prunes a dropped one with its Jobs and Secret, and keeps secrets in the Secret', async () => {
    const driver = driverOn();
    const env = newEnv();
    const ns = namespaceName('sw', env);
    const apply = (cronJobs: ResolvedJob[]) => driver.apply({ env, commit: 'c0ffee', services: [web()], cronJobs, secrets: { api: SECRET }, waitFor: 'ready', timeoutMs: 30_000 });
    const wanted = [cron('tick'), cron('nightly', { schedule: '0 3 * * *', concurrency: 'replace', image: 'registry.slipway.test/reports:2', fromService: undefined })];
    expect(await apply(wanted)).toMatchObject({ outcome: 'succeeded' });
    const { core, batch } = clients();
    const tick = await batch.readNamespacedCronJob({ name: 'tick', namespace: ns });
    expect(tick.metadata?.labels).toMatchObject({ 'dev.slipway.workspace': 'k8s', 'dev.slipway.app': 'shop', 'dev.slipway.env': env.envId, 'dev.slipway.cronjob': 'tick' });
    expect(tick.metadata?.managedFields?.map((f) => f.manager)).toContain('slipway');
    expect(tick.spec).toMatchObject({ schedule: '* * * * *', concurrencyPolicy: 'Forbid' });
    const container = tick.spec?.jobTemplate.spec?.template.spec?.containers[0];
    // From the service: its image and variables, under the job's own.
    expect(container?.image).toBe(TEST_IMAGE);
    expect(container?.env).toEqual([
      { name: 'FROM_WEB', value: 'yes' },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'tick.cronjob', key: 'TOKEN' } } },
    ]);
    expect((await batch.readNamespacedCronJob({ name: 'nightly', namespace: ns })).spec).toMatchObject({ schedule: '0 3 * * *', concurrencyPolicy: 'Replace' });
    const secret = await core.readNamespacedSecret({ name: 'tick.cronjob', namespace: ns });
    expect(Buffer.from(secret.data!.TOKEN!, 'base64').toString()).toBe(SECRET);

    // The same plan again: no object is written.
    const versions = async () => [
      (await batch.readNamespacedCronJob({ name: 'tick', namespace: ns })).metadata?.resourceVersion,
      (await batch.readNamespacedCronJob({ name: 'nightly', namespace: ns })).metadata?.resourceVersion,
      (await core.readNamespacedSecret({ name: 'tick.cronjob', namespace: ns })).metadata?.resourceVersion,
    ];
    const before = await versions();
    expect(await apply(wanted)).toMatchObject({ outcome: 'succeeded', services: [{ service: 'web', action: 'unchanged' }] });
    // tick's status is the CronJob controller's to write (lastScheduleTime) once it ran: its spec is checked by generation.
    const after = await versions();
    expect(after[2]).toBe(before[2]);
    expect(after[1]).toBe(before[1]);
    expect((await batch.readNamespacedCronJob({ name: 'tick', namespace: ns })).metadata?.generation).toBe(1);

    // kube-controller-manager's CronJob controller makes a Job on the next minute; kwok runs its pod to completion.
    const made = await waitFor('the CronJob controller made a Job of tick', 90_000, async () => {
      const jobs = await batch.listNamespacedJob({ namespace: ns, labelSelector: 'dev.slipway.cronjob=tick' });
      return jobs.items[0];
    });
    expect(made.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'tick' });
    expect(made.metadata?.labels).toMatchObject({ 'dev.slipway.env': env.envId });

    const everything = JSON.stringify([
      await batch.listNamespacedCronJob({ namespace: ns }),
      await batch.listNamespacedJob({ namespace: ns }),
      await core.listNamespacedPod({ namespace: ns }),
      await core.listNamespacedEvent({ namespace: ns }),
      await core.listNamespacedConfigMap({ namespace: ns }),
    ]);
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(Buffer.from(SECRET).toString('base64'));

    // Dropping tick deletes its CronJob, its Secret and the Jobs it made; nightly stays.
    expect(await apply([wanted[1]!])).toMatchObject({ outcome: 'succeeded' });
    expect((await batch.listNamespacedCronJob({ namespace: ns })).items.map((c) => c.metadata?.name)).toEqual(['nightly']);
    await expect(core.readNamespacedSecret({ name: 'tick.cronjob', namespace: ns })).rejects.toMatchObject({ code: 404 });
    await waitFor("tick's Jobs are gone", 60_000, async () => ((await batch.listNamespacedJob({ namespace: ns, labelSelector: 'dev.slipway.cronjob=tick' })).items.length === 0 ? true : undefined));

    // An apply of one service leaves cron jobs alone; teardown takes them with the namespace.
    expect(await driver.apply({ env, commit: 'c0ffee', services: [web()], only: ['web'], secrets: { api: SECRET } })).toMatchObject({ outcome: 'succeeded' });
    expect((await batch.listNamespacedCronJob({ namespace: ns })).items).toHaveLength(1);
    await driver.destroy({ env });
    await expect(core.readNamespace({ name: ns })).rejects.toMatchObject({ code: 404 });
  }, 240_000);

  it('fails with the API\'s reason for a schedule it refuses, and names a missing secret', async () => {
    const driver = driverOn();
    const env = newEnv();
    const refused = await driver.apply({ env, commit: 'c0ffee', services: [web()], cronJobs: [cron('bad', { schedule: '61 * * * *' })], secrets: { api: SECRET } });
    expect(refused.outcome).toBe('failed');
    expect(refused.outcome !== 'succeeded' && refused.reason).toMatch(/422 Invalid.*spec\.schedule/);
    const missing = await driver.apply({ env, commit: 'c0ffee', services: [web()], cronJobs: [cron('tick')] });
    expect(missing.outcome !== 'succeeded' && missing.reason).toBe('cronJobs.tick: secrets not provided: api');
  }, 60_000);
});
