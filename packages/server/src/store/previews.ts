import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { ApplicationManifest } from '@slipway/contract';
import type { Database, PreviewLinksTable } from './database-schema.ts';
import { keysetPage, type KeysetPage, type PageRequest } from './keyset-page.ts';

// What the source providers remember: which environment each pull request or branch has (and its
// pull request comment), the webhook deliveries already received, and the branch heads a polled
// repository had at the last look.

export interface PreviewLink {
  id: string;
  applicationId: string;
  workspace: string;
  app: string;
  provider: string;
  repository: string;
  sourceKey: string;
  pullRequest?: number;
  branch: string;
  envId: string;
  environmentId?: string;
  headSha?: string;
  commentId?: string;
  state: 'open' | 'closed';
  createdAt: string;
  updatedAt: string;
}

export interface LinkSource {
  applicationId: string;
  provider: string;
  repository: string;
  sourceKey: string;
}

/** An application the providers may act for, with the manifest of its current version. */
export interface WatchedApplication {
  id: string;
  workspace: string;
  name: string;
  repositoryUrl: string;
  trackingBranch?: string;
  manifest?: ApplicationManifest;
}

export class PreviewStore {
  constructor(private readonly db: Kysely<Database>) {}

  async findLink(source: LinkSource): Promise<PreviewLink | undefined> {
    const row = await this.db
      .selectFrom('preview_links')
      .selectAll()
      .where('application_id', '=', source.applicationId)
      .where('provider', '=', source.provider)
      .where('repository', '=', source.repository)
      .where('source_key', '=', source.sourceKey)
      .executeTakeFirst();
    return row ? toLink(row) : undefined;
  }

  async getLink(id: string): Promise<PreviewLink | undefined> {
    const row = await this.db.selectFrom('preview_links').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toLink(row) : undefined;
  }

