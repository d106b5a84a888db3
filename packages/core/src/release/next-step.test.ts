import { describe, expect, it } from 'vitest';
import type { ReleaseStage, ReleaseState, ReleaseTrackSpec, StageGates } from '@slipway/contract';
import { describeStep, nextStep, stageName, stagesFor, type ReleaseProgress } from './next-step.ts';
import { assertTransition, canTransition, isActiveStage, isEnded } from './release-states.ts';
import { snapshotAlias, snapshotContent } from './snapshots.ts';
import { evaluateStageGates, type StageProgress } from './stage-gates.ts';

const now = new Date('2026-03-02T12:00:00Z');
const gates = (g: Partial<StageGates>): StageGates => ({ healthy: true, tests: [], windows: [], ...g });
const stage = (environments: string[], g?: Partial<StageGates>): ReleaseStage => ({ environments, ...(g ? { gates: gates(g) } : {}) });
// The seed's track: development, then staging with a test job and three approvals, then production.
const seedTrack: ReleaseTrackSpec = {
  preReleaseStages: [stage(['development'], { tests: ['e2e'] })],
  releaseStages: [
    stage(['development']),
    stage(['staging'], { tests: ['e2e'], approvals: { required: [{ role: 'qa', count: 1 }, { role: 'product', count: 1 }, { role: 'security', count: 1 }], allowAuthor: false } }),
    stage(['production']),
  ],
  hotfixStages: [stage(['staging'], { approvals: { required: [{ role: 'sre', count: 1 }], allowAuthor: false } }), stage(['production'])],
};
const stages = seedTrack.releaseStages;

/** A stage whose deploys succeeded at 11:00 and whose instances are ready. */
const deployed = (extra: Partial<StageProgress> = {}): StageProgress => ({
  state: 'Verifying',
  enteredAt: '2026-03-02T10:55:00Z',
  deploy: { state: 'succeeded', finishedAt: '2026-03-02T11:00:00Z' },
  health: { ready: true },
  tests: [],
  approvals: [],
  ...extra,
});
const promoted = (): StageProgress => deployed({ state: 'Promoted' });
const release = (records: StageProgress[], extra: Partial<ReleaseProgress> = {}): ReleaseProgress => ({ stages, records, author: 'rita', ...extra });
const approvals = (...users: [string, string][]) => users.map(([user, role]) => ({ user, roles: [role], at: '2026-03-02T11:30:00Z' }));

describe('the stages a release follows', () => {
  it('picks the lane of its kind', () => {
    expect(stagesFor(seedTrack, 'release').map(stageName)).toEqual(['development', 'staging', 'production']);
    expect(stagesFor(seedTrack, 'hotfix').map(stageName)).toEqual(['staging', 'production']);
    expect(stagesFor(seedTrack, 'pre-release').map(stageName)).toEqual(['development']);
    expect(stageName({ name: 'qa-gate', environments: ['a', 'b'] })).toBe('qa-gate');
    expect(stageName({ environments: ['eu', 'us'] })).toBe('eu+us');
  });
});

