import { createSecretMasker, maskDeep, type RuntimeDriver } from '@slipway/core';
import type { EnvironmentStore } from '../store/environments.ts';
import { datasetValuesOf, secretsOf, type EnvironmentDatasets, type RevealSecret } from './deploy-secrets.ts';
import { refOf } from './environment-ref.ts';

export interface OneOffJobResult {
  outcome: 'succeeded' | 'failed' | 'errored';
  reason?: string;
  logTail?: string;
}

/**
 * Runs one of an environment's jobs outside any workflow (a release's test gate), in the
 * environment as its last successful deploy left it: that spec, commit and the secrets it
 * references. The run id makes it idempotent: asked again (after a restart), a run that ended
 * returns its recorded result and one under way is waited for, never started twice.
 */
export async function runOneOffJob(
  context: { store: EnvironmentStore; drivers: Readonly<Record<string, RuntimeDriver>>; revealSecret: RevealSecret; datasets?: EnvironmentDatasets },
  environmentId: string,
  jobName: string,
  runId: string,
): Promise<OneOffJobResult> {
  const env = await context.store.getById(environmentId);
  if (!env || env.deletedAt) return { outcome: 'errored', reason: `environment ${environmentId} no longer exists` };
  const deploy = (await context.store.listDeploys(env.id, 20)).find((d) => d.workflow !== 'teardown' && d.state === 'succeeded' && d.source);
  if (!deploy) return { outcome: 'failed', reason: `${env.app}/${env.envId} has no successful deploy to run job ${jobName} in` };
  const rendered = deploy.rendered;
  const job = rendered.jobs.find((j) => j.name === jobName);
  if (!job) return { outcome: 'failed', reason: `${env.app} has no job ${jobName} (it has ${rendered.jobs.map((j) => j.name).join(', ') || 'none'})` };
  const driver = context.drivers[rendered.runtime];
  if (!driver) return { outcome: 'errored', reason: `runtime "${rendered.runtime}" is not available on this server` };
  let secrets;
  try {
    secrets = { ...(await secretsOf(context.revealSecret, env.workspace, rendered)), ...(await datasetValuesOf(context.datasets, env, rendered, () => undefined)) };
  } catch (error) {
    return { outcome: 'failed', reason: (error as Error).message };
  }
  const service = job.fromService ? rendered.services.find((s) => s.name === job.fromService) : undefined;
  const result = maskDeep(await driver.runJob({ env: refOf(env), runId, commit: deploy.source!.commit, job, ...(service ? { service } : {}), secrets }), createSecretMasker(secrets));
  if (result.outcome === 'succeeded') return { outcome: 'succeeded', ...(result.logTail ? { logTail: result.logTail } : {}) };
  return { outcome: result.outcome, reason: result.reason, ...(result.logTail ? { logTail: result.logTail } : {}) };
}
