import type { ResolvedDependency, ResolvedStep, ResolvedTask } from '@slipway/contract';

/**
 * The state of one task of a deploy, as the workflow engine persists it. For a service, `running`
 * means started but not yet ready and `succeeded` means ready; for a job, `succeeded` means it
 * exited 0. `failed` is the application's fault, `errored` the platform's.
 */
export type TaskState = 'pending' | 'running' | 'succeeded' | 'failed' | 'errored' | 'skipped';

export interface TaskProgress {
  state: TaskState;
  reason?: string;
}

export interface PlannedTask {
  key: string;
  step: number;
  task: ResolvedTask;
}

export interface WorkflowPlan {
  /** Tasks to start now (their dependencies hold, their step is open). */
  start: PlannedTask[];
  /** Tasks that will never run, with why: a dependency failed, or an earlier step halted the workflow. */
  skip: { key: string; reason: string }[];
  /** Every task has reached an end; `outcome` says how the workflow ended. */
  done: boolean;
  outcome?: 'succeeded' | 'failed' | 'errored';
  reason?: string;
}

/** Identifies a task within a workflow: the step it is in and what it acts on. */
export function taskKey(step: number, task: ResolvedTask): string {
  return task.kind === 'remove-environment' ? `${step}:remove-environment` : `${step}:${task.kind}:${task.name}`;
}

const terminal = new Set<TaskState>(['succeeded', 'failed', 'errored', 'skipped']);

/**
 * Decides what a deploy does next, from nothing but the workflow and the persisted state of its tasks:
 * steps run in order; the tasks of a step run in parallel, except that a task waits for what it
 * depends on (in its step or an earlier one) to be started, ready or completed as its dependsOn says;
 * a step that does not wait for its tasks to finish lets the next start once all of its tasks have
 * started; a failure in a step with haltOnError ends the workflow and skips what had not started.
 * Pure, so a restarted engine recomputes exactly where it was.
 */
export function planWorkflow(
  steps: ResolvedStep[],
  progress: ReadonlyMap<string, TaskProgress>,
  dependenciesOf: (task: ResolvedTask) => ResolvedDependency[],
): WorkflowPlan {
  const stateOf = (key: string): TaskState => progress.get(key)?.state ?? 'pending';
  const start: PlannedTask[] = [];
  const skip: { key: string; reason: string }[] = [];
  const skipped = new Set<string>();
  /** The latest task acting on a name, at or before a step. */
  const taskFor = (name: string, atOrBefore: number): string | undefined => {
    for (let s = atOrBefore; s >= 0; s--) {
      const found = steps[s]!.tasks.find((t) => t.kind !== 'remove-environment' && t.name === name);
      if (found) return taskKey(s, found);
    }
    return undefined;
  };
  let halted: { outcome: 'failed' | 'errored'; reason: string } | undefined;
  let open = true;

  for (let s = 0; s < steps.length; s++) {
    const step = steps[s]!;
    const keys = step.tasks.map((t) => taskKey(s, t));
    if (!open || halted) {
      const why = halted ? `not run: ${halted.reason}` : undefined;
      if (why) for (const key of keys) if (stateOf(key) === 'pending' && !skipped.has(key)) {
        skip.push({ key, reason: why });
        skipped.add(key);
      }
      continue;
    }
    step.tasks.forEach((task, i) => {
      const key = keys[i]!;
      if (stateOf(key) !== 'pending') return;
      let ready = true;
      for (const dep of dependenciesOf(task)) {
        const depKey = taskFor(dep.name, s);
        if (!depKey || depKey === key) continue;
        const depState = skipped.has(depKey) ? 'skipped' : stateOf(depKey);
        if (depState === 'failed' || depState === 'errored' || depState === 'skipped') {
          skip.push({ key, reason: `not run: ${dep.name} ${depState === 'skipped' ? 'did not run' : depState}` });
          skipped.add(key);
          ready = false;
          break;
        }
        const holds = dep.condition === 'started' ? depState === 'running' || depState === 'succeeded' : depState === 'succeeded';
        if (!holds) ready = false;
      }
      if (ready) start.push({ key, step: s, task });
    });
    const states = keys.map((k) => (skipped.has(k) ? 'skipped' : stateOf(k)));
    const failure = keys.find((k, i) => (states[i] === 'failed' || states[i] === 'errored') && step.haltOnError);
    if (failure) {
      const state = states[keys.indexOf(failure)] as 'failed' | 'errored';
      halted = { outcome: state, reason: `${describe(failure)} ${state}${progress.get(failure)?.reason ? `: ${progress.get(failure)!.reason}` : ''}` };
      // Tasks of this step that had not started will not start either.
      start.splice(0, start.length, ...start.filter((p) => p.step !== s));
      for (const key of keys) {
        if (stateOf(key) === 'pending' && !skipped.has(key)) {
          skip.push({ key, reason: `not run: ${halted.reason}` });
          skipped.add(key);
        }
      }
      continue;
    }
    const startingNow = new Set(start.map((p) => p.key));
    const allStarted = states.every((st, i) => st !== 'pending' || startingNow.has(keys[i]!));
    const allEnded = states.every((st) => terminal.has(st));
    open = step.waitForFinish ? allEnded : allStarted;
  }

  const everyKey = steps.flatMap((step, s) => step.tasks.map((t) => taskKey(s, t)));
  const done = start.length === 0 && everyKey.every((k) => skipped.has(k) || terminal.has(stateOf(k)));
  if (!done) return { start, skip, done };
  if (halted) return { start, skip, done, outcome: halted.outcome, reason: halted.reason };
  return { start, skip, done, outcome: 'succeeded' };
}

function describe(key: string): string {
  const [, kind, name] = key.split(':');
  return kind === 'remove-environment' ? 'removing the environment' : `${kind === 'job' ? 'job' : 'service'} ${name}`;
}
