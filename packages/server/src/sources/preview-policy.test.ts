import { describe, expect, it } from 'vitest';
import type { ApplicationManifest } from '@slipway/contract';
import { branchMatches } from './branch-patterns.ts';
import { decide, envIdWithApp, previewSettingsOf, sourceKeyOf, type EnvironmentFacts, type LinkFacts, type PreviewApplication } from './preview-policy.ts';
import type { BranchDeletedEvent, BranchPushedEvent, PullRequestEvent } from './source-provider.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

const app = (settings: Partial<PreviewApplication['settings']> = {}, trackingBranch: string | null = 'main'): PreviewApplication => ({
  name: 'web',
  ...(trackingBranch ? { trackingBranch } : {}),
  settings: { pullRequests: 'all', label: 'preview', branches: [], autoDeploy: true, ...settings },
});

const pr = (action: PullRequestEvent['action'], over: Partial<PullRequestEvent> = {}): PullRequestEvent => ({
  type: 'pull-request',
  action,
  provider: 'github',
  repository: 'acme/shop',
  number: 42,
  headBranch: 'feature/login',
  headSha: A,
  baseBranch: 'main',
  labels: [],
  ...over,
});
const push = (branch: string, sha = A, over: Partial<BranchPushedEvent> = {}): BranchPushedEvent => ({ type: 'branch-pushed', provider: 'git', repository: '/r.git', branch, sha, ...over });
const deleted = (branch: string): BranchDeletedEvent => ({ type: 'branch-deleted', provider: 'git', repository: '/r.git', branch });

const env = (envId: string, over: Partial<EnvironmentFacts> = {}): EnvironmentFacts => ({
  id: `row-${envId}`,
  envId,
  app: 'web',
  branch: 'feature/login',
  kind: 'ephemeral',
  commit: A,
  deleting: false,
  ...over,
});
const openLink = (envId: string, environmentId = `row-${envId}`): LinkFacts => ({ envId, environmentId, state: 'open' });

