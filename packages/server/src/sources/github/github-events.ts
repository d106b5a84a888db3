// GitHub webhook payloads (pull_request, push) as provider-neutral source events, and which
// GitHub repository an application belongs to. Pure.

import type { WatchedApplication } from '../../store/previews.ts';
import type { PullRequestEvent, SourceEvent } from '../source-provider.ts';

interface RepositoryPayload {
  full_name?: string;
  default_branch?: string;
}

interface PullRequestPayload {
  action?: string;
  number?: number;
  label?: { name?: string };
  repository?: RepositoryPayload;
  pull_request?: {
    number?: number;
    merged?: boolean;
    labels?: { name?: string }[];
    head?: { ref?: string; sha?: string; repo?: RepositoryPayload | null };
    base?: { ref?: string; repo?: RepositoryPayload | null };
  };
}

interface PushPayload {
  ref?: string;
  after?: string;
  deleted?: boolean;
  repository?: RepositoryPayload;
}

const PULL_REQUEST_ACTIONS = new Set<PullRequestEvent['action']>(['opened', 'reopened', 'labeled', 'unlabeled', 'synchronize', 'ready_for_review', 'closed']);
const SHA = /^[0-9a-f]{40}$/;

/** A GitHub repository's name as links and matching use it: owner/name, lowercase. */
export function githubName(fullName: string): string {
  return fullName.toLowerCase();
}

/**
 * The event a GitHub webhook delivery means, or why it means nothing to previews (another event
 * type, a tag push, a payload missing what is needed).
 */
export function sourceEventOfGithub(eventName: string, payload: unknown): { event: SourceEvent } | { ignored: string } {
  if (eventName === 'pull_request') {
    const body = payload as PullRequestPayload;
    const pr = body.pull_request;
    const repository = body.repository?.full_name;
    const number = pr?.number ?? body.number;
    const headBranch = pr?.head?.ref;
    const headSha = pr?.head?.sha;
    if (!repository || !number || !headBranch || !headSha || !SHA.test(headSha) || !pr?.base?.ref) return { ignored: 'the pull_request payload lacks repository, number, head or base' };
    const action = PULL_REQUEST_ACTIONS.has(body.action as PullRequestEvent['action']) ? (body.action as PullRequestEvent['action']) : 'other';
    const headRepository = pr.head?.repo?.full_name;
    return {
      event: {
        type: 'pull-request',
        action,
        provider: 'github',
        repository: githubName(repository),
        number,
        headBranch,
        headSha,
        baseBranch: pr.base.ref,
        labels: (pr.labels ?? []).map((l) => l.name).filter((n): n is string => typeof n === 'string'),
        ...(body.label?.name ? { label: body.label.name } : {}),
        ...(pr.merged !== undefined ? { merged: pr.merged } : {}),
        // A head repository deleted since (null) is treated as a fork: nothing of it can be checked out here.
        fromFork: headRepository === undefined ? pr.head?.repo === null : githubName(headRepository) !== githubName(repository),
      },
    };
  }
  if (eventName === 'push') {
    const body = payload as PushPayload;
    const repository = body.repository?.full_name;
    if (!repository || !body.ref) return { ignored: 'the push payload lacks repository or ref' };
    if (!body.ref.startsWith('refs/heads/')) return { ignored: `a push to ${body.ref}, not a branch` };
    const branch = body.ref.slice('refs/heads/'.length);
    if (body.deleted) return { event: { type: 'branch-deleted', provider: 'github', repository: githubName(repository), branch } };
    if (!body.after || !SHA.test(body.after)) return { ignored: 'the push payload lacks the new commit (after)' };
    return {
      event: {
        type: 'branch-pushed',
        provider: 'github',
        repository: githubName(repository),
        branch,
        sha: body.after,
        ...(body.repository?.default_branch ? { defaultBranch: body.repository.default_branch } : {}),
      },
    };
  }
  return { ignored: `${eventName} events do not concern previews` };
}

/**
 * The GitHub repository (owner/name, lowercase) an application follows: `repository.github` in its
 * manifest, else read from its repository URL when that is a remote one
 * (https://host/owner/name(.git), git@host:owner/name.git, ssh://git@host/owner/name.git).
 */
export function githubRepositoryOf(app: Pick<WatchedApplication, 'repositoryUrl' | 'manifest'>): string | undefined {
  const declared = app.manifest?.spec.repository?.github;
  if (declared) return githubName(declared);
  const url = app.repositoryUrl;
  const match =
    /^(?:https?|ssh|git):\/\/(?:[^@/]+@)?[^/]+\/([^/]+)\/([^/]+?)(?:\.git)?\/?$/i.exec(url) ?? /^[^@/\s]+@[^:/\s]+:([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url);
  return match ? githubName(`${match[1]}/${match[2]}`) : undefined;
}
