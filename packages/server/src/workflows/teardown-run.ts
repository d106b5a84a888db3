import type { StoredDeploy, StoredEnvironment } from '../store/environments.ts';
import type { ReconcileContext } from '../worker/keyed-worker.ts';
import { runtimeOf, type DeployContext } from './deploy-run.ts';
import { DeployRecord, type DeployEnding } from './deploy-record.ts';
import { refOf } from './environment-ref.ts';
import { runSteps } from './step-runner.ts';

// A teardown deploy: the environment's hosts go first, then its teardown workflow runs (jobs that
// back data up, say), then whatever the runtime still holds of it is destroyed — whatever the
// workflow did, nothing of the environment outlives it — and the environment is marked deleted.
// What its App Imports brought up for it is torn down after it; environments that existed before
// and were only linked stay.

export interface TeardownContext extends DeployContext {
  /** Queues the teardown of an environment (unless one is queued already) and says why in the server's log. */
  tearDown(env: StoredEnvironment, requestedBy: string, why: string): Promise<void>;
}

export async function runTeardown(context: TeardownContext, run: ReconcileContext, env: StoredEnvironment, deploy: StoredDeploy): Promise<void> {
  const record = new DeployRecord(context, env, deploy, run);
  await record.begin();
  let ending: DeployEnding;
  try {
    const driver = runtimeOf(context, deploy.rendered);
    context.routes.remove(env);
    const commit = deploy.source?.commit ?? deploy.commit ?? env.commit ?? '';
    const steps = await runSteps({ record, deploy, store: context.store, driver, secrets: {}, commit, readinessTimeoutMs: context.readinessTimeoutMs });
    await driver.destroy({ env: refOf(env) });
    // Its dataset clones go with it (datasets/dataset-pools.ts).
    const dropped = await context.datasets?.release(env.id);
    if (dropped) record.line(`✓ datasets · dropped ${dropped} clone${dropped > 1 ? 's' : ''}`);
    ending = { ...steps, environment: { status: 'deleted', deletedAt: new Date().toISOString(), reason: steps.reason } };
  } catch (error) {
    if (record.stopped) return;
    ending = record.failure(error);
  }
  await record.end(ending);
  if (record.stopped || ending.environment.status !== 'deleted') return;
  for (const child of await context.store.children(env.id)) {
    if (child.ownedByParent) await context.tearDown(child, `${deploy.requestedBy ?? 'teardown'} (with ${env.app}/${env.envId})`, `imported by ${env.app}/${env.envId}, which was deleted`);
  }
}
