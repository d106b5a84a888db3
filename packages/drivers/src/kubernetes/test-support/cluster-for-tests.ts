// What the kubernetes runtime's tests share: the cluster `npm run test:kubernetes` started (its
// kubeconfig in SLIPWAY_TEST_KUBECONFIG), or the reason the tests skip without one.
import { hashText } from '@slipway/core';
import { createKubernetesDriver, type KubernetesDriverOptions } from '../kubernetes-driver.ts';

export const testKubeconfig = process.env.SLIPWAY_TEST_KUBECONFIG;

export const clusterSkipReason = testKubeconfig ? undefined : 'no test cluster: `npm run test:kubernetes` starts one and runs these tests against it';

/** An image name kwok's simulated node accepts without pulling it (no registry is reachable here). */
export const TEST_IMAGE = 'registry.slipway.test/fixture:1';

/** A driver on the test cluster whose namespaces no other test's driver sweeps (its owner tag comes from its state folder). */
export function testDriver(stateDir: string, extra: Partial<KubernetesDriverOptions> = {}) {
  return createKubernetesDriver({ stateDir, kubeconfig: testKubeconfig!, ownerTag: `t${hashText(stateDir).slice(0, 10)}`, namespacePrefix: 'sw', ...extra });
}
