import type { EnvironmentRef } from '@slipway/core';
import type { StoredEnvironment } from '../store/environments.ts';

/** How runtimes name an environment: workspace, application and id (what they label their resources with). */
export function refOf(env: Pick<StoredEnvironment, 'workspace' | 'app' | 'envId'>): EnvironmentRef {
  return { workspace: env.workspace, app: env.app, envId: env.envId };
}
