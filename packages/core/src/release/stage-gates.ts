import { durationToMs, type GateResult, type ReleaseState, type StageGates } from '@slipway/contract';
import { describeMissing, evaluateApprovals, type ApprovalRecord, type ApprovalStatus } from './approvals.ts';
import { windowVerdict } from './promotion-windows.ts';

// The gates of a stage, evaluated from plain data the server gathers: how the stage's deploys
// ended, whether its instances are ready, how its test jobs ended, which approvals are recorded,
// and the clock. Nothing here reads the world.

export type WorkState = 'pending' | 'running' | 'succeeded' | 'failed' | 'errored';

/** What is known of one stage of a release. */
export interface StageProgress {
  state: ReleaseState;
  enteredAt?: string;
  /** The stage's deploys together: pending/running until all ended; failed/errored when one did. */
  deploy: { state: WorkState; reason?: string; finishedAt?: string };
  /** Read once the deploys succeeded: every instance ready; `failing` when one is crash-looping. */
  health?: { ready: boolean; failing?: boolean; detail?: string };
  /** Test jobs started for the gate, by job name (one entry per environment it runs in). */
  tests: { job: string; state: WorkState; where?: string; reason?: string }[];
  approvals: ApprovalRecord[];
  rejection?: { user: string; reason: string };
  /** Someone promoted the stage deliberately (a stage whose promotion is manual waits for it). */
  promotion?: { user: string; at: string };
}

/** A stage's gates with the defaults of the manifest applied (a stage without gates still waits for health). */
export function gatesOf(gates: StageGates | undefined): StageGates {
  return gates ?? { healthy: true, tests: [], windows: [] };
}

export interface StageGateEvaluation {
  results: GateResult[];
  approvals?: ApprovalStatus;
  /** A gate that can no longer pass: the stage ends in this state. */
  verdict?: { state: 'Failed' | 'Errored'; reason: string };
  /** Test jobs of the gate not started yet. */
  testsToStart: string[];
  /** The earliest time a pending gate may change by itself (soak end, window opening, approval expiry). */
  recheckAt?: Date;
}

/**
 * Every gate of the stage at `now`. Gates are evaluated only once the stage's deploys succeeded
 * (before that, each is `not-run`).
 */
export function evaluateStageGates(stageGates: StageGates | undefined, progress: StageProgress, author: string, now: Date): StageGateEvaluation {
  const gates = gatesOf(stageGates);
  const results: GateResult[] = [];
  const recheck: number[] = [];
  let verdict: StageGateEvaluation['verdict'];
  const deployed = progress.deploy.state === 'succeeded';

  if (gates.healthy) {
    if (!deployed) results.push({ gate: 'healthy', status: progress.deploy.state === 'failed' || progress.deploy.state === 'errored' ? 'failed' : 'not-run', detail: deployDetail(progress) });
    else if (progress.health?.failing) {
      results.push({ gate: 'healthy', status: 'failed', detail: progress.health.detail ?? 'an instance is crash-looping' });
      verdict ??= { state: 'Failed', reason: `unhealthy: ${progress.health.detail ?? 'an instance is crash-looping'}` };
    } else if (progress.health && !progress.health.ready) results.push({ gate: 'healthy', status: 'pending', detail: progress.health.detail ?? 'waiting for every instance to be ready' });
    else results.push({ gate: 'healthy', status: 'passed', detail: progress.health ? 'deployed, every instance ready' : 'deployed' });
  }

  const testsToStart: string[] = [];
  if (gates.tests.length) {
    const lines: string[] = [];
    let status: GateResult['status'] = deployed ? 'passed' : 'not-run';
    for (const job of gates.tests) {
      const runs = progress.tests.filter((t) => t.job === job);
      if (runs.length === 0) {
        if (deployed) {
          testsToStart.push(job);
          status = status === 'failed' ? status : 'pending';
        }
        lines.push(`${job}: not run`);
        continue;
      }
      for (const run of runs) {
        lines.push(`${job}${run.where ? ` in ${run.where}` : ''}: ${run.state}${run.reason ? ` (${run.reason})` : ''}`);
        if (run.state === 'failed' || run.state === 'errored') {
          status = 'failed';
          verdict ??= { state: run.state === 'failed' ? 'Failed' : 'Errored', reason: `test job ${job}${run.where ? ` in ${run.where}` : ''} ${run.state}${run.reason ? `: ${run.reason}` : ''}` };
        } else if (run.state !== 'succeeded' && status !== 'failed') status = 'pending';
      }
    }
    results.push({ gate: 'tests', status, detail: lines.join('; ') });
  }

  if (gates.soak) {
    const soakMs = durationToMs(gates.soak);
    const since = progress.deploy.finishedAt;
    if (!deployed || !since) results.push({ gate: 'soak', status: 'not-run', detail: `${gates.soak} once deployed` });
    else {
      const end = Date.parse(since) + soakMs;
      if (end <= now.getTime()) results.push({ gate: 'soak', status: 'passed', detail: `healthy for ${gates.soak}` });
      else {
        recheck.push(end);
        results.push({ gate: 'soak', status: 'pending', detail: `soaking ${gates.soak}, until ${new Date(end).toISOString()}`, until: new Date(end).toISOString() });
      }
    }
  }

  let approvals: ApprovalStatus | undefined;
  if (gates.approvals) {
    approvals = evaluateApprovals(gates.approvals, progress.approvals, author, now);
    if (approvals.expiresAt) recheck.push(Date.parse(approvals.expiresAt));
    const have = approvals.counted.map((c) => `${c.role} by ${c.user}`).join(', ');
    results.push(
      approvals.satisfied
        ? { gate: 'approvals', status: 'passed', detail: `approved: ${have}` }
        : { gate: 'approvals', status: 'pending', detail: `missing ${describeMissing(approvals.missing)}${have ? ` (have ${have})` : ''}` },
    );
  }

  if (gates.windows.length) {
    const window = windowVerdict(gates.windows, now);
    if (window.open) results.push({ gate: 'window', status: 'passed', detail: 'promotion window open' });
    else {
      if (window.until) recheck.push(window.until.getTime());
      results.push({ gate: 'window', status: 'blocked', detail: `${window.reason}${window.until ? `; opens ${window.until.toISOString()}` : '; never opens'}`, ...(window.until ? { until: window.until.toISOString() } : {}) });
    }
  }

  return {
    results,
    testsToStart,
    ...(approvals ? { approvals } : {}),
    ...(verdict ? { verdict } : {}),
    ...(recheck.length ? { recheckAt: new Date(Math.min(...recheck)) } : {}),
  };
}

function deployDetail(progress: StageProgress): string {
  switch (progress.deploy.state) {
    case 'pending':
      return 'not deployed yet';
    case 'running':
      return 'deploying';
    case 'failed':
    case 'errored':
      return `deploy ${progress.deploy.state}${progress.deploy.reason ? `: ${progress.deploy.reason}` : ''}`;
    default:
      return 'deployed';
  }
}
