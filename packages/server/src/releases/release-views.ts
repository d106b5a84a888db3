import type {
  ApplicationSetResponse,
  GateResult,
  ReleaseResponse,
  ReleaseStage,
  ReleaseStageResponse,
  ReleaseTrackResponse,
  SnapshotResponse,
  TrackStageResponse,
  TrackViewResponse,
} from '@slipway/contract';
import { durationToMs } from '@slipway/contract';
import { evaluateApprovals, evaluateStageGates, gatesOf, isActiveStage, stageName, type ApprovalPolicy } from '@slipway/core';
import type { StoredApplicationSet, StoredReleaseTrack, StoredSnapshot } from '../store/release-catalog.ts';
import type { StoredDecision, StoredHold, StoredRelease, StoredStage, StoredTransition } from '../store/releases.ts';
import { progressOfRecord } from './stage-progress.ts';

// The API's answers about sets, tracks, snapshots and releases, computed from stored rows: gates
// are evaluated afresh (approvals expire, soak time passes), so an answer is true when it is given.

export function setResponseOf(set: StoredApplicationSet): ApplicationSetResponse {
  return {
    name: set.name,
    applications: set.applications,
    ...(set.releaseTrack ? { releaseTrack: set.releaseTrack } : {}),
    version: set.version,
    source: set.source,
    createdAt: set.createdAt,
    updatedAt: set.updatedAt,
  };
}

function stageSummary(stage: ReleaseStage, index: number): TrackStageResponse {
  const gates = gatesOf(stage.gates);
  return {
    index,
    name: stageName(stage),
    environments: stage.environments,
    gates: {
      healthy: gates.healthy,
      tests: gates.tests,
      ...(gates.soak ? { soak: gates.soak } : {}),
      ...(gates.approvals
        ? { approvals: { required: gates.approvals.required.map((r) => ({ role: r.role, count: r.count ?? 1 })), ...(gates.approvals.expireAfter ? { expireAfter: gates.approvals.expireAfter } : {}), allowAuthor: gates.approvals.allowAuthor } }
        : {}),
      windows: gates.windows.map((w) => ({ type: w.type, schedule: w.schedule, duration: w.duration, timezone: w.timezone })),
    },
  };
}

export function trackResponseOf(track: StoredReleaseTrack): ReleaseTrackResponse {
  return {
    name: track.name,
    ...(track.applicationSet ? { applicationSet: track.applicationSet } : {}),
    preReleaseStages: track.spec.preReleaseStages.map(stageSummary),
    releaseStages: track.spec.releaseStages.map(stageSummary),
    hotfixStages: track.spec.hotfixStages.map(stageSummary),
    version: track.version,
    source: track.source,
    createdAt: track.createdAt,
    updatedAt: track.updatedAt,
  };
}

export function snapshotResponseOf(snapshot: StoredSnapshot): SnapshotResponse {
  return { id: snapshot.id, alias: snapshot.alias, set: snapshot.set, kind: snapshot.kind, components: snapshot.components, createdBy: snapshot.createdBy, createdAt: snapshot.createdAt };
}

export interface ReleaseRecords {
  release: StoredRelease;
  stages: StoredStage[];
  decisions: StoredDecision[];
  snapshot: { id: string; alias: string };
  transitions?: StoredTransition[];
  /** A rollback: the number of the release it rolled back. */
  rollbackOf?: number;
}

/** When an approval given at `at` stops counting under the stage's expireAfter, if it has one. */
export function approvalExpiry(policy: ApprovalPolicy | undefined, at: string): string | undefined {
  return policy?.expireAfter ? new Date(Date.parse(at) + durationToMs(policy.expireAfter)).toISOString() : undefined;
}

