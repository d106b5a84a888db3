// A server killed with SIGKILL in the middle of applying an environment and running its job: a new
// driver converges the same plan, and the job run stays one Job, at every point of the kill.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppsV1Api, BatchV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { namespaceName } from './objects.ts';
import { clusterSkipReason, TEST_IMAGE, testDriver, testKubeconfig } from './test-support/cluster-for-tests.ts';

const suite = clusterSkipReason ? describe.skip : describe;
const dir = mkdtempSync(join(tmpdir(), 'slipway-k8s-crash-'));
const REPO = resolve(import.meta.dirname, '../../../..');

const plan = (envId: string) => ({
  env: { workspace: 'crash', app: 'shop', envId },
  services: ['web', 'api', 'worker'].map((name) => ({
    name,
    image: TEST_IMAGE,
    // The worker listens on nothing: on the real node it runs a process that stays up rather than the
    // fixture's server, which exits without a port to listen on (CrashLoopBackOff).
    ...(name === 'worker' ? { command: ['sleep', '3600'] } : {}),
    ports: name === 'worker' ? [] : [{ port: 3000, protocol: 'http' as const }],
    env: { TOKEN: { secret: 'db' } },
    dependsOn: [],
    initContainers: [],
    sidecars: [],
    replicas: 2,
    volumes: [],
    hostnames: [],
    ingress: { public: true, timeoutMs: 60_000, connectTimeoutMs: 5_000, maxBodyBytes: 1_000_000 },
  })),
  job: { name: 'migrate', image: TEST_IMAGE, command: ['true'], env: { TOKEN: { secret: 'db' } }, timeoutMs: 30_000, haltOnError: true, dependsOn: [] },
});

// The doomed server: applies the plan, then runs the job, printing when it starts.
const SCRIPT = `
import { testDriver } from ${JSON.stringify(join(REPO, 'packages/drivers/src/kubernetes/test-support/cluster-for-tests.ts'))};
const [stateDir, planJson] = process.argv.slice(2);
const { env, services, job } = JSON.parse(planJson);
const driver = testDriver(stateDir);
console.log('started');
await driver.apply({ env, commit: 'c0ffee', services, secrets: { db: 'v' }, waitFor: 'ready', timeoutMs: 30000 });
await driver.runJob({ env, runId: 'run-1', commit: 'c0ffee', job, secrets: { db: 'v' } });
console.log('done');
`;

suite('kubernetes driver after a SIGKILL', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('converges after the server dies mid-apply or mid-job, with one Job per run', async () => {
    const script = join(dir, 'doomed.mts');
    writeFileSync(script, SCRIPT);
    const kc = new KubeConfig();
    kc.loadFromFile(testKubeconfig!);
    const apps = kc.makeApiClient(AppsV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    // Kill points after "started": early in the apply, late in it, around the job.
    for (const [k, delayMs] of [0, 150, 400, 900].entries()) {
      const p = plan(`kill-${process.pid}-${k}`);
      const stateDir = join(dir, `state-${k}`);
      const child = spawn(process.execPath, ['--import', 'tsx', script, stateDir, JSON.stringify(p)], { cwd: REPO, env: { ...process.env, SLIPWAY_TEST_KUBECONFIG: testKubeconfig }, stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      await new Promise<void>((r) => child.stdout.on('data', (d: Buffer) => String(d).includes('started') && r()));
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      await exited;

      const successor = testDriver(stateDir);
      const applied = await successor.apply({ env: p.env, commit: 'c0ffee', services: p.services, secrets: { db: 'v' }, waitFor: 'ready', timeoutMs: 30_000 });
      expect(applied.outcome, `after a kill ${delayMs} ms in: ${'reason' in applied ? applied.reason : ''}`).toBe('succeeded');
      const job = await successor.runJob({ env: p.env, runId: 'run-1', commit: 'c0ffee', job: p.job, secrets: { db: 'v' } });
      expect(job.outcome).toBe('succeeded');
      const ns = namespaceName('sw', p.env);
      expect((await apps.listNamespacedDeployment({ namespace: ns })).items.map((d) => [d.metadata?.name, d.spec?.replicas]).sort()).toEqual([
        ['api', 2],
        ['web', 2],
        ['worker', 2],
      ]);
      expect((await batch.listNamespacedJob({ namespace: ns })).items).toHaveLength(1);
      await successor.destroy({ env: p.env });
      expect((await successor.listOwned()).filter((r) => r.env.envId === p.env.envId)).toEqual([]);
      await successor.close();
    }
  }, 180_000);
});
