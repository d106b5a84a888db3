// A real Kubernetes control plane for the kubernetes runtime's tests, on loopback ports: etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler built from Kubernetes' own Go modules
// (scripts/kubernetes/build-binaries.sh), and one node: by default a real one (kubelet from the
// same module on containerd, runc and CNI from Debian, see real-node.ts) whose pods run real
// containers of locally built images; with `node: 'kwok'` (SLIPWAY_TEST_KUBE_NODE=kwok) kwok
// simulating it instead, for machines that cannot run a node (no root, no containerd): its pods
// report Ready and Jobs complete but run no container. Certificates, service-account keys, a token
// and a kubeconfig are made afresh for each cluster under its folder. Nothing is faked at the API:
// every object goes through the real API server's validation, admission, storage and controllers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { allocatePort } from '../../shared/ports.ts';
import { startRealNode, type RealNode } from './real-node.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../../../..');
const BUILD_SCRIPT = join(REPO_ROOT, 'scripts/kubernetes/build-binaries.sh');

export interface TestCluster {
  /** Path of an admin kubeconfig for the cluster. */
  kubeconfig: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Folder of the binaries (kubectl among them). */
  binDir: string;
  /** The folder holding the cluster's keys, data and logs. */
  dir: string;
  node: TestClusterNode;
  stop(): Promise<void>;
}

export type TestNodeKind = 'real' | 'kwok';

export interface TestClusterNode {
  kind: TestNodeKind;
  name: string;
  /** Its InternalIP: on the real node the bridge's address, from which the host reaches pod IPs. */
  address: string;
  /** An image the node runs without pulling: the conformance fixture's app (real node), or a name kwok never pulls. */
  image: string;
}

/** The node kind `npm run test:kubernetes` starts: real unless SLIPWAY_TEST_KUBE_NODE=kwok. */
export function testNodeKind(): TestNodeKind {
  const asked = process.env.SLIPWAY_TEST_KUBE_NODE;
  if (asked === undefined || asked === '' || asked === 'real') return 'real';
  if (asked === 'kwok') return 'kwok';
  throw new Error(`SLIPWAY_TEST_KUBE_NODE=${asked}: expected real (the default) or kwok`);
}

/** The image name kwok's simulated node accepts without pulling it (no registry is reachable here). */
export const KWOK_IMAGE = 'registry.slipway.test/fixture:1';

