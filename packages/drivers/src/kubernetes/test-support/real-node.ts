// A real node for the test cluster: kubelet (built from the same k8s.io/kubernetes module as the
// control plane) on containerd, runc and the CNI plugins from Debian, so pods run real containers.
// Everything it makes is its own and is undone by stop(): containerd runs with its own root, state,
// socket and runc root under the node's folder (never the system's), pods get addresses on a bridge
// of their own on a private /24, kubelet has its own root folder, pod-log folder and cgroup root, and
// images come from local builds (Podman) imported into this containerd: no registry is asked. stop()
// ends kubelet, every container and shim, containerd, unmounts what they mounted under the folder,
// removes the bridge, the cgroups, CNI's cached results and the iptables chains kubelet added.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allocatePort } from '../../shared/ports.ts';
import { detectDockerEngine } from '../../docker/engine.ts';
import { BUSYBOX_IMAGE, ensureBaseImages, NODE_IMAGE } from '../../docker/test-support/base-images.ts';
import { createFixtureRepository } from '../../conformance/fixture-app.ts';

/** The conformance fixture's app folder on the node base image (WORKDIR /app, its server the default command): what services run on the real node. */
export const FIXTURE_IMAGE = 'localhost/slipway-test/kube-fixture:local';
/** The sandbox image: the pause binary built by build-binaries.sh, FROM scratch. */
export const PAUSE_IMAGE = 'localhost/slipway-test/pause:local';

const CNI_BIN = '/usr/lib/cni';
const CGROUP = '/sys/fs/cgroup';

export interface RealNode {
  name: string;
  /** The bridge's address: the node's InternalIP, where kubelet listens and the host reaches pods from. */
  address: string;
  /** The pods' subnet on the bridge, e.g. 10.231.7.0/24. */
  podSubnet: string;
  /** Images present on the node (pull policy IfNotPresent finds them): the fixture, node and busybox images. */
  images: { fixture: string; node: string; busybox: string };
  /** Processes to watch while waiting (they must not exit). */
  processes: { name: string; child: ChildProcess; log: string }[];
  stop(): Promise<void>;
}

export interface RealNodeOptions {
  dir: string;
  binDir: string;
  server: string;
  caCert: string;
  caKey: string;
}