describe('pull requests', () => {
  it('creates pr-<number> on opened, reopened, labeled and ready_for_review when nothing exists', () => {
    for (const action of ['opened', 'reopened', 'labeled', 'ready_for_review', 'synchronize'] as const) {
      expect(decide(pr(action), app(), { environments: [] }), action).toEqual([{ kind: 'create', envId: 'pr-42', branch: 'feature/login', commit: A }]);
    }
  });

  it('does nothing on opened when the linked environment already runs the commit', () => {
    expect(decide(pr('opened'), app(), { link: openLink('pr-42'), environments: [env('pr-42')] })).toEqual([{ kind: 'nothing', reason: 'pr-42 already runs aaaaaaaaaaaa' }]);
  });

  it('patches the linked environment on synchronize, and only when the commit moved', () => {
    const facts = { link: openLink('pr-42'), environments: [env('pr-42')] };
    expect(decide(pr('synchronize', { headSha: B }), app(), facts)).toEqual([{ kind: 'patch', envId: 'pr-42', environmentId: 'row-pr-42', commit: B, permanent: false }]);
    expect(decide(pr('synchronize'), app(), facts)[0]!.kind).toBe('nothing');
  });

  it('patches the linked environment even when its id carries the application name', () => {
    const facts = { link: openLink('pr-42-web'), environments: [env('pr-42', { app: 'api' }), env('pr-42-web')] };
    expect(decide(pr('synchronize', { headSha: B }), app(), facts)).toEqual([{ kind: 'patch', envId: 'pr-42-web', environmentId: 'row-pr-42-web', commit: B, permanent: false }]);
  });

  it('tears down on closed, merged or not, and only its own environment', () => {
    const facts = { link: openLink('pr-42'), environments: [env('pr-42'), env('pr-43', { branch: 'feature/b' })] };
    expect(decide(pr('closed'), app(), facts)).toEqual([{ kind: 'teardown', envId: 'pr-42', environmentId: 'row-pr-42' }]);
    expect(decide(pr('closed', { merged: true }), app(), facts)).toEqual([{ kind: 'teardown', envId: 'pr-42', environmentId: 'row-pr-42' }]);
  });

  it('closes a link whose environment is already gone, and ignores a close without a link', () => {
    expect(decide(pr('closed'), app(), { link: openLink('pr-42'), environments: [] })).toEqual([{ kind: 'teardown', envId: 'pr-42' }]);
    expect(decide(pr('closed'), app(), { link: { envId: 'pr-42', state: 'closed' }, environments: [] })[0]!.kind).toBe('nothing');
    expect(decide(pr('closed'), app(), { environments: [] })[0]!.kind).toBe('nothing');
  });

  it('creates again on reopened after a close, waiting for the old environment still being torn down', () => {
    const closed: LinkFacts = { envId: 'pr-42', environmentId: 'row-pr-42', state: 'closed' };
    expect(decide(pr('reopened'), app(), { link: closed, environments: [] })).toEqual([{ kind: 'create', envId: 'pr-42', branch: 'feature/login', commit: A }]);
    expect(decide(pr('reopened'), app(), { link: closed, environments: [env('pr-42', { deleting: true })] })).toEqual([
      { kind: 'create', envId: 'pr-42', branch: 'feature/login', commit: A, afterTeardownOf: 'row-pr-42' },
    ]);
  });

  it('recreates an environment deleted by hand when the pull request moves on', () => {
    expect(decide(pr('synchronize', { headSha: B }), app(), { link: openLink('pr-42'), environments: [] })).toEqual([{ kind: 'create', envId: 'pr-42', branch: 'feature/login', commit: B }]);
  });

  it('appends the application name when pr-<number> belongs to another application, or to another branch', () => {
    expect(decide(pr('opened'), app(), { environments: [env('pr-42', { app: 'api' })] })).toEqual([{ kind: 'create', envId: 'pr-42-web', branch: 'feature/login', commit: A }]);
    expect(decide(pr('opened'), app(), { environments: [env('pr-42', { branch: 'other' })] })[0]).toMatchObject({ kind: 'create', envId: 'pr-42-web' });
    expect(decide(pr('opened'), app(), { environments: [env('pr-42', { kind: 'permanent' })] })[0]).toMatchObject({ kind: 'create', envId: 'pr-42-web' });
  });

  it('gives up, saying why, when both ids are taken', () => {
    const [action] = decide(pr('opened'), app(), { environments: [env('pr-42', { app: 'api' }), env('pr-42-web', { app: 'api' })] });
    expect(action).toEqual({ kind: 'nothing', reason: 'environment ids pr-42 and pr-42-web are both taken by other environments' });
  });

  it('adopts an environment of the same application and branch that holds the id (created before a crash), patching it when behind', () => {
    expect(decide(pr('opened'), app(), { environments: [env('pr-42')] })).toEqual([{ kind: 'adopt', envId: 'pr-42', environmentId: 'row-pr-42' }, { kind: 'nothing', reason: 'pr-42 already runs aaaaaaaaaaaa' }]);
    expect(decide(pr('synchronize', { headSha: B }), app(), { environments: [env('pr-42')] })).toEqual([
      { kind: 'adopt', envId: 'pr-42', environmentId: 'row-pr-42' },
      { kind: 'patch', envId: 'pr-42', environmentId: 'row-pr-42', commit: B, permanent: false },
    ]);
  });

  it('handles stacked pull requests each by its own number', () => {
    const environments = [env('pr-1', { branch: 'feature-a' }), env('pr-2', { branch: 'feature-b' })];
    const stacked = pr('synchronize', { number: 2, headBranch: 'feature-b', baseBranch: 'feature-a', headSha: B });
    expect(decide(stacked, app(), { link: openLink('pr-2'), environments })).toEqual([{ kind: 'patch', envId: 'pr-2', environmentId: 'row-pr-2', commit: B, permanent: false }]);
    expect(decide(pr('closed', { number: 1, headBranch: 'feature-a' }), app(), { link: openLink('pr-1'), environments })).toEqual([{ kind: 'teardown', envId: 'pr-1', environmentId: 'row-pr-1' }]);
    expect(sourceKeyOf(stacked)).toBe('pr:2');
  });

  it('previews only labeled pull requests when asked, and tears down when the label goes', () => {
    const labeled = app({ pullRequests: 'labeled', label: 'preview' });
    expect(decide(pr('opened'), labeled, { environments: [] })[0]).toMatchObject({ kind: 'nothing', reason: expect.stringMatching(/no "preview" label/) });
    expect(decide(pr('labeled', { labels: ['bug'], label: 'bug' }), labeled, { environments: [] })[0]!.kind).toBe('nothing');
    expect(decide(pr('labeled', { labels: ['preview'], label: 'preview' }), labeled, { environments: [] })[0]).toMatchObject({ kind: 'create', envId: 'pr-42' });
    expect(decide(pr('synchronize', { labels: ['preview'], headSha: B }), labeled, { link: openLink('pr-42'), environments: [env('pr-42')] })[0]!.kind).toBe('patch');
    expect(decide(pr('unlabeled', { labels: [], label: 'preview' }), labeled, { link: openLink('pr-42'), environments: [env('pr-42')] })).toEqual([
      { kind: 'teardown', envId: 'pr-42', environmentId: 'row-pr-42' },
    ]);
    expect(decide(pr('unlabeled', { labels: ['preview'], label: 'bug' }), labeled, { link: openLink('pr-42'), environments: [env('pr-42')] })[0]!.kind).toBe('nothing');
    expect(decide(pr('unlabeled', { label: 'preview' }), labeled, { environments: [] })[0]!.kind).toBe('nothing');
    // In "all" mode a label means nothing special.
    expect(decide(pr('unlabeled', { label: 'preview' }), app(), { link: openLink('pr-42'), environments: [env('pr-42')] })[0]!.kind).toBe('nothing');
  });

  it('previews no pull request with pullRequests: none, none from forks, and ignores other actions', () => {
    expect(decide(pr('opened'), app({ pullRequests: 'none' }), { environments: [] })[0]).toMatchObject({ kind: 'nothing', reason: expect.stringMatching(/none/) });
    expect(decide(pr('opened', { fromFork: true }), app(), { environments: [] })[0]).toMatchObject({ kind: 'nothing', reason: expect.stringMatching(/fork/) });
    expect(decide(pr('other'), app(), { link: openLink('pr-42'), environments: [env('pr-42')] })[0]!.kind).toBe('nothing');
  });

  it('never patches an environment being deleted', () => {
    expect(decide(pr('synchronize', { headSha: B }), app(), { link: openLink('pr-42'), environments: [env('pr-42', { deleting: true })] })).toEqual([
      { kind: 'nothing', reason: 'pr-42 is being deleted' },
    ]);
  });
});

