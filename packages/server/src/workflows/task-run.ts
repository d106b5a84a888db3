import type { ResolvedTask } from '@slipway/contract';
import type { EnvironmentRef, RuntimeDriver, SecretValues, TaskState } from '@slipway/core';
import type { StoredDeploy } from '../store/environments.ts';
import type { StaticBuilds } from './static-builds.ts';

// One task of a workflow against the runtime: a service converged until ready, a job run to its end,
// or the environment removed. Each call is idempotent, so a task a killed engine left running is
// simply run again: apply converges and adopts, and a job's run id (deploy and task) that completed
// returns its recorded result instead of running the job twice.

export interface TaskRequest {
  env: EnvironmentRef;
  deploy: StoredDeploy;
  driver: RuntimeDriver;
  secrets: SecretValues;
  commit: string;
  key: string;
  task: ResolvedTask;
  readinessTimeoutMs: number;
  builds?: StaticBuilds | undefined;
  /** Where a job's output lines go (the deploy's log), each with the job's name. */
  output?: ((line: string, who: string) => void) | undefined;
}

export interface TaskResult {
  state: TaskState;
  reason?: string;
  logTail?: string;
}

export async function runTask(request: TaskRequest): Promise<TaskResult> {
  const { env, deploy, driver, secrets, commit, key, task } = request;
  const rendered = deploy.rendered;
  if (task.kind === 'remove-environment') {
    await driver.destroy({ env });
    return { state: 'succeeded' };
  }
  if (task.kind === 'service') {
    const built = await request.builds?.build(task.name);
    if (built) return built;
    const result = await driver.apply({ env, commit, services: rendered.services, only: [task.name], secrets, waitFor: 'ready', timeoutMs: request.readinessTimeoutMs });
    if (result.outcome === 'succeeded') return { state: 'succeeded' };
    return { state: result.outcome, reason: result.reason, ...(result.logTail ? { logTail: result.logTail } : {}) };
  }
  const job = rendered.jobs.find((j) => j.name === task.name);
  if (!job) return { state: 'errored', reason: `the workflow names job ${task.name}, which the application does not define` };
  const service = job.fromService ? rendered.services.find((s) => s.name === job.fromService) : undefined;
  const output = request.output;
  const onOutput = output ? (line: string) => output(line, job.name) : undefined;
  const result = await driver.runJob({ env, runId: `${deploy.id}.${key.replace(/:/g, '.')}`, commit, job, ...(service ? { service } : {}), secrets, ...(onOutput ? { onOutput } : {}) });
  if (result.outcome === 'succeeded') return { state: 'succeeded', ...(result.logTail ? { logTail: result.logTail } : {}) };
  return { state: result.outcome, reason: result.reason, ...(result.logTail ? { logTail: result.logTail } : {}) };
}
