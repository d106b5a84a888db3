// What a pull request's change means for its pre-releases, when its application belongs to a track
// with pre-release stages: opening, reopening or pushing to it starts a pre-release of its head
// (one already under way for that head is kept, so a repeated delivery starts nothing twice), and
// one under way for an older head is superseded; closing it, merged or not, stops every one of it,
// which frees the stage's environments for the next in the queue. Forks' code is not ours to run.

export interface PullRequestChange {
  action: 'opened' | 'reopened' | 'synchronize' | 'closed' | 'labeled' | 'unlabeled' | 'ready_for_review' | 'other';
  number: number;
  headSha: string;
  fromFork?: boolean;
}

/** A pre-release of the pull request that has not ended. */
export interface ActivePreRelease {
  id: string;
  number: number;
  commit: string;
}

export interface PullRequestPreReleasePlan {
  /** Start a pre-release of the head commit. */
  start: boolean;
  /** Stop these, with the reason. */
  stop: { id: string; number: number; reason: string }[];
}

const STARTS: ReadonlySet<PullRequestChange['action']> = new Set(['opened', 'reopened', 'synchronize']);

export function pullRequestPreReleasePlan(change: PullRequestChange, active: readonly ActivePreRelease[]): PullRequestPreReleasePlan {
  if (change.action === 'closed') {
    return { start: false, stop: active.map((r) => ({ id: r.id, number: r.number, reason: `pull request #${change.number} was closed` })) };
  }
  if (!STARTS.has(change.action) || change.fromFork) return { start: false, stop: [] };
  const stop = active
    .filter((r) => r.commit !== change.headSha)
    .map((r) => ({ id: r.id, number: r.number, reason: `superseded: pull request #${change.number} moved to ${change.headSha.slice(0, 12)}` }));
  return { start: !active.some((r) => r.commit === change.headSha), stop };
}