function stageResponse(release: StoredRelease, stage: ReleaseStage, index: number, record: StoredStage | undefined, decisions: StoredDecision[], now: Date): ReleaseStageResponse {
  const gatePolicy = stage.gates?.approvals;
  const approvalPolicy = gatePolicy
    ? { approvalPolicy: { required: gatePolicy.required.map((r) => ({ role: r.role, count: r.count ?? 1 })), ...(gatePolicy.expireAfter ? { expireAfter: gatePolicy.expireAfter } : {}), allowAuthor: gatePolicy.allowAuthor ?? false } }
    : {};
  const base = { index, name: stageName(stage), environments: stage.environments, ...approvalPolicy };
  if (!record) {
    return { ...base, state: 'Pending', targets: [], tests: [], gates: [], approvals: [], missingApprovals: (stage.gates?.approvals?.required ?? []).map((r) => ({ role: r.role, count: r.count ?? 1 })) };
  }
  const progress = progressOfRecord(record, decisions);
  const evaluation = evaluateStageGates(stage.gates, progress, release.author, now);
  const policy = stage.gates?.approvals;
  const status = policy ? evaluateApprovals(policy, progress.approvals, release.author, now) : undefined;
  const approvals = decisions
    .filter((d) => d.stage === index)
    .map((d) => {
      const counted = status?.counted.find((c) => c.user === d.user && c.at === d.at);
      const ignored = d.decision === 'approve' && !counted ? (status?.ignored.find((i) => i.user === d.user)?.reason ?? 'superseded by a later approval') : undefined;
      const expiresAt = counted ? approvalExpiry(policy, d.at) : undefined;
      return {
        user: d.user,
        decision: d.decision,
        roles: d.roles,
        at: d.at,
        ...(d.comment ? { comment: d.comment } : {}),
        ...(counted ? { countsAs: counted.role } : {}),
        ...(ignored ? { ignored } : {}),
        ...(expiresAt ? { expiresAt } : {}),
      };
    });
  const ended = !isActiveStage(record.state) && record.state !== 'Pending';
  return {
    ...base,
    state: record.state,
    ...(ended && record.reason ? { reason: record.reason } : {}),
    ...(!ended && record.reason ? { waitingFor: record.reason } : {}),
    queuedAt: record.queuedAt,
    ...(record.enteredAt ? { enteredAt: record.enteredAt } : {}),
    ...(record.deployedAt ? { deployedAt: record.deployedAt } : {}),
    ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
    targets: record.targets.map((t) => ({ app: t.app, environment: t.environment, envId: t.envId, commit: t.commit, ...(t.deployId ? { deployId: t.deployId } : {}), state: t.state, ...(t.reason ? { reason: t.reason } : {}) })),
    tests: record.tests.map((t) => ({
      job: t.job,
      ...(t.app ? { app: t.app } : {}),
      ...(t.envId ? { envId: t.envId } : {}),
      state: t.state,
      ...(t.reason ? { reason: t.reason } : {}),
      ...(t.logTail ? { logTail: t.logTail } : {}),
      ...(t.startedAt ? { startedAt: t.startedAt } : {}),
      ...(t.finishedAt ? { finishedAt: t.finishedAt } : {}),
    })),
    gates: evaluation.results,
    approvals,
    missingApprovals: record.state === 'Promoted' ? [] : (status?.missing ?? []),
  };
}

export function releaseResponseOf(records: ReleaseRecords, now = new Date()): ReleaseResponse {
  const { release, stages, decisions, snapshot } = records;
  const byIndex = new Map(stages.map((s) => [s.index, s]));
  return {
    id: release.id,
    number: release.number,
    kind: release.kind,
    track: release.track,
    set: release.set,
    snapshot,
    author: release.author,
    state: release.state,
    ...(release.reason ? { reason: release.reason } : {}),
    ...(release.currentStage !== undefined ? { currentStage: release.currentStage } : {}),
    ...(records.rollbackOf !== undefined ? { rollbackOf: records.rollbackOf } : {}),
    createdAt: release.createdAt,
    updatedAt: release.updatedAt,
    ...(release.finishedAt ? { finishedAt: release.finishedAt } : {}),
    ...(release.commitStatus ? { commitStatus: release.commitStatus } : {}),
    stages: release.stages.map((stage, index) => stageResponse(release, stage, index, byIndex.get(index), decisions, now)),
    ...(records.transitions
      ? {
          transitions: records.transitions.map((t) => ({ at: t.at, ...(t.stage !== undefined ? { stage: t.stage } : {}), ...(t.from ? { from: t.from } : {}), to: t.to, actor: t.actor, reason: t.reason })),
        }
      : {}),
  };
}

const envKey = (environments: string[]) => [...environments].sort().join('+');

/**
 * The track stage by stage, for each of its lanes: which releases are in each stage now (queued,
 * deploying, verifying, awaiting approval), which one the stage runs (the last one that entered
 * it), and whether automatic promotion into it is held after a rollback.
 */
