import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import type { DeployResponse, DeployTaskResponse, EnvironmentResponse } from '@slipway/contract';
import { deploySummary, isFinished, progressLines, taskLabel } from './deploy-progress.ts';

const plain = pc.createColors(false);
const t0 = '2026-01-01T12:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(t0) + ms).toISOString();

const source: DeployTaskResponse = { key: 'source', step: -1, stepName: 'checkout and build', kind: 'source', state: 'pending' };
const web: DeployTaskResponse = { key: '0:service:web', step: 0, stepName: 'build', kind: 'service', name: 'web', state: 'pending' };
const migrate: DeployTaskResponse = { key: '0:job:migrate', step: 0, stepName: 'build', kind: 'job', name: 'migrate', state: 'pending' };
const api: DeployTaskResponse = { key: '1:service:api', step: 1, stepName: 'start', kind: 'service', name: 'api', state: 'pending' };

function deploy(tasks: DeployTaskResponse[], extra: Partial<DeployResponse> = {}): DeployResponse {
  return { id: 'd-1', envId: 'pr-42', app: 'shop', seq: 1, workflow: 'setup', state: 'running', createdAt: t0, startedAt: t0, tasks, ...extra };
}

describe('taskLabel', () => {
  it('names the step (counted from 1) and the task', () => {
    expect(taskLabel(web)).toBe('step 1 build · service web');
    expect(taskLabel(source)).toBe('checkout and build');
    expect(taskLabel({ key: '0:remove-environment', step: 0, stepName: 'remove', kind: 'remove-environment', state: 'running' })).toBe('step 1 remove · remove environment');
  });
});

describe('progressLines', () => {
  it('prints one line per transition, with durations, and nothing for what did not move', () => {
    const first = deploy([{ ...source, state: 'running', startedAt: t0 }, web, migrate, api]);
    expect(progressLines([], first, plain)).toEqual(['  ▸ checkout and build…']);

    const second = deploy([
      { ...source, state: 'succeeded', startedAt: t0, finishedAt: at(3_400) },
      { ...web, state: 'running', startedAt: at(3_500) },
      { ...migrate, state: 'running', startedAt: at(3_500) },
      api,
    ]);
    expect(progressLines(first.tasks!, second, plain)).toEqual([
      '  ✓ checkout and build (3.4s)',
      '  ▸ step 1 build · service web starting…',
      '  ▸ step 1 build · job migrate running…',
    ]);
    expect(progressLines(second.tasks!, second, plain)).toEqual([]);

    const third = deploy([
      second.tasks![0]!,
      { ...web, state: 'succeeded', startedAt: at(3_500), finishedAt: at(4_700) },
      { ...migrate, state: 'failed', reason: 'exit code 1', logTail: 'migrating…\nError: relation "users" already exists\n', startedAt: at(3_500), finishedAt: at(5_000) },
      { ...api, state: 'skipped', reason: 'migrate failed' },
    ]);
    expect(progressLines(second.tasks!, third, plain)).toEqual([
      '  ✓ step 1 build · service web ready (1.2s)',
      '  ✗ step 1 build · job migrate failed: exit code 1 (1.5s)',
      '      migrating…',
      '      Error: relation "users" already exists',
      '  - step 2 start · service api skipped: migrate failed',
    ]);
  });

  it('gives a task that started and ended between two looks only its outcome', () => {
    const done = deploy([{ ...api, state: 'succeeded', startedAt: t0, finishedAt: at(900) }]);
    expect(progressLines([api], done, plain)).toEqual(['  ✓ step 2 start · service api ready (900ms)']);
  });

  it('shows the last lines of a long log tail and says how many were left out', () => {
    const logTail = Array.from({ length: 25 }, (_, i) => `line ${i + 1}`).join('\n');
    const lines = progressLines([], deploy([{ ...migrate, state: 'errored', reason: 'platform error: spawn ENOENT', logTail }]), plain);
    expect(lines[0]).toBe('  ! step 1 build · job migrate errored: platform error: spawn ENOENT');
    expect(lines[1]).toBe('      … 5 earlier lines');
    expect(lines[2]).toBe('      line 6');
    expect(lines).toHaveLength(22);
  });
});

describe('deploySummary', () => {
  const environment = { urls: { web: 'http://guestbook-pr-42.slipway.localhost:8080', api: 'http://api-pr-42.slipway.localhost:8080' } } as unknown as EnvironmentResponse;

  it("gives a success its time and the environment's URLs", () => {
    expect(deploySummary(deploy([], { state: 'succeeded', outcome: 'succeeded', finishedAt: at(12_300) }), environment, plain)).toEqual([
      '✓ setup deploy #1 of pr-42 succeeded in 12.3s',
      '  web  http://guestbook-pr-42.slipway.localhost:8080',
      '  api  http://api-pr-42.slipway.localhost:8080',
    ]);
  });

  it('gives a failure its reason and where to look', () => {
    const lines = deploySummary(deploy([], { state: 'failed', outcome: 'failed', reason: 'job migrate failed: exit code 1' }), environment, plain);
    expect(lines[0]).toBe('✗ setup deploy #1 of pr-42 failed: job migrate failed: exit code 1');
    expect(lines[1]).toBe('  details: slipway deploys get d-1');
    expect(lines[2]).toMatch(/slipway instances logs pr-42 <instance>/);
  });

  it('tells an errored deploy from a failed one, and a finished teardown from a setup', () => {
    expect(deploySummary(deploy([], { state: 'errored', reason: 'platform error: disk full' }), undefined, plain)[0]).toBe(
      '✗ setup deploy #1 of pr-42 errored (a platform problem, not a verdict on the application): platform error: disk full',
    );
    expect(deploySummary(deploy([], { workflow: 'teardown', seq: 3, state: 'succeeded', finishedAt: at(2_000) }), undefined, plain)).toEqual([
      '✓ environment pr-42 deleted (teardown deploy #3 of pr-42 succeeded in 2.0s)',
    ]);
  });

  it('knows which states are final', () => {
    expect(['queued', 'running', 'succeeded', 'failed', 'errored', 'cancelled'].map((state) => isFinished({ state: state as DeployResponse['state'] }))).toEqual([false, false, true, true, true, true]);
  });
});
