// `npm run test:kubernetes`: starts a real Kubernetes control plane on loopback (binaries built from
// Kubernetes' Go modules on first use, then cached; see scripts/kubernetes/build-binaries.sh), runs
// the kubernetes runtime's tests against it, and stops it. Fails when the cluster cannot start:
// these tests never skip here. Extra arguments go to vitest (e.g. a test name filter with -t).
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
console.log(`== test cluster up in ${Date.now() - started} ms at ${cluster.server} (kubeconfig ${cluster.kubeconfig})`);
let status = 1;
try {
  // The runtime's own tests, and the server end to end on the runtime (built images, cron jobs).
  const files = ['packages/drivers/src/kubernetes', 'packages/server/src/environments/kubernetes-runtime.test.ts'];
  const ran = spawnSync('npx', ['vitest', 'run', ...files, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, SLIPWAY_TEST_KUBECONFIG: cluster.kubeconfig, SLIPWAY_TEST_KUBECTL: join(cluster.binDir, 'kubectl') },
  });
  status = ran.status ?? 1;
} finally {
  await cluster.stop();
  if (status === 0) rmSync(dir, { recursive: true, force: true });
  else console.error(`test:kubernetes: the cluster's logs are in ${join(dir, 'logs')}`);
}
process.exit(status);