type LaneKind = TrackViewResponse['lanes'][number]['kind'];

/**
 * The lane a release follows: its kind's stages (release → releaseStages, hotfix → hotfixStages,
 * pre-release → preReleaseStages); a rollback follows the lane of the release it rolled back.
 * Undefined when that release is not among `releases` (then it is shown wherever its stage fits).
 */
export function laneOf(records: ReleaseRecords, releases: ReleaseRecords[]): LaneKind | undefined {
  let current: ReleaseRecords | undefined = records;
  for (let hops = 0; current && hops <= releases.length; hops++) {
    if (current.release.kind !== 'rollback') return current.release.kind;
    const rolledBack: number | undefined = current.rollbackOf;
    current = rolledBack === undefined ? undefined : releases.find((r) => r.release.number === rolledBack);
  }
  return undefined;
}

/**
 * A track stage by stage for each lane, with the releases standing in each stage. A release under
 * way is listed only in the lane it follows, but which release a stage runs now (`current`) is
 * decided among every release that deployed to the stage's environments, since the lanes share
 * them; once promoted there, a release or hotfix is listed in both the release and hotfix lanes.
 */
export function trackViewOf(track: StoredReleaseTrack, releases: ReleaseRecords[], holds: StoredHold[], now = new Date()): Omit<TrackViewResponse, 'actions'> {
  const lanes: TrackViewResponse['lanes'] = [];
  const laneByRelease = new Map(releases.map((r) => [r, laneOf(r, releases)]));
  for (const [kind, stages] of [
    ['pre-release', track.spec.preReleaseStages],
    ['release', track.spec.releaseStages],
    ['hotfix', track.spec.hotfixStages],
  ] as const) {
    if (stages.length === 0) continue;
    lanes.push({
      kind,
      stages: stages.map((stage, index) => {
        const key = envKey(stage.environments);
        type Entry = { records: ReleaseRecords; record: StoredStage; stage: ReleaseStage };
        const entries: Entry[] = [];
        for (const r of releases) {
          for (const record of r.stages) if (envKey(record.environments) === key) entries.push({ records: r, record, stage: r.release.stages[record.index]! });
        }
        const entered = entries.filter((e) => e.record.enteredAt).sort((a, b) => a.record.enteredAt!.localeCompare(b.record.enteredAt!));
        const current = entered.at(-1);
        const inLane = (e: Entry) => (laneByRelease.get(e.records) ?? kind) === kind;
        // A release or hotfix promoted into the stage is what it runs: both of those lanes list it (a
        // hotfix promoted to production shows in the release lane's production too). Under way, a
        // release is listed in its own lane only; pre-releases stay in theirs.
        const settledHere = (e: Entry) => e === current && e.record.state === 'Promoted' && kind !== 'pre-release' && (laneByRelease.get(e.records) ?? kind) !== 'pre-release';
        const shown = entries.filter((e) => (inLane(e) && (e === current || e.record.state === 'Pending' || isActiveStage(e.record.state))) || settledHere(e));
        shown.sort((a, b) => a.records.release.number - b.records.release.number);
        const hold = holds.find((h) => stage.environments.includes(h.environment));
        const holder = hold?.releaseId ? releases.find((r) => r.release.id === hold.releaseId) : undefined;
        return {
          ...stageSummary(stage, index),
          ...(hold ? { held: { by: hold.actor, at: hold.createdAt, reason: hold.reason, ...(holder ? { release: holder.release.number } : {}) } } : {}),
          releases: shown.map((e) => {
            const response = stageResponse(e.records.release, e.stage, e.record.index, e.record, e.records.decisions, now);
            const gates: GateResult[] = response.gates;
            return {
              number: e.records.release.number,
              kind: e.records.release.kind,
              snapshot: e.records.snapshot.alias,
              state: e.record.state,
              current: e === current,
              gates,
              missingApprovals: response.missingApprovals,
              ...(response.waitingFor ? { waitingFor: response.waitingFor } : response.reason && e.record.state !== 'Promoted' ? { waitingFor: response.reason } : {}),
            };
          }),
        };
      }),
    });
  }
  return { track: track.name, ...(track.applicationSet ? { applicationSet: track.applicationSet } : {}), lanes };
}
