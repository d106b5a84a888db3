import { stageEnvironmentId } from '@slipway/core';
import type { EnvironmentStore, StoredEnvironment } from '../store/environments.ts';

// Which environment an application of a set runs in for a stage's environment name. Environment ids
// are unique in a workspace, so a set of one application uses the stage's name itself (staging); in
// a set of several, each application gets its own (shop-web-staging, shop-api-staging) — unless a
// live environment of that application already carries the plain name, which is then used.

/** The environment id to deploy `app` to for `environment`, and the live environment when there is one. */
export async function resolveStageEnvironment(
  environments: EnvironmentStore,
  workspace: string,
  environment: string,
  app: string,
  appsInSet: number,
): Promise<{ envId: string; live?: StoredEnvironment }> {
  const plain = await environments.getLive(workspace, environment);
  if (plain && plain.app === app) return { envId: environment, live: plain };
  const envId = stageEnvironmentId(environment, app, appsInSet);
  const live = envId === environment ? plain : await environments.getLive(workspace, envId);
  return { envId, ...(live ? { live } : {}) };
}