describe('what happens next to a release', () => {
  it('promotes an automatic stage as soon as its gates hold, and keeps a manual one waiting for a person', () => {
    const manual = [stage(['staging'], { tests: ['e2e'] }), { ...stage(['production']) }];
    manual[0] = { ...manual[0]!, promotion: 'manual' };
    const passed = deployed({ tests: [{ job: 'e2e', state: 'succeeded' }] });
    const waiting = nextStep(release([passed], { stages: manual }), now);
    expect(waiting).toMatchObject({ type: 'await-promotion', stage: 0, state: 'AwaitingApproval' });
    expect(describeStep(waiting)).toBe('every gate holds; waiting for someone to promote it (its promotion is manual)');
    // A person's promotion does not skip a gate: with the test job still running it waits for the job.
    expect(nextStep(release([deployed({ tests: [{ job: 'e2e', state: 'running' }], promotion: { user: 'rita', at: '2026-03-02T11:40:00Z' } })], { stages: manual }), now)).toMatchObject({ type: 'verify' });
    expect(nextStep(release([{ ...passed, promotion: { user: 'rita', at: '2026-03-02T11:40:00Z' } }], { stages: manual }), now)).toMatchObject({ type: 'promote', stage: 0, next: 1 });
    expect(nextStep(release([passed], { stages: [stage(['staging'], { tests: ['e2e'] }), stage(['production'])] }), now)).toMatchObject({ type: 'promote', stage: 0, next: 1 });
  });

  it('enters the first stage of a new release', () => {
    expect(nextStep(release([]), now)).toEqual({ type: 'enter', stage: 0 });
  });

  it('keeps a stage that is queued (Pending) asking to enter', () => {
    expect(nextStep(release([{ state: 'Pending', deploy: { state: 'pending' }, tests: [], approvals: [] }]), now)).toEqual({ type: 'enter', stage: 0 });
  });

  it('waits for the deploys of the stage', () => {
    for (const state of ['pending', 'running'] as const) {
      expect(nextStep(release([{ state: 'Deploying', deploy: { state }, tests: [], approvals: [] }]), now)).toEqual({ type: 'wait-deploy', stage: 0, state: 'Deploying' });
    }
  });

  it('fails the stage when a deploy failed, and errors it when the platform did', () => {
    expect(nextStep(release([deployed({ state: 'Deploying', deploy: { state: 'failed', reason: 'job migrate exited 1' } })]), now)).toEqual({
      type: 'stop',
      stage: 0,
      state: 'Failed',
      reason: 'deploy failed: job migrate exited 1',
    });
    expect(nextStep(release([deployed({ state: 'Deploying', deploy: { state: 'errored', reason: 'git missing' } })]), now)).toMatchObject({ type: 'stop', state: 'Errored', reason: 'deploy errored: git missing' });
  });

  it('promotes a stage without gates as soon as it is deployed and healthy, entering the next', () => {
    expect(nextStep(release([deployed()]), now)).toMatchObject({ type: 'promote', stage: 0, state: 'Promoted', next: 1 });
    expect(nextStep(release([promoted()]), now)).toEqual({ type: 'enter', stage: 1 });
  });

  it('waits while instances are not ready, and fails the stage when one crash-loops', () => {
    expect(nextStep(release([deployed({ health: { ready: false, detail: 'staging/web-0 is starting' } })]), now)).toMatchObject({ type: 'verify', state: 'Verifying', waitingFor: 'healthy: staging/web-0 is starting' });
    expect(nextStep(release([deployed({ health: { ready: false, failing: true, detail: 'web-0 is crash-looping' } })]), now)).toEqual({ type: 'stop', stage: 0, state: 'Failed', reason: 'unhealthy: web-0 is crash-looping' });
  });

  it('ignores health when the stage turns the healthy gate off', () => {
    const track = release([deployed({ health: { ready: false, detail: 'down' } })], { stages: [stage(['development'], { healthy: false })] });
    expect(nextStep(track, now)).toMatchObject({ type: 'promote', stage: 0 });
    expect(nextStep(track, now)).not.toHaveProperty('next');
  });

  it('starts the test jobs of the gate once deployed, then waits for them', () => {
    const records = [promoted(), deployed({ state: 'Deploying' })];
    expect(nextStep(release(records), now)).toMatchObject({ type: 'run-tests', stage: 1, state: 'Verifying', tests: ['e2e'] });
    const running = [promoted(), deployed({ tests: [{ job: 'e2e', state: 'running', where: 'staging' }] })];
    expect(nextStep(release(running), now)).toMatchObject({ type: 'verify', stage: 1, waitingFor: 'tests: e2e in staging: running' });
  });

  it('fails the stage when a test job failed, errors it when it could not run', () => {
    const failed = [promoted(), deployed({ tests: [{ job: 'e2e', state: 'failed', where: 'staging', reason: 'exit code 1' }] })];
    expect(nextStep(release(failed), now)).toEqual({ type: 'stop', stage: 1, state: 'Failed', reason: 'test job e2e in staging failed: exit code 1' });
    const errored = [promoted(), deployed({ tests: [{ job: 'e2e', state: 'errored', reason: 'driver gone' }] })];
    expect(nextStep(release(errored), now)).toMatchObject({ type: 'stop', state: 'Errored' });
  });

  it('awaits approvals once tests passed, naming the roles missing', () => {
    const records = [promoted(), deployed({ tests: [{ job: 'e2e', state: 'succeeded' }], approvals: approvals(['quinn', 'qa']) })];
    const step = nextStep(release(records), now);
    expect(step).toMatchObject({ type: 'await-approval', stage: 1, state: 'AwaitingApproval', missing: [{ role: 'product', count: 1 }, { role: 'security', count: 1 }] });
    expect(describeStep(step)).toBe('approvals missing: product, security');
  });

  it('does not count the author, so their approval leaves the role missing', () => {
    const records = [promoted(), deployed({ tests: [{ job: 'e2e', state: 'succeeded' }], approvals: approvals(['rita', 'qa'], ['pat', 'product'], ['sam', 'security']) })];
    expect(nextStep(release(records), now)).toMatchObject({ type: 'await-approval', missing: [{ role: 'qa', count: 1 }] });
  });

  it('promotes out of staging into production once tests passed and qa, product and security approved', () => {
    const records = [promoted(), deployed({ state: 'AwaitingApproval', tests: [{ job: 'e2e', state: 'succeeded' }], approvals: approvals(['quinn', 'qa'], ['pat', 'product'], ['sam', 'security']) })];
    const step = nextStep(release(records), now);
    expect(step).toMatchObject({ type: 'promote', stage: 1, next: 2 });
    expect(step.type === 'promote' && step.gates.map((g) => `${g.gate}:${g.status}`)).toEqual(['healthy:passed', 'tests:passed', 'approvals:passed']);
  });

  it('checks approvals only after the automated gates, though they may be given earlier', () => {
    const early = [promoted(), deployed({ tests: [{ job: 'e2e', state: 'running' }], approvals: approvals(['quinn', 'qa'], ['pat', 'product'], ['sam', 'security']) })];
    expect(nextStep(release(early), now)).toMatchObject({ type: 'verify' });
  });

  it('waits out the soak time, saying when to look again', () => {
    const soaking = release([deployed()], { stages: [stage(['staging'], { soak: '2h' }), stage(['production'])] });
    const step = nextStep(soaking, now);
    expect(step).toMatchObject({ type: 'verify', recheckAt: new Date('2026-03-02T13:00:00Z') });
    expect(step.type === 'verify' && step.waitingFor).toMatch(/soak: soaking 2h, until 2026-03-02T13:00:00.000Z/);
    expect(nextStep(soaking, new Date('2026-03-02T13:00:00Z'))).toMatchObject({ type: 'promote', next: 1 });
  });

  it('blocks promotion while a window forbids it, until it opens', () => {
    const frozen = release([deployed()], { stages: [stage(['staging'], { windows: [{ type: 'deny', schedule: '0 12 * * *', duration: '2h', timezone: 'UTC' }] }), stage(['production'])] });
    const step = nextStep(frozen, now);
    expect(step).toMatchObject({ type: 'blocked-by-window', stage: 0, state: 'Verifying', until: new Date('2026-03-02T14:00:00Z') });
    expect(describeStep(step)).toMatch(/^blocked by a promotion window until 2026-03-02T14:00:00.000Z/);
    expect(nextStep(frozen, new Date('2026-03-02T14:00:00Z'))).toMatchObject({ type: 'promote' });
  });

  it('keeps a stage awaiting approval in that state while a window blocks it', () => {
    const policy = { required: [{ role: 'qa', count: 1 }], allowAuthor: false };
    const frozen = release([deployed({ state: 'AwaitingApproval', approvals: approvals(['quinn', 'qa']) })], {
      stages: [stage(['staging'], { approvals: policy, windows: [{ type: 'allow', schedule: '0 14 * * *', duration: '1h', timezone: 'UTC' }] })],
    });
    expect(nextStep(frozen, now)).toMatchObject({ type: 'blocked-by-window', state: 'AwaitingApproval', until: new Date('2026-03-02T14:00:00Z') });
  });

  it('says when an approval will expire, so it is looked at again', () => {
    const policy = { required: [{ role: 'qa', count: 1 }, { role: 'product', count: 1 }], expireAfter: '1h', allowAuthor: false };
    const waiting = release([deployed({ approvals: approvals(['quinn', 'qa']) })], { stages: [stage(['staging'], { approvals: policy })] });
    expect(nextStep(waiting, now)).toMatchObject({ type: 'await-approval', recheckAt: new Date('2026-03-02T12:30:00Z') });
  });

  it('looks again at a manual stage when its approval expires, and then waits for approvals instead of a promotion', () => {
    const policy = { required: [{ role: 'qa', count: 1 }], expireAfter: '1h', allowAuthor: false };
    const manual = [{ ...stage(['staging'], { approvals: policy }), promotion: 'manual' as const }, stage(['production'])];
    const waiting = release([deployed({ approvals: approvals(['quinn', 'qa']) })], { stages: manual });
    expect(nextStep(waiting, now)).toMatchObject({ type: 'await-promotion', recheckAt: new Date('2026-03-02T12:30:00Z') });
    expect(nextStep(waiting, new Date('2026-03-02T12:30:01Z'))).toMatchObject({ type: 'await-approval', missing: [{ role: 'qa', count: 1 }] });
  });

  it('ends Rejected when someone rejected the stage', () => {
    const rejected = [promoted(), deployed({ rejection: { user: 'quinn', reason: 'checkout broken' } })];
    expect(nextStep(release(rejected), now)).toEqual({ type: 'stop', stage: 1, state: 'Rejected', reason: 'rejected by quinn: checkout broken' });
  });

  it('is done when the last stage was promoted, or when a stage ended badly, or on abort', () => {
    expect(nextStep(release([promoted(), promoted(), promoted()]), now)).toEqual({ type: 'done', state: 'Promoted' });
    for (const state of ['Failed', 'Errored', 'Rejected', 'Aborted'] as ReleaseState[]) {
      expect(nextStep(release([promoted(), deployed({ state })]), now)).toEqual({ type: 'done', state });
    }
    expect(nextStep(release([promoted()], { aborted: true }), now)).toEqual({ type: 'done', state: 'Aborted' });
    expect(nextStep(release([], { stages: [] }), now)).toEqual({ type: 'done', state: 'Errored' });
  });

  it('follows the hotfix lane with its own approvers, skipping development', () => {
    const hotfix: ReleaseProgress = { stages: stagesFor(seedTrack, 'hotfix'), records: [], author: 'rita' };
    expect(nextStep(hotfix, now)).toEqual({ type: 'enter', stage: 0 });
    const awaiting = nextStep({ ...hotfix, records: [deployed()] }, now);
    expect(awaiting).toMatchObject({ type: 'await-approval', missing: [{ role: 'sre', count: 1 }] });
    expect(nextStep({ ...hotfix, records: [deployed({ approvals: approvals(['olga', 'sre']) })] }, now)).toMatchObject({ type: 'promote', next: 1 });
  });
});

