import pc from 'picocolors';
import type { DeployResponse, DeployTaskResponse, EnvironmentResponse } from '@slipway/contract';
import { elapsedBetween } from '../time-format.ts';

export type Colors = ReturnType<typeof pc.createColors>;

/** How many lines of a failed task's log tail the timeline shows; the rest is in `slipway deploys get`. */
const LOG_TAIL_LINES = 20;

/** What a task is, as the timeline names it: "step 1 build · service web", or the source's "checkout and build". */
export function taskLabel(task: DeployTaskResponse): string {
  if (task.kind === 'source') return task.stepName;
  const step = `step ${task.step + 1} ${task.stepName}`;
  return task.kind === 'remove-environment' ? `${step} · remove environment` : `${step} · ${task.kind} ${task.name ?? '?'}`;
}

const verbs: Record<DeployTaskResponse['kind'], { running: string; succeeded: string }> = {
  source: { running: '', succeeded: '' },
  service: { running: 'starting', succeeded: 'ready' },
  job: { running: 'running', succeeded: 'succeeded' },
  'remove-environment': { running: 'removing', succeeded: 'removed' },
};

/**
 * The timeline lines for what changed between two looks at a deploy: one line per task whose state
 * moved (a task that started and finished between two looks gets only its outcome), with the log
 * tail of a task that failed or errored. Pure, so the `--wait` renderer is tested without a server.
 */
export function progressLines(previous: readonly DeployTaskResponse[], current: DeployResponse, c: Colors = pc): string[] {
  const before = new Map(previous.map((t) => [t.key, t.state]));
  const lines: string[] = [];
  for (const task of current.tasks ?? []) {
    if ((before.get(task.key) ?? 'pending') === task.state) continue;
    lines.push(...taskLines(task, c));
  }
  return lines;
}

/** One task's line (and its log tail), as the timeline prints it when the task reaches its state. */
export function taskLines(task: DeployTaskResponse, c: Colors = pc): string[] {
  const label = taskLabel(task);
  const took = elapsedBetween(task.startedAt, task.finishedAt);
  const duration = took ? c.dim(` (${took})`) : '';
  const reason = task.reason ? `: ${task.reason}` : '';
  switch (task.state) {
    case 'pending':
      return [];
    case 'running':
      return [`  ${c.cyan('▸')} ${label}${withSpace(verbs[task.kind].running)}…`];
    case 'succeeded':
      return [`  ${c.green('✓')} ${label}${withSpace(verbs[task.kind].succeeded)}${duration}`];
    case 'skipped':
      return [`  ${c.dim('-')} ${label} skipped${reason}`];
    case 'failed':
      return [`  ${c.red('✗')} ${label} failed${reason}${duration}`, ...logTailLines(task.logTail, c)];
    case 'errored':
      return [`  ${c.red('!')} ${label} errored${reason}${duration}`, ...logTailLines(task.logTail, c)];
  }
}

const withSpace = (word: string) => (word ? ` ${word}` : '');

function logTailLines(logTail: string | undefined, c: Colors): string[] {
  if (!logTail?.trim()) return [];
  const lines = logTail.replace(/\n+$/, '').split('\n');
  const shown = lines.slice(-LOG_TAIL_LINES);
  return [...(lines.length > shown.length ? [c.dim(`      … ${lines.length - shown.length} earlier lines`)] : []), ...shown.map((l) => c.dim(`      ${l}`))];
}

export function isFinished(deploy: Pick<DeployResponse, 'state'>): boolean {
  return deploy.state === 'succeeded' || deploy.state === 'failed' || deploy.state === 'errored' || deploy.state === 'cancelled';
}

/** "setup deploy #1 of pr-42" */
export function deployName(deploy: Pick<DeployResponse, 'workflow' | 'seq' | 'envId'>): string {
  return `${deploy.workflow} deploy #${deploy.seq} of ${deploy.envId}`;
}

/**
 * The last lines of `--wait`: the outcome with its reason, and where to look next — the URLs of an
 * environment that is up, or the commands that show why it is not.
 */
export function deploySummary(deploy: DeployResponse, environment: EnvironmentResponse | undefined, c: Colors = pc): string[] {
  const took = elapsedBetween(deploy.startedAt ?? deploy.createdAt, deploy.finishedAt);
  const inTime = took ? ` in ${took}` : '';
  const reason = deploy.reason ? `: ${deploy.reason}` : '';
  if (deploy.state === 'succeeded') {
    if (deploy.workflow === 'teardown') return [`${c.green('✓')} environment ${c.bold(deploy.envId)} deleted (${deployName(deploy)} succeeded${inTime})`];
    const lines = [`${c.green('✓')} ${deployName(deploy)} succeeded${inTime}`];
    const urls = Object.entries(environment?.urls ?? {});
    if (urls.length) lines.push(...urlLines(urls));
    return lines;
  }
  const verdict =
    deploy.state === 'cancelled' ? 'was cancelled' : deploy.state === 'errored' ? 'errored (a platform problem, not a verdict on the application)' : deploy.state === 'failed' ? 'failed' : `stopped in state ${deploy.state}`;
  const lines = [`${c.red('✗')} ${deployName(deploy)} ${verdict}${reason}`];
  lines.push(`  details: slipway deploys get ${deploy.id}`);
  if (deploy.workflow !== 'teardown') lines.push(`  instances: slipway instances list ${deploy.envId}   logs: slipway instances logs ${deploy.envId} <instance>`);
  return lines;
}

/** An environment's URLs, one per line, names aligned. */
export function urlLines(urls: [string, string][]): string[] {
  const width = Math.max(...urls.map(([name]) => name.length));
  return urls.map(([name, url]) => `  ${name.padEnd(width)}  ${url}`);
}
