import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { DeployState, EnvironmentStatus, RenderedEnvironment } from '@slipway/contract';
import type { TaskProgress, TaskState } from '@slipway/core';
import type { Database, DeploysTable, DeployTasksTable, EnvironmentsTable } from './database-schema.ts';
import type { AuditHook } from './audit-ledger.ts';
import { keysetPage, type KeysetOrder, type KeysetPage, type PageRequest } from './keyset-page.ts';
import { transact } from './transact.ts';

// Environments, their deploys and the tasks of each deploy: the durable state the workflow engine
// works from. Every state change is written here before and after the runtime acts, so a restarted
// server knows exactly which steps ended and which were under way.

export type WorkflowKind = 'setup' | 'patch' | 'teardown';

export interface StoredEnvironment {
  id: string;
  workspace: string;
  applicationId: string;
  app: string;
  envId: string;
  kind: 'ephemeral' | 'permanent';
  branch: string;
  commit?: string;
  template?: string;
  templateVersion: string;
  variables: Record<string, string>;
  urls: Record<string, string>;
  status: EnvironmentStatus;
  reason?: string;
  ttlMs?: number;
  expiresAt?: string;
  idleTimeoutMs?: number;
  lastActivityAt?: string;
  /** Paused so that the first request to its URLs wakes it (environments/pause.ts). */
  wakeOnRequest?: boolean;
  /** Set for an environment brought up by another's App Imports. */
  parentId?: string;
  ownedByParent?: boolean;
  /** Services its App Import leaves out (excludeServices): every render of it leaves them out too. */
  excludedServices?: string[];
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
}

export interface StoredDeploy {
  id: string;
  environmentId: string;
  seq: number;
  workflow: WorkflowKind;
  state: DeployState;
  outcome?: 'succeeded' | 'failed' | 'errored';
  reason?: string;
  commit?: string;
  rendered: RenderedEnvironment;
  /** What `rendered` was rendered from, to render it again with its App Imports' direct addresses. */
  renderInputs?: RenderInputs;
  /** What prepareSource returned: the commit, static roots, and the image built for each service (docker). */
  source?: { commit: string; staticRoots: Record<string, string>; images?: Record<string, string> };
  requestedBy?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

/** The environment-specific inputs of a deploy's render, beside its environment's identity. */
export interface RenderInputs {
  templateVersion: string;
  variables: Record<string, string>;
}

export interface StoredTask {
  key: string;
  step: number;
  state: TaskState;
  reason?: string;
  logTail?: string;
  startedAt?: string;
  finishedAt?: string;
}

const ACTIVE_DEPLOY_STATES = ['queued', 'running'] as const;

/** Live environments are listed by application, then id (unique among the live ones of a workspace). */
const LIVE_ORDER: KeysetOrder<Selectable<EnvironmentsTable>> = { columns: ['app', 'env_id'], direction: 'asc', keyOf: (row) => [row.app, row.env_id] };
/** An environment's deploys, newest first: seq is unique per environment. */
const DEPLOY_ORDER: KeysetOrder<Pick<Selectable<DeploysTable>, 'seq'>> = { columns: ['seq'], direction: 'desc', keyOf: (row) => [row.seq] };
/** The columns of a deploy that a list shows: all but its rendered environment (kilobytes of JSON a row) and render inputs. */
const DEPLOY_SUMMARY_COLUMNS = ['id', 'environment_id', 'seq', 'workflow', 'state', 'outcome', 'reason', 'commit_sha', 'source_json', 'requested_by', 'created_at', 'started_at', 'finished_at'] as const;

/** A deploy as a list shows it: what it is and how it went, without what only running it needs. */
export type DeploySummary = Omit<StoredDeploy, 'rendered' | 'renderInputs'>;

export class EnvironmentStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Runs `work` with the store bound to one transaction (the caller's, when this store is bound to
   * one already): what it writes, and the audit entry written with `tx`, stand or fall together.
   */
  transact<T>(work: (store: EnvironmentStore, tx: Kysely<Database>) => Promise<T>): Promise<T> {
    return transact(this.db, (tx) => work(tx === this.db ? this : new EnvironmentStore(tx), tx));
  }