describe('stage gates for display', () => {
  it('marks gates not run before the deploy, and a failed deploy as failing health', () => {
    const track = stages[1]!.gates;
    const before = evaluateStageGates(track, { state: 'Deploying', deploy: { state: 'running' }, tests: [], approvals: [] }, 'rita', now);
    expect(before.results.map((g) => `${g.gate}:${g.status}`)).toEqual(['healthy:not-run', 'tests:not-run', 'approvals:pending']);
    expect(before.testsToStart).toEqual([]);
    const failed = evaluateStageGates(track, { state: 'Deploying', deploy: { state: 'failed', reason: 'boom' }, tests: [], approvals: [] }, 'rita', now);
    expect(failed.results[0]).toEqual({ gate: 'healthy', status: 'failed', detail: 'deploy failed: boom' });
  });

  it('describes approvals given and missing', () => {
    const result = evaluateStageGates(stages[1]!.gates, deployed({ tests: [{ job: 'e2e', state: 'succeeded', where: 'staging' }], approvals: approvals(['quinn', 'qa']) }), 'rita', now);
    expect(result.results).toContainEqual({ gate: 'approvals', status: 'pending', detail: 'missing product, security (have qa by quinn)' });
    expect(result.results).toContainEqual({ gate: 'tests', status: 'passed', detail: 'e2e in staging: succeeded' });
  });

  it('reports a soak gate not run before the deploy ended', () => {
    const result = evaluateStageGates(gates({ soak: '30m' }), { state: 'Deploying', deploy: { state: 'running' }, tests: [], approvals: [] }, 'rita', now);
    expect(result.results).toContainEqual({ gate: 'soak', status: 'not-run', detail: '30m once deployed' });
  });
});

