// `npm run test:kubernetes`: starts a real Kubernetes control plane on loopback and a real node
// (kubelet on containerd; binaries built from Kubernetes' Go modules on first use, then cached; see
// scripts/kubernetes/build-binaries.sh and packages/drivers/src/kubernetes/test-support/), runs the
// kubernetes runtime's tests against it, and stops it, undoing what the node made. Fails when the
// cluster or its node cannot start: these tests never skip here. SLIPWAY_TEST_KUBE_NODE=kwok runs
// kwok's simulated node instead of the real one. Extra arguments go to vitest (e.g. -t <name>).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster } from '../../packages/drivers/src/kubernetes/test-support/test-cluster.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-kube-'));
const started = Date.now();
let cluster;
try {
  cluster = await startTestCluster(dir);
} catch (error) {
  console.error(`test:kubernetes: the test cluster did not start: ${(error as Error).message}`);
  console.error(`(its files are kept in ${dir})`);
  process.exit(1);
}
console.log(`== test cluster up in ${Date.now() - started} ms at ${cluster.server} (kubeconfig ${cluster.kubeconfig}); node ${cluster.node.name} (${cluster.node.kind}) at ${cluster.node.address}`);
// Ctrl-C reaches vitest (same process group); this process outlives it to stop the cluster, whose
// processes run in groups of their own.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
let status = 1;
try {
  // The runtime's own tests, the server end to end on the runtime (built images, cron jobs), and
  // real HTTP through the router into pods.
  const files = ['packages/drivers/src/kubernetes', 'packages/server/src/environments/kubernetes-runtime.test.ts', 'packages/server/src/routing/kubernetes-routing.test.ts'];
  const ran = spawnSync('npx', ['vitest', 'run', ...files, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: {
      ...process.env,
      SLIPWAY_TEST_KUBECONFIG: cluster.kubeconfig,
      SLIPWAY_TEST_KUBECTL: join(cluster.binDir, 'kubectl'),
      SLIPWAY_TEST_KUBE_NODE: cluster.node.kind,
      SLIPWAY_TEST_KUBE_IMAGE: cluster.node.image,
    },
  });
  status = ran.status ?? 1;
} finally {
  try {
    await cluster.stop();
  } catch (error) {
    console.error(`test:kubernetes: ${(error as Error).message}`);
    status = 1;
  }
  if (status === 0) rmSync(dir, { recursive: true, force: true });
  else console.error(`test:kubernetes: the cluster's logs are in ${join(dir, 'logs')}`);
}
process.exit(status);
