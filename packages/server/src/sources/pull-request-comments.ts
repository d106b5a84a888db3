// The one comment Slipway keeps on a pull request for an application. Previews write its first part
// (the environment and its URLs), pre-releases its second (where the pull request's pre-release
// stands); each part's latest text is stored with the comment's id, so either writer edits the
// comment in place without erasing the other's part. Writes for one pull request go one at a time.

import { KeyedQueue } from '@slipway/drivers';
import type { SourceReporter } from './source-provider.ts';
import type { PullRequestCommentKey, PullRequestCommentStore } from '../store/pull-request-comments.ts';

export type CommentPart = 'preview' | 'preRelease';

export class PullRequestComments {
  private readonly queue = new KeyedQueue();

  constructor(private readonly store: PullRequestCommentStore) {}

  /**
   * Replaces one part of the comment and creates or edits it. Returns the comment's id; throws when
   * the provider refused (the stored part is kept, so the next write sends it).
   */
  write(input: PullRequestCommentKey & { app: string; part: CommentPart; text: string; reporter: SourceReporter }): Promise<string> {
    const key: PullRequestCommentKey = { applicationId: input.applicationId, provider: input.provider, repository: input.repository, pullRequest: input.pullRequest };
    return this.queue.run(`${key.applicationId}|${key.provider}|${key.repository}|${key.pullRequest}`, async () => {
      const stored = (await this.store.get(key)) ?? {};
      const next = { ...stored, ...(input.part === 'preview' ? { previewBody: input.text } : { preReleaseBody: input.text }) };
      await this.store.put(key, next);
      const body = commentBody(input.app, next);
      const { commentId } = await input.reporter.upsertPullRequestComment({ repository: key.repository, number: key.pullRequest, body, ...(stored.commentId ? { commentId: stored.commentId } : {}) });
      if (commentId !== stored.commentId) await this.store.put(key, { ...next, commentId });
      return commentId;
    });
  }

  /** Resolves once every write queued so far was sent (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue.idle();
  }
}

/** The marker that finds the comment again, then the previews' part and the pre-releases' part. */
export function commentBody(app: string, parts: { previewBody?: string; preReleaseBody?: string }): string {
  return [`<!-- slipway-preview app=${app} -->`, [parts.previewBody, parts.preReleaseBody].filter((p): p is string => !!p).join('\n\n---\n\n')].join('\n');
}
