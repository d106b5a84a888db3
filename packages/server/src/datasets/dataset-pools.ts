import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { applicationManifest, datasetVariableParts, type DatasetRef, type RenderedEnvironment } from '@slipway/contract';
import { datasetRefreshSchedule, definedDatasets, nextCronTime, secretKey, datasetSecretRef, type SecretValues } from '@slipway/core';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { CloneRow, DatasetRow, DatasetStore, DefinedDataset } from '../store/datasets.ts';
import type { Leases } from '../store/leases.ts';
import { KeyedWorker, type WorkerMetrics } from '../worker/keyed-worker.ts';
import type { DatasetServer} from './dataset-server.ts';
import { DatasetServerError, OWNED_PREFIX, type CloneConnection, type GoldenSource } from './dataset-server.ts';

// Pools of ready clones of each dataset an application defines (docs/datasets.md). Each dataset is
// a key on the keyed worker: its reconcile makes the golden copy (again, when the source or
// transform changed, a refresh was asked for or its cron schedule came), replaces unattached clones
// of an older golden copy, and fills the pool up to poolSize. Environments take a clone at deploy
// time (attach) and give it back, dropped, when they are deleted (release); the sweep drops clones
// whose environment no longer exists and whatever a crash left half-made.

export interface DatasetPoolsOptions {
  store: DatasetStore;
  server: DatasetServer;
  box: SecretBox;
  leases: Leases;
  /** Clear value of a workspace's secret: a dataset's source URL. */
  revealSecret(workspace: string, name: string): Promise<string | undefined>;
  /** How often every dataset is looked at again and the sweep runs (default 5 minutes). */
  resyncMs?: number;
  logger?: { info(message: string): void; error(message: string): void };
}

/** A dataset as the API shows it: never a password or a source URL. */
export interface DatasetView {
  workspace: string;
  app: string;
  name: string;
  state: string;
  reason?: string;
  source: string;
  poolSize: number;
  optional: boolean;
  refresh?: string;
  nextRefreshAt?: string;
  generation: number;
  goldenAt?: string;
  ready: number;
  attached: number;
  creating: number;
  clones: { database: string; state: string; generation: number; environmentId?: string; createdAt: string; attachedAt?: string }[];
}

const SWEEP_KEY = '~sweep';
/** A clone row still `creating` after this long was left by a crash (a clone takes seconds). */
const STALE_CREATING_MS = 10 * 60_000;

export class DatasetPools {
  private readonly worker: KeyedWorker;