/** Builds the binaries when they are not cached yet; returns their folder. */
export function testClusterBinaries(): string {
  const built = spawnSync('bash', [BUILD_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (built.status !== 0) throw new Error(`building the test cluster's binaries failed (bash ${BUILD_SCRIPT} exited ${built.status})`);
  return built.stdout.trim().split('\n').pop()!;
}

const freePort = () => allocatePort(new Set());

function openssl(dir: string, args: string[]): void {
  const ran = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (ran.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${ran.stderr}`);
}

/** A CA, the API server's serving certificate for loopback and the in-cluster names, and the service-account key pair. */
function makeKeys(pki: string): void {
  mkdirSync(pki, { recursive: true });
  openssl(pki, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=slipway-test-ca']);
  writeFileSync(
    join(pki, 'apiserver.ext'),
    'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n',
  );
  openssl(pki, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver']);
  openssl(pki, ['x509', '-req', '-in', 'apiserver.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'apiserver.crt', '-days', '2', '-extfile', 'apiserver.ext']);
  // The API server's client certificate towards kubelets (logs, exec, port-forward).
  openssl(pki, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'apiserver-kubelet-client.key', '-out', 'apiserver-kubelet-client.csr', '-subj', '/O=system:masters/CN=kube-apiserver-kubelet-client']);
  openssl(pki, ['x509', '-req', '-in', 'apiserver-kubelet-client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'apiserver-kubelet-client.crt', '-days', '2']);
  openssl(pki, ['genrsa', '-out', 'sa.key', '2048']);
  openssl(pki, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

function kubeconfigText(server: string, caFile: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${caFile}`,
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: test',
    '  context: { cluster: test, user: admin }',
    'current-context: test',
    '',
  ].join('\n');
}

interface Started {
  name: string;
  child: ChildProcess;
  log: string;
}

function start(dir: string, binDir: string, name: string, args: string[]): Started {
  const log = join(dir, 'logs', `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(join(binDir, name), args, { cwd: dir, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  return { name, child, log };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function apiGet(server: string, path: string, token: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolveGet, reject) => {
    const req = request(`${server}${path}`, { headers: { authorization: `Bearer ${token}` }, ca, timeout: 3_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(what: string, processes: Started[], timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exited = processes.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (exited) throw new Error(`${exited.name} exited (${exited.child.exitCode ?? exited.child.signalCode}) while waiting until ${what}; its log:\n${tail(exited.log)}`);
    try {
      if (await check()) return;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}; logs:\n${processes.map((p) => `--- ${p.name}\n${tail(p.log, 10)}`).join('\n')}`);
    await sleep(200);
  }
}

/** Starts a cluster under `dir` (created); stop() ends every process it started and undoes what its node made. */
export async function startTestCluster(dir: string, binDir = testClusterBinaries(), nodeKind: TestNodeKind = testNodeKind()): Promise<TestCluster> {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const pki = join(dir, 'pki');
  makeKeys(pki);
  const token = randomBytes(24).toString('hex');
  writeFileSync(join(pki, 'tokens.csv'), `${token},slipway-test-admin,slipway-test-admin,"system:masters"\n`, { mode: 0o600 });
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = join(dir, 'admin.kubeconfig');
  writeFileSync(kubeconfig, kubeconfigText(server, join(pki, 'ca.crt'), token), { mode: 0o600 });
  const ca = readFileSync(join(pki, 'ca.crt'), 'utf8');

  const processes: Started[] = [];
  let realNode: RealNode | undefined;
  const stop = async () => {
    // The node first, while the API server still answers its last calls.
    const nodeProblem = await realNode?.stop().then(
      () => undefined,
      (error: unknown) => error,
    );
    for (const p of [...processes].reverse()) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
      const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
      try {
        process.kill(-p.child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      const killed = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!killed) {
        try {
          process.kill(-p.child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
        await exited;
      }
    }
    if (nodeProblem) throw nodeProblem;
  };

  let node: TestClusterNode | undefined;
  try {
    processes.push(
      start(dir, binDir, 'etcd', [
        '--name=default',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ]),
    );
    processes.push(
      start(dir, binDir, 'kube-apiserver', [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
        `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
        `--client-ca-file=${join(pki, 'ca.crt')}`,
        `--kubelet-client-certificate=${join(pki, 'apiserver-kubelet-client.crt')}`,
        `--kubelet-client-key=${join(pki, 'apiserver-kubelet-client.key')}`,
        '--kubelet-preferred-address-types=InternalIP',
        `--token-auth-file=${join(pki, 'tokens.csv')}`,
        '--authorization-mode=Node,RBAC',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${join(pki, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
        '--service-cluster-ip-range=10.96.0.0/16',
        // The endpoint reconciler refuses a loopback address for the `kubernetes` Service.
        '--endpoint-reconciler-type=none',
        '--allow-privileged=true',
        // Without the node lifecycle controller nothing would lift the not-ready taint this adds to a new node.
        '--disable-admission-plugins=TaintNodesByCondition',
        '--v=0',
      ]),
    );
    await waitFor('the API server is ready', processes, 90_000, async () => (await apiGet(server, '/readyz', token, ca)).status === 200);
    processes.push(
      start(dir, binDir, 'kube-controller-manager', [
        `--kubeconfig=${kubeconfig}`,
        `--service-account-private-key-file=${join(pki, 'sa.key')}`,
        `--root-ca-file=${join(pki, 'ca.crt')}`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${await freePort()}`,
        // No node lifecycle controller: it marks a simulated node's pods NotReady whenever kwok's
        // heartbeat is late, and kwok does not mark them Ready again (a kubelet would).
        '--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-route',
        '--concurrent-deployment-syncs=10',
        '--concurrent-replicaset-syncs=10',
        '--concurrent-namespace-syncs=10',
        '--v=0',
      ]),
    );
    processes.push(start(dir, binDir, 'kube-scheduler', [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1', `--secure-port=${await freePort()}`, '--v=0']));
    if (nodeKind === 'real') {
      realNode = await startRealNode({ dir, binDir, server, caCert: join(pki, 'ca.crt'), caKey: join(pki, 'ca.key') });
      node = { kind: 'real', name: realNode.name, address: realNode.address, image: realNode.images.fixture };
    } else node = await startKwokNode(dir, binDir, kubeconfig, processes);
    const nodeName = node.name;
    await waitFor(`the node ${nodeName} is Ready`, [...processes, ...(realNode?.processes ?? [])], 120_000, async () => {
      const answer = await apiGet(server, `/api/v1/nodes/${nodeName}`, token, ca);
      if (answer.status !== 200) return false;
      const status = JSON.parse(answer.body) as { status?: { conditions?: { type: string; status: string }[] } };
      return status.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    });
    await waitFor('the default service account exists', processes, 60_000, async () => (await apiGet(server, '/api/v1/namespaces/default/serviceaccounts/default', token, ca)).status === 200);
  } catch (error) {
    await stop().catch((problem: unknown) => console.error(`test cluster: ${(problem as Error).message}`));
    throw error;
  }
  return { kubeconfig, server, binDir, dir, node: node!, stop };
}

/** kwok and the one node it simulates. */
async function startKwokNode(dir: string, binDir: string, kubeconfig: string, processes: Started[]): Promise<TestClusterNode> {
  processes.push(
    start(dir, binDir, 'kwok', [
      `--kubeconfig=${kubeconfig}`,
      '--manage-all-nodes=true',
      '--cidr=10.244.0.0/16',
      '--node-ip=10.244.0.1',
      `--server-address=127.0.0.1:${await freePort()}`,
    ]),
  );
  await createNode(kubeconfig, binDir);
  return { kind: 'kwok', name: 'kwok-node-0', address: '10.244.0.1', image: KWOK_IMAGE };
}

/** One simulated node that kwok manages: it reports Ready and runs (pretends to run) every Pod scheduled on it. */
async function createNode(kubeconfig: string, binDir: string): Promise<void> {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'kwok-node-0', annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' }, labels: { 'kubernetes.io/hostname': 'kwok-node-0', type: 'kwok' } },
    status: { allocatable: { cpu: '64', memory: '256Gi', pods: '500' }, capacity: { cpu: '64', memory: '256Gi', pods: '500' } },
  };
  const ran = spawnSync(join(binDir, 'kubectl'), ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], { input: JSON.stringify(node), encoding: 'utf8' });
  if (ran.status !== 0) throw new Error(`creating the simulated node failed: ${ran.stderr}`);
}
