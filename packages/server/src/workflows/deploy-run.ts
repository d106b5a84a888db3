import type { RenderedEnvironment } from '@slipway/contract';
import type { RuntimeDriver, SecretValues } from '@slipway/core';
import type { RoutePublisher } from '../routing/route-publisher.ts';
import type { StoredDeploy, StoredEnvironment } from '../store/environments.ts';
import type { ReconcileContext } from '../worker/keyed-worker.ts';
import { linkImports, type ImportLinks } from './app-imports.ts';
import { DeployEnded, DeployRecord, type DeployEnding, type RecordSinks } from './deploy-record.ts';
import { datasetValuesOf, secretsOf, type EnvironmentDatasets, type RevealSecret } from './deploy-secrets.ts';
import { checkOutSource } from './deploy-source.ts';
import { refOf } from './environment-ref.ts';
import { StaticBuilds, staticBuildsInTasks } from './static-builds.ts';
import { runSteps } from './step-runner.ts';

// One setup or patch deploy, from the row the API queued to the environment's routes, in the order
// it happens. Each step that cannot go on throws DeployEnded (or a platform error), and the one
// catch below ends the deploy with it: the deploy's and the environment's rows, its log's last line,
// its routes. Every write is fenced by the environment's lease and masked (deploy-record.ts); a run
// that is stopped (the server stops, or lost the lease) writes nothing more and is resumed from the
// store by whoever drives the environment next.

export interface DeployContext extends RecordSinks, ImportLinks {
  revealSecret: RevealSecret;
  /** The dataset pools, when this server has a dataset server. */
  datasets?: EnvironmentDatasets;
  routes: RoutePublisher;
  /** The application's git repository, undefined when it has none. */
  repositoryOf(applicationId: string): Promise<string | undefined>;
}

export async function runDeploy(context: DeployContext, run: ReconcileContext, env: StoredEnvironment, deploy: StoredDeploy): Promise<void> {
  const record = new DeployRecord(context, env, deploy, run);
  await record.begin();
  let ending: DeployEnding;
  let published: { rendered: RenderedEnvironment; staticRoots: Record<string, string> } | undefined;
  try {
    const driver = runtimeOf(context, deploy.rendered);
    const secrets = await secretsFor(context, record);
    // A first setup's hosts answer "deploying" until its instances are ready.
    if (deploy.workflow === 'setup') context.routes.placeholders(env, deploy.rendered);

    // Static sites are built in their own tasks, beside the steps' other work (static-builds.ts).
    const buildsInTasks = staticBuildsInTasks(deploy.rendered.services, deploy.rendered.workflows[deploy.workflow]);
    const repository = await context.repositoryOf(env.applicationId);
    const source = await checkOutSource(record, { driver, repository, secrets, buildsInTasks });

    // App Imports: once they are ready, their services' direct addresses go to this one's.
    const rendered = await linkImports(context, record, driver);
    if (rendered !== deploy.rendered) await record.saveDeploy({ rendered });

    const output = record.output();
    const builds =
      buildsInTasks.size > 0
        ? new StaticBuilds({ driver, services: deploy.rendered.services, request: { env: refOf(env), repository: repository ?? '', secrets, ...(output ? { onOutput: output } : {}) }, source, save: (saved) => record.saveDeploy({ source: saved }) })
        : undefined;
    const steps = await runSteps({ record, deploy: { ...deploy, rendered }, store: context.store, driver, secrets, commit: source.commit, readinessTimeoutMs: context.readinessTimeoutMs, builds });

    if (steps.outcome === 'succeeded') {
      // Converge the whole environment: removes services the new spec no longer has.
      const converged = await driver.apply({ env: refOf(env), commit: source.commit, services: rendered.services, cronJobs: rendered.cronJobs, secrets, waitFor: 'started' });
      if (converged.outcome !== 'succeeded') throw new DeployEnded(converged.outcome, converged.reason);
    }
    const status = steps.outcome === 'succeeded' ? 'ready' : steps.outcome;
    ending = { ...steps, environment: { status, reason: steps.reason, commit: source.commit, urls: deploy.rendered.urls } };
    published = { rendered, staticRoots: source.staticRoots };
  } catch (error) {
    if (record.stopped) return;
    ending = record.failure(error);
  }
  await record.end(ending);
  if (record.stopped) return;
  // The routes follow: from this deploy's instances when it got that far, else from what runs now.
  await context.routes
    .publish({ ...env, status: ending.environment.status ?? env.status }, published?.rendered, published?.staticRoots)
    .catch((error: Error) => context.logger.error(`${record.name}: publishing its routes: ${error.message}`));
}

/** The runtime the deploy's spec names; throws DeployEnded when this server has none of that name. */
export function runtimeOf(context: Pick<DeployContext, 'drivers'>, rendered: RenderedEnvironment): RuntimeDriver {
  const driver = context.drivers[rendered.runtime];
  if (driver) return driver;
  throw new DeployEnded(
    'errored',
    `runtime "${rendered.runtime}" is not available on this server (it has ${Object.keys(context.drivers).join(', ')})`,
    `runtime "${rendered.runtime}" is not available`,
  );
}

/**
 * The secrets the spec references and its datasets' connection variables, masked from here on; one
 * missing fails the source task, naming it.
 */
async function secretsFor(context: DeployContext, record: DeployRecord): Promise<SecretValues> {
  try {
    const rendered = record.deploy.rendered;
    const secrets = { ...(await secretsOf(context.revealSecret, record.env.workspace, rendered)), ...(await datasetValuesOf(context.datasets, record.env, rendered, (line) => record.line(line))) };
    record.maskSecrets(secrets);
    return secrets;
  } catch (error) {
    const message = (error as Error).message;
    record.line(`✗ source failed: ${message}`);
    await record.task({ key: 'source', step: -1, state: 'failed', reason: message });
    throw new DeployEnded('failed', message);
  }
}