  constructor(private readonly options: DatasetPoolsOptions) {
    this.worker = new KeyedWorker({
      name: 'datasets',
      reconcile: (key) => (key === SWEEP_KEY ? this.sweepAndRequeue() : this.reconcile(key)),
      lease: { per: 'key', leases: options.leases },
      keys: async () => [...(await this.defined()).map((d) => keyOf(d.workspace, d.app, d.definition.name)), ...(await options.store.all()).map((r) => keyOf(r.workspace, r.app, r.name)), SWEEP_KEY],
      resyncMs: options.resyncMs ?? 5 * 60_000,
      resyncSkipsScheduled: true,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  async start(): Promise<void> {
    await this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
    await this.options.server.close();
  }

  metrics(): WorkerMetrics {
    return this.worker.metrics();
  }

  /** An application's manifest changed: its datasets are looked at now. */
  changed(workspace: string, app: string, names: string[]): void {
    for (const name of names) this.worker.enqueue(keyOf(workspace, app, name));
  }

  /** Waits until the dataset's pool has been reconciled once more (tests, the CLI's refresh --wait). */
  async settle(workspace: string, app: string, name: string): Promise<void> {
    await this.worker.settle(keyOf(workspace, app, name));
  }

  /** Asks for a new golden copy now; unattached clones are then replaced, attached ones never. */
  async refresh(workspace: string, app: string, name: string): Promise<DatasetRow | undefined> {
    const row = await this.options.store.get(workspace, app, name);
    if (!row) return undefined;
    await this.options.store.update(row.id, { refresh_requested_at: new Date().toISOString() });
    this.worker.enqueue(keyOf(workspace, app, name));
    return this.options.store.get(workspace, app, name);
  }

  async view(row: DatasetRow): Promise<DatasetView> {
    return datasetView(this.options.store, row);
  }

  /**
   * Gives the environment a clone of each of its datasets (the one it has already, on a patch or a
   * resumed deploy) and returns the values of their connection variables. A dataset that cannot
   * be had fails the deploy with the reason — the clones this call took are dropped again — unless
   * it is optional: its variables are then empty and the log says so.
   */
  async attach(env: { id: string; workspace: string; app: string }, rendered: Pick<RenderedEnvironment, 'datasets'>, log: (line: string) => void): Promise<{ values: SecretValues } | { reason: string }> {
    const values: SecretValues = {};
    const taken: CloneRow[] = [];
    for (const dataset of rendered.datasets) {
      const started = performance.now();
      try {
        const { clone, how } = await this.cloneFor(env, dataset);
        if (how !== 'kept') taken.push(clone);
        const connection = this.connectionOf(clone);
        Object.assign(values, variableValues(dataset.name, connection));
        const ms = Math.round(performance.now() - started);
        if (how === 'pool') log(`✓ dataset ${dataset.name} · attached clone ${clone.database_name} from the warm pool in ${ms} ms`);
        else if (how === 'on-demand') log(`✓ dataset ${dataset.name} · the pool was empty: cloned ${clone.database_name} on demand in ${ms} ms`);
        else log(`✓ dataset ${dataset.name} · keeps clone ${clone.database_name}`);
      } catch (error) {
        const reason = `dataset ${dataset.name}: ${(error as Error).message}`;
        if (dataset.optional) {
          Object.assign(values, variableValues(dataset.name));
          log(`! ${reason}; the environment goes on without it (the dataset is optional; its variables are empty)`);
          continue;
        }
        log(`✗ ${reason}`);
        for (const clone of taken) await this.dropClone(clone).catch(() => undefined);
        return { reason };
      }
    }
    return { values };
  }

  /** Drops the environment's clones (its teardown): their databases and roles go. */
  async release(environmentId: string): Promise<number> {
    const clones = await this.options.store.clonesOf(environmentId);
    for (const clone of clones) await this.dropClone(clone);
    return clones.length;
  }

  /**
   * Drops what no environment or pool owns: clones of deleted environments, clones a crash left
   * half-made, datasets no application defines any more, and databases and roles of Slipway's
   * on the dataset server that no row knows.
   */
  async sweep(): Promise<{ dropped: string[] }> {
    const { store, server } = this.options;
    const dropped: string[] = [];
    // Only names of this store's datasets are ever swept from the server: another Slipway (or test)
    // may share it.
    const ours = new Set((await store.all()).map((r) => datasetTag(r.id)));
    const clones = await store.allClones();
    const live = await store.liveEnvironments([...new Set(clones.map((c) => c.environment_id).filter((id): id is string => !!id))]);
    const now = Date.now();
    for (const clone of clones) {
      const orphan = clone.state === 'attached' && (!clone.environment_id || !live.has(clone.environment_id));
      const stale = clone.state === 'creating' && now - Date.parse(clone.created_at) > STALE_CREATING_MS;
      if (!orphan && !stale) continue;
      await this.dropClone(clone);
      dropped.push(clone.database_name);
    }
    const defined = new Set((await this.defined()).map((d) => keyOf(d.workspace, d.app, d.definition.name)));
    for (const row of await store.all()) {
      if (defined.has(keyOf(row.workspace, row.app, row.name))) continue;
      // Attached clones stay with their environments until those are deleted.
      const remaining = await store.clones(row.id);
      for (const clone of remaining.filter((c) => c.state !== 'attached')) {
        await this.dropClone(clone);
        dropped.push(clone.database_name);
      }
      if (remaining.some((c) => c.state === 'attached')) continue;
      if (row.golden_database) await server.dropDatabase(row.golden_database);
      await store.delete(row.id);
      dropped.push(`${row.name} (no application defines it)`);
    }
    const known = new Set<string>();
    for (const clone of await store.allClones()) known.add(clone.database_name).add(clone.role_name);
    for (const row of await store.all()) if (row.golden_database) known.add(row.golden_database);
    const owned = await server.owned();
    // A golden copy being made has no row naming it yet: leave those alone.
    const building = new Set((await store.all()).filter((r) => r.state === 'building').map((r) => goldenPrefix(r.id)));
    const isOurs = (name: string) => ours.has(name.slice(OWNED_PREFIX.length, OWNED_PREFIX.length + 8));
    for (const database of owned.databases) {
      if (!isOurs(database) || known.has(database) || [...building].some((p) => database.startsWith(p))) continue;
      await server.dropDatabase(database);
      dropped.push(database);
    }
    for (const role of owned.roles) {
      if (!isOurs(role) || known.has(role)) continue;
      await server.dropClone(role, role);
      dropped.push(role);
    }
    if (dropped.length) this.options.logger?.info(`datasets: swept ${dropped.length} leftovers: ${dropped.join(', ')}`);
    return { dropped };
  }

  private async sweepAndRequeue(): Promise<{ requeueAfterMs: number }> {
    await this.sweep();
    return { requeueAfterMs: this.options.resyncMs ?? 5 * 60_000 };
  }

  /** The environment's clone of the dataset: the one it has, one from the pool, or one made now. */
  private async cloneFor(env: { id: string; workspace: string; app: string }, dataset: DatasetRef): Promise<{ clone: CloneRow; how: 'kept' | 'pool' | 'on-demand' }> {
    const { store } = this.options;
    let row = await store.get(env.workspace, env.app, dataset.name);
    if (row) {
      const kept = (await store.clonesOf(env.id)).find((c) => c.dataset_id === row!.id && c.state === 'attached');
      if (kept) return { clone: kept, how: 'kept' };
    }
    const key = keyOf(env.workspace, env.app, dataset.name);
    if (!row || !row.golden_database) {
      // Never made yet (a new application): make it now and wait for it.
      await this.worker.settle(key);
      row = await store.get(env.workspace, env.app, dataset.name);
    }
    if (!row) throw new Error('the application defines no such dataset (register its manifest)');
    const claimed = row.golden_database ? await store.claimReady(row.id, row.generation, env.id) : undefined;
    if (claimed) {
      this.worker.enqueue(key);
      return { clone: claimed, how: 'pool' };
    }
    if (!row.golden_database || row.state === 'failed') throw new Error(row.reason ?? `its golden copy is ${row.state}`);
    const clone = await this.makeClone(row, env.id);
    this.worker.enqueue(key);
    return { clone, how: 'on-demand' };
  }

  private async reconcile(key: string): Promise<{ requeueAfterMs: number } | undefined> {
    const { store } = this.options;
    const [workspace, app, name] = splitKey(key);
    const defined = (await this.defined()).find((d) => d.workspace === workspace && d.app === app && d.definition.name === name);
    let row = await store.get(workspace, app, name);
    if (!defined) {
      if (row) this.worker.enqueue(SWEEP_KEY);
      return undefined;
    }
    const definitionJson = JSON.stringify(defined.definition);
    const hash = goldenHash(defined.definition);
    const now = new Date().toISOString();
    if (!row) {
      await store.insert({
        id: randomUUID(), workspace, app, name, definition_json: definitionJson, definition_hash: hash, state: 'pending', reason: null, generation: 0,
        golden_database: null, golden_hash: null, golden_at: null, refresh_requested_at: null, created_at: now, updated_at: now,
      });
      row = (await store.get(workspace, app, name))!;
    } else if (row.definition_json !== definitionJson) {
      await store.update(row.id, { definition_json: definitionJson, definition_hash: hash });
      row = { ...row, definition_json: definitionJson, definition_hash: hash };
    }
    const definition = defined.definition;
    const cron = definition.refresh ? datasetRefreshSchedule(definition.refresh).value : undefined;
    const due = cron && row.golden_at ? nextCronTime(cron, new Date(row.golden_at)) : undefined;
    const rebuild = !row.golden_database || row.golden_hash !== hash || row.refresh_requested_at !== null || (due !== undefined && due.getTime() <= Date.now());
    if (rebuild) {
      const built = await this.buildGolden(row, defined);
      if (!built) return { requeueAfterMs: 60_000 };
      row = built;
    }
    // Clones of an older golden copy that no environment holds are replaced.
    for (const clone of await store.clones(row.id)) if (clone.state === 'ready' && clone.generation < row.generation) await this.dropClone(clone);
    try {
      for (;;) {
        const ready = (await store.clones(row.id)).filter((c) => c.state === 'ready' && c.generation === row.generation).length;
        if (ready >= definition.poolSize) break;
        await this.makeClone(row);
      }
      if (row.state !== 'ready' || row.reason) await store.update(row.id, { state: 'ready', reason: null });
    } catch (error) {
      await store.update(row.id, { state: 'ready', reason: `refilling the pool: ${(error as Error).message}` });
      return { requeueAfterMs: 30_000 };
    }
    const next = cron ? nextCronTime(cron, new Date(row.golden_at ?? Date.now())) : undefined;
    return next ? { requeueAfterMs: Math.max(1_000, next.getTime() - Date.now()) } : undefined;
  }

  /** Makes the dataset's next golden copy; on failure records the reason and keeps the previous one's clones. */
  private async buildGolden(row: DatasetRow, defined: DefinedDataset): Promise<DatasetRow | undefined> {
    const { store, server } = this.options;
    const generation = row.generation + 1;
    const golden = `${goldenPrefix(row.id)}${generation}`;
    await store.update(row.id, { state: 'building', reason: null });
    this.options.logger?.info(`dataset ${row.workspace}/${row.app}/${row.name}: making golden copy ${golden}`);
    try {
      const source = await this.sourceOf(defined);
      await server.createGolden(golden, source, defined.definition.transform);
    } catch (error) {
      const reason = error instanceof DatasetServerError ? error.message : `making the golden copy: ${(error as Error).message}`;
      // An older golden copy still serves: environments keep getting its clones meanwhile.
      await store.update(row.id, { state: row.golden_database && row.golden_hash === goldenHash(defined.definition) ? 'ready' : 'failed', reason, refresh_requested_at: null });
      this.options.logger?.error(`dataset ${row.workspace}/${row.app}/${row.name}: ${reason}`);
      return undefined;
    }
    const at = new Date().toISOString();
    await store.update(row.id, { state: 'ready', reason: null, generation, golden_database: golden, golden_hash: goldenHash(defined.definition), golden_at: at, refresh_requested_at: null });
    if (row.golden_database) await server.dropDatabase(row.golden_database).catch(() => undefined);
    return (await store.get(row.workspace, row.app, row.name))!;
  }

  /** A new clone of the dataset's golden copy: ready in the pool, or attached to `environmentId`. */
  private async makeClone(row: DatasetRow, environmentId?: string): Promise<CloneRow> {
    const { store, server, box } = this.options;
    const id = randomUUID();
    const name = `${OWNED_PREFIX}${datasetTag(row.id)}_${randomBytes(5).toString('hex')}`;
    const password = randomBytes(24).toString('base64url');
    const at = new Date().toISOString();
    // Written first: a crash from here on leaves a row the sweep finds.
    const clone: CloneRow = {
      id, dataset_id: row.id, database_name: name, role_name: name, sealed_password: box.seal(password, cloneIdentity(id)),
      generation: row.generation, state: 'creating', environment_id: environmentId ?? null, created_at: at, attached_at: null,
    };
    await store.insertClone(clone);
    try {
      await server.createClone(row.golden_database!, name, name, password);
    } catch (error) {
      await this.dropClone(clone).catch(() => undefined);
      throw error;
    }
    const done = environmentId ? { state: 'attached', attached_at: new Date().toISOString() } : { state: 'ready' };
    await store.updateClone(id, done);
    return { ...clone, ...done };
  }

  private async dropClone(clone: CloneRow): Promise<void> {
    await this.options.server.dropClone(clone.database_name, clone.role_name);
    await this.options.store.deleteClone(clone.id);
  }

  private connectionOf(clone: CloneRow): CloneConnection {
    return this.options.server.connection(clone.database_name, clone.role_name, this.options.box.open(clone.sealed_password, cloneIdentity(clone.id)));
  }

  private async sourceOf(defined: DefinedDataset): Promise<GoldenSource> {
    const source = defined.definition.source!;
    if ('url' in source) {
      const url = await this.options.revealSecret(defined.workspace, source.url.secret);
      if (url === undefined) throw new DatasetServerError(`its source URL is read from secret ${source.url.secret}, which is not set in workspace ${defined.workspace}; set it with \`slipway secrets set ${source.url.secret}\``, 'failed');
      let value = url;
      if (source.url.key) {
        try {
          value = (JSON.parse(url) as Record<string, string>)[source.url.key] ?? '';
        } catch {
          value = '';
        }
      }
      if (!/^postgres(ql)?:\/\//.test(value)) throw new DatasetServerError(`secret ${secretKey(source.url)} does not hold a postgres:// URL`, 'failed');
      return { url: value };
    }
    if (isAbsolute(source.file)) return { file: source.file };
    const repository = defined.repositoryUrl;
    if (!repository || !isAbsolute(repository) || !existsSync(repository) || !statSync(repository).isDirectory()) {
      throw new DatasetServerError(`its source file ${source.file} is relative to the repository, which is not a directory on this server (${repository ?? 'none'}); give an absolute path`, 'failed');
    }
    return { file: resolve(join(repository, source.file)) };
  }

  /** Every dataset the applications' current manifests define. */
  private async defined(): Promise<DefinedDataset[]> {
    const out: DefinedDataset[] = [];
    for (const m of await this.options.store.currentManifests()) {
      const parsed = applicationManifest.safeParse(JSON.parse(m.manifestJson));
      if (!parsed.success) continue;
      for (const definition of definedDatasets(parsed.data.spec)) out.push({ workspace: m.workspace, app: m.app, definition, ...(m.repositoryUrl ? { repositoryUrl: m.repositoryUrl } : {}) });
    }
    return out;
  }
}

/** A dataset as the API shows it, from its rows alone (no dataset server needed). */
export async function datasetView(store: DatasetStore, row: DatasetRow): Promise<DatasetView> {
  const definition = JSON.parse(row.definition_json) as DatasetRef;
  const clones = await store.clones(row.id);
  const cron = definition.refresh ? datasetRefreshSchedule(definition.refresh).value : undefined;
  const next = cron && row.golden_at ? nextCronTime(cron, new Date(row.golden_at)) : undefined;
  const count = (state: string) => clones.filter((c) => c.state === state).length;
  return {
    workspace: row.workspace,
    app: row.app,
    name: row.name,
    state: row.state,
    ...(row.reason ? { reason: row.reason } : {}),
    source: definition.source ? ('url' in definition.source ? `the PostgreSQL URL in secret ${definition.source.url.secret}` : `file ${definition.source.file}`) : 'none',
    poolSize: definition.poolSize,
    optional: definition.optional,
    ...(definition.refresh ? { refresh: definition.refresh } : {}),
    ...(next ? { nextRefreshAt: next.toISOString() } : {}),
    generation: row.generation,
    ...(row.golden_at ? { goldenAt: row.golden_at } : {}),
    ready: count('ready'),
    attached: count('attached'),
    creating: count('creating'),
    clones: clones.map((c) => ({
      database: c.database_name,
      state: c.state,
      generation: c.generation,
      createdAt: c.created_at,
      ...(c.environment_id ? { environmentId: c.environment_id } : {}),
      ...(c.attached_at ? { attachedAt: c.attached_at } : {}),
    })),
  };
}

/** The values of a dataset's connection variables by secret key: a clone's, or empty ones. */
function variableValues(dataset: string, connection?: CloneConnection): SecretValues {
  const parts: Record<(typeof datasetVariableParts)[number], string> = {
    URL: connection?.url ?? '',
    HOST: connection?.host ?? '',
    PORT: connection ? String(connection.port) : '',
    NAME: connection?.database ?? '',
    USER: connection?.user ?? '',
    PASSWORD: connection?.password ?? '',
  };
  return Object.fromEntries(datasetVariableParts.map((part) => [secretKey(datasetSecretRef(dataset, part)), parts[part]]));
}

function goldenHash(definition: DatasetRef): string {
  return createHash('sha256').update(JSON.stringify([definition.source, definition.transform ?? null])).digest('hex').slice(0, 16);
}

/** The part of every name of a dataset's databases and roles that says whose they are. */
function datasetTag(datasetId: string): string {
  return datasetId.replace(/-/g, '').slice(0, 8);
}

function goldenPrefix(datasetId: string): string {
  return `${OWNED_PREFIX}${datasetTag(datasetId)}_golden_`;
}

function cloneIdentity(id: string): string {
  return `dataset-clone:${id}`;
}

function keyOf(workspace: string, app: string, name: string): string {
  return `${workspace}/${app}/${name}`;
}

function splitKey(key: string): [string, string, string] {
  const [workspace = '', app = '', name = ''] = key.split('/');
  return [workspace, app, name];
}