  /** Creates an environment and its setup deploy in one transaction. */
  async createEnvironment(input: {
    workspace: string;
    applicationId: string;
    app: string;
    envId: string;
    kind: 'ephemeral' | 'permanent';
    branch: string;
    commit: string;
    template?: string;
    templateVersion: string;
    variables: Record<string, string>;
    rendered: RenderedEnvironment;
    ttlMs?: number;
    idleTimeoutMs?: number;
    parentId?: string;
    excludedServices?: string[];
    requestedBy?: string;
    now?: Date;
    /** Writes the audit entry of the creation, in its transaction. */
    audit?: AuditHook<{ environment: StoredEnvironment; deploy: StoredDeploy }>;
  }): Promise<{ environment: StoredEnvironment; deploy: StoredDeploy }> {
    const now = input.now ?? new Date();
    const at = now.toISOString();
    const id = randomUUID();
    return transact(this.db, async (tx) => {
      await tx
        .insertInto('environments')
        .values({
          id,
          workspace: input.workspace,
          application_id: input.applicationId,
          app: input.app,
          env_id: input.envId,
          kind: input.kind,
          branch: input.branch,
          commit_sha: input.commit,
          template: input.template ?? null,
          template_version: input.templateVersion,
          variables_json: JSON.stringify(input.variables),
          urls_json: JSON.stringify(input.rendered.urls),
          status: 'queued',
          reason: null,
          ttl_ms: input.ttlMs ?? null,
          expires_at: input.ttlMs !== undefined ? new Date(now.getTime() + input.ttlMs).toISOString() : null,
          last_activity_at: at,
          idle_timeout_ms: input.idleTimeoutMs ?? null,
          parent_id: input.parentId ?? null,
          owned_by_parent: input.parentId ? 1 : null,
          excluded_services_json: input.excludedServices?.length ? JSON.stringify(input.excludedServices) : null,
          created_at: at,
          updated_at: at,
          deleted_at: null,
        })
        .execute();
      const renderInputs = { templateVersion: input.templateVersion, variables: input.variables };
      const deploy = await insertDeploy(tx, { environmentId: id, workflow: 'setup', commit: input.commit, rendered: input.rendered, renderInputs, requestedBy: input.requestedBy, at });
      const environment = await tx.selectFrom('environments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const created = { environment: toEnvironment(environment), deploy };
      await input.audit?.(tx, created);
      return created;
    });
  }

  async getLive(workspace: string, envId: string): Promise<StoredEnvironment | undefined> {
    const row = await this.db.selectFrom('environments').selectAll().where('workspace', '=', workspace).where('env_id', '=', envId).where('deleted_at', 'is', null).executeTakeFirst();
    return row ? toEnvironment(row) : undefined;
  }

  /**
   * The live environment of `app` with id `envId`, in whichever workspace: what a route names
   * (its hostnames belong to one environment of the whole server).
   */
  async getLiveOfApp(app: string, envId: string): Promise<StoredEnvironment | undefined> {
    const row = await this.db.selectFrom('environments').selectAll().where('app', '=', app).where('env_id', '=', envId).where('deleted_at', 'is', null).executeTakeFirst();
    return row ? toEnvironment(row) : undefined;
  }

  async getById(id: string): Promise<StoredEnvironment | undefined> {
    const row = await this.db.selectFrom('environments').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toEnvironment(row) : undefined;
  }

  async listLive(workspace?: string, app?: string): Promise<StoredEnvironment[]> {
    let query = this.db.selectFrom('environments').selectAll().where('deleted_at', 'is', null);
    if (workspace) query = query.where('workspace', '=', workspace);
    if (app) query = query.where('app', '=', app);
    const rows = await query.orderBy('app').orderBy('env_id').execute();
    return rows.map(toEnvironment);
  }

  /** One page of the live environments (of one application, or the one with an id), by application then id (the order of `listLive`). */
  async pageLive(workspace: string, page: PageRequest, filter: { app?: string; envId?: string } = {}): Promise<KeysetPage<StoredEnvironment>> {
    let query = this.db.selectFrom('environments').selectAll().where('workspace', '=', workspace).where('deleted_at', 'is', null);
    if (filter.app) query = query.where('app', '=', filter.app);
    if (filter.envId) query = query.where('env_id', '=', filter.envId);
    const found = await keysetPage(query, LIVE_ORDER, page);
    return { ...found, items: found.items.map(toEnvironment) };
  }

  /** How many live environments each of `apps` has in the workspace (0 for those it leaves out). */
  async countLive(workspace: string, apps: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map(apps.map((app) => [app, 0]));
    if (apps.length === 0) return counts;
    const rows = await this.db
      .selectFrom('environments')
      .select((eb) => ['app', eb.fn.countAll<number | string>().as('n')])
      .where('workspace', '=', workspace)
      .where('deleted_at', 'is', null)
      .where('app', 'in', [...apps])
      .groupBy('app')
      .execute();
    for (const row of rows) counts.set(row.app, Number(row.n));
    return counts;
  }

  async updateEnvironment(
    id: string,
    change: Partial<Pick<StoredEnvironment, 'status' | 'reason' | 'commit' | 'urls' | 'expiresAt' | 'ttlMs' | 'variables' | 'templateVersion' | 'deletedAt' | 'idleTimeoutMs' | 'lastActivityAt' | 'wakeOnRequest'>>,
    now = new Date(),
  ): Promise<void> {
    const set: Partial<EnvironmentsTable> = { updated_at: now.toISOString() };
    if ('status' in change) set.status = change.status!;
    if ('reason' in change) set.reason = change.reason ?? null;
    if ('commit' in change) set.commit_sha = change.commit ?? null;
    if ('urls' in change) set.urls_json = JSON.stringify(change.urls ?? {});
    if ('expiresAt' in change) set.expires_at = change.expiresAt ?? null;
    if ('ttlMs' in change) set.ttl_ms = change.ttlMs ?? null;
    if ('variables' in change) set.variables_json = JSON.stringify(change.variables ?? {});
    if ('templateVersion' in change) set.template_version = change.templateVersion!;
    if ('deletedAt' in change) set.deleted_at = change.deletedAt ?? null;
    if ('idleTimeoutMs' in change) set.idle_timeout_ms = change.idleTimeoutMs ?? null;
    if ('lastActivityAt' in change) set.last_activity_at = change.lastActivityAt ?? null;
    if ('wakeOnRequest' in change) set.wake_on_request = change.wakeOnRequest ? 1 : null;
    await this.db.updateTable('environments').set(set).where('id', '=', id).execute();
  }

  /**
   * Queues a deploy behind the environment's others. A teardown cancels deploys still queued before
   * it: nothing is worth deploying into an environment about to be removed.
   */
  async queueDeploy(input: {
    environmentId: string;
    workflow: WorkflowKind;
    commit?: string;
    rendered: RenderedEnvironment;
    renderInputs?: RenderInputs;
    requestedBy?: string;
    now?: Date;
  }): Promise<StoredDeploy> {
    const at = (input.now ?? new Date()).toISOString();
    return transact(this.db, async (tx) => {
      if (input.workflow === 'teardown') {
        await tx
          .updateTable('deploys')
          .set({ state: 'cancelled', reason: 'cancelled: the environment is being deleted', finished_at: at })
          .where('environment_id', '=', input.environmentId)
          .where('state', '=', 'queued')
          .execute();
      }
      // A deploy is activity: it keeps an environment from being idle.
      await tx.updateTable('environments').set({ last_activity_at: at }).where('id', '=', input.environmentId).execute();
      return insertDeploy(tx, { ...input, at });
    });
  }

  /**
   * The environment's teardown: the one already queued or running, else a new one acting on the
   * spec of its last deploy (`queued` says which). Undefined when it never had a deploy.
   */
  async queueTeardown(env: Pick<StoredEnvironment, 'id' | 'commit'>, requestedBy: string): Promise<{ deploy: StoredDeploy; queued: boolean } | undefined> {
    const active = await this.db
      .selectFrom('deploys')
      .selectAll()
      .where('environment_id', '=', env.id)
      .where('workflow', '=', 'teardown')
      .where('state', 'in', [...ACTIVE_DEPLOY_STATES])
      .orderBy('seq')
      .executeTakeFirst();
    if (active) return { deploy: toDeploy(active), queued: false };
    const last = (await this.listDeploys(env.id, 1))[0];
    if (!last) return undefined;
    const deploy = await this.queueDeploy({ environmentId: env.id, workflow: 'teardown', rendered: last.rendered, ...(env.commit ? { commit: env.commit } : {}), requestedBy });
    return { deploy, queued: true };
  }

  async getDeploy(id: string): Promise<StoredDeploy | undefined> {
    const row = await this.db.selectFrom('deploys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toDeploy(row) : undefined;
  }

  /** One page of an environment's deploys, newest first. */
  async pageDeploys(environmentId: string, page: PageRequest): Promise<KeysetPage<DeploySummary>> {
    // Not the rendered environment: parsing it for every row was most of a page's time (bench/list-bench.ts).
    const found = await keysetPage(this.db.selectFrom('deploys').select(DEPLOY_SUMMARY_COLUMNS).where('environment_id', '=', environmentId), DEPLOY_ORDER, page);
    return { ...found, items: found.items.map(toDeploySummary) };
  }

  /** Deploys of an environment, newest first. */
  async listDeploys(environmentId: string, limit = 50): Promise<StoredDeploy[]> {
    const rows = await this.db.selectFrom('deploys').selectAll().where('environment_id', '=', environmentId).orderBy('seq', 'desc').limit(limit).execute();
    return rows.map(toDeploy);
  }

  /** The deploy the environment should work on now: the running one, else the oldest queued. */
  async nextDeploy(environmentId: string): Promise<StoredDeploy | undefined> {
    const row = await this.db
      .selectFrom('deploys')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('state', 'in', [...ACTIVE_DEPLOY_STATES])
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    return row ? toDeploy(row) : undefined;
  }

  /** Environments with a deploy queued or running. */
  async environmentsWithActiveDeploys(): Promise<string[]> {
    const rows = await this.db.selectFrom('deploys').select('environment_id').distinct().where('state', 'in', [...ACTIVE_DEPLOY_STATES]).execute();
    return rows.map((r) => r.environment_id);
  }

  async hasActiveDeploy(environmentId: string, workflow?: WorkflowKind): Promise<boolean> {
    let query = this.db.selectFrom('deploys').select('id').where('environment_id', '=', environmentId).where('state', 'in', [...ACTIVE_DEPLOY_STATES]);
    if (workflow) query = query.where('workflow', '=', workflow);
    return (await query.executeTakeFirst()) !== undefined;
  }

  async updateDeploy(
    id: string,
    change: Partial<Pick<StoredDeploy, 'state' | 'outcome' | 'reason' | 'commit' | 'source' | 'startedAt' | 'finishedAt' | 'rendered'>>,
  ): Promise<void> {
    const set: Partial<DeploysTable> = {};
    if (change.rendered) set.rendered_json = JSON.stringify(change.rendered);
    if ('state' in change) set.state = change.state!;
    if ('outcome' in change) set.outcome = change.outcome ?? null;
    if ('reason' in change) set.reason = change.reason ?? null;
    if ('commit' in change) set.commit_sha = change.commit ?? null;
    if ('source' in change) set.source_json = change.source ? JSON.stringify(change.source) : null;
    if ('startedAt' in change) set.started_at = change.startedAt ?? null;
    if ('finishedAt' in change) set.finished_at = change.finishedAt ?? null;
    await this.db.updateTable('deploys').set(set).where('id', '=', id).execute();
  }

  async tasks(deployId: string): Promise<StoredTask[]> {
    const rows = await this.db.selectFrom('deploy_tasks').selectAll().where('deploy_id', '=', deployId).orderBy('step').orderBy('key').execute();
    return rows.map(toTask);
  }

  async progress(deployId: string): Promise<Map<string, TaskProgress>> {
    const map = new Map<string, TaskProgress>();
    for (const task of await this.tasks(deployId)) map.set(task.key, { state: task.state, ...(task.reason ? { reason: task.reason } : {}) });
    return map;
  }

  /** Writes a task's state (insert or update). */
  async setTask(deployId: string, task: { key: string; step: number; state: TaskState; reason?: string; logTail?: string }, now = new Date()): Promise<void> {
    const at = now.toISOString();
    const ended = task.state !== 'pending' && task.state !== 'running';
    const values: DeployTasksTable = {
      deploy_id: deployId,
      key: task.key,
      step: task.step,
      state: task.state,
      reason: task.reason ?? null,
      log_tail: task.logTail ?? null,
      started_at: task.state === 'running' ? at : null,
      finished_at: ended ? at : null,
    };
    await this.db
      .insertInto('deploy_tasks')
      .values(values)
      .onConflict((oc) =>
        oc.columns(['deploy_id', 'key']).doUpdateSet({
          state: task.state,
          reason: task.reason ?? null,
          log_tail: task.logTail ?? null,
          ...(ended ? { finished_at: at } : {}),
          ...(task.state === 'running' ? { started_at: at } : {}),
        }),
      )
      .execute();
  }

  /** Records activity (requests seen by the router) of environments by app and id, at one time. */
  async touch(workspaceless: { app: string; envId: string }[], at = new Date()): Promise<void> {
    for (const { app, envId } of workspaceless) {
      await this.db.updateTable('environments').set({ last_activity_at: at.toISOString() }).where('app', '=', app).where('env_id', '=', envId).where('deleted_at', 'is', null).execute();
    }
  }

  /**
   * Ephemeral environments idle for longer than their idle timeout, with no teardown yet. A paused
   * one is not idle: it was paused to be kept, and runs nothing (its expiry still ends it).
   */
  async idle(now = new Date()): Promise<StoredEnvironment[]> {
    const rows = await this.db
      .selectFrom('environments')
      .selectAll()
      .where('deleted_at', 'is', null)
      .where('kind', '=', 'ephemeral')
      .where('idle_timeout_ms', 'is not', null)
      .where('status', 'not in', ['deleting', 'deleted', 'paused'])
      .execute();
    return rows.map(toEnvironment).filter((e) => e.idleTimeoutMs !== undefined && Date.parse(e.lastActivityAt ?? e.createdAt) + e.idleTimeoutMs < now.getTime());
  }

  /** Links an environment that existed before to a parent that imports it (it is not the parent's to remove). */
  async linkToParent(id: string, parentId: string): Promise<void> {
    await this.db.updateTable('environments').set({ parent_id: parentId, owned_by_parent: 0 }).where('id', '=', id).execute();
  }

  /** Live environments brought up by a parent's App Imports. */
  async children(parentId: string): Promise<StoredEnvironment[]> {
    const rows = await this.db.selectFrom('environments').selectAll().where('parent_id', '=', parentId).where('deleted_at', 'is', null).execute();
    return rows.map(toEnvironment);
  }

  /** Ephemeral environments past their expiry with no teardown yet. */
  async expired(now = new Date()): Promise<StoredEnvironment[]> {
    const rows = await this.db
      .selectFrom('environments')
      .selectAll()
      .where('deleted_at', 'is', null)
      .where('kind', '=', 'ephemeral')
      .where('expires_at', '<', now.toISOString())
      .where('status', 'not in', ['deleting', 'deleted'])
      .execute();
    return rows.map(toEnvironment);
  }

  /**
   * When the next live ephemeral environment expires or goes idle after `after` (epoch ms), if any
   * will: when the scheduler looks again.
   */
  async nextLifecycleDeadline(after = new Date()): Promise<number | undefined> {
    const rows = await this.db
      .selectFrom('environments')
      .select(['expires_at', 'idle_timeout_ms', 'last_activity_at', 'created_at', 'status'])
      .where('deleted_at', 'is', null)
      .where('kind', '=', 'ephemeral')
      .where('status', 'not in', ['deleting', 'deleted'])
      .where((eb) => eb.or([eb('expires_at', 'is not', null), eb('idle_timeout_ms', 'is not', null)]))
      .execute();
    let next: number | undefined;
    for (const row of rows) {
      const expires = row.expires_at ? Date.parse(row.expires_at) : Infinity;
      const idle = row.idle_timeout_ms !== null && row.status !== 'paused' ? Date.parse(row.last_activity_at ?? row.created_at) + Number(row.idle_timeout_ms) : Infinity;
      const due = Math.min(expires, idle);
      if (Number.isFinite(due) && due > after.getTime() && (next === undefined || due < next)) next = due;
    }
    return next;
  }

  /** The spec an environment runs as last prepared: its newest deploy, not a teardown, whose source was checked out. */
  async lastSourcedDeploy(environmentId: string): Promise<StoredDeploy | undefined> {
    const row = await this.db
      .selectFrom('deploys')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('workflow', '!=', 'teardown')
      .where('source_json', 'is not', null)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toDeploy(row) : undefined;
  }

  /** Every live environment with `status`, each with its lastSourcedDeploy, in one query (a server's start publishes them all). */
  async liveWithLastSourcedDeploy(statuses: readonly EnvironmentStatus[]): Promise<{ environment: StoredEnvironment; deploy: StoredDeploy }[]> {
    const newest = this.db
      .selectFrom('deploys')
      .select('environment_id')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('workflow', '!=', 'teardown')
      .where('source_json', 'is not', null)
      .groupBy('environment_id')
      .as('newest');
    const rows = await this.db
      .selectFrom('environments')
      .innerJoin(newest, 'newest.environment_id', 'environments.id')
      .innerJoin('deploys', (join) => join.onRef('deploys.environment_id', '=', 'environments.id').onRef('deploys.seq', '=', 'newest.seq'))
      .selectAll('environments')
      .select(['deploys.id as deploy_id', 'deploys.seq as deploy_seq', 'deploys.workflow as deploy_workflow', 'deploys.state as deploy_state', 'deploys.outcome as deploy_outcome'])
      .select(['deploys.reason as deploy_reason', 'deploys.commit_sha as deploy_commit_sha', 'deploys.rendered_json', 'deploys.render_inputs_json', 'deploys.source_json', 'deploys.requested_by'])
      .select(['deploys.created_at as deploy_created_at', 'deploys.started_at as deploy_started_at', 'deploys.finished_at as deploy_finished_at'])
      .where('environments.deleted_at', 'is', null)
      .where('environments.status', 'in', [...statuses])
      .execute();
    return rows.map((row) => ({
      environment: toEnvironment(row),
      deploy: toDeploy({
        id: row.deploy_id,
        environment_id: row.id,
        seq: row.deploy_seq,
        workflow: row.deploy_workflow,
        state: row.deploy_state,
        outcome: row.deploy_outcome,
        reason: row.deploy_reason,
        commit_sha: row.deploy_commit_sha,
        rendered_json: row.rendered_json,
        render_inputs_json: row.render_inputs_json,
        source_json: row.source_json,
        requested_by: row.requested_by,
        created_at: row.deploy_created_at,
        started_at: row.deploy_started_at,
        finished_at: row.deploy_finished_at,
      }),
    }));
  }

  /** Ids of environments (live or deleted) whose row changed at or after `since` (ISO time): what another server did. */
  async changedSince(since: string): Promise<string[]> {
    const rows = await this.db.selectFrom('environments').select('id').where('updated_at', '>=', since).execute();
    return rows.map((r) => r.id);
  }
}

async function insertDeploy(
  tx: Kysely<Database>,
  input: { environmentId: string; workflow: WorkflowKind; commit?: string; rendered: RenderedEnvironment; renderInputs?: RenderInputs | undefined; requestedBy?: string | undefined; at: string },
): Promise<StoredDeploy> {
  const last = await tx.selectFrom('deploys').select((eb) => eb.fn.max('seq').as('seq')).where('environment_id', '=', input.environmentId).executeTakeFirst();
  const seq = Number(last?.seq ?? 0) + 1;
  const id = randomUUID();
  await tx
    .insertInto('deploys')
    .values({
      id,
      environment_id: input.environmentId,
      seq,
      workflow: input.workflow,
      state: 'queued',
      outcome: null,
      reason: null,
      commit_sha: input.commit ?? null,
      rendered_json: JSON.stringify(input.rendered),
      render_inputs_json: input.renderInputs ? JSON.stringify(input.renderInputs) : null,
      source_json: null,
      requested_by: input.requestedBy ?? null,
      created_at: input.at,
      started_at: null,
      finished_at: null,
    })
    .execute();
  return toDeploy(await tx.selectFrom('deploys').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
}

function toEnvironment(row: Selectable<EnvironmentsTable>): StoredEnvironment {
  return {
    id: row.id,
    workspace: row.workspace,
    applicationId: row.application_id,
    app: row.app,
    envId: row.env_id,
    kind: row.kind,
    branch: row.branch,
    ...(row.commit_sha ? { commit: row.commit_sha } : {}),
    ...(row.template ? { template: row.template } : {}),
    templateVersion: row.template_version,
    variables: JSON.parse(row.variables_json) as Record<string, string>,
    urls: JSON.parse(row.urls_json) as Record<string, string>,
    status: row.status as EnvironmentStatus,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.ttl_ms !== null ? { ttlMs: Number(row.ttl_ms) } : {}),
    ...(row.expires_at ? { expiresAt: row.expires_at } : {}),
    ...(row.idle_timeout_ms !== null && row.idle_timeout_ms !== undefined ? { idleTimeoutMs: Number(row.idle_timeout_ms) } : {}),
    ...(row.last_activity_at ? { lastActivityAt: row.last_activity_at } : {}),
    ...(Number(row.wake_on_request) === 1 ? { wakeOnRequest: true } : {}),
    ...(row.parent_id ? { parentId: row.parent_id, ownedByParent: Number(row.owned_by_parent) === 1 } : {}),
    ...(row.excluded_services_json ? { excludedServices: JSON.parse(row.excluded_services_json) as string[] } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.deleted_at ? { deletedAt: row.deleted_at } : {}),
  };
}

function toDeploy(row: Selectable<DeploysTable>): StoredDeploy {
  return {
    ...toDeploySummary(row),
    rendered: JSON.parse(row.rendered_json) as RenderedEnvironment,
    ...(row.render_inputs_json ? { renderInputs: JSON.parse(row.render_inputs_json) as RenderInputs } : {}),
  };
}

function toDeploySummary(row: Pick<Selectable<DeploysTable>, (typeof DEPLOY_SUMMARY_COLUMNS)[number]>): DeploySummary {
  return {
    id: row.id,
    environmentId: row.environment_id,
    seq: Number(row.seq),
    workflow: row.workflow,
    state: row.state as DeployState,
    ...(row.outcome ? { outcome: row.outcome as StoredDeploy['outcome'] } : {}),
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.commit_sha ? { commit: row.commit_sha } : {}),
    ...(row.source_json ? { source: JSON.parse(row.source_json) as StoredDeploy['source'] } : {}),
    ...(row.requested_by ? { requestedBy: row.requested_by } : {}),
    createdAt: row.created_at,
    ...(row.started_at ? { startedAt: row.started_at } : {}),
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
  };
}

function toTask(row: Selectable<DeployTasksTable>): StoredTask {
  return {
    key: row.key,
    step: Number(row.step),
    state: row.state as TaskState,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.log_tail ? { logTail: row.log_tail } : {}),
    ...(row.started_at ? { startedAt: row.started_at } : {}),
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
  };
}
