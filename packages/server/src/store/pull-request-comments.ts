import type { Kysely } from 'kysely';
import type { Database } from './database-schema.ts';

/** Which pull request comment: one per application and pull request. */
export interface PullRequestCommentKey {
  applicationId: string;
  provider: string;
  repository: string;
  pullRequest: number;
}

export interface StoredPullRequestComment {
  commentId?: string;
  /** The latest text of each part of the comment. */
  previewBody?: string;
  preReleaseBody?: string;
}

export class PullRequestCommentStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(key: PullRequestCommentKey): Promise<StoredPullRequestComment | undefined> {
    const row = await this.db
      .selectFrom('pull_request_comments')
      .selectAll()
      .where('application_id', '=', key.applicationId)
      .where('provider', '=', key.provider)
      .where('repository', '=', key.repository)
      .where('pull_request', '=', key.pullRequest)
      .executeTakeFirst();
    if (!row) return undefined;
    return { ...(row.comment_id ? { commentId: row.comment_id } : {}), ...(row.preview_body ? { previewBody: row.preview_body } : {}), ...(row.pre_release_body ? { preReleaseBody: row.pre_release_body } : {}) };
  }

  async put(key: PullRequestCommentKey, comment: StoredPullRequestComment, now = new Date()): Promise<void> {
    const values = { comment_id: comment.commentId ?? null, preview_body: comment.previewBody ?? null, pre_release_body: comment.preReleaseBody ?? null, updated_at: now.toISOString() };
    await this.db
      .insertInto('pull_request_comments')
      .values({ application_id: key.applicationId, provider: key.provider, repository: key.repository, pull_request: key.pullRequest, ...values })
      .onConflict((oc) => oc.columns(['application_id', 'provider', 'repository', 'pull_request']).doUpdateSet(values))
      .execute();
  }

  /** Sets one part's text, leaving the other part and the comment's id as they are (one statement: two writers never erase each other's part). */
  async putPart(key: PullRequestCommentKey, part: 'preview' | 'preRelease', text: string, now = new Date()): Promise<void> {
    const column = part === 'preview' ? 'preview_body' : 'pre_release_body';
    await this.db
      .insertInto('pull_request_comments')
      .values({ application_id: key.applicationId, provider: key.provider, repository: key.repository, pull_request: key.pullRequest, comment_id: null, preview_body: null, pre_release_body: null, [column]: text, updated_at: now.toISOString() })
      .onConflict((oc) => oc.columns(['application_id', 'provider', 'repository', 'pull_request']).doUpdateSet({ [column]: text, updated_at: now.toISOString() }))
      .execute();
  }

  async setCommentId(key: PullRequestCommentKey, commentId: string, now = new Date()): Promise<void> {
    await this.db
      .updateTable('pull_request_comments')
      .set({ comment_id: commentId, updated_at: now.toISOString() })
      .where('application_id', '=', key.applicationId)
      .where('provider', '=', key.provider)
      .where('repository', '=', key.repository)
      .where('pull_request', '=', key.pullRequest)
      .execute();
  }
}
