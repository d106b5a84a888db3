// Commit statuses and the pull request comment, sent to GitHub (or GitHub Enterprise at another API
// base URL) through Octokit with a token.

import { Octokit } from '@octokit/core';
import { boundDescription, type CommitStatus, type SourceReporter } from '../source-provider.ts';

export interface GithubReporterOptions {
  token: string;
  /** https://api.github.com, or GitHub Enterprise's https://<host>/api/v3. */
  baseUrl: string;
}

export class GithubReporter implements SourceReporter {
  readonly provider = 'github' as const;
  private readonly octokit: Octokit;

  constructor(options: GithubReporterOptions) {
    this.octokit = new Octokit({
      auth: options.token,
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      userAgent: 'slipway',
    });
  }

  async setCommitStatus(status: CommitStatus): Promise<void> {
    const { owner, repo } = split(status.repository);
    await this.octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
      owner,
      repo,
      sha: status.sha,
      state: status.state,
      context: status.context,
      description: boundDescription(status.description, 140),
      ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      request: { signal: timeout() },
    });
  }

  async upsertPullRequestComment(input: { repository: string; number: number; commentId?: string; body: string }): Promise<{ commentId: string }> {
    const { owner, repo } = split(input.repository);
    if (input.commentId) {
      try {
        await this.octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner, repo, comment_id: Number(input.commentId), body: input.body, request: { signal: timeout() } });
        return { commentId: input.commentId };
      } catch (error) {
        // Someone deleted the comment: post it again rather than lose it.
        if ((error as { status?: number }).status !== 404) throw error;
      }
    }
    const created = await this.octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number: input.number, body: input.body, request: { signal: timeout() } });
    return { commentId: String(created.data.id) };
  }
}

/** A GitHub that does not answer must not hold up the reports queued behind this one. */
const timeout = () => AbortSignal.timeout(20_000);

function split(repository: string): { owner: string; repo: string } {
  const [owner, repo] = repository.split('/');
  if (!owner || !repo) throw new Error(`not a GitHub repository name: ${repository}`);
  return { owner, repo };
}
