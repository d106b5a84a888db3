// What the kubernetes runtime's tests share: the cluster `npm run test:kubernetes` started (its
// kubeconfig in SLIPWAY_TEST_KUBECONFIG, its node's kind and image beside it), or the reason the
// tests skip without one.
import { hashText } from '@slipway/core';
import { createKubernetesDriver, type KubernetesDriverOptions } from '../kubernetes-driver.ts';

export const testKubeconfig = process.env.SLIPWAY_TEST_KUBECONFIG;

export const clusterSkipReason = testKubeconfig ? undefined : 'no test cluster: `npm run test:kubernetes` starts one and runs these tests against it';

/** Whether the cluster's node runs containers (a kubelet), or kwok simulates it. */
export const realNode = process.env.SLIPWAY_TEST_KUBE_NODE === 'real';

/**
 * An image the node has without pulling (no registry is reachable here): on the real node the
 * conformance fixture's app on the node base image (WORKDIR /app), imported into its containerd;
 * on kwok's simulated node a name it never pulls.
 */
export const TEST_IMAGE = process.env.SLIPWAY_TEST_KUBE_IMAGE ?? 'registry.slipway.test/fixture:1';

/** Why a case needs the real node, when kwok simulates it. */
export const kwokRunsNoContainer = "kwok's simulated node runs no container";

/** A driver on the test cluster whose namespaces no other test's driver sweeps (its owner tag comes from its state folder). */
export function testDriver(stateDir: string, extra: Partial<KubernetesDriverOptions> = {}) {
  return createKubernetesDriver({ stateDir, kubeconfig: testKubeconfig!, ownerTag: `t${hashText(stateDir).slice(0, 10)}`, namespacePrefix: 'sw', ...extra });
}
