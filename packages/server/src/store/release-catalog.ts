import type { Kysely, Selectable } from 'kysely';
import type { ReleaseTrackSpec, SnapshotComponent } from '@slipway/contract';
import type { ApplicationSetsTable, Database, ReleaseTracksTable, SnapshotsTable } from './database-schema.ts';
import type { AuditHook } from './audit-ledger.ts';
import { transact } from './transact.ts';
import { keysetPage, type KeysetPage, type PageRequest } from './keyset-page.ts';

// What releases are made of: registered ApplicationSets and ReleaseTracks (a new registration of the
// same name replaces the manifest; releases under way keep the stages they started with), and
// snapshots, which are immutable and content-addressed.

export interface StoredApplicationSet {
  workspace: string;
  name: string;
  applications: string[];
  releaseTrack?: string;
  manifest: unknown;
  version: string;
  source: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoredReleaseTrack {
  workspace: string;
  name: string;
  applicationSet?: string;
  spec: ReleaseTrackSpec;
  version: string;
  source: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoredSnapshot {
  id: string;
  workspace: string;
  alias: string;
  set: string;
  kind: 'release' | 'pre-release';
  components: SnapshotComponent[];
  createdBy: string;
  createdAt: string;
}

export class ReleaseCatalog {
  constructor(private readonly db: Kysely<Database>) {}

  /** Runs `work` with the store bound to one transaction (joined when it is bound to one already). */
  transact<T>(work: (store: ReleaseCatalog, tx: Kysely<Database>) => Promise<T>): Promise<T> {
    return transact(this.db, (tx) => work(tx === this.db ? this : new ReleaseCatalog(tx), tx));
  }

  /** Registers a set (or replaces its manifest); `created` is false when it existed. */
  async putSet(input: Omit<StoredApplicationSet, 'createdAt' | 'updatedAt'>, now = new Date()): Promise<{ set: StoredApplicationSet; created: boolean }> {
    const at = now.toISOString();
    return transact(this.db, async (tx) => {
      const existing = await tx.selectFrom('application_sets').select('created_at').where('workspace', '=', input.workspace).where('name', '=', input.name).executeTakeFirst();
      const values = {
        applications_json: JSON.stringify(input.applications),
        release_track: input.releaseTrack ?? null,
        manifest_json: JSON.stringify(input.manifest),
        version: input.version,
        source: input.source,
        updated_at: at,
      };
      if (existing) await tx.updateTable('application_sets').set(values).where('workspace', '=', input.workspace).where('name', '=', input.name).execute();
      else await tx.insertInto('application_sets').values({ workspace: input.workspace, name: input.name, created_at: at, ...values }).execute();
      const row = await tx.selectFrom('application_sets').selectAll().where('workspace', '=', input.workspace).where('name', '=', input.name).executeTakeFirstOrThrow();
      return { set: toSet(row), created: !existing };
    });
  }

  async getSet(workspace: string, name: string): Promise<StoredApplicationSet | undefined> {
    const row = await this.db.selectFrom('application_sets').selectAll().where('workspace', '=', workspace).where('name', '=', name).executeTakeFirst();
    return row ? toSet(row) : undefined;
  }

  async listSets(workspace: string): Promise<StoredApplicationSet[]> {
    return (await this.db.selectFrom('application_sets').selectAll().where('workspace', '=', workspace).orderBy('name').execute()).map(toSet);
  }

  async pageSets(workspace: string, page: PageRequest): Promise<KeysetPage<StoredApplicationSet>> {
    const found = await keysetPage(this.db.selectFrom('application_sets').selectAll().where('workspace', '=', workspace), { columns: ['name'], direction: 'asc', keyOf: (row) => [row.name] }, page);
    return { ...found, items: found.items.map(toSet) };
  }

  async putTrack(input: Omit<StoredReleaseTrack, 'createdAt' | 'updatedAt'>, now = new Date()): Promise<{ track: StoredReleaseTrack; created: boolean }> {
    const at = now.toISOString();
    return transact(this.db, async (tx) => {
      const existing = await tx.selectFrom('release_tracks').select('created_at').where('workspace', '=', input.workspace).where('name', '=', input.name).executeTakeFirst();
      const values = { application_set: input.applicationSet ?? null, spec_json: JSON.stringify(input.spec), version: input.version, source: input.source, updated_at: at };
      if (existing) await tx.updateTable('release_tracks').set(values).where('workspace', '=', input.workspace).where('name', '=', input.name).execute();
      else await tx.insertInto('release_tracks').values({ workspace: input.workspace, name: input.name, created_at: at, ...values }).execute();
      const row = await tx.selectFrom('release_tracks').selectAll().where('workspace', '=', input.workspace).where('name', '=', input.name).executeTakeFirstOrThrow();
      return { track: toTrack(row), created: !existing };
    });
  }

  async getTrack(workspace: string, name: string): Promise<StoredReleaseTrack | undefined> {
    const row = await this.db.selectFrom('release_tracks').selectAll().where('workspace', '=', workspace).where('name', '=', name).executeTakeFirst();
    return row ? toTrack(row) : undefined;
  }

  async listTracks(workspace: string): Promise<StoredReleaseTrack[]> {
    return (await this.db.selectFrom('release_tracks').selectAll().where('workspace', '=', workspace).orderBy('name').execute()).map(toTrack);
  }

  /**
   * Stores a snapshot unless one with the same content (id) exists, which is returned instead. The
   * alias is chosen inside the transaction from those the day already has.
   */
  async putSnapshot(
    input: Omit<StoredSnapshot, 'alias' | 'createdAt'>,
    aliasFor: (taken: string[]) => string,
    now = new Date(),
    /** Writes the audit entry of a new snapshot, in its transaction (none for one that existed). */
    audit?: AuditHook<StoredSnapshot>,
  ): Promise<{ snapshot: StoredSnapshot; created: boolean }> {
    return transact(this.db, async (tx) => {
      const existing = await tx.selectFrom('snapshots').selectAll().where('id', '=', input.id).executeTakeFirst();
      if (existing) return { snapshot: toSnapshot(existing), created: false };
      const prefix = aliasFor([]).replace(/-\d+$/, '-');
      const taken = await tx.selectFrom('snapshots').select('alias').where('workspace', '=', input.workspace).where('alias', 'like', `${prefix}%`).execute();
      const alias = aliasFor(taken.map((t) => t.alias));
      await tx
        .insertInto('snapshots')
        .values({
          id: input.id,
          workspace: input.workspace,
          alias,
          set_name: input.set,
          kind: input.kind,
          components_json: JSON.stringify(input.components),
          created_by: input.createdBy,
          created_at: now.toISOString(),
        })
        .execute();
      const snapshot = toSnapshot(await tx.selectFrom('snapshots').selectAll().where('id', '=', input.id).executeTakeFirstOrThrow());
      await audit?.(tx, snapshot);
      return { snapshot, created: true };
    });
  }

  /** A snapshot by alias, id, or a unique prefix of its id (at least 6 characters). */
  async findSnapshot(workspace: string, ref: string): Promise<StoredSnapshot | 'ambiguous' | undefined> {
    const exact = await this.db
      .selectFrom('snapshots')
      .selectAll()
      .where('workspace', '=', workspace)
      .where((eb) => eb.or([eb('alias', '=', ref), eb('id', '=', ref)]))
      .executeTakeFirst();
    if (exact) return toSnapshot(exact);
    if (!/^[0-9a-f]{6,}$/.test(ref)) return undefined;
    const rows = await this.db.selectFrom('snapshots').selectAll().where('workspace', '=', workspace).where('id', 'like', `${ref}%`).limit(2).execute();
    if (rows.length > 1) return 'ambiguous';
    return rows[0] ? toSnapshot(rows[0]) : undefined;
  }

  async getSnapshot(id: string): Promise<StoredSnapshot | undefined> {
    const row = await this.db.selectFrom('snapshots').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSnapshot(row) : undefined;
  }

  /** Snapshots of the workspace (or of one set), newest first. */
  async pageTracks(workspace: string, page: PageRequest): Promise<KeysetPage<StoredReleaseTrack>> {
    const found = await keysetPage(this.db.selectFrom('release_tracks').selectAll().where('workspace', '=', workspace), { columns: ['name'], direction: 'asc', keyOf: (row) => [row.name] }, page);
    return { ...found, items: found.items.map(toTrack) };
  }

  /** One page of the workspace's snapshots (of one set when given), newest first. */
  async pageSnapshots(workspace: string, page: PageRequest, set?: string): Promise<KeysetPage<StoredSnapshot>> {
    let query = this.db.selectFrom('snapshots').selectAll().where('workspace', '=', workspace);
    if (set) query = query.where('set_name', '=', set);
    const found = await keysetPage(query, { columns: ['created_at', 'alias'], direction: 'desc', keyOf: (row) => [row.created_at, row.alias] }, page);
    return { ...found, items: found.items.map(toSnapshot) };
  }

  async listSnapshots(workspace: string, set?: string, limit = 100): Promise<StoredSnapshot[]> {
    let query = this.db.selectFrom('snapshots').selectAll().where('workspace', '=', workspace);
    if (set) query = query.where('set_name', '=', set);
    return (await query.orderBy('created_at', 'desc').orderBy('alias', 'desc').limit(limit).execute()).map(toSnapshot);
  }
}

function toSet(row: Selectable<ApplicationSetsTable>): StoredApplicationSet {
  return {
    workspace: row.workspace,
    name: row.name,
    applications: JSON.parse(row.applications_json) as string[],
    ...(row.release_track ? { releaseTrack: row.release_track } : {}),
    manifest: JSON.parse(row.manifest_json) as unknown,
    version: row.version,
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toTrack(row: Selectable<ReleaseTracksTable>): StoredReleaseTrack {
  return {
    workspace: row.workspace,
    name: row.name,
    ...(row.application_set ? { applicationSet: row.application_set } : {}),
    spec: JSON.parse(row.spec_json) as ReleaseTrackSpec,
    version: row.version,
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toSnapshot(row: Selectable<SnapshotsTable>): StoredSnapshot {
  return {
    id: row.id,
    workspace: row.workspace,
    alias: row.alias,
    set: row.set_name,
    kind: row.kind,
    components: JSON.parse(row.components_json) as SnapshotComponent[],
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}
