import type { Kysely, Selectable } from 'kysely';
import type { DatasetRef } from '@slipway/contract';
import type { Database, DatasetClonesTable, DatasetsTable } from './database-schema.ts';
import { keysetPage, type KeysetPage, type PageRequest } from './keyset-page.ts';
import { transact } from './transact.ts';

export type DatasetRow = Selectable<DatasetsTable>;
export type CloneRow = Selectable<DatasetClonesTable>;

/** A dataset some application's current manifest defines, with its application's repository. */
export interface DefinedDataset {
  workspace: string;
  app: string;
  definition: DatasetRef;
  repositoryUrl?: string;
}

/** The rows of datasets' pools: their golden copies and clones (datasets/dataset-pools.ts acts on them). */
export class DatasetStore {
  constructor(readonly db: Kysely<Database>) {}

  in(db: Kysely<Database>): DatasetStore {
    return new DatasetStore(db);
  }

  transact<T>(work: (store: DatasetStore, tx: Kysely<Database>) => Promise<T>): Promise<T> {
    return transact(this.db, (tx) => work(this.in(tx), tx));
  }

  /** The current manifests of every application, for the datasets they define. */
  async currentManifests(): Promise<{ workspace: string; app: string; manifestJson: string; repositoryUrl: string | null }[]> {
    const rows = await this.db
      .selectFrom('applications')
      .innerJoin('template_versions', (join) => join.onRef('template_versions.application_id', '=', 'applications.id').onRef('template_versions.version', '=', 'applications.current_version'))
      .select(['applications.workspace', 'applications.name', 'template_versions.manifest_json', 'applications.repository_url'])
      .execute();
    return rows.map((r) => ({ workspace: r.workspace, app: r.name, manifestJson: r.manifest_json, repositoryUrl: r.repository_url }));
  }

  async get(workspace: string, app: string, name: string): Promise<DatasetRow | undefined> {
    return this.db.selectFrom('datasets').selectAll().where('workspace', '=', workspace).where('app', '=', app).where('name', '=', name).executeTakeFirst();
  }

  async all(): Promise<DatasetRow[]> {
    return this.db.selectFrom('datasets').selectAll().execute();
  }

  /** One page of a workspace's datasets, by application and name. */
  async page(workspace: string, page: PageRequest): Promise<KeysetPage<DatasetRow>> {
    return keysetPage(this.db.selectFrom('datasets').selectAll().where('workspace', '=', workspace), { columns: ['app', 'name'], direction: 'asc', keyOf: (r) => [r.app, r.name] }, page);
  }

  async insert(row: DatasetRow): Promise<void> {
    await this.db.insertInto('datasets').values(row).onConflict((oc) => oc.columns(['workspace', 'app', 'name']).doNothing()).execute();
  }

  async update(id: string, changes: Partial<Omit<DatasetRow, 'id'>>): Promise<void> {
    await this.db.updateTable('datasets').set({ ...changes, updated_at: new Date().toISOString() }).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('datasets').where('id', '=', id).execute();
  }

  async clones(datasetId: string): Promise<CloneRow[]> {
    return this.db.selectFrom('dataset_clones').selectAll().where('dataset_id', '=', datasetId).orderBy('created_at').execute();
  }

  async allClones(): Promise<CloneRow[]> {
    return this.db.selectFrom('dataset_clones').selectAll().execute();
  }

  async clonesOf(environmentId: string): Promise<CloneRow[]> {
    return this.db.selectFrom('dataset_clones').selectAll().where('environment_id', '=', environmentId).execute();
  }

  async insertClone(row: CloneRow): Promise<void> {
    await this.db.insertInto('dataset_clones').values(row).execute();
  }

  async updateClone(id: string, changes: Partial<Omit<CloneRow, 'id'>>): Promise<void> {
    await this.db.updateTable('dataset_clones').set(changes).where('id', '=', id).execute();
  }

  async deleteClone(id: string): Promise<void> {
    await this.db.deleteFrom('dataset_clones').where('id', '=', id).execute();
  }

  /**
   * Takes a ready clone of the dataset's generation for the environment, the oldest first; two
   * environments asking at once never get the same one (the update only counts while it is ready).
   */
  async claimReady(datasetId: string, generation: number, environmentId: string): Promise<CloneRow | undefined> {
    for (let tries = 0; tries < 5; tries++) {
      const candidate = await this.db
        .selectFrom('dataset_clones')
        .selectAll()
        .where('dataset_id', '=', datasetId)
        .where('state', '=', 'ready')
        .where('generation', '=', generation)
        .orderBy('created_at')
        .limit(1)
        .executeTakeFirst();
      if (!candidate) return undefined;
      const at = new Date().toISOString();
      const result = await this.db
        .updateTable('dataset_clones')
        .set({ state: 'attached', environment_id: environmentId, attached_at: at })
        .where('id', '=', candidate.id)
        .where('state', '=', 'ready')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) return { ...candidate, state: 'attached', environment_id: environmentId, attached_at: at };
    }
    return undefined;
  }

  /** Ids of environments that exist and are not deleted, among those given. */
  async liveEnvironments(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom('environments').select('id').where('id', 'in', ids).where('deleted_at', 'is', null).execute();
    return new Set(rows.map((r) => r.id));
  }
}