function run(command: string, args: string[], options: { cwd?: string; input?: string; allowFail?: boolean } = {}): string {
  const ran = spawnSync(command, args, { cwd: options.cwd, input: options.input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (ran.status !== 0 && !options.allowFail) throw new Error(`${command} ${args.join(' ')} failed (${ran.error?.message ?? `exit ${ran.status}`}): ${(ran.stderr ?? '').trim().slice(-2_000)}`);
  return ran.stdout ?? '';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What the node needs on this machine; the first thing missing, or undefined. */
export function realNodeMissing(binDir: string): string | undefined {
  if (process.getuid?.() !== 0) return 'the real node needs root (kubelet, containerd and CNI manage mounts, cgroups and network interfaces)';
  for (const [what, path] of [
    ['kubelet (scripts/kubernetes/build-binaries.sh builds it)', join(binDir, 'kubelet')],
    ['pause (scripts/kubernetes/build-binaries.sh builds it)', join(binDir, 'pause')],
    ["containerd (Debian's containerd package)", '/usr/bin/containerd'],
    ["ctr (Debian's containerd package)", '/usr/bin/ctr'],
    ["containerd-shim-runc-v2 (Debian's containerd package)", '/usr/bin/containerd-shim-runc-v2'],
    ["runc (Debian's runc package)", '/usr/sbin/runc'],
    ["the CNI bridge plugin (Debian's containernetworking-plugins)", join(CNI_BIN, 'bridge')],
    ["the CNI host-local plugin (Debian's containernetworking-plugins)", join(CNI_BIN, 'host-local')],
    ["the CNI loopback plugin (Debian's containernetworking-plugins)", join(CNI_BIN, 'loopback')],
    ['ip (iproute2)', '/usr/sbin/ip'],
  ] as const) {
    if (!existsSync(path)) return `${what} is missing: ${path}`;
  }
  if (spawnSync('podman', ['--version']).status !== 0) return 'podman is missing: the node\'s images are built locally with it (scripts/setup-podman.sh)';
  return undefined;
}

/** A /24 in 10.224.0.0/12 that no route of this machine covers. */
function freeSubnet(): { subnet: string; gateway: string } {
  const routes = run('ip', ['-4', 'route', 'show']);
  for (let attempt = 0; attempt < 200; attempt++) {
    const second = 224 + Math.floor(Math.random() * 16);
    const third = Math.floor(Math.random() * 256);
    const prefix = `10.${second}.${third}.`;
    if (!routes.includes(prefix) && !routes.includes(`10.${second}.0.0/`)) return { subnet: `${prefix}0/24`, gateway: `${prefix}1` };
  }
  throw new Error('no free /24 in 10.224.0.0/12 for the test node\'s bridge');
}

/** cgroup v1 hierarchies (one folder per controller) or v2 (one unified tree). */
function cgroupHierarchies(): string[] {
  if (existsSync(join(CGROUP, 'cgroup.controllers'))) return [CGROUP];
  return readdirSync(CGROUP, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'unified' && !e.name.includes(','))
    .map((e) => join(CGROUP, e.name))
    .filter((p) => existsSync(join(p, 'cgroup.procs')));
}

function makeCgroupRoot(root: string): void {
  for (const hierarchy of cgroupHierarchies()) {
    const dir = join(hierarchy, root);
    mkdirSync(dir, { recursive: true });
    // A new cpuset cgroup has no cpus or memory nodes until given its parent's.
    if (existsSync(join(dir, 'cpuset.cpus')) && readFileSync(join(dir, 'cpuset.cpus'), 'utf8').trim() === '') {
      writeFileSync(join(dir, 'cpuset.cpus'), readFileSync(join(hierarchy, 'cpuset.cpus'), 'utf8'));
      writeFileSync(join(dir, 'cpuset.mems'), readFileSync(join(hierarchy, 'cpuset.mems'), 'utf8'));
    }
  }
}

/** Removes a cgroup tree bottom-up, killing any process still in it (a container whose shim is gone). */
function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
  try {
    for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
  } catch {
    // no such file: nothing in it
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch {
      spawnSync('sleep', ['0.1']);
    }
  }
}

/** Mount points at or under `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Pids whose command line mentions `text` (the node's folder), other than this process. */
function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

/** The iptables chains and rules kubelet adds (KUBE-FIREWALL, its canaries), per table, to remove what this node added. */
function kubeletIptables(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const tool of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      const listed = spawnSync(tool, ['-w', '-t', table, '-S'], { encoding: 'utf8' });
      if (listed.status !== 0) continue;
      found.set(`${tool} ${table}`, new Set(listed.stdout.split('\n').filter((l) => /KUBE-(FIREWALL|KUBELET-CANARY|IPTABLES-HINT)/.test(l))));
    }
  }
  return found;
}

function removeAddedIptables(before: Map<string, Set<string>>): void {
  for (const [key, lines] of kubeletIptables()) {
    const [tool, table] = key.split(' ') as [string, string];
    const had = before.get(key) ?? new Set<string>();
    const added = [...lines].filter((l) => !had.has(l));
    // Rules first (-A … → -D …), then the chains they emptied (-N … → -F, -X).
    for (const rule of added.filter((l) => l.startsWith('-A '))) spawnSync(tool, ['-w', '-t', table, '-D', ...rule.slice(3).match(/"[^"]*"|\S+/g)!.map((a) => a.replace(/^"|"$/g, ''))]);
    for (const chain of added.filter((l) => l.startsWith('-N '))) {
      const name = chain.slice(3).trim();
      spawnSync(tool, ['-w', '-t', table, '-F', name]);
      spawnSync(tool, ['-w', '-t', table, '-X', name]);
    }
  }
}

function containerdConfig(dir: string, subnet: string): string {
  const c = join(dir, 'containerd');
  return `version = 2
root = "${c}/root"
state = "${c}/state"
oom_score = 0
[grpc]
  address = "${c}/containerd.sock"
[ttrpc]
  address = "${c}/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "${c}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  # Lowering a process's OOM score needs CAP_SYS_RESOURCE, which a VM's or container's root may lack.
  restrict_oom_score_adj = true
  # Pods' network namespaces under the state folder, not /var/run/netns.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN}"
    conf_dir = "${dir}/cni"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${c}/runc"
# pod subnet ${subnet}
`;
}

function cniConfig(network: string, bridge: string, subnet: string, gateway: string, ipamDir: string): string {
  // No ipMasq and no portmap: pods need no way out (no registry, no internet) and get no host
  // ports, so CNI adds no iptables rule. The host reaches pods on the bridge.
  return JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: network,
      plugins: [
        { type: 'bridge', bridge, isGateway: true, ipMasq: false, hairpinMode: true, ipam: { type: 'host-local', ranges: [[{ subnet, gateway }]], dataDir: ipamDir } },
        { type: 'loopback' },
      ],
    },
    null,
    2,
  );
}

