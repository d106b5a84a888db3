import { describe, expect, it } from 'vitest';
import type { ApplicationManifest } from '@slipway/contract';
import { pullRequestPayload, pushPayload } from '../../test-support/github-payloads.ts';
import { githubRepositoryOf, sourceEventOfGithub } from './github-events.ts';

const A = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';
const B = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';

describe('GitHub payloads as source events', () => {
  it('reads a pull_request delivery: repository, number, head, base, labels', () => {
    const payload = pullRequestPayload({ action: 'labeled', repository: 'Codertocat/Hello-World', number: 2, head: { ref: 'changes', sha: A }, base: { ref: 'master' }, labels: ['bug', 'preview'], label: 'preview' });
    expect(sourceEventOfGithub('pull_request', payload)).toEqual({
      event: {
        type: 'pull-request',
        action: 'labeled',
        provider: 'github',
        repository: 'codertocat/hello-world',
        number: 2,
        headBranch: 'changes',
        headSha: A,
        baseBranch: 'master',
        labels: ['bug', 'preview'],
        label: 'preview',
        merged: false,
        fromFork: false,
      },
    });
  });

  it('tells a merged close, a fork and an action previews do not know', () => {
    const closed = sourceEventOfGithub('pull_request', pullRequestPayload({ action: 'closed', repository: 'o/r', number: 3, merged: true, head: { ref: 'x', sha: A }, base: { ref: 'main' } }));
    expect(closed).toMatchObject({ event: { action: 'closed', merged: true } });
    const fork = sourceEventOfGithub('pull_request', pullRequestPayload({ action: 'opened', repository: 'o/r', number: 4, head: { ref: 'main', sha: A, repository: 'someone/r' }, base: { ref: 'main' } }));
    expect(fork).toMatchObject({ event: { fromFork: true } });
    const edited = sourceEventOfGithub('pull_request', pullRequestPayload({ action: 'edited', repository: 'o/r', number: 5, head: { ref: 'x', sha: A }, base: { ref: 'main' } }));
    expect(edited).toMatchObject({ event: { action: 'other' } });
    const gone = pullRequestPayload({ action: 'opened', repository: 'o/r', number: 6, head: { ref: 'x', sha: A }, base: { ref: 'main' } });
    (gone.pull_request.head as { repo: unknown }).repo = null;
    expect(sourceEventOfGithub('pull_request', gone)).toMatchObject({ event: { fromFork: true } });
  });

  it('reads pushes of branches, and deletions, and ignores tags and other events', () => {
    expect(sourceEventOfGithub('push', pushPayload({ repository: 'o/r', ref: 'refs/heads/feature/x', before: A, after: B, defaultBranch: 'trunk' }))).toEqual({
      event: { type: 'branch-pushed', provider: 'github', repository: 'o/r', branch: 'feature/x', sha: B, defaultBranch: 'trunk' },
    });
    expect(sourceEventOfGithub('push', pushPayload({ repository: 'o/r', ref: 'refs/heads/x', before: A, after: '0'.repeat(40), deleted: true }))).toEqual({
      event: { type: 'branch-deleted', provider: 'github', repository: 'o/r', branch: 'x' },
    });
    expect(sourceEventOfGithub('push', pushPayload({ repository: 'o/r', ref: 'refs/tags/v1', before: A, after: B }))).toEqual({ ignored: 'a push to refs/tags/v1, not a branch' });
    expect(sourceEventOfGithub('issues', {})).toEqual({ ignored: 'issues events do not concern previews' });
    expect(sourceEventOfGithub('pull_request', { action: 'opened' })).toMatchObject({ ignored: expect.stringMatching(/lacks/) });
    expect(sourceEventOfGithub('push', { ref: 'refs/heads/x', repository: { full_name: 'o/r' }, after: 'nope' })).toMatchObject({ ignored: expect.stringMatching(/lacks/) });
  });
});

describe('the GitHub repository of an application', () => {
  const app = (repositoryUrl: string, github?: string) => ({
    repositoryUrl,
    ...(github ? { manifest: { spec: { repository: { github } } } as unknown as ApplicationManifest } : {}),
  });

  it('reads it from https, ssh and scp-like URLs, GitHub Enterprise hosts included', () => {
    expect(githubRepositoryOf(app('https://github.com/Acme/Shop.git'))).toBe('acme/shop');
    expect(githubRepositoryOf(app('https://github.example.com/acme/shop'))).toBe('acme/shop');
    expect(githubRepositoryOf(app('git@github.com:acme/shop.git'))).toBe('acme/shop');
    expect(githubRepositoryOf(app('ssh://git@github.com/acme/shop.git'))).toBe('acme/shop');
  });

  it('takes repository.github over the URL, and has none for a local path', () => {
    expect(githubRepositoryOf(app('/srv/git/shop.git', 'Acme/Shop'))).toBe('acme/shop');
    expect(githubRepositoryOf(app('/srv/git/shop.git'))).toBeUndefined();
    expect(githubRepositoryOf(app('https://gitlab.example.com/group/sub/shop.git'))).toBeUndefined();
  });
});
