import type { StageProgress } from '@slipway/core';
import type { ReleaseTarget, StoredDecision, StoredStage } from '../store/releases.ts';

// A stored stage as core's gate evaluation reads it: its deploys as one, its test runs, and the
// approvals and rejection recorded for it. Health is added by the controller, which reads instances.

/** The stage's deploys together: failed or errored when one is, succeeded when all are. */
export function aggregateDeploy(targets: ReleaseTarget[], record: Pick<StoredStage, 'state' | 'deployedAt'>): StageProgress['deploy'] {
  if (record.state === 'Pending') return { state: 'pending' };
  if (targets.length === 0) return { state: 'errored', reason: 'the stage has nothing to deploy' };
  const bad = targets.find((t) => t.state === 'failed') ?? targets.find((t) => t.state === 'errored');
  if (bad) return { state: bad.state, ...(bad.reason ? { reason: bad.reason } : {}) };
  if (targets.every((t) => t.state === 'succeeded')) {
    const finishedAt = record.deployedAt ?? targets.map((t) => t.finishedAt).filter((x): x is string => !!x).sort().at(-1);
    return { state: 'succeeded', ...(finishedAt ? { finishedAt } : {}) };
  }
  return { state: targets.some((t) => t.state === 'running') ? 'running' : 'pending' };
}

export function progressOfRecord(record: StoredStage, decisions: StoredDecision[]): StageProgress {
  const mine = decisions.filter((d) => d.stage === record.index);
  const rejection = mine.filter((d) => d.decision === 'reject').at(-1);
  const promotion = mine.filter((d) => d.decision === 'promote').at(-1);
  return {
    state: record.state,
    ...(record.enteredAt ? { enteredAt: record.enteredAt } : {}),
    deploy: aggregateDeploy(record.targets, record),
    tests: record.tests.map((t) => ({ job: t.job, state: t.state, ...(t.envId ? { where: t.envId } : {}), ...(t.reason ? { reason: t.reason } : {}) })),
    approvals: mine.filter((d) => d.decision === 'approve').map((d) => ({ user: d.user, roles: d.roles, at: d.at })),
    ...(rejection ? { rejection: { user: rejection.user, reason: rejection.comment ?? 'no reason given' } } : {}),
    ...(promotion ? { promotion: { user: promotion.user, at: promotion.at } } : {}),
  };
}