describe('branch pushes', () => {
  const branches = app({ branches: ['**', '!dependabot/**'] });

  it('creates an environment named after a new branch matching the patterns', () => {
    expect(decide(push('feature/Login_page'), branches, { environments: [] })).toEqual([{ kind: 'create', envId: 'feature-login-page', branch: 'feature/Login_page', commit: A }]);
    expect(decide(push('dependabot/npm/x'), branches, { environments: [] })[0]!.kind).toBe('nothing');
    expect(decide(push('feature/x'), app(), { environments: [] })[0]).toMatchObject({ kind: 'nothing', reason: expect.stringMatching(/matches none/) });
  });

  it('patches a linked branch environment when the head moved, and not when it did not', () => {
    const facts = { link: openLink('feature-x'), environments: [env('feature-x', { branch: 'feature-x' })] };
    expect(decide(push('feature-x', B), branches, facts)).toEqual([{ kind: 'patch', envId: 'feature-x', environmentId: 'row-feature-x', commit: B, permanent: false }]);
    expect(decide(push('feature-x', A), branches, facts)[0]!.kind).toBe('nothing');
  });

  it('keeps patching a linked branch after its pattern was removed', () => {
    expect(decide(push('feature-x', B), app(), { link: openLink('feature-x'), environments: [env('feature-x', { branch: 'feature-x' })] })[0]!.kind).toBe('patch');
  });

  it('patches the permanent environments following the branch when auto-deploy is on, never creating a preview of the tracking branch', () => {
    const environments = [env('main', { kind: 'permanent', branch: 'main' }), env('staging', { kind: 'permanent', branch: 'main', commit: B }), env('pr-1', { branch: 'main' })];
    expect(decide(push('main', B), branches, { environments })).toEqual([
      { kind: 'patch', envId: 'main', environmentId: 'row-main', commit: B, permanent: true },
      { kind: 'nothing', reason: `staging already runs ${B.slice(0, 12)}` },
    ]);
    expect(decide(push('main', B), app({ branches: ['**'], autoDeploy: false }), { environments })).toEqual([
      { kind: 'nothing', reason: 'web does not deploy pushes to main on its own (repository.autoDeploy: false)' },
    ]);
    expect(decide(push('main', B), branches, { environments: [] })[0]).toMatchObject({ kind: 'nothing', reason: expect.stringMatching(/tracking branch/) });
  });

  it('takes the default branch as the tracking branch when the application names none', () => {
    expect(decide(push('trunk', B, { defaultBranch: 'trunk' }), app({ branches: ['**'] }, null), { environments: [] })[0]!.kind).toBe('nothing');
    expect(decide(push('trunk', B), app({ branches: ['**'] }, null), { environments: [] })[0]!.kind).toBe('create');
  });

  it('patches a permanent environment following another branch, and makes no preview of that branch', () => {
    const environments = [env('staging', { kind: 'permanent', branch: 'release' })];
    expect(decide(push('release', B), branches, { environments })).toEqual([{ kind: 'patch', envId: 'staging', environmentId: 'row-staging', commit: B, permanent: true }]);
  });

  it('leaves a permanent environment of another application alone', () => {
    expect(decide(push('main', B), branches, { environments: [env('main', { kind: 'permanent', branch: 'main', app: 'api' })] })[0]!.kind).toBe('nothing');
  });
});

