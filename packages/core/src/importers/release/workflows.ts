import type { WorkflowInput, WorkflowsInput, WorkflowStepInput } from './manifest-input.ts';
import type { NameRegistry } from './names.ts';
import { describe, flag, isRawMap, listAt, scalarText, type RawMap } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';

type WorkflowName = 'setup' | 'patch' | 'teardown';
const workflowNames = new Set<string>(['setup', 'patch', 'teardown']);

const removeTask = 'environment.remove';
const removeStepName = 'remove-environment';

/** Release task prefixes that run things Slipway does not have, with what they are. */
const foreignTasks: Record<string, string> = {
  charts: 'a Helm chart',
  infrastructure: 'an infrastructure-as-code runner (Terraform)',
  terraform: 'an infrastructure-as-code runner (Terraform)',
};

/**
 * Release's workflows (a list of { name, parallelize: [steps] } or { name, order_from: [tasks] })
 * as Slipway's setup, patch and teardown. Tasks naming things that did not come along are dropped,
 * and teardown always ends by removing the environment, which Slipway requires.
 */
export function convertWorkflows(src: SourceFile, raw: unknown, path: Path, registry: NameRegistry): WorkflowsInput | undefined {
  const out: WorkflowsInput = {};
  const items: [RawMap, Path][] = [];
  if (isRawMap(raw)) for (const [name, body] of Object.entries(raw)) items.push([{ name, ...(isRawMap(body) ? body : {}) }, [...path, name]]);
  else listAt(src, raw, path, 'workflows').forEach((item, i) => (isRawMap(item) ? items.push([item, [...path, i]]) : src.warn([...path, i], `expected a workflow as { name, parallelize }, got ${describe(item)}; ignored`)));

  const seenNames = new Set<string>();
  for (const [item, at] of items) {
    const name = scalarText(item.name);
    if (!name || !workflowNames.has(name)) {
      src.warn([...at, 'name'], `workflow ${JSON.stringify(name ?? '')} is not setup, patch or teardown, the workflows Slipway runs; it is dropped (run its jobs from another workflow or by hand)`);
      continue;
    }
    const workflowName = name as WorkflowName;
    if (seenNames.has(workflowName)) {
      src.warn([...at, 'name'], `workflow ${name} is defined twice; the second is dropped`);
      continue;
    }
    seenNames.add(workflowName);
    const steps = convertSteps(src, item, at, workflowName, registry);
    if (workflowName === 'teardown') {
      out.teardown = { steps: endWithRemove(src, steps, at) };
    } else if (steps.length === 0) {
      src.warn(at, `the ${name} workflow has no task Slipway can run; it is left out, so Slipway ${name === 'setup' ? 'starts every service in dependsOn order' : 'runs it like setup'}`);
    } else {
      out[workflowName] = { steps };
    }
  }
  // setup, patch, teardown in that order, however Release listed them.
  const ordered: WorkflowsInput = {};
  for (const name of ['setup', 'patch', 'teardown'] as const) if (out[name]) ordered[name] = out[name];
  return Object.keys(ordered).length ? ordered : undefined;
}

function convertSteps(src: SourceFile, item: RawMap, at: Path, workflow: WorkflowName, registry: NameRegistry): WorkflowStepInput[] {
  const steps: WorkflowStepInput[] = [];
  const seen = new Set<string>();
  const addTasks = (raw: unknown[], tasksPath: Path): string[] => {
    const tasks: string[] = [];
    raw.forEach((t, k) => {
      const task = convertTask(src, t, [...tasksPath, k], workflow, registry);
      if (task === undefined) return;
      if (seen.has(task)) {
        src.warn([...tasksPath, k], `task ${task} already runs earlier in the ${workflow} workflow; dropped here`);
        return;
      }
      seen.add(task);
      tasks.push(task);
    });
    return tasks;
  };

  if (item.parallelize !== undefined) {
    if (item.order_from !== undefined) src.warn([...at, 'order_from'], 'a workflow has parallelize or order_from, not both; order_from is ignored');
    listAt(src, item.parallelize, [...at, 'parallelize'], 'parallelize').forEach((s, i) => {
      const stepPath: Path = [...at, 'parallelize', i];
      if (!isRawMap(s)) {
        src.warn(stepPath, `expected a step as { step, tasks }, got ${describe(s)}; ignored`);
        return;
      }
      const tasks = addTasks(listAt(src, s.tasks, [...stepPath, 'tasks'], 'tasks'), [...stepPath, 'tasks']);
      const stepName = scalarText(s.step ?? s.name);
      if (tasks.length === 0) {
        src.warn(stepPath, `step ${stepName ? `"${stepName}" ` : ''}has no task left that Slipway can run; dropped`);
        return;
      }
      const step: WorkflowStepInput = { ...(stepName ? { name: stepName } : {}), tasks };
      if (flag(s.wait_for_finish) === false) step.waitForFinish = false;
      const halt = flag(s.halt_on_error);
      if (halt !== undefined) step.haltOnError = halt;
      for (const key of Object.keys(s)) {
        if (!['step', 'name', 'tasks', 'wait_for_finish', 'halt_on_error'].includes(key)) src.warn([...stepPath, key], `step field "${key}" has no Slipway equivalent; ignored`);
      }
      steps.push(step);
    });
  } else if (item.order_from !== undefined) {
    // order_from runs its tasks one after another: one step each.
    const tasks = addTasks(listAt(src, item.order_from, [...at, 'order_from'], 'order_from'), [...at, 'order_from']);
    for (const task of tasks) steps.push({ tasks: [task] });
  } else {
    src.warn(at, `the ${workflow} workflow has neither parallelize nor order_from`);
  }
  for (const key of Object.keys(item)) {
    if (!['name', 'parallelize', 'order_from'].includes(key)) src.warn([...at, key], `workflow field "${key}" has no Slipway equivalent; ignored`);
  }
  return steps;
}

