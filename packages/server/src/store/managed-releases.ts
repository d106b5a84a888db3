import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { ReleasePlanAdmissionManifest, ReleasePlanManifest, ReleaseState } from '@slipway/contract';
import type { Database, ManagedReleasesTable, ManagedReleaseTransitionsTable } from './database-schema.ts';
import { transact } from './transact.ts';
import { keysetPage, type KeysetPage, type PageRequest } from './keyset-page.ts';

// ReleasePlans and ReleasePlanAdmissions as registered, and managed releases with their steps and
// transitions: what the managed release runner works from.

export interface StoredPlanLike<Spec> {
  workspace: string;
  name: string;
  spec: Spec;
  version: string;
  source: string;
  createdAt: string;
  updatedAt: string;
}
export type StoredReleasePlan = StoredPlanLike<ReleasePlanManifest['spec']>;
export type StoredAdmission = StoredPlanLike<ReleasePlanAdmissionManifest['spec']>;

export type StepState = 'pending' | 'running' | 'succeeded' | 'failed' | 'errored' | 'skipped';

export interface ManagedStep {
  name: string;
  state: StepState;
  reason?: string;
  logTail?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface PolicyCheck {
  rule: string;
  passed: boolean;
  message: string;
}

export interface StoredManagedRelease {
  id: string;
  origin: string;
  number: number;
  plan: string;
  target: string;
  admission: string;
  admissionSpec: ReleasePlanAdmissionManifest['spec'];
  snapshotId: string;
  author: string;
  state: ReleaseState;
  reason?: string;
  data: Record<string, unknown>;
  policy: PolicyCheck[];
  steps: ManagedStep[];
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export interface ManagedTransition {
  from?: ReleaseState;
  to: ReleaseState;
  actor: string;
  reason: string;
  at: string;
}

const ENDED: ReleaseState[] = ['Promoted', 'Rejected', 'Failed', 'Errored', 'Aborted'];
type Table = 'release_plans' | 'release_plan_admissions';

export class ManagedReleaseStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Runs `work` with the store bound to one transaction (joined when it is bound to one already). */
  transact<T>(work: (store: ManagedReleaseStore, tx: Kysely<Database>) => Promise<T>): Promise<T> {
    return transact(this.db, (tx) => work(tx === this.db ? this : new ManagedReleaseStore(tx), tx));
  }

  async putPlan(input: Omit<StoredReleasePlan, 'createdAt' | 'updatedAt'>): Promise<{ item: StoredReleasePlan; created: boolean }> {
    return this.put('release_plans', input) as Promise<{ item: StoredReleasePlan; created: boolean }>;
  }

  async putAdmission(input: Omit<StoredAdmission, 'createdAt' | 'updatedAt'>): Promise<{ item: StoredAdmission; created: boolean }> {
    return this.put('release_plan_admissions', input) as Promise<{ item: StoredAdmission; created: boolean }>;
  }

  async plans(workspace: string): Promise<StoredReleasePlan[]> {
    return (await this.listOf('release_plans', workspace)) as StoredReleasePlan[];
  }

  async admissions(workspace: string): Promise<StoredAdmission[]> {
    return (await this.listOf('release_plan_admissions', workspace)) as StoredAdmission[];
  }

  async pagePlans(workspace: string, page: PageRequest): Promise<KeysetPage<StoredReleasePlan>> {
    return (await this.pageOf('release_plans', workspace, page)) as KeysetPage<StoredReleasePlan>;
  }

  async pageAdmissions(workspace: string, page: PageRequest): Promise<KeysetPage<StoredAdmission>> {
    return (await this.pageOf('release_plan_admissions', workspace, page)) as KeysetPage<StoredAdmission>;
  }