describe('branch deletions', () => {
  it('tears down the linked environment and nothing else', () => {
    expect(decide(deleted('feature-x'), app(), { link: openLink('feature-x'), environments: [env('feature-x', { branch: 'feature-x' })] })).toEqual([
      { kind: 'teardown', envId: 'feature-x', environmentId: 'row-feature-x' },
    ]);
    expect(decide(deleted('main'), app(), { environments: [env('main', { kind: 'permanent', branch: 'main' })] })[0]!.kind).toBe('nothing');
    expect(decide(deleted('feature-y'), app(), { environments: [env('feature-y', { branch: 'feature-y' })] })[0]!.kind).toBe('nothing');
  });
});

describe('settings and names', () => {
  it('applies the documented defaults', () => {
    expect(previewSettingsOf(undefined)).toEqual({ pullRequests: 'all', label: 'preview', branches: [], autoDeploy: true });
    const manifest = { spec: { repository: { autoDeploy: false }, previews: { pullRequests: 'labeled', label: 'deploy-me', branches: ['feature/*'] } } } as unknown as ApplicationManifest;
    expect(previewSettingsOf(manifest)).toEqual({ pullRequests: 'labeled', label: 'deploy-me', branches: ['feature/*'], autoDeploy: false });
  });

  it('keeps an id with the application name a DNS label', () => {
    expect(envIdWithApp('pr-42', 'web')).toBe('pr-42-web');
    expect(envIdWithApp('pr-42', 'x'.repeat(60))).toHaveLength(63);
    expect(envIdWithApp('a'.repeat(40), `${'b'.repeat(21)}-c`)).toBe(`${'a'.repeat(40)}-${'b'.repeat(21)}`);
  });

  it('matches branch patterns as GitHub Actions does', () => {
    expect(branchMatches('feature/x', ['feature/*'])).toBe(true);
    expect(branchMatches('feature/x/y', ['feature/*'])).toBe(false);
    expect(branchMatches('feature/x/y', ['feature/**'])).toBe(true);
    expect(branchMatches('main', ['*'])).toBe(true);
    expect(branchMatches('fix-1', ['fix-?'])).toBe(true);
    expect(branchMatches('release/1.2', ['release/1.2'])).toBe(true);
    expect(branchMatches('release/1x2', ['release/1.2'])).toBe(false);
    expect(branchMatches('dependabot/npm', ['**', '!dependabot/**'])).toBe(false);
    expect(branchMatches('dependabot/keep', ['**', '!dependabot/**', 'dependabot/keep'])).toBe(true);
    expect(branchMatches('x', [])).toBe(false);
  });
});