function convertTask(src: SourceFile, raw: unknown, at: Path, workflow: WorkflowName, registry: NameRegistry): string | undefined {
  const text = scalarText(raw)?.trim();
  if (!text) {
    src.warn(at, `expected a task such as services.web or jobs.migrate, got ${describe(raw)}; ignored`);
    return undefined;
  }
  if (text === 'release.remove_environment') {
    if (workflow === 'teardown') return removeTask;
    src.warn(at, `release.remove_environment belongs in teardown, not ${workflow}; dropped`);
    return undefined;
  }
  const dot = text.indexOf('.');
  const kind = dot < 0 ? text : text.slice(0, dot);
  const target = dot < 0 ? '' : text.slice(dot + 1);
  if (kind === 'services') {
    if (workflow === 'teardown') {
      src.warn(at, `${text}: Slipway's teardown stops every service itself and cannot start one; dropped`);
      return undefined;
    }
    if (target === 'all') return 'services.all';
    const service = registry.resolve('service', target);
    if (service) return `services.${service}`;
    src.warn(at, `${text} names no service of this template${registry.hint('service', target)}; dropped`);
    return undefined;
  }
  if (kind === 'jobs') {
    const job = registry.resolve('job', target);
    if (job) return `jobs.${job}`;
    if (registry.resolve('cronJob', target)) {
      src.warn(at, `${text} is a cron job, which runs on its schedule; a workflow cannot run it, so it is dropped`);
      return undefined;
    }
    src.warn(at, `${text} names no job of this template${registry.hint('job', target)}; dropped`);
    return undefined;
  }
  const foreign = foreignTasks[kind];
  src.warn(at, foreign ? `${text} runs ${foreign}, which Slipway does not support; the task is dropped` : `task ${text} has no Slipway equivalent; dropped`);
  return undefined;
}

/**
 * Slipway requires teardown to end with a step that removes the environment, and no earlier step
 * may halt on error (a failure would leave the environment running).
 */
function endWithRemove(src: SourceFile, steps: WorkflowStepInput[], at: Path): WorkflowInput['steps'] {
  const last = steps.at(-1);
  let out = steps;
  if (!last?.tasks.includes(removeTask)) {
    const found = steps.find((s) => s.tasks.includes(removeTask));
    out = steps
      .map((s) => ({ ...s, tasks: s.tasks.filter((t) => t !== removeTask) }))
      .filter((s) => s.tasks.length > 0);
    out.push({ name: found?.name ?? removeStepName, tasks: [removeTask] });
    src.warn(
      at,
      found
        ? 'release.remove_environment is not in the last step of teardown; Slipway removes the environment last, so it is moved to a final step'
        : 'teardown never removes the environment (release.remove_environment); Slipway requires it, so a final environment.remove step is added',
    );
  }
  out.forEach((step, i) => {
    if (i < out.length - 1 && step.haltOnError === true) {
      step.haltOnError = false;
      src.warn(at, `teardown step ${step.name ? `"${step.name}"` : i + 1} halts on error, which would leave the environment running; Slipway's teardown continues past failures, so haltOnError is false`);
    }
  });
  return out;
}
