import { describe, expect, it } from 'vitest';
import type { ResolvedDependency, ResolvedStep, ResolvedTask } from '@slipway/contract';
import { planWorkflow, type TaskProgress, type TaskState } from './plan-workflow.ts';

const service = (name: string): ResolvedTask => ({ kind: 'service', name });
const job = (name: string): ResolvedTask => ({ kind: 'job', name });
const step = (tasks: ResolvedTask[], options: Partial<ResolvedStep> = {}): ResolvedStep => ({ name: 's', tasks, waitForFinish: true, haltOnError: true, ...options });
const deps: Record<string, ResolvedDependency[]> = {
  api: [{ name: 'db', kind: 'service', condition: 'ready' }, { name: 'migrate', kind: 'job', condition: 'completed' }],
  migrate: [{ name: 'db', kind: 'service', condition: 'ready' }],
  worker: [{ name: 'api', kind: 'service', condition: 'started' }],
};
const dependenciesOf = (t: ResolvedTask) => (t.kind === 'remove-environment' ? [] : (deps[t.name] ?? []));
const progress = (states: Record<string, TaskState | [TaskState, string]>) =>
  new Map<string, TaskProgress>(Object.entries(states).map(([k, v]) => [k, Array.isArray(v) ? { state: v[0], reason: v[1] } : { state: v }]));
const keys = (plan: ReturnType<typeof planWorkflow>) => plan.start.map((p) => p.key);

describe('planning a workflow', () => {
  const oneStep = [step([service('db'), job('migrate'), service('api'), service('worker'), service('web')])];

  it('starts what has no unmet dependency, in parallel', () => {
    expect(keys(planWorkflow(oneStep, progress({}), dependenciesOf))).toEqual(['0:service:db', '0:service:web']);
  });

  it('honours dependsOn conditions within a step: ready, completed, started', () => {
    const afterDb = planWorkflow(oneStep, progress({ '0:service:db': 'succeeded', '0:service:web': 'running' }), dependenciesOf);
    expect(keys(afterDb)).toEqual(['0:job:migrate']);
    const afterMigrate = planWorkflow(oneStep, progress({ '0:service:db': 'succeeded', '0:job:migrate': 'succeeded', '0:service:web': 'running' }), dependenciesOf);
    expect(keys(afterMigrate)).toEqual(['0:service:api']);
    const apiStarted = planWorkflow(oneStep, progress({ '0:service:db': 'succeeded', '0:job:migrate': 'succeeded', '0:service:api': 'running', '0:service:web': 'running' }), dependenciesOf);
    expect(keys(apiStarted)).toEqual(['0:service:worker']);
    expect(apiStarted.done).toBe(false);
  });

  it('ends Succeeded when every task succeeded', () => {
    const all = progress({ '0:service:db': 'succeeded', '0:job:migrate': 'succeeded', '0:service:api': 'succeeded', '0:service:worker': 'succeeded', '0:service:web': 'succeeded' });
    expect(planWorkflow(oneStep, all, dependenciesOf)).toEqual({ start: [], skip: [], done: true, outcome: 'succeeded' });
  });

  it('runs steps in order, waiting for each to finish', () => {
    const steps = [step([job('migrate')]), step([service('api')])];
    const noDeps = () => [];
    expect(keys(planWorkflow(steps, progress({}), noDeps))).toEqual(['0:job:migrate']);
    expect(keys(planWorkflow(steps, progress({ '0:job:migrate': 'running' }), noDeps))).toEqual([]);
    expect(keys(planWorkflow(steps, progress({ '0:job:migrate': 'succeeded' }), noDeps))).toEqual(['1:service:api']);
  });

  it('opens the next step once every task started when the step does not wait for finish', () => {
    const steps = [step([job('seed')], { waitForFinish: false }), step([service('api')])];
    expect(keys(planWorkflow(steps, progress({}), () => []))).toEqual(['0:job:seed', '1:service:api']);
  });

  it('halts on a failure in a haltOnError step: the workflow Failed with the reason, the rest skipped', () => {
    const steps = [step([job('migrate'), service('web')]), step([service('api')])];
    const plan = planWorkflow(steps, progress({ '0:job:migrate': ['failed', 'exit code 3'], '0:service:web': 'running' }), () => []);
    expect(plan.start).toEqual([]);
    expect(plan.skip).toEqual([{ key: '1:service:api', reason: 'not run: job migrate failed: exit code 3' }]);
    expect(plan.done).toBe(false);
    const finished = planWorkflow(steps, progress({ '0:job:migrate': ['failed', 'exit code 3'], '0:service:web': 'succeeded', '1:service:api': 'skipped' }), () => []);
    expect(finished).toMatchObject({ done: true, outcome: 'failed', reason: 'job migrate failed: exit code 3' });
  });

  it('skips the tasks that depend on a failed one, and ends Errored for a platform fault', () => {
    const plan = planWorkflow(oneStep, progress({ '0:service:db': ['errored', 'no port free'], '0:service:web': 'succeeded' }), dependenciesOf);
    expect(plan.skip.map((s) => s.key).sort()).toEqual(['0:job:migrate', '0:service:api', '0:service:worker']);
    expect(plan.done).toBe(true);
    expect(plan.outcome).toBe('errored');
  });

  it('goes on past a failure in a step without haltOnError, as teardown does', () => {
    const teardown = [step([job('backup')], { haltOnError: false }), step([{ kind: 'remove-environment' }], { haltOnError: false })];
    expect(keys(planWorkflow(teardown, progress({ '0:job:backup': 'failed' }), () => []))).toEqual(['1:remove-environment']);
    expect(planWorkflow(teardown, progress({ '0:job:backup': 'failed', '1:remove-environment': 'succeeded' }), () => [])).toMatchObject({ done: true, outcome: 'succeeded' });
  });

  it('treats dependencies outside the workflow as already met (a patch of one service)', () => {
    expect(keys(planWorkflow([step([service('api')])], progress({}), dependenciesOf))).toEqual(['0:service:api']);
  });
});