  /**
   * The link an environment reports to: the one linked to its row, or the open one reserved for its
   * id while it was being created (see openLink) — one query, so a link completed meanwhile is not missed.
   */
  async linkOfEnvironment(env: { id: string; workspace: string; app: string; envId: string }): Promise<PreviewLink | undefined> {
    const row = await this.db
      .selectFrom('preview_links')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('environment_id', '=', env.id),
          eb.and([eb('workspace', '=', env.workspace), eb('app', '=', env.app), eb('env_id', '=', env.envId), eb('state', '=', 'open'), eb('environment_id', 'is', null)]),
        ]),
      )
      .orderBy('updated_at', 'desc')
      .executeTakeFirst();
    return row ? toLink(row) : undefined;
  }

  async listLinks(filter: { workspace?: string; app?: string; state?: 'open' | 'closed' } = {}): Promise<PreviewLink[]> {
    let query = this.db.selectFrom('preview_links').selectAll();
    if (filter.workspace) query = query.where('workspace', '=', filter.workspace);
    if (filter.app) query = query.where('app', '=', filter.app);
    if (filter.state) query = query.where('state', '=', filter.state);
    return (await query.orderBy('app').orderBy('env_id').execute()).map(toLink);
  }

  /** One page of a workspace's links, by application, environment id, then link id. */
  async pageLinks(filter: { workspace: string; app?: string; state?: 'open' | 'closed' }, page: PageRequest): Promise<KeysetPage<PreviewLink>> {
    let query = this.db.selectFrom('preview_links').selectAll().where('workspace', '=', filter.workspace);
    if (filter.app) query = query.where('app', '=', filter.app);
    if (filter.state) query = query.where('state', '=', filter.state);
    const found = await keysetPage(query, { columns: ['app', 'env_id', 'id'], direction: 'asc', keyOf: (row) => [row.app, row.env_id, row.id] }, page);
    return { ...found, items: found.items.map(toLink) };
  }

  /**
   * Opens (or re-opens) the source's link to an environment; its comment id is kept. Without
   * `environmentId` it reserves the link for an environment about to be created, so that what its
   * first deploy reports finds the pull request it belongs to.
   */
  async openLink(
    source: LinkSource & { workspace: string; app: string; pullRequest?: number; branch: string; envId: string; environmentId?: string; headSha: string },
    now = new Date(),
  ): Promise<PreviewLink> {
    const at = now.toISOString();
    const change = {
      workspace: source.workspace,
      app: source.app,
      pull_request: source.pullRequest ?? null,
      branch: source.branch,
      env_id: source.envId,
      environment_id: source.environmentId ?? null,
      head_sha: source.headSha,
      state: 'open' as const,
      updated_at: at,
    };
    await this.db
      .insertInto('preview_links')
      .values({
        id: randomUUID(),
        application_id: source.applicationId,
        provider: source.provider,
        repository: source.repository,
        source_key: source.sourceKey,
        comment_id: null,
        created_at: at,
        ...change,
      })
      .onConflict((oc) => oc.columns(['application_id', 'provider', 'repository', 'source_key']).doUpdateSet(change))
      .execute();
    return (await this.findLink(source))!;
  }

  async updateLink(id: string, change: { headSha?: string; branch?: string; commentId?: string; state?: 'open' | 'closed' }, now = new Date()): Promise<void> {
    const set: Partial<PreviewLinksTable> = { updated_at: now.toISOString() };
    if (change.headSha !== undefined) set.head_sha = change.headSha;
    if (change.branch !== undefined) set.branch = change.branch;
    if (change.commentId !== undefined) set.comment_id = change.commentId;
    if (change.state !== undefined) set.state = change.state;
    await this.db.updateTable('preview_links').set(set).where('id', '=', id).execute();
  }

  /**
   * Records a delivery; false when it was received before (a redelivery, which must change nothing)
   * — unless handling it failed through the platform's fault, when a redelivery is the retry.
   */
  async recordDelivery(provider: string, deliveryId: string, event: unknown, now = new Date()): Promise<boolean> {
    const result = await this.db
      .insertInto('webhook_deliveries')
      .values({ provider, delivery_id: deliveryId, event_json: JSON.stringify(event), state: 'received', result: null, received_at: now.toISOString(), finished_at: null })
      .onConflict((oc) => oc.columns(['provider', 'delivery_id']).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 1) return true;
    const retried = await this.db
      .updateTable('webhook_deliveries')
      .set({ state: 'received', result: null, finished_at: null, event_json: JSON.stringify(event) })
      .where('provider', '=', provider)
      .where('delivery_id', '=', deliveryId)
      .where('state', '=', 'failed')
      .executeTakeFirst();
    return Number(retried.numUpdatedRows) === 1;
  }

  async finishDelivery(provider: string, deliveryId: string, state: 'done' | 'failed', result: string, now = new Date()): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ state, result: result.slice(0, 4000), finished_at: now.toISOString() })
      .where('provider', '=', provider)
      .where('delivery_id', '=', deliveryId)
      .execute();
  }

  async getDelivery(provider: string, deliveryId: string): Promise<{ state: string; result?: string; event: unknown } | undefined> {
    const row = await this.db.selectFrom('webhook_deliveries').selectAll().where('provider', '=', provider).where('delivery_id', '=', deliveryId).executeTakeFirst();
    return row ? { state: row.state, event: JSON.parse(row.event_json) as unknown, ...(row.result ? { result: row.result } : {}) } : undefined;
  }

  /** Forgets handled deliveries received before the date (a redelivery that old is not expected). */
  async pruneDeliveries(before: Date): Promise<number> {
    const result = await this.db.deleteFrom('webhook_deliveries').where('state', '!=', 'received').where('received_at', '<', before.toISOString()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Deliveries received but not handled (the server stopped in between), oldest first. */
  async unhandledDeliveries(provider: string): Promise<{ deliveryId: string; event: unknown }[]> {
    const rows = await this.db.selectFrom('webhook_deliveries').select(['delivery_id', 'event_json']).where('provider', '=', provider).where('state', '=', 'received').orderBy('received_at').execute();
    return rows.map((r) => ({ deliveryId: r.delivery_id, event: JSON.parse(r.event_json) as unknown }));
  }

  /** Branch → commit as the last look at the application's repository saw them. */
  async heads(applicationId: string): Promise<Map<string, string>> {
    const rows = await this.db.selectFrom('source_heads').select(['branch', 'sha']).where('application_id', '=', applicationId).execute();
    return new Map(rows.map((r) => [r.branch, r.sha]));
  }

  async setHead(applicationId: string, branch: string, sha: string | undefined, now = new Date()): Promise<void> {
    if (sha === undefined) {
      await this.db.deleteFrom('source_heads').where('application_id', '=', applicationId).where('branch', '=', branch).execute();
      return;
    }
    await this.db
      .insertInto('source_heads')
      .values({ application_id: applicationId, branch, sha, seen_at: now.toISOString() })
      .onConflict((oc) => oc.columns(['application_id', 'branch']).doUpdateSet({ sha, seen_at: now.toISOString() }))
      .execute();
  }

  /** Every application with a repository, in every workspace, with its current manifest. */
  async applicationsWithRepository(): Promise<WatchedApplication[]> {
    const rows = await this.db
      .selectFrom('applications')
      .leftJoin('template_versions', (join) => join.onRef('template_versions.application_id', '=', 'applications.id').onRef('template_versions.version', '=', 'applications.current_version'))
      .select(['applications.id', 'applications.workspace', 'applications.name', 'applications.repository_url', 'applications.tracking_branch', 'template_versions.manifest_json'])
      .where('applications.repository_url', 'is not', null)
      .orderBy('applications.workspace')
      .orderBy('applications.name')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      workspace: r.workspace,
      name: r.name,
      repositoryUrl: r.repository_url!,
      ...(r.tracking_branch ? { trackingBranch: r.tracking_branch } : {}),
      ...(r.manifest_json ? { manifest: JSON.parse(r.manifest_json) as ApplicationManifest } : {}),
    }));
  }
}

function toLink(row: Selectable<PreviewLinksTable>): PreviewLink {
  return {
    id: row.id,
    applicationId: row.application_id,
    workspace: row.workspace,
    app: row.app,
    provider: row.provider,
    repository: row.repository,
    sourceKey: row.source_key,
    ...(row.pull_request !== null ? { pullRequest: Number(row.pull_request) } : {}),
    branch: row.branch,
    envId: row.env_id,
    ...(row.environment_id ? { environmentId: row.environment_id } : {}),
    ...(row.head_sha ? { headSha: row.head_sha } : {}),
    ...(row.comment_id ? { commentId: row.comment_id } : {}),
    state: row.state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
