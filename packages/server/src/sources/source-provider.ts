// What a source of code changes tells Slipway, and what Slipway can tell it back. A provider (GitHub
// webhooks, polling any git remote) turns its own notifications into these provider-neutral events;
// preview-policy.ts decides what each means for an application's environments; a provider that can
// show results (GitHub) implements SourceReporter for commit statuses and the pull request comment.

/** Which provider an event or link belongs to. */
export type ProviderName = 'github' | 'git';

/** A pull request changed. `action` is the provider's word for it, mapped to GitHub's vocabulary. */
export interface PullRequestEvent {
  type: 'pull-request';
  action: 'opened' | 'reopened' | 'labeled' | 'unlabeled' | 'synchronize' | 'ready_for_review' | 'closed' | 'other';
  provider: ProviderName;
  /** The provider's name of the repository (GitHub: owner/name, lowercase). */
  repository: string;
  number: number;
  headBranch: string;
  headSha: string;
  baseBranch: string;
  /** Every label the pull request has after the change. */
  labels: string[];
  /** With labeled / unlabeled: the label added or removed. */
  label?: string;
  merged?: boolean;
  /** The head branch lives in another repository (a fork): its code is not ours to run. */
  fromFork?: boolean;
}

/** A branch was created or moved to a new commit. */
export interface BranchPushedEvent {
  type: 'branch-pushed';
  provider: ProviderName;
  repository: string;
  branch: string;
  sha: string;
  /** The repository's default branch, when the provider says (the tracking branch when the application names none). */
  defaultBranch?: string;
}

/** A branch was deleted. */
export interface BranchDeletedEvent {
  type: 'branch-deleted';
  provider: ProviderName;
  repository: string;
  branch: string;
}

export type SourceEvent = PullRequestEvent | BranchPushedEvent | BranchDeletedEvent;

export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatus {
  repository: string;
  sha: string;
  state: CommitState;
  /** Shown beside the status; providers bound its length (GitHub: 140 characters). */
  description: string;
  /** Distinguishes this status from others on the same commit: slipway/<app>. */
  context: string;
  /** Where the status links to: the environment's first URL. */
  targetUrl?: string;
}

/** What Slipway can send back to a provider that shows results on commits and pull requests. */
export interface SourceReporter {
  readonly provider: ProviderName;
  setCommitStatus(status: CommitStatus): Promise<void>;
  /**
   * Creates the pull request comment, or edits it in place when `commentId` is given and still
   * exists. Returns the id to edit next time.
   */
  upsertPullRequestComment(input: { repository: string; number: number; commentId?: string; body: string }): Promise<{ commentId: string }>;
}

/** A provider that watches repositories on its own (polling) rather than being called (webhooks). */
export interface SourceWatcher {
  readonly provider: ProviderName;
  start(): void;
  /** Stops watching and waits for a look under way to end. */
  stop(): Promise<void>;
}

/** One line of a commit status description: at most `max` characters, an ellipsis when cut. */
export function boundDescription(text: string, max = 140): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
