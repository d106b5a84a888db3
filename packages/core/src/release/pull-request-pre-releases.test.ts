import { describe, expect, it } from 'vitest';
import { pullRequestPreReleasePlan } from './pull-request-pre-releases.ts';

const head = 'a'.repeat(40);
const old = 'b'.repeat(40);

describe('what a pull request change means for its pre-releases', () => {
  it('starts one of the head when the pull request opens, reopens or is pushed to', () => {
    for (const action of ['opened', 'reopened', 'synchronize'] as const) expect(pullRequestPreReleasePlan({ action, number: 7, headSha: head }, [])).toEqual({ start: true, stop: [] });
  });

  it('keeps one already under way for the head, so a repeated delivery starts nothing twice', () => {
    expect(pullRequestPreReleasePlan({ action: 'opened', number: 7, headSha: head }, [{ id: 'r1', number: 1, commit: head }])).toEqual({ start: false, stop: [] });
  });

  it('supersedes one of an older head', () => {
    expect(pullRequestPreReleasePlan({ action: 'synchronize', number: 7, headSha: head }, [{ id: 'r1', number: 1, commit: old }])).toEqual({
      start: true,
      stop: [{ id: 'r1', number: 1, reason: `superseded: pull request #7 moved to ${head.slice(0, 12)}` }],
    });
  });

  it('stops every one when the pull request closes', () => {
    const active = [{ id: 'r1', number: 1, commit: old }, { id: 'r2', number: 2, commit: head }];
    expect(pullRequestPreReleasePlan({ action: 'closed', number: 7, headSha: head }, active).stop.map((s) => `${s.id} ${s.reason}`)).toEqual(['r1 pull request #7 was closed', 'r2 pull request #7 was closed']);
  });

  it('does nothing for forks and for other changes', () => {
    expect(pullRequestPreReleasePlan({ action: 'opened', number: 7, headSha: head, fromFork: true }, [])).toEqual({ start: false, stop: [] });
    expect(pullRequestPreReleasePlan({ action: 'labeled', number: 7, headSha: head }, [{ id: 'r1', number: 1, commit: old }])).toEqual({ start: false, stop: [] });
  });
});
