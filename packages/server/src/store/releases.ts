import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { ReleaseCommitStatus, ReleaseKind, ReleaseStage, ReleaseState } from '@slipway/contract';
import type { WorkState } from '@slipway/core';
import type { Database, ReleaseDecisionsTable, ReleaseHoldsTable, ReleasesTable, ReleaseStagesTable, ReleaseTransitionsTable } from './database-schema.ts';
import { keysetPage, type KeysetPage, type PageRequest } from './keyset-page.ts';
import { retryOnUniqueConflict, transact } from './transact.ts';

// Releases, their stages, the approvals and rejections given, every transition, and rollback holds:
// the durable state the release controller works from. A state change and its transition row are
// written in one transaction, and only when the stage is still in the state the change started from,
// so two hands (an approval and the controller, two servers) never both move a stage.

export interface ReleaseTarget {
  app: string;
  /** The stage's environment name (staging). */
  environment: string;
  /** The environment id it deploys to (staging, or staging-web in a set of several applications). */
  envId: string;
  /** The environments row, once known. */
  environmentId?: string;
  commit: string;
  deployId?: string;
  state: WorkState;
  reason?: string;
  /** When its deploy ended. */
  finishedAt?: string;
}

export interface ReleaseTestRun {
  job: string;
  app?: string;
  envId?: string;
  environmentId?: string;
  /** The driver's job run id: running it again (after a restart) returns the same run. */
  runId?: string;
  state: WorkState;
  reason?: string;
  logTail?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface StoredRelease {
  id: string;
  workspace: string;
  number: number;
  kind: ReleaseKind;
  track: string;
  set: string;
  snapshotId: string;
  author: string;
  state: ReleaseState;
  reason?: string;
  currentStage?: number;
  stages: ReleaseStage[];
  rollbackOf?: string;
  /** A pre-release: its result as a commit status, as last reported (or recorded). */
  commitStatus?: ReleaseCommitStatus;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export interface StoredStage {
  releaseId: string;
  index: number;
  name: string;
  environments: string[];
  state: ReleaseState;
  reason?: string;
  queuedAt: string;
  enteredAt?: string;
  deployedAt?: string;
  finishedAt?: string;
  targets: ReleaseTarget[];
  tests: ReleaseTestRun[];
  updatedAt: string;
}

export interface StoredDecision {
  id: string;
  releaseId: string;
  stage: number;
  user: string;
  decision: 'approve' | 'reject' | 'promote';
  roles: string[];
  comment?: string;
  at: string;
}

export interface StoredTransition {
  seq: number;
  releaseId: string;
  stage?: number;
  from?: ReleaseState;
  to: ReleaseState;
  actor: string;
  reason: string;
  at: string;
}

export interface StoredHold {
  workspace: string;
  set: string;
  environment: string;
  releaseId?: string;
  actor: string;
  reason: string;
  createdAt: string;
}

/** A stage of some release, with the release's identity: for environment queues and the track view. */
export interface StageOfRelease {
  release: StoredRelease;
  stage: StoredStage;
}

const ENDED: ReleaseState[] = ['Promoted', 'Rejected', 'Failed', 'Errored', 'Aborted'];

export type StageChange = Partial<Pick<StoredStage, 'reason' | 'enteredAt' | 'deployedAt' | 'finishedAt' | 'targets' | 'tests'>>;

export class ReleaseStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly endedListeners = new Set<(releaseId: string) => void>(),
    /** Bound to a transaction: releases it ended, told to the listeners once it commits. */
    private readonly endedInTransaction?: string[],
  ) {}

  /**
   * Runs `work` with the store bound to one transaction (joined when it is bound to one already):
   * its writes and their audit entry are one. The listeners hear of releases it ended after the
   * commit, and not at all when it rolls back.
   */
  async transact<T>(work: (store: ReleaseStore, tx: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this, this.db);
    const ended: string[] = [];
    const result = await transact(this.db, (tx) => work(new ReleaseStore(tx, this.endedListeners, ended), tx));
    for (const id of ended) for (const listener of this.endedListeners) listener(id);
    return result;
  }

