// The one comment Slipway keeps on a pull request for an application. Previews write its first part
// (the environment and its URLs), pre-releases its second (where the pull request's pre-release
// stands); each part's latest text is stored with the comment's id, so either writer edits the
// comment in place without erasing the other's part. Writes for one pull request go one at a time,
// as a reconcile on the keyed worker.

import type { Db } from '../store/database-schema.ts';
import type { Leases } from '../store/leases.ts';
import { PullRequestCommentStore, type PullRequestCommentKey } from '../store/pull-request-comments.ts';
import { KeyedWorker, type ReconcileContext } from '../worker/keyed-worker.ts';
import type { SourceReporter } from './source-provider.ts';

export type CommentPart = 'preview' | 'preRelease';

type CommentWrite = PullRequestCommentKey & { app: string; part: CommentPart; text: string; reporter: SourceReporter };

/**
 * A reconcile(comment) on the keyed worker: a write stores its part in the store, then the comment
 * is brought in line with what the store holds — created once, edited in place after — under the
 * `comments:<key>` lease, so writers on one server or several never post it twice. A send the
 * provider refused is told to the writer; the stored part goes with the next write.
 */
export class PullRequestComments {
  private readonly worker: KeyedWorker;
  private readonly store: PullRequestCommentStore;
  /** Where each comment goes (its application's name and the provider's reporter), as the last write said. */
  private readonly targets = new Map<string, { key: PullRequestCommentKey; app: string; reporter: SourceReporter }>();
  /** Why the last send of a comment failed, for the writers waiting on it. */
  private readonly failures = new Map<string, Error>();

  constructor(options: { db: Db; leases: Leases; logger?: { info(message: string): void; error(message: string): void } }) {
    this.store = new PullRequestCommentStore(options.db);
    this.worker = new KeyedWorker({ name: 'comments', reconcile: (key, context) => this.send(key, context), lease: { per: 'key', leases: options.leases }, ...(options.logger ? { logger: options.logger } : {}) });
    void this.worker.start();
  }

  /**
   * Replaces one part of the comment and creates or edits it. Returns the comment's id; throws when
   * the provider refused (the stored part is kept, so the next write sends it).
   */
  async write(input: CommentWrite): Promise<string | undefined> {
    const key: PullRequestCommentKey = { applicationId: input.applicationId, provider: input.provider, repository: input.repository, pullRequest: input.pullRequest };
    const name = `${key.applicationId}|${key.provider}|${key.repository}|${key.pullRequest}`;
    await this.store.putPart(key, input.part, input.text);
    this.targets.set(name, { key, app: input.app, reporter: input.reporter });
    this.failures.delete(name);
    await this.worker.settle(name);
    const failure = this.failures.get(name);
    if (failure) throw failure;
    return (await this.store.get(key))?.commentId;
  }

  /** Resolves once every write queued so far was sent (tests). */
  idle(): Promise<void> {
    return this.worker.drained();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  private async send(name: string, context: ReconcileContext): Promise<void> {
    const target = this.targets.get(name);
    if (!target) return;
    const stored = (await this.store.get(target.key)) ?? {};
    try {
      const { commentId } = await target.reporter.upsertPullRequestComment({ repository: target.key.repository, number: target.key.pullRequest, body: commentBody(target.app, stored), ...(stored.commentId ? { commentId: stored.commentId } : {}) });
      if (commentId !== stored.commentId) await context.fenced((tx) => new PullRequestCommentStore(tx).setCommentId(target.key, commentId));
      this.failures.delete(name);
    } catch (error) {
      // Told to the writer, who logs it; the stored part goes with the next write.
      this.failures.set(name, error as Error);
    }
  }
}

/** The marker that finds the comment again, then the previews' part and the pre-releases' part. */
export function commentBody(app: string, parts: { previewBody?: string; preReleaseBody?: string }): string {
  return [`<!-- slipway-preview app=${app} -->`, [parts.previewBody, parts.preReleaseBody].filter((p): p is string => !!p).join('\n\n---\n\n')].join('\n');
}
