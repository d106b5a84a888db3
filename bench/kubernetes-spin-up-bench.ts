// Kubernetes spin-up benchmark (not part of `npm test`): `npm run bench:spin-up:kubernetes [-- --rounds 7]`.
//
// An environment of three services (web with 2 replicas and a secret variable, api, worker) ready on
// the kubernetes runtime, against `kubectl apply --server-side` of the same objects (rendered by
// the same functions the driver uses) into a fresh namespace followed by the same readiness wait:
// every Deployment's pods Ready, polled through the API every 50 ms. Same cluster, same run,
// alternating order each round; a new namespace every round on both sides, deleted (and waited for)
// before the other side starts, so neither runs beside the other's teardown.
//   slipway   prepareSource (git mirror and worktree of the commit) + apply({ waitFor: 'ready' })
//   kubectl   kubectl apply --server-side -f - (Namespace, Secret, Deployments, Services) + the wait
// Target: slipway ≤ 1.2× kubectl. The cluster is the test cluster (scripts/kubernetes) with kwok's
// simulated node (its image names are never pulled), or the one SLIPWAY_TEST_KUBECONFIG names.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { ResolvedService } from '@slipway/contract';
import { createKubernetesDriver } from '../packages/drivers/src/kubernetes/kubernetes-driver.ts';
import { deploymentObject, namespaceName, namespaceObject, secretObject, serviceObject, serviceSecretName } from '../packages/drivers/src/kubernetes/objects.ts';
import { fixtureService } from '../packages/drivers/src/conformance/runtime-driver-conformance.ts';
import { startTestCluster, type TestCluster } from '../packages/drivers/src/kubernetes/test-support/test-cluster.ts';
import { fmt, summarize } from './spin-up-bench-support.ts';

const TARGET = 1.2;
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const rounds = Number(values.rounds);
const IMAGE = 'registry.slipway.test/bench:1';

const services: ResolvedService[] = [
  { ...fixtureService('web', { replicas: 2, env: { DB_PASSWORD: { secret: 'db' }, MODE: 'bench' } }), run: undefined, image: IMAGE },
  { ...fixtureService('api'), run: undefined, image: IMAGE },
  { ...fixtureService('worker', { ports: [] }), run: undefined, image: IMAGE, readiness: undefined },
];
const secrets = { db: 'bench-secret-value' };
const expectedPods = services.reduce((n, s) => n + s.replicas, 0);

function git(cwd: string, ...args: string[]) {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' } }).trim();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'slipway-kbench-'));
  let cluster: TestCluster | undefined;
  // kwok's simulated node: both sides are timed through the API path the driver controls (objects
  // applied, rollout observed), without the noise of starting real containers on a shared machine.
  const kubeconfig = process.env.SLIPWAY_TEST_KUBECONFIG ?? (cluster = await startTestCluster(join(work, 'cluster'), undefined, 'kwok')).kubeconfig;
  const kubectl = cluster ? join(cluster.binDir, 'kubectl') : (process.env.SLIPWAY_TEST_KUBECTL ?? 'kubectl');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const repo = join(work, 'repo');
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README'), 'bench\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'bench');

  /** The same readiness wait on both sides: every expected pod of the namespace Ready, polled every 50 ms. */
  const waitReady = async (ns: string) => {
    for (;;) {
      const pods = await core.listNamespacedPod({ namespace: ns });
      const ready = pods.items.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
      if (ready >= expectedPods) return;
      await sleep(50);
    }
  };
  // Each side starts on a quiet cluster: the other side's namespace is gone (its pods deleted by the
  // namespace controller and kwok) before the next measurement begins.
  const gone = async (ns: string) => {
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    for (;;) {
      const still = await core.readNamespace({ name: ns }).then(
        () => true,
        () => false,
      );
      if (!still) return;
      await sleep(100);
    }
  };

  const driver = createKubernetesDriver({ stateDir: join(work, 'state'), kubeconfig, namespacePrefix: 'bench', ownerTag: 'bench' });
  const slipwayRound = async (round: number) => {
    const env = { workspace: 'bench', app: 'shop', envId: `s${round}` };
    const t0 = performance.now();
    const prepared = await driver.prepareSource({ env, repository: repo, commit: 'main', services });
    if (prepared.outcome !== 'succeeded') throw new Error(prepared.reason);
    const applied = await driver.apply({ env, commit: prepared.commit, services, secrets, waitFor: 'ready', timeoutMs: 60_000 });
    if (applied.outcome !== 'succeeded') throw new Error(applied.reason);
    await waitReady(namespaceName('bench', env));
    const ms = performance.now() - t0;
    await gone(namespaceName('bench', env));
    return ms;
  };
  const kubectlRound = async (round: number) => {
    const env = { workspace: 'bench', app: 'shop', envId: `k${round}` };
    const ns = namespaceName('bench', env);
    const objects = [namespaceObject(ns, env, 'bench-kubectl')];
    for (const s of services) {
      if (s.name === 'web') objects.push(secretObject(serviceSecretName(s.name), ns, {}, { DB_PASSWORD: secrets.db }));
      objects.push(deploymentObject({ namespace: ns, env, service: s, image: IMAGE, specHash: 'h', commit: 'c' }));
      const svc = serviceObject(ns, env, s, 'cluster-ip');
      if (svc) objects.push(svc);
    }
    const t0 = performance.now();
    const applied = spawnSync(kubectl, ['--kubeconfig', kubeconfig, 'apply', '--server-side', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }), encoding: 'utf8' });
    if (applied.status !== 0) throw new Error(applied.stderr);
    await waitReady(ns);
    const ms = performance.now() - t0;
    await gone(ns);
    return ms;
  };

  const slipway: number[] = [];
  const byKubectl: number[] = [];
  console.log(`kubernetes spin-up: ${services.length} services, ${expectedPods} pods, ${rounds} rounds (round 0 warms both sides and is not counted)`);
  console.log('round  kubectl ms  slipway ms  ratio');
  for (let round = 0; round <= rounds; round++) {
    const order = round % 2 === 0 ? ['kubectl', 'slipway'] : ['slipway', 'kubectl'];
    const times: Record<string, number> = {};
    for (const side of order) times[side] = side === 'slipway' ? await slipwayRound(round) : await kubectlRound(round);
    if (round > 0) {
      slipway.push(times.slipway!);
      byKubectl.push(times.kubectl!);
    }
    console.log(`${String(round).padStart(5)}  ${fmt(times.kubectl!).padStart(10)}  ${fmt(times.slipway!).padStart(10)}  ${fmt(times.slipway! / times.kubectl!, 2)}×${round === 0 ? '  (warm-up)' : ''}`);
    await sleep(500);
  }
  const s = summarize(slipway);
  const k = summarize(byKubectl);
  const ratio = s.median / k.median;
  console.log(`median  kubectl ${fmt(k.median)} ms, slipway ${fmt(s.median)} ms: ${fmt(ratio, 2)}× (target ≤ ${TARGET}×) ${ratio <= TARGET ? 'MET' : 'MISSED'}`);
  await driver.close();
  await cluster?.stop();
  rmSync(work, { recursive: true, force: true });
}

await main();
