// The shared conformance suite on a real API server (see test-support/test-cluster.ts). On the real
// node (the default of `npm run test:kubernetes`) pods run real containers of the fixture's image
// (its app on the node base image, imported into the node's containerd): the driver reaches them at
// their pod IPs on the node's bridge (`exposure: 'pod-ip'`), and the test's state folder is mounted
// into them at its own path (as the docker runtime's tests bind-mount it) so the fixture's markers
// and counters are seen. With kwok's simulated node (SLIPWAY_TEST_KUBE_NODE=kwok) pods are scheduled
// and reported Ready but run no container, so the cases that need a process inside a pod skip.
import { runtimeDriverConformance, type ConformanceCase } from '../conformance/runtime-driver-conformance.ts';
import type { KubernetesDriver } from './kubernetes-driver.ts';
import { clusterSkipReason, kwokRunsNoContainer as noProcess, realNode, TEST_IMAGE, testDriver } from './test-support/cluster-for-tests.ts';

let last: KubernetesDriver | undefined;

/** What the kubernetes runtime does not do, whatever the node. */
const never: Partial<Record<ConformanceCase, string>> = {
  'pause stops every instance and resume serves again on the same port': 'the kubernetes driver has no pause and resume yet (scaling its Deployments to zero is the plan, issue 16)',
  'replicas get distinct ports': 'pods have their own addresses, so replicas answer on the same port at distinct IPs (checked in kubernetes-driver.test.ts)',
  'a failing build is Failed with its log tail': 'the kubernetes runtime builds no image itself: services run images the cluster pulls',
  'a host port in use is refused with a clear error': 'the kubernetes runtime gives services no host ports; pods have their own addresses',
  'instance changes are told to onInstanceChange listeners': 'the kubernetes driver does not watch pods yet: the server asks its environments every 10 s instead',
};

/** What the test cluster lacks even with its real node. */
const testClusterLacks: Partial<Record<ConformanceCase, string>> = {
  'link gives an importer the addresses of its imports, and destroying the importer leaves them running':
    'the test cluster runs no cluster DNS (CoreDNS) or kube-proxy, so an import\'s Service name does not resolve inside a pod (the addresses by Service DNS are checked in kubernetes-driver.test.ts)',
};

const kwokCannot: Partial<Record<ConformanceCase, string>> = {
  'apply starts a service that becomes ready and answers HTTP on its port': `${noProcess}, so nothing answers HTTP (the Service and its EndpointSlice are checked in kubernetes-driver.test.ts)`,
  'a changed spec replaces the instance': `${noProcess}, so the new instance cannot answer /whoami (replacement is checked by pod and spec hash in kubernetes-driver.test.ts)`,
  'a crash-looping service is reported with exit code and log tail': `${noProcess}, so no container exits`,
  'a failing readiness probe is reported': `${noProcess}: it reports every pod Ready without probing`,
  'a failing liveness probe restarts the instance': `${noProcess}: it never probes`,
  'init steps run before the service': `${noProcess}, so no init step writes its marker`,
  'a failing init step blocks the start': `${noProcess}, so no init step exits non-zero`,
  'sidecars run beside the service': `${noProcess}, so a sidecar prints nothing to read`,
  'a job that succeeds': `${noProcess}: it completes the Job but the job prints nothing (Job objects are checked in kubernetes-driver.test.ts)`,
  'a job that fails': `${noProcess}, so no job exits with code 4`,
  'a job that times out is stopped': `${noProcess}, so no job writes its heartbeat`,
  'a job run is never repeated': `${noProcess}, so no job writes its counter (one Job per run id is checked in kubernetes-driver.test.ts)`,
  'a job masks its secrets in its output, its log tail and its files': `${noProcess}, so no job prints its secret (the driver masks job log tails with core's masker)`,
  'logs can be followed': `${noProcess}, so there is no log to follow`,
  'exec runs in the instance working directory and environment': `${noProcess}, so nothing can exec`,
  'link gives an importer the addresses of its imports, and destroying the importer leaves them running': `${noProcess}, so the importer cannot call its import (addresses by Service DNS are checked in kubernetes-driver.test.ts)`,
};

runtimeDriverConformance('kubernetes', {
  factory: ({ stateDir }) => (last = realNode ? testDriver(stateDir, { exposure: 'pod-ip', hostMounts: [{ source: stateDir, target: stateDir }] }) : testDriver(stateDir)),
  ...(clusterSkipReason ? { skipAll: clusterSkipReason } : {}),
  adaptService: (service) => (service.run ? { ...service, run: undefined, image: TEST_IMAGE, command: service.run.command } : service),
  isRunning: (runtimeId) => last!.podRunning(runtimeId),
  portInside: 'manifest',
  reachAt: realNode ? 'endpoint' : 'loopback',
  hostPids: false,
  timeScale: 2,
  skip: realNode ? { ...never, ...testClusterLacks } : { ...never, ...kwokCannot },
});