describe('release states', () => {
  it('allows the moves of the flow and nothing out of an ended state', () => {
    expect(canTransition('Pending', 'Deploying')).toBe(true);
    expect(canTransition('Deploying', 'Verifying')).toBe(true);
    expect(canTransition('Verifying', 'AwaitingApproval')).toBe(true);
    expect(canTransition('Verifying', 'Promoted')).toBe(true);
    expect(canTransition('AwaitingApproval', 'Promoted')).toBe(true);
    expect(canTransition('AwaitingApproval', 'Rejected')).toBe(true);
    expect(canTransition('Pending', 'Promoted')).toBe(false);
    expect(canTransition('Deploying', 'Promoted')).toBe(false);
    expect(canTransition('Deploying', 'AwaitingApproval')).toBe(false);
    for (const ended of ['Promoted', 'Rejected', 'Failed', 'Errored', 'Aborted'] as ReleaseState[]) {
      expect(isEnded(ended)).toBe(true);
      expect(canTransition(ended, 'Pending')).toBe(false);
      expect(() => assertTransition(ended, 'Deploying', 'stage staging')).toThrow(`stage staging is ${ended}; it cannot become Deploying (it has ended)`);
    }
    for (const state of ['Pending', 'Deploying', 'Verifying', 'AwaitingApproval'] as ReleaseState[]) expect(canTransition(state, 'Aborted')).toBe(true);
    expect(isActiveStage('Verifying')).toBe(true);
    expect(isActiveStage('Pending')).toBe(false);
  });
});