function kubeletConfig(o: { address: string; port: number; healthzPort: number; socket: string; cgroupRoot: string; podLogs: string; caCert: string; staticPods: string }): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine's cgroups may be v1; kubelet 1.34 still runs on them when told to.
failCgroupV1: false
failSwapOn: false
cgroupDriver: cgroupfs
cgroupRoot: ${o.cgroupRoot}
containerRuntimeEndpoint: unix://${o.socket}
address: ${o.address}
port: ${o.port}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${o.healthzPort}
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: false }
  x509: { clientCAFile: ${o.caCert} }
authorization: { mode: AlwaysAllow }
clusterDomain: cluster.local
resolvConf: ""
podLogsDir: ${o.podLogs}
staticPodPath: ${o.staticPods}
# A shared test machine: never evict or collect images for disk or memory pressure.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: "1Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%" }
enforceNodeAllocatable: []
localStorageCapacityIsolation: false
serializeImagePulls: false
syncFrequency: 5s
fileCheckFrequency: 5s
nodeStatusUpdateFrequency: 4s
nodeStatusReportFrequency: 10s
shutdownGracePeriod: 0s
`;
}

function nodeKubeconfig(server: string, caCert: string, cert: string, key: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: { server: ${server}, certificate-authority: ${caCert} }
users:
- name: node
  user: { client-certificate: ${cert}, client-key: ${key} }
contexts:
- name: test
  context: { cluster: test, user: node }
current-context: test
`;
}

/** Builds the pause and fixture images with Podman (the node and busybox images with the docker runtime's test support), and imports them into the node's containerd. */
async function loadImages(dir: string, binDir: string, ctr: (args: string[]) => string): Promise<void> {
  const engine = await detectDockerEngine();
  if (!engine.found) throw new Error(`the node's images are built with Podman's Docker-compatible API, which does not answer: ${engine.message} (scripts/setup-podman.sh starts it)`);
  await ensureBaseImages(engine.docker, { busybox: true });
  const pauseContext = join(dir, 'images', 'pause');
  mkdirSync(pauseContext, { recursive: true });
  writeFileSync(join(pauseContext, 'pause'), readFileSync(join(binDir, 'pause')), { mode: 0o755 });
  writeFileSync(join(pauseContext, 'Containerfile'), 'FROM scratch\nCOPY pause /pause\nENTRYPOINT ["/pause"]\n');
  run('podman', ['build', '--quiet', '--pull=never', '-t', PAUSE_IMAGE, pauseContext]);
  const fixture = join(dir, 'images', 'fixture');
  createFixtureRepository(fixture);
  // The fixture's app folder at /app, with its server as the default command (tests that give an image and no command run it).
  writeFileSync(join(fixture, 'Containerfile'), `FROM ${NODE_IMAGE}\nWORKDIR /app\nCOPY app/ ./\nCMD ${JSON.stringify([process.execPath, 'server.mjs'])}\n`);
  run('podman', ['build', '--quiet', '--pull=never', '-f', join(fixture, 'Containerfile'), '-t', FIXTURE_IMAGE, fixture]);
  const archive = join(dir, 'images', 'images.tar');
  run('podman', ['save', '--quiet', '--multi-image-archive', '--format', 'docker-archive', '-o', archive, PAUSE_IMAGE, FIXTURE_IMAGE, NODE_IMAGE, BUSYBOX_IMAGE]);
  ctr(['images', 'import', archive]);
  rmSync(join(dir, 'images'), { recursive: true, force: true });
  const listed = ctr(['images', 'ls', '--quiet']);
  for (const image of [PAUSE_IMAGE, FIXTURE_IMAGE, NODE_IMAGE, BUSYBOX_IMAGE]) {
    const normal = image.includes('/') && image.split('/')[0]!.includes('.') ? image : image.startsWith('localhost/') ? image : `docker.io/${image}`;
    if (!listed.split('\n').includes(normal)) throw new Error(`importing ${image} into the node's containerd failed: it lists ${listed.trim().split('\n').join(', ')}`);
  }
}

/**
 * Starts containerd and kubelet for one node named `slipway-node-<id>` that registers with the API
 * server at `server` with a client certificate from the cluster's CA. The caller waits until it is Ready.
 */
