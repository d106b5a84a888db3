import type { GateResult, ReleaseKind, ReleaseStage, ReleaseState, ReleaseTrackSpec } from '@slipway/contract';
import { describeMissing } from './approvals.ts';
import { isEnded } from './release-states.ts';
import { evaluateStageGates, type StageProgress } from './stage-gates.ts';

// What happens next to a release, decided from its stages, what is recorded of each, and the clock.
// The server carries the decision out (deploys, test jobs, timers) and writes each transition; the
// decision itself reads nothing but its arguments.

/** The stages a release of this kind follows. A rollback's single stage is chosen when it is made. */
export function stagesFor(track: ReleaseTrackSpec, kind: Exclude<ReleaseKind, 'rollback'>): ReleaseStage[] {
  return kind === 'pre-release' ? track.preReleaseStages : kind === 'hotfix' ? track.hotfixStages : track.releaseStages;
}

/** A stage's name: its own, else its environments joined with "+". */
export function stageName(stage: ReleaseStage): string {
  return stage.name ?? stage.environments.join('+');
}

export type NextStep =
  /** Enter this stage now: deploy the snapshot to its environments (when they are free). */
  | { type: 'enter'; stage: number }
  /** The stage's deploys are under way. */
  | { type: 'wait-deploy'; stage: number; state: 'Deploying' }
  /** Start these test jobs of the stage's gates. */
  | { type: 'run-tests'; stage: number; state: 'Verifying'; tests: string[]; gates: GateResult[] }
  /** Health, test jobs or soak time pending; `recheckAt` is when time alone may change that. */
  | { type: 'verify'; stage: number; state: 'Verifying'; gates: GateResult[]; waitingFor: string; recheckAt?: Date }
  /** Every automated gate holds; these approvals are missing. */
  | { type: 'await-approval'; stage: number; state: 'AwaitingApproval'; missing: { role: string; count: number }[]; gates: GateResult[]; recheckAt?: Date }
  /** Every other gate holds, but a promotion window keeps the release in the stage until `until` (never, when absent). */
  | { type: 'blocked-by-window'; stage: number; state: 'Verifying' | 'AwaitingApproval'; until?: Date; reason: string; gates: GateResult[] }
  /** Every gate holds, and the stage's promotion is manual: it waits until someone promotes it. */
  | { type: 'await-promotion'; stage: number; state: 'AwaitingApproval'; gates: GateResult[]; recheckAt?: Date }
  /** Every gate holds: the stage is Promoted, and `next` is entered (none: the release is done). */
  | { type: 'promote'; stage: number; state: 'Promoted'; next?: number; gates: GateResult[] }
  /** The stage ends badly, and the release with it. */
  | { type: 'stop'; stage: number; state: 'Failed' | 'Errored' | 'Rejected'; reason: string }
  /** Nothing more to do: the release ended in this state. */
  | { type: 'done'; state: ReleaseState };

export interface ReleaseProgress {
  stages: ReleaseStage[];
  /** One record per stage the release reached, in order (none yet: it has not started). */
  records: StageProgress[];
  author: string;
  /** Set when someone aborted the release. */
  aborted?: boolean;
}

/** Says what happens next to a release at `now`. */
export function nextStep(release: ReleaseProgress, now: Date): NextStep {
  if (release.aborted) return { type: 'done', state: 'Aborted' };
  const { stages, records } = release;
  for (let i = 0; i < stages.length; i++) {
    const record = records[i];
    if (!record) return { type: 'enter', stage: i };
    if (record.state === 'Promoted') continue;
    if (isEnded(record.state)) return { type: 'done', state: record.state };
    return stepInStage(i, stages, record, release.author, now);
  }
  return { type: 'done', state: stages.length === 0 ? 'Errored' : 'Promoted' };
}

function stepInStage(i: number, stages: ReleaseStage[], record: StageProgress, author: string, now: Date): NextStep {
  if (record.state === 'Pending') return { type: 'enter', stage: i };
  if (record.rejection) return { type: 'stop', stage: i, state: 'Rejected', reason: `rejected by ${record.rejection.user}: ${record.rejection.reason}` };
  const { deploy } = record;
  if (deploy.state === 'pending' || deploy.state === 'running') return { type: 'wait-deploy', stage: i, state: 'Deploying' };
  if (deploy.state === 'failed' || deploy.state === 'errored') {
    return { type: 'stop', stage: i, state: deploy.state === 'failed' ? 'Failed' : 'Errored', reason: `deploy ${deploy.state}${deploy.reason ? `: ${deploy.reason}` : ''}` };
  }

  const evaluation = evaluateStageGates(stages[i]!.gates, record, author, now);
  const gates = evaluation.results;
  if (evaluation.verdict) return { type: 'stop', stage: i, state: evaluation.verdict.state, reason: evaluation.verdict.reason };
  if (evaluation.testsToStart.length) return { type: 'run-tests', stage: i, state: 'Verifying', tests: evaluation.testsToStart, gates };

  const automated = gates.filter((g) => g.gate === 'healthy' || g.gate === 'tests' || g.gate === 'soak');
  const waiting = automated.filter((g) => g.status !== 'passed');
  if (waiting.length) {
    return {
      type: 'verify',
      stage: i,
      state: 'Verifying',
      gates,
      waitingFor: waiting.map((g) => `${g.gate}: ${g.detail}`).join('; '),
      ...(evaluation.recheckAt ? { recheckAt: evaluation.recheckAt } : {}),
    };
  }
  if (evaluation.approvals && !evaluation.approvals.satisfied) {
    return {
      type: 'await-approval',
      stage: i,
      state: 'AwaitingApproval',
      missing: evaluation.approvals.missing,
      gates,
      ...(evaluation.approvals.expiresAt ? { recheckAt: new Date(evaluation.approvals.expiresAt) } : {}),
    };
  }
  const window = gates.find((g) => g.gate === 'window' && g.status !== 'passed');
  if (window) {
    return {
      type: 'blocked-by-window',
      stage: i,
      state: record.state === 'AwaitingApproval' ? 'AwaitingApproval' : 'Verifying',
      reason: window.detail,
      gates,
      ...(window.until ? { until: new Date(window.until) } : {}),
    };
  }
  // An approval that expires while the stage waits for its promotion takes the stage back to waiting for approvals.
  if (stages[i]!.promotion === 'manual' && !record.promotion) {
    return { type: 'await-promotion', stage: i, state: 'AwaitingApproval', gates, ...(evaluation.recheckAt ? { recheckAt: evaluation.recheckAt } : {}) };
  }
  return { type: 'promote', stage: i, state: 'Promoted', gates, ...(i + 1 < stages.length ? { next: i + 1 } : {}) };
}

/** What a step waits for, in words (for `releases get` and `tracks get`). */
export function describeStep(step: NextStep): string | undefined {
  switch (step.type) {
    case 'enter':
      return 'waiting to enter';
    case 'wait-deploy':
      return 'deploying';
    case 'run-tests':
      return `starting test jobs ${step.tests.join(', ')}`;
    case 'verify':
      return step.waitingFor;
    case 'await-approval':
      return `approvals missing: ${describeMissing(step.missing)}`;
    case 'await-promotion':
      return 'every gate holds; waiting for someone to promote it (its promotion is manual)';
    case 'blocked-by-window':
      return `blocked by a promotion window${step.until ? ` until ${step.until.toISOString()}` : ''}: ${step.reason}`;
    default:
      return undefined;
  }
}