describe('snapshots', () => {
  it('have the same content whatever the order of their components', () => {
    const a = snapshotContent({ workspace: 'w', set: 's', kind: 'release', components: [{ app: 'web', commit: 'a1' }, { app: 'api', commit: 'b2', branch: 'main' }] });
    const b = snapshotContent({ workspace: 'w', set: 's', kind: 'release', components: [{ app: 'api', commit: 'b2' }, { app: 'web', commit: 'a1' }] });
    expect(a).toBe(b);
    expect(snapshotContent({ workspace: 'w', set: 's', kind: 'release', components: [{ app: 'api', commit: 'b2', imageDigest: 'sha256:1' }, { app: 'web', commit: 'a1' }] })).not.toBe(a);
    expect(snapshotContent({ workspace: 'w', set: 's', kind: 'pre-release', components: [{ app: 'api', commit: 'b2' }, { app: 'web', commit: 'a1' }] })).not.toBe(a);
  });

  it('are named by their day and a counter', () => {
    const day = new Date('2026-11-23T22:00:00Z');
    expect(snapshotAlias(day, [])).toBe('2026.11.23-1');
    expect(snapshotAlias(day, ['2026.11.23-1', '2026.11.23-2'])).toBe('2026.11.23-3');
    expect(snapshotAlias(day, ['2026.11.23-2'])).toBe('2026.11.23-1');
  });
});
