import type { DeployResponse, DeployTaskResponse, EnvironmentResponse, InstanceResponse } from '@slipway/contract';
import { protectionOf, type EnvironmentGuardian, type InstanceStatus } from '@slipway/core';
import type { DeploySummary, StoredDeploy, StoredEnvironment, StoredTask } from '../store/environments.ts';

/** API answers from stored rows: the one place their shapes are mapped. */
export function environmentResponseOf(env: StoredEnvironment, extra: { lastDeploy?: StoredDeploy; instances?: InstanceStatus[]; guardian?: EnvironmentGuardian | undefined } = {}): EnvironmentResponse {
  return {
    id: env.envId,
    app: env.app,
    kind: env.kind,
    branch: env.branch,
    ...(env.commit ? { commit: env.commit } : {}),
    status: env.status,
    ...(env.reason ? { reason: env.reason } : {}),
    templateVersion: env.templateVersion,
    urls: env.urls,
    ...(env.expiresAt ? { expiresAt: env.expiresAt } : {}),
    ...(env.lastActivityAt ? { lastActivityAt: env.lastActivityAt } : {}),
    ...(env.idleTimeoutMs !== undefined
      ? {
          idleTimeout: formatDuration(env.idleTimeoutMs),
          // A paused environment is not torn down for idleness (its idle clock starts again at its resume).
          ...(env.status !== 'paused' ? { idleExpiresAt: new Date(Date.parse(env.lastActivityAt ?? env.createdAt) + env.idleTimeoutMs).toISOString() } : {}),
        }
      : {}),
    ...(env.status === 'paused' && env.wakeOnRequest ? { wakeOnRequest: true } : {}),
    createdAt: env.createdAt,
    updatedAt: env.updatedAt,
    ...(extra.lastDeploy ? { lastDeploy: deployResponseOf(env, extra.lastDeploy) } : {}),
    ...(extra.instances ? { instances: extra.instances.map(instanceResponseOf) } : {}),
    // The same guardianOf that refuses direct changes decides it: the portal's lock never disagrees with a 403.
    ...(extra.guardian ? { protectedBy: protectionOf(extra.guardian) } : {}),
  };
}

/** A deploy's answer; with its tasks, every task of its workflow (which only the whole deploy holds). */
export function deployResponseOf(env: Pick<StoredEnvironment, 'envId' | 'app'>, deploy: DeploySummary): DeployResponse;
export function deployResponseOf(env: Pick<StoredEnvironment, 'envId' | 'app'>, deploy: StoredDeploy, tasks?: StoredTask[]): DeployResponse;
export function deployResponseOf(env: Pick<StoredEnvironment, 'envId' | 'app'>, deploy: DeploySummary & Partial<Pick<StoredDeploy, 'rendered'>>, tasks?: StoredTask[]): DeployResponse {
  return {
    id: deploy.id,
    envId: env.envId,
    app: env.app,
    seq: deploy.seq,
    workflow: deploy.workflow,
    state: deploy.state,
    ...(deploy.outcome ? { outcome: deploy.outcome } : {}),
    ...(deploy.reason ? { reason: deploy.reason } : {}),
    ...(deploy.commit ? { commit: deploy.commit } : {}),
    ...(deploy.source?.images ? { images: deploy.source.images } : {}),
    ...(deploy.requestedBy ? { requestedBy: deploy.requestedBy } : {}),
    createdAt: deploy.createdAt,
    ...(deploy.startedAt ? { startedAt: deploy.startedAt } : {}),
    ...(deploy.finishedAt ? { finishedAt: deploy.finishedAt } : {}),
    ...(tasks && deploy.rendered ? { tasks: tasksOf(deploy.workflow, deploy.rendered, tasks) } : {}),
  };
}

/** Every task of the deploy's workflow in order, with its stored state (pending when not reached). */
function tasksOf(workflow: StoredDeploy['workflow'], rendered: StoredDeploy['rendered'], stored: StoredTask[]): DeployTaskResponse[] {
  const byKey = new Map(stored.map((t) => [t.key, t]));
  const result: DeployTaskResponse[] = [];
  const withState = (base: Omit<DeployTaskResponse, 'state'>): DeployTaskResponse => {
    const task = byKey.get(base.key);
    return {
      ...base,
      state: task?.state ?? 'pending',
      ...(task?.reason ? { reason: task.reason } : {}),
      ...(task?.logTail ? { logTail: task.logTail } : {}),
      ...(task?.startedAt ? { startedAt: task.startedAt } : {}),
      ...(task?.finishedAt ? { finishedAt: task.finishedAt } : {}),
    };
  };
  if (workflow !== 'teardown' || byKey.has('source')) result.push(withState({ key: 'source', step: -1, stepName: 'checkout and build', kind: 'source' }));
  rendered.workflows[workflow].forEach((step, s) => {
    for (const task of step.tasks) {
      const key = task.kind === 'remove-environment' ? `${s}:remove-environment` : `${s}:${task.kind}:${task.name}`;
      result.push(withState({ key, step: s, stepName: step.name, kind: task.kind, ...(task.kind !== 'remove-environment' ? { name: task.name } : {}) }));
    }
  });
  return result;
}

export function instanceResponseOf(instance: InstanceStatus): InstanceResponse {
  return {
    name: instance.name,
    service: instance.service,
    replica: instance.replica,
    state: instance.state,
    restarts: instance.restarts,
    ...(instance.runtimeId ? { runtimeId: instance.runtimeId } : {}),
    ...(instance.startedAt ? { startedAt: instance.startedAt } : {}),
    endpoints: instance.endpoints,
    ...(instance.lastExit ? { lastExit: instance.lastExit } : {}),
    ...(instance.message ? { message: instance.message } : {}),
    ...(instance.logTail ? { logTail: instance.logTail } : {}),
  };
}

/** 90000 → "90s", 7200000 → "2h": the largest unit that divides the duration. */
function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