export async function startRealNode(o: RealNodeOptions): Promise<RealNode> {
  const missing = realNodeMissing(o.binDir);
  if (missing) throw new Error(`the test cluster's real node cannot start: ${missing} (SLIPWAY_TEST_KUBE_NODE=kwok runs a simulated node instead)`);
  const id = randomBytes(3).toString('hex');
  const name = `slipway-node-${id}`;
  const dir = join(o.dir, 'node');
  const logs = join(o.dir, 'logs');
  mkdirSync(logs, { recursive: true });
  for (const sub of ['containerd', 'cni', 'ipam', 'kubelet', 'pods-logs', 'static-pods', 'pki']) mkdirSync(join(dir, sub), { recursive: true });
  const { subnet, gateway } = freeSubnet();
  const bridge = `slwk${id}`;
  const network = `slipway-${id}`;
  const cgroupRoot = `/slipway-test-${id}`;
  const socket = join(dir, 'containerd', 'containerd.sock');
  const ctr = (args: string[]) => run('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args]);
  const iptablesBefore = kubeletIptables();
  const processes: RealNode['processes'] = [];

  const start = (binary: string, label: string, args: string[]) => {
    const log = join(logs, `${label}.log`);
    const fd = openSync(log, 'a');
    const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    processes.push({ name: label, child, log });
    return child;
  };
  const end = async (p: { child: ChildProcess }, graceMs: number) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
    try {
      process.kill(-p.child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    if (!(await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]))) {
      try {
        process.kill(-p.child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      await exited;
    }
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const problems: string[] = [];
    const kubelet = processes.find((p) => p.name === 'kubelet');
    // Its pods need no graceful end: their containers are killed below.
    if (kubelet) await end(kubelet, 3_000);
    const containerd = processes.find((p) => p.name === 'containerd');
    const containerIds = new Set<string>();
    if (containerd && containerd.child.exitCode === null && containerd.child.signalCode === null) {
      // Every container and sandbox: killed, then deleted (which ends its shim).
      try {
        const tasks = ctr(['tasks', 'ls', '--quiet']).split('\n').filter(Boolean);
        for (const task of tasks) run('ctr', ['--address', socket, '--namespace', 'k8s.io', 'tasks', 'kill', '--signal', 'SIGKILL', task], { allowFail: true });
        for (const task of tasks) {
          for (let attempt = 0; attempt < 50; attempt++) {
            if (spawnSync('ctr', ['--address', socket, '--namespace', 'k8s.io', 'tasks', 'delete', '--force', task]).status === 0) break;
            await sleep(100);
          }
        }
        const containers = ctr(['containers', 'ls', '--quiet']).split('\n').filter(Boolean);
        for (const container of containers) containerIds.add(container);
        for (const container of containers) run('ctr', ['--address', socket, '--namespace', 'k8s.io', 'containers', 'delete', container], { allowFail: true });
      } catch (error) {
        problems.push(`removing the node's containers: ${(error as Error).message}`);
      }
      await end(containerd, 5_000);
    }
    for (const p of processes) await end(p, 2_000);
    // Shims (containerd-shim-runc-v2 -address <our socket>) and container processes left behind.
    for (let round = 0; round < 3; round++) {
      const left = processesMentioning(dir);
      if (left.length === 0) break;
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await sleep(300);
    }
    for (const point of mountsUnder(dir)) {
      if (spawnSync('umount', [point]).status !== 0 && spawnSync('umount', ['--lazy', point]).status !== 0) problems.push(`umount ${point} failed`);
    }
    // kubelet also makes its cgroups in the v2 tree of a hybrid machine (/sys/fs/cgroup/unified).
    const unified = join(CGROUP, 'unified');
    for (const hierarchy of [...cgroupHierarchies(), ...(existsSync(join(unified, 'cgroup.procs')) ? [unified] : [])]) removeCgroupTree(join(hierarchy, cgroupRoot));
    spawnSync('ip', ['link', 'delete', bridge]);
    // Pods' veths go with their network namespaces; one left over points at the bridge no more.
    const links = spawnSync('ip', ['-o', 'link', 'show', 'master', bridge], { encoding: 'utf8' }).stdout ?? '';
    for (const line of links.split('\n').filter(Boolean)) spawnSync('ip', ['link', 'delete', line.split(':')[1]!.trim().split('@')[0]!]);
    // libcni caches each attachment's result under /var/lib/cni/results/<network>-<sandbox id>-<if>
    // (the loopback one under cni-loopback-<sandbox id>-lo).
    const results = '/var/lib/cni/results';
    if (existsSync(results)) {
      for (const file of readdirSync(results)) if (file.startsWith(`${network}-`) || [...containerIds].some((c) => file.includes(`-${c}-`))) rmSync(join(results, file), { force: true });
    }
    // kubelet's iptables chains are shared by every kubelet of the machine: removed only when no other runs.
    const otherKubelets = readdirSync('/proc').filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid).some((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!.endsWith('/kubelet');
      } catch {
        return false;
      }
    });
    if (!otherKubelets) removeAddedIptables(iptablesBefore);
    // containerd makes these folders for shim sockets and fifos whatever its configuration says; ours leave them empty.
    for (const folder of ['/run/containerd/s', '/run/containerd/fifo', '/run/containerd/runc', '/run/containerd']) {
      try {
        if (existsSync(folder) && statSync(folder).isDirectory() && readdirSync(folder).length === 0) rmdirSync(folder);
      } catch {
        // in use by another containerd
      }
    }
    if (mountsUnder(dir).length === 0) rmSync(join(dir, 'containerd'), { recursive: true, force: true });
    else problems.push(`mounts left under ${dir}: ${mountsUnder(dir).join(', ')}`);
    if (problems.length) throw new Error(`stopping the test node left things behind: ${problems.join('; ')}`);
  };

  try {
    makeCgroupRoot(cgroupRoot);
    // The bridge is made before the first pod so kubelet can listen on its address; CNI adopts it.
    run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    run('ip', ['addr', 'add', `${gateway}/24`, 'dev', bridge]);
    run('ip', ['link', 'set', bridge, 'up']);
    writeFileSync(join(dir, 'containerd', 'config.toml'), containerdConfig(dir, subnet));
    writeFileSync(join(dir, 'cni', '10-slipway.conflist'), cniConfig(network, bridge, subnet, gateway, join(dir, 'ipam')));
    start('containerd', 'containerd', ['--config', join(dir, 'containerd', 'config.toml'), '--log-level', 'warn']);
    const deadline = Date.now() + 30_000;
    while (spawnSync('ctr', ['--address', socket, 'version']).status !== 0) {
      const c = processes[0]!.child;
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`containerd exited (${c.exitCode ?? c.signalCode}); its log:\n${readFileSync(processes[0]!.log, 'utf8').slice(-3_000)}`);
      if (Date.now() > deadline) throw new Error(`containerd did not answer on ${socket} within 30 s; its log:\n${readFileSync(processes[0]!.log, 'utf8').slice(-3_000)}`);
      await sleep(200);
    }
    await loadImages(dir, o.binDir, ctr);

    const pki = join(dir, 'pki');
    const openssl = (args: string[]) => run('openssl', args, { cwd: pki });
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'kubelet.key', '-out', 'kubelet.csr', '-subj', `/O=system:nodes/CN=system:node:${name}`]);
    openssl(['x509', '-req', '-in', 'kubelet.csr', '-CA', o.caCert, '-CAkey', o.caKey, '-CAcreateserial', '-CAserial', join(pki, 'ca.srl'), '-out', 'kubelet.crt', '-days', '2']);
    writeFileSync(join(dir, 'kubelet.kubeconfig'), nodeKubeconfig(o.server, o.caCert, join(pki, 'kubelet.crt'), join(pki, 'kubelet.key')), { mode: 0o600 });
    const [port, healthzPort] = [await allocatePort(new Set()), await allocatePort(new Set())];
    writeFileSync(
      join(dir, 'kubelet.yaml'),
      kubeletConfig({ address: gateway, port, healthzPort, socket, cgroupRoot, podLogs: join(dir, 'pods-logs'), caCert: o.caCert, staticPods: join(dir, 'static-pods') }),
    );
    start(join(o.binDir, 'kubelet'), 'kubelet', [
      `--config=${join(dir, 'kubelet.yaml')}`,
      `--kubeconfig=${join(dir, 'kubelet.kubeconfig')}`,
      `--root-dir=${join(dir, 'kubelet')}`,
      `--cert-dir=${join(dir, 'kubelet', 'pki')}`,
      `--hostname-override=${name}`,
      `--node-ip=${gateway}`,
      '--v=0',
    ]);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { name, address: gateway, podSubnet: subnet, images: { fixture: FIXTURE_IMAGE, node: `docker.io/${NODE_IMAGE}`, busybox: `docker.io/${BUSYBOX_IMAGE}` }, processes, stop };
}