  /** Calls the listener after a release ended through this store (by the controller, a rejection, an abort). */
  onEnded(listener: (releaseId: string) => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  /** Creates release #n+1 of the workspace, Pending, with its first transition. */
  async createRelease(
    input: { workspace: string; kind: ReleaseKind; track: string; set: string; snapshotId: string; author: string; stages: ReleaseStage[]; rollbackOf?: string; reason: string },
    now = new Date(),
  ): Promise<StoredRelease> {
    const at = now.toISOString();
    // Two servers numbering at once: the unique (workspace, number) refuses one, which tries again;
    // inside a caller's transaction, the caller retries it whole (retryOnUniqueConflict).
    const create = () =>
        transact(this.db, async (tx) => {
          const last = await tx.selectFrom('releases').select((eb) => eb.fn.max('number').as('n')).where('workspace', '=', input.workspace).executeTakeFirst();
          const id = randomUUID();
          await tx
            .insertInto('releases')
            .values({
              id,
              workspace: input.workspace,
              number: Number(last?.n ?? 0) + 1,
              kind: input.kind,
              track: input.track,
              set_name: input.set,
              snapshot_id: input.snapshotId,
              author: input.author,
              state: 'Pending',
              reason: null,
              current_stage: null,
              stages_json: JSON.stringify(input.stages),
              rollback_of: input.rollbackOf ?? null,
              created_at: at,
              updated_at: at,
              finished_at: null,
            })
            .execute();
          await insertTransition(tx, { releaseId: id, to: 'Pending', actor: input.author, reason: input.reason, at });
          return toRelease(await tx.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
        });
    return this.db.isTransaction ? create() : retryOnUniqueConflict(create);
  }

  async getRelease(id: string): Promise<StoredRelease | undefined> {
    const row = await this.db.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRelease(row) : undefined;
  }

  /** A release by its number (`12`, `#12`) or id. */
  async findRelease(workspace: string, ref: string): Promise<StoredRelease | undefined> {
    const number = /^#?(\d{1,9})$/.exec(ref.trim());
    let query = this.db.selectFrom('releases').selectAll().where('workspace', '=', workspace);
    query = number ? query.where('number', '=', Number(number[1])) : query.where('id', '=', ref);
    const row = await query.executeTakeFirst();
    return row ? toRelease(row) : undefined;
  }

  /** One page of the workspace's releases, newest (highest number) first. */
  async pageReleases(workspace: string, filter: { track?: string; set?: string; active?: boolean }, page: PageRequest): Promise<KeysetPage<StoredRelease>> {
    let query = this.db.selectFrom('releases').selectAll().where('workspace', '=', workspace);
    if (filter.track) query = query.where('track', '=', filter.track);
    if (filter.set) query = query.where('set_name', '=', filter.set);
    if (filter.active) query = query.where('state', 'not in', ENDED);
    const found = await keysetPage(query, { columns: ['number'], direction: 'desc', keyOf: (row) => [row.number] }, page);
    return { ...found, items: found.items.map(toRelease) };
  }

  /** Releases of the workspace, newest first. */
  async listReleases(workspace: string, filter: { track?: string; set?: string; active?: boolean; limit?: number } = {}): Promise<StoredRelease[]> {
    let query = this.db.selectFrom('releases').selectAll().where('workspace', '=', workspace);
    if (filter.track) query = query.where('track', '=', filter.track);
    if (filter.set) query = query.where('set_name', '=', filter.set);
    if (filter.active) query = query.where('state', 'not in', ENDED);
    return (await query.orderBy('number', 'desc').limit(filter.limit ?? 200).execute()).map(toRelease);
  }

  /** Ids of every release still under way, in every workspace, oldest first. */
  async activeReleaseIds(): Promise<string[]> {
    const rows = await this.db.selectFrom('releases').select('id').where('state', 'not in', ENDED).orderBy('created_at').execute();
    return rows.map((r) => r.id);
  }

  async updateRelease(id: string, change: Partial<Pick<StoredRelease, 'state' | 'reason' | 'currentStage' | 'finishedAt'>>, now = new Date()): Promise<void> {
    const set: Partial<ReleasesTable> = { updated_at: now.toISOString() };
    if ('state' in change) set.state = change.state!;
    if ('reason' in change) set.reason = change.reason ?? null;
    if ('currentStage' in change) set.current_stage = change.currentStage ?? null;
    if ('finishedAt' in change) set.finished_at = change.finishedAt ?? null;
    await this.db.updateTable('releases').set(set).where('id', '=', id).execute();
  }

  /** Pre-releases that ended without their final commit status recorded (the server stopped in between). */
  async preReleasesToReport(since: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('releases')
      .select(['id', 'commit_status_json'])
      .where('kind', '=', 'pre-release')
      .where('state', 'in', ENDED)
      .where('finished_at', '>=', since)
      .execute();
    return rows.filter((r) => !r.commit_status_json || (JSON.parse(r.commit_status_json) as ReleaseCommitStatus).state === 'pending').map((r) => r.id);
  }

  /** Records the commit status of a pre-release (what was reported, or why nothing was). */
  async setCommitStatus(id: string, status: ReleaseCommitStatus): Promise<void> {
    await this.db.updateTable('releases').set({ commit_status_json: JSON.stringify(status) }).where('id', '=', id).execute();
  }

  /** Moves the release as a whole (its ending), with a transition row, unless it already ended. */
  async endRelease(id: string, to: ReleaseState, actor: string, reason: string, now = new Date()): Promise<boolean> {
    const at = now.toISOString();
    const ended = await transact(this.db, async (tx) => {
      const row = await tx.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirst();
      if (!row || ENDED.includes(row.state as ReleaseState)) return false;
      await tx.updateTable('releases').set({ state: to, reason, finished_at: at, updated_at: at }).where('id', '=', id).where('state', '=', row.state).execute();
      await insertTransition(tx, { releaseId: id, from: row.state as ReleaseState, to, actor, reason, at });
      return true;
    });
    if (ended && this.endedInTransaction) this.endedInTransaction.push(id);
    else if (ended) for (const listener of this.endedListeners) listener(id);
    return ended;
  }

  async stages(releaseId: string): Promise<StoredStage[]> {
    const rows = await this.db.selectFrom('release_stages').selectAll().where('release_id', '=', releaseId).orderBy('idx').execute();
    return rows.map(toStage);
  }

  /** Adds the record of a stage the release asks to enter: Pending, queued now. */
  async addStage(input: { releaseId: string; index: number; name: string; environments: string[] }, actor: string, reason: string, now = new Date()): Promise<StoredStage> {
    const at = now.toISOString();
    return transact(this.db, async (tx) => {
      const existing = await tx.selectFrom('release_stages').selectAll().where('release_id', '=', input.releaseId).where('idx', '=', input.index).executeTakeFirst();
      if (existing) return toStage(existing);
      await tx
        .insertInto('release_stages')
        .values({
          release_id: input.releaseId,
          idx: input.index,
          name: input.name,
          environments_json: JSON.stringify(input.environments),
          state: 'Pending',
          reason: null,
          queued_at: at,
          entered_at: null,
          deployed_at: null,
          finished_at: null,
          targets_json: '[]',
          tests_json: '[]',
          updated_at: at,
        })
        .execute();
      await insertTransition(tx, { releaseId: input.releaseId, stage: input.index, to: 'Pending', actor, reason, at });
      return toStage(await tx.selectFrom('release_stages').selectAll().where('release_id', '=', input.releaseId).where('idx', '=', input.index).executeTakeFirstOrThrow());
    });
  }

  /** Changes a stage's details without moving it. */
  async updateStage(releaseId: string, index: number, change: StageChange, now = new Date()): Promise<void> {
    await this.db.updateTable('release_stages').set(stageColumns(change, now)).where('release_id', '=', releaseId).where('idx', '=', index).execute();
  }

  /**
   * Moves a stage from `from` to `to` with a transition row, in one transaction; false (and nothing
   * written) when the stage is no longer in `from`.
   */
  async moveStage(releaseId: string, index: number, from: ReleaseState, to: ReleaseState, actor: string, reason: string, change: StageChange = {}, now = new Date()): Promise<boolean> {
    const at = now.toISOString();
    return transact(this.db, async (tx) => {
      const result = await tx
        .updateTable('release_stages')
        .set({ ...stageColumns(change, now), state: to })
        .where('release_id', '=', releaseId)
        .where('idx', '=', index)
        .where('state', '=', from)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await insertTransition(tx, { releaseId, stage: index, from, to, actor, reason, at });
      return true;
    });
  }

  async addDecision(input: Omit<StoredDecision, 'id' | 'at'>, now = new Date()): Promise<StoredDecision> {
    const decision: StoredDecision = { ...input, id: randomUUID(), at: now.toISOString() };
    await this.db
      .insertInto('release_decisions')
      .values({
        id: decision.id,
        release_id: decision.releaseId,
        stage_idx: decision.stage,
        user_name: decision.user,
        decision: decision.decision,
        roles_json: JSON.stringify(decision.roles),
        comment: decision.comment ?? null,
        created_at: decision.at,
      })
      .execute();
    return decision;
  }

  async decisions(releaseId: string): Promise<StoredDecision[]> {
    const rows = await this.db.selectFrom('release_decisions').selectAll().where('release_id', '=', releaseId).orderBy('created_at').execute();
    return rows.map(toDecision);
  }

  async transitions(releaseId: string): Promise<StoredTransition[]> {
    const rows = await this.db.selectFrom('release_transitions').selectAll().where('release_id', '=', releaseId).orderBy('seq').execute();
    return rows.map(toTransition);
  }

  /**
   * Stages of the set's releases that are in a given state set (Pending ones queue for their
   * environments, active ones hold them), with their releases, oldest queued first.
   */
  async stagesOfSet(workspace: string, set: string, states: ReleaseState[]): Promise<StageOfRelease[]> {
    const rows = await this.db
      .selectFrom('release_stages')
      .innerJoin('releases', 'releases.id', 'release_stages.release_id')
      .selectAll('release_stages')
      .select(['releases.id as r_id'])
      .where('releases.workspace', '=', workspace)
      .where('releases.set_name', '=', set)
      .where('release_stages.state', 'in', states)
      .orderBy('release_stages.queued_at')
      .orderBy('releases.number')
      .execute();
    const releases = new Map<string, StoredRelease>();
    const result: StageOfRelease[] = [];
    for (const row of rows) {
      let release = releases.get(row.r_id);
      if (!release) {
        release = (await this.getRelease(row.r_id))!;
        releases.set(row.r_id, release);
      }
      result.push({ release, stage: toStage(row) });
    }
    return result;
  }

  /** Releases with a stage in the Deploying state whose targets name this deploy. */
  async releasesDeploying(deployId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('release_stages')
      .select('release_id')
      .where('state', '=', 'Deploying')
      .where('targets_json', 'like', `%${deployId}%`)
      .execute();
    return rows.map((r) => r.release_id);
  }

  async holds(workspace: string, set: string): Promise<StoredHold[]> {
    const rows = await this.db.selectFrom('release_holds').selectAll().where('workspace', '=', workspace).where('set_name', '=', set).orderBy('environment').execute();
    return rows.map(toHold);
  }

  async putHolds(input: Omit<StoredHold, 'environment' | 'createdAt'>, environments: string[], now = new Date()): Promise<void> {
    const at = now.toISOString();
    await transact(this.db, async (tx) => {
      for (const environment of environments) {
        await tx.deleteFrom('release_holds').where('workspace', '=', input.workspace).where('set_name', '=', input.set).where('environment', '=', environment).execute();
        await tx
          .insertInto('release_holds')
          .values({ workspace: input.workspace, set_name: input.set, environment, release_id: input.releaseId ?? null, actor: input.actor, reason: input.reason, created_at: at })
          .execute();
      }
    });
  }

  async releaseHolds(workspace: string, set: string, environments: string[]): Promise<void> {
    if (environments.length === 0) return;
    await this.db.deleteFrom('release_holds').where('workspace', '=', workspace).where('set_name', '=', set).where('environment', 'in', environments).execute();
  }
}

async function insertTransition(
  tx: Kysely<Database>,
  t: { releaseId: string; stage?: number; from?: ReleaseState; to: ReleaseState; actor: string; reason: string; at: string },
): Promise<void> {
  await tx
    .insertInto('release_transitions')
    .values({ release_id: t.releaseId, stage_idx: t.stage ?? null, from_state: t.from ?? null, to_state: t.to, actor: t.actor, reason: t.reason, at: t.at })
    .execute();
}

function stageColumns(change: StageChange, now: Date): Partial<ReleaseStagesTable> {
  const set: Partial<ReleaseStagesTable> = { updated_at: now.toISOString() };
  if ('reason' in change) set.reason = change.reason ?? null;
  if ('enteredAt' in change) set.entered_at = change.enteredAt ?? null;
  if ('deployedAt' in change) set.deployed_at = change.deployedAt ?? null;
  if ('finishedAt' in change) set.finished_at = change.finishedAt ?? null;
  if ('targets' in change) set.targets_json = JSON.stringify(change.targets ?? []);
  if ('tests' in change) set.tests_json = JSON.stringify(change.tests ?? []);
  return set;
}

function toRelease(row: Selectable<ReleasesTable>): StoredRelease {
  return {
    id: row.id,
    workspace: row.workspace,
    number: Number(row.number),
    kind: row.kind,
    track: row.track,
    set: row.set_name,
    snapshotId: row.snapshot_id,
    author: row.author,
    state: row.state as ReleaseState,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.current_stage !== null ? { currentStage: Number(row.current_stage) } : {}),
    stages: JSON.parse(row.stages_json) as ReleaseStage[],
    ...(row.rollback_of ? { rollbackOf: row.rollback_of } : {}),
    ...(row.commit_status_json ? { commitStatus: JSON.parse(row.commit_status_json) as ReleaseCommitStatus } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
  };
}

function toStage(row: Selectable<ReleaseStagesTable>): StoredStage {
  return {
    releaseId: row.release_id,
    index: Number(row.idx),
    name: row.name,
    environments: JSON.parse(row.environments_json) as string[],
    state: row.state as ReleaseState,
    ...(row.reason ? { reason: row.reason } : {}),
    queuedAt: row.queued_at,
    ...(row.entered_at ? { enteredAt: row.entered_at } : {}),
    ...(row.deployed_at ? { deployedAt: row.deployed_at } : {}),
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
    targets: JSON.parse(row.targets_json) as ReleaseTarget[],
    tests: JSON.parse(row.tests_json) as ReleaseTestRun[],
    updatedAt: row.updated_at,
  };
}

function toDecision(row: Selectable<ReleaseDecisionsTable>): StoredDecision {
  return {
    id: row.id,
    releaseId: row.release_id,
    stage: Number(row.stage_idx),
    user: row.user_name,
    decision: row.decision,
    roles: JSON.parse(row.roles_json) as string[],
    ...(row.comment ? { comment: row.comment } : {}),
    at: row.created_at,
  };
}

function toTransition(row: Selectable<ReleaseTransitionsTable>): StoredTransition {
  return {
    seq: Number(row.seq),
    releaseId: row.release_id,
    ...(row.stage_idx !== null ? { stage: Number(row.stage_idx) } : {}),
    ...(row.from_state ? { from: row.from_state as ReleaseState } : {}),
    to: row.to_state as ReleaseState,
    actor: row.actor,
    reason: row.reason,
    at: row.at,
  };
}

function toHold(row: Selectable<ReleaseHoldsTable>): StoredHold {
  return {
    workspace: row.workspace,
    set: row.set_name,
    environment: row.environment,
    ...(row.release_id ? { releaseId: row.release_id } : {}),
    actor: row.actor,
    reason: row.reason,
    createdAt: row.created_at,
  };
}
