import type { ResolvedTask } from '@slipway/contract';
import { planWorkflow, taskKey, type RuntimeDriver, type SecretValues } from '@slipway/core';
import type { EnvironmentStore, StoredDeploy } from '../store/environments.ts';
import type { DeployOutcome, DeployRecord } from './deploy-record.ts';
import { refOf } from './environment-ref.ts';
import type { StaticBuilds } from './static-builds.ts';
import { runTask, type TaskResult } from './task-run.ts';

// Runs a deploy's workflow to its end. It decides nothing itself: core's planWorkflow says, from
// the task states in the store, which tasks start, which are skipped and whether the workflow is
// done; this writes each state before and after the task runs. Tasks a previous engine left
// `running` are run again first (the runtime calls are idempotent).

export interface StepRun {
  record: DeployRecord;
  /** The deploy as it runs: its spec rendered with its App Imports' addresses. */
  deploy: StoredDeploy;
  store: EnvironmentStore;
  driver: RuntimeDriver;
  secrets: SecretValues;
  commit: string;
  readinessTimeoutMs: number;
  builds?: StaticBuilds | undefined;
}

/** The workflow's outcome; throws the signal's reason when the run is stopped. */
export async function runSteps(run: StepRun): Promise<{ outcome: DeployOutcome; reason?: string }> {
  const { record, store, deploy } = run;
  const rendered = deploy.rendered;
  const steps = rendered.workflows[deploy.workflow];
  const inFlight = new Map<string, Promise<void>>();
  const stopped = new Promise<void>((resolve) => record.signal.addEventListener('abort', () => resolve(), { once: true }));
  const dependenciesOf = (task: ResolvedTask) =>
    task.kind === 'service' ? (rendered.services.find((s) => s.name === task.name)?.dependsOn ?? []) : task.kind === 'job' ? (rendered.jobs.find((j) => j.name === task.name)?.dependsOn ?? []) : [];
  const label = (step: number, task: ResolvedTask) => {
    const names = (steps[step]?.tasks ?? []).map((t) => (t.kind === 'remove-environment' ? 'environment.remove' : t.name));
    return `step ${step + 1} ${names.join(', ')} · ${task.kind === 'remove-environment' ? 'environment.remove' : `${task.kind} ${task.name}`}`;
  };
  const launch = (key: string, step: number, task: ResolvedTask, resumed = false) => {
    record.line(`▸ ${label(step, task)} ${resumed ? 'resumed' : 'started'}`);
    const work = runTask({ env: refOf(record.env), deploy, driver: run.driver, secrets: run.secrets, commit: run.commit, key, task, readinessTimeoutMs: run.readinessTimeoutMs, builds: run.builds, output: record.output() })
      .catch((error: Error): TaskResult => ({ state: 'errored', reason: `platform error: ${error.message}` }))
      .then(async (result) => {
        if (record.stopped) return;
        record.line(`${result.state === 'succeeded' ? '✓' : '✗'} ${label(step, task)} ${result.state}${result.reason ? `: ${result.reason}` : ''}`);
        await record.task({ key, step, ...result });
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, work);
  };

  const before = await store.progress(deploy.id);
  steps.forEach((step, s) =>
    step.tasks.forEach((task) => {
      const key = taskKey(s, task);
      if (before.get(key)?.state === 'running') launch(key, s, task, true);
    }),
  );

  for (;;) {
    record.signal.throwIfAborted();
    const plan = planWorkflow(steps, await store.progress(deploy.id), dependenciesOf);
    for (const skipped of plan.skip) {
      const step = Number(skipped.key.split(':')[0]);
      const task = steps[step]?.tasks.find((t) => taskKey(step, t) === skipped.key);
      record.line(`– ${task ? label(step, task) : skipped.key} skipped${skipped.reason ? `: ${skipped.reason}` : ''}`);
      await record.task({ key: skipped.key, step, state: 'skipped', ...(skipped.reason ? { reason: skipped.reason } : {}) });
    }
    for (const next of plan.start) {
      await record.task({ key: next.key, step: next.step, state: 'running' });
      launch(next.key, next.step, next.task);
    }
    if (plan.done && inFlight.size === 0) return { outcome: plan.outcome ?? 'succeeded', ...(plan.reason ? { reason: plan.reason } : {}) };
    if (inFlight.size === 0 && plan.start.length === 0 && plan.skip.length === 0) {
      return { outcome: 'errored', reason: 'the workflow cannot progress: no task can start (check dependsOn against the workflow steps)' };
    }
    if (inFlight.size > 0) await Promise.race([...inFlight.values(), stopped]);
  }
}