  private async pageOf(table: Table, workspace: string, page: PageRequest): Promise<KeysetPage<StoredPlanLike<unknown>>> {
    const found = await keysetPage(this.db.selectFrom(table).selectAll().where('workspace', '=', workspace), { columns: ['name'], direction: 'asc', keyOf: (row) => [row.name] }, page);
    return { ...found, items: found.items.map((r) => ({ workspace: r.workspace, name: r.name, spec: JSON.parse(r.spec_json) as unknown, version: r.version, source: r.source, createdAt: r.created_at, updatedAt: r.updated_at })) };
  }

  private async put(table: Table, input: Omit<StoredPlanLike<unknown>, 'createdAt' | 'updatedAt'>, now = new Date()): Promise<{ item: StoredPlanLike<unknown>; created: boolean }> {
    const at = now.toISOString();
    return transact(this.db, async (tx) => {
      const existing = await tx.selectFrom(table).select('created_at').where('workspace', '=', input.workspace).where('name', '=', input.name).executeTakeFirst();
      const values = { spec_json: JSON.stringify(input.spec), version: input.version, source: input.source, updated_at: at };
      if (existing) await tx.updateTable(table).set(values).where('workspace', '=', input.workspace).where('name', '=', input.name).execute();
      else await tx.insertInto(table).values({ workspace: input.workspace, name: input.name, created_at: at, ...values }).execute();
      return { item: { ...input, createdAt: existing?.created_at ?? at, updatedAt: at }, created: !existing };
    });
  }

  private async listOf(table: Table, workspace: string): Promise<StoredPlanLike<unknown>[]> {
    const rows = await this.db.selectFrom(table).selectAll().where('workspace', '=', workspace).orderBy('name').execute();
    return rows.map((r) => ({ workspace: r.workspace, name: r.name, spec: JSON.parse(r.spec_json) as unknown, version: r.version, source: r.source, createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  /** Creates managed release #n+1 of the origin workspace, Pending, with its first transition. */
  async create(
    input: Omit<StoredManagedRelease, 'id' | 'number' | 'state' | 'reason' | 'createdAt' | 'updatedAt' | 'finishedAt'>,
    actor: string,
    reason: string,
    now = new Date(),
  ): Promise<StoredManagedRelease> {
    const at = now.toISOString();
    for (let attempt = 0; ; attempt++) {
      try {
        return await transact(this.db, async (tx) => {
          const last = await tx.selectFrom('managed_releases').select((eb) => eb.fn.max('number').as('n')).where('origin_workspace', '=', input.origin).executeTakeFirst();
          const id = randomUUID();
          await tx
            .insertInto('managed_releases')
            .values({
              id,
              origin_workspace: input.origin,
              number: Number(last?.n ?? 0) + 1,
              plan: input.plan,
              target_workspace: input.target,
              admission: input.admission,
              admission_json: JSON.stringify(input.admissionSpec),
              snapshot_id: input.snapshotId,
              author: input.author,
              state: 'Pending',
              reason: null,
              data_json: JSON.stringify(input.data),
              policy_json: JSON.stringify(input.policy),
              steps_json: JSON.stringify(input.steps),
              created_at: at,
              updated_at: at,
              finished_at: null,
            })
            .execute();
          await tx.insertInto('managed_release_transitions').values({ managed_release_id: id, from_state: null, to_state: 'Pending', actor, reason, at }).execute();
          return toRelease(await tx.selectFrom('managed_releases').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
        });
      } catch (error) {
        if (attempt >= 4 || !/unique|duplicate/i.test((error as Error).message)) throw error;
      }
    }
  }

  async get(id: string): Promise<StoredManagedRelease | undefined> {
    const row = await this.db.selectFrom('managed_releases').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRelease(row) : undefined;
  }

  /** A managed release the workspace released (by number or id) or received (by id). */
  async find(workspace: string, ref: string): Promise<StoredManagedRelease | undefined> {
    const number = /^#?(\d{1,9})$/.exec(ref.trim());
    const row = number
      ? await this.db.selectFrom('managed_releases').selectAll().where('origin_workspace', '=', workspace).where('number', '=', Number(number[1])).executeTakeFirst()
      : await this.db
          .selectFrom('managed_releases')
          .selectAll()
          .where('id', '=', ref)
          .where((eb) => eb.or([eb('origin_workspace', '=', workspace), eb('target_workspace', '=', workspace)]))
          .executeTakeFirst();
    return row ? toRelease(row) : undefined;
  }

  /** Managed releases a workspace made or received, newest first. */
  async list(workspace: string, limit = 100): Promise<StoredManagedRelease[]> {
    const rows = await this.db
      .selectFrom('managed_releases')
      .selectAll()
      .where((eb) => eb.or([eb('origin_workspace', '=', workspace), eb('target_workspace', '=', workspace)]))
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRelease);
  }

  /** One page of the managed releases the workspace made or received, newest first. */
  async page(workspace: string, page: PageRequest): Promise<KeysetPage<StoredManagedRelease>> {
    const query = this.db
      .selectFrom('managed_releases')
      .selectAll()
      .where((eb) => eb.or([eb('origin_workspace', '=', workspace), eb('target_workspace', '=', workspace)]));
    const found = await keysetPage(query, { columns: ['created_at', 'id'], direction: 'desc', keyOf: (row) => [row.created_at, row.id] }, page);
    return { ...found, items: found.items.map(toRelease) };
  }

  async activeIds(): Promise<string[]> {
    return (await this.db.selectFrom('managed_releases').select('id').where('state', 'not in', ENDED).orderBy('created_at').execute()).map((r) => r.id);
  }

  async updateSteps(id: string, steps: ManagedStep[], now = new Date()): Promise<void> {
    await this.db.updateTable('managed_releases').set({ steps_json: JSON.stringify(steps), updated_at: now.toISOString() }).where('id', '=', id).execute();
  }

  /** Moves the release from `from` to `to` with a transition; false when it is no longer in `from`. */
  async move(id: string, from: ReleaseState, to: ReleaseState, actor: string, reason: string, change: { policy?: PolicyCheck[] } = {}, now = new Date()): Promise<boolean> {
    const at = now.toISOString();
    return transact(this.db, async (tx) => {
      const result = await tx
        .updateTable('managed_releases')
        .set({
          state: to,
          reason,
          updated_at: at,
          ...(ENDED.includes(to) ? { finished_at: at } : {}),
          ...(change.policy ? { policy_json: JSON.stringify(change.policy) } : {}),
        })
        .where('id', '=', id)
        .where('state', '=', from)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await tx.insertInto('managed_release_transitions').values({ managed_release_id: id, from_state: from, to_state: to, actor, reason, at }).execute();
      return true;
    });
  }

  async transitions(id: string): Promise<ManagedTransition[]> {
    const rows = await this.db.selectFrom('managed_release_transitions').selectAll().where('managed_release_id', '=', id).orderBy('seq').execute();
    return rows.map(toTransition);
  }
}

function toRelease(row: Selectable<ManagedReleasesTable>): StoredManagedRelease {
  return {
    id: row.id,
    origin: row.origin_workspace,
    number: Number(row.number),
    plan: row.plan,
    target: row.target_workspace,
    admission: row.admission,
    admissionSpec: JSON.parse(row.admission_json) as ReleasePlanAdmissionManifest['spec'],
    snapshotId: row.snapshot_id,
    author: row.author,
    state: row.state as ReleaseState,
    ...(row.reason ? { reason: row.reason } : {}),
    data: JSON.parse(row.data_json) as Record<string, unknown>,
    policy: JSON.parse(row.policy_json) as PolicyCheck[],
    steps: JSON.parse(row.steps_json) as ManagedStep[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
  };
}

function toTransition(row: Selectable<ManagedReleaseTransitionsTable>): ManagedTransition {
  return { ...(row.from_state ? { from: row.from_state as ReleaseState } : {}), to: row.to_state as ReleaseState, actor: row.actor, reason: row.reason, at: row.at };
}
