import type { RouteChangeEvent, RouteTableEntry } from '@slipway/contract';

export type RouteListener = (event: RouteChangeEvent) => void;
export type EnvironmentChange = Exclude<RouteChangeEvent, { type: 'snapshot' }>;

/** One environment's routes as last published, with the version of that change. Never mutated: replaced. */
export interface EnvironmentRoutes {
  readonly key: string;
  readonly app: string;
  readonly envId: string;
  readonly routes: readonly RouteTableEntry[];
  readonly version: number;
}

/** The whole table at one version, as a list of environments (shared, not copied: the hub replaces, never mutates). */
export interface RouteTableAt {
  version: number;
  environments: readonly EnvironmentRoutes[];
  routes: number;
}

/**
 * The control plane's side of the route table: the routes of every environment, and the
 * subscribers (the embedded router and each route stream of `slipway router`).
 *
 * It answers "what changed since version v" for any v it has seen, without keeping a log of every
 * change: each environment remembers the version of its last change, and each removed environment
 * a tombstone with the version of its removal. Since a change replaces an environment whole, the
 * changes after v are exactly the environments (and tombstones) newer than v, newest last. Only
 * tombstones are forgotten (beyond `rememberRemovals`, oldest first); a follower older than the
 * newest forgotten one gets a snapshot instead.
 *
 * Versions start from the clock in microseconds, so they keep increasing across server restarts: a
 * router that reconnects with a version this hub never issued gets a snapshot, never a wrong diff.
 */
export class RouteHub {
  /** Live environments in the order of their last change (re-inserted on change), so oldest first. */
  private readonly environments = new Map<string, EnvironmentRoutes>();
  /** Removed environments → the version of the removal, oldest first. */
  private readonly removed = new Map<string, { app: string; envId: string; version: number }>();
  /** Which environment (its key in `environments`) serves each host: host checks answer in O(1). */
  private readonly hostOwners = new Map<string, string>();
  private readonly listeners = new Set<RouteListener>();
  private currentVersion: number;
  /** Every change after this version is known; before it, removals may have been forgotten. */
  private horizon: number;

  constructor(
    private readonly options: { rememberRemovals?: number; now?: () => number } = {},
  ) {
    this.currentVersion = Math.floor((options.now ?? Date.now)() * 1000);
    this.horizon = this.currentVersion;
  }

  get version(): number {
    return this.currentVersion;
  }

  /** Replaces every route of one environment (an empty list removes it). */
  upsertEnvironment(app: string, envId: string, routes: RouteTableEntry[]): void {
    if (routes.length === 0) return this.removeEnvironment(app, envId);
    const key = `${app}/${envId}`;
    this.forgetHosts(key);
    const version = this.nextVersion();
    this.environments.delete(key);
    this.removed.delete(key);
    this.environments.set(key, { key, app, envId, routes, version });
    for (const route of routes) this.hostOwners.set(route.host, key);
    this.publish({ type: 'upsert-environment', version, app, envId, routes });
  }

  removeEnvironment(app: string, envId: string): void {
    const key = `${app}/${envId}`;
    this.forgetHosts(key);
    if (!this.environments.delete(key)) return;
    const version = this.nextVersion();
    this.removed.set(key, { app, envId, version });
    const keep = this.options.rememberRemovals ?? 100_000;
    while (this.removed.size > keep) {
      const [oldest, tombstone] = this.removed.entries().next().value!;
      this.removed.delete(oldest);
      this.horizon = tombstone.version;
    }
    this.publish({ type: 'remove-environment', version, app, envId });
  }

  /** Routes of one environment, as last published. */
  routesOf(app: string, envId: string): readonly RouteTableEntry[] {
    return this.environments.get(`${app}/${envId}`)?.routes ?? [];
  }

  /** Which environment serves a host, if any. */
  ownerOfHost(host: string): { app: string; envId: string } | undefined {
    const key = this.hostOwners.get(host);
    const env = key === undefined ? undefined : this.environments.get(key);
    return env ? { app: env.app, envId: env.envId } : undefined;
  }

  private forgetHosts(key: string): void {
    for (const route of this.environments.get(key)?.routes ?? []) if (this.hostOwners.get(route.host) === key) this.hostOwners.delete(route.host);
  }

  /** The whole table now. O(environments), sharing the environments' route lists. */
  table(): RouteTableAt {
    const environments = [...this.environments.values()];
    let routes = 0;
    for (const env of environments) routes += env.routes.length;
    return { version: this.currentVersion, environments, routes };
  }

  /** The whole table as one event (tests, and the embedded router's start). */
  snapshot(): Extract<RouteChangeEvent, { type: 'snapshot' }> {
    return { type: 'snapshot', version: this.currentVersion, routes: [...this.environments.values()].flatMap((e) => e.routes) };
  }

  /**
   * What a follower that holds `lastVersion` must apply to reach the current version: one change
   * per environment that changed since (its newest), oldest first; or undefined when the hub
   * cannot tell (no version, one it never issued, or older than the removals it still remembers):
   * that follower needs a snapshot.
   */
  changesSince(lastVersion: number | undefined): EnvironmentChange[] | undefined {
    if (lastVersion === undefined || lastVersion > this.currentVersion || lastVersion < this.horizon) return undefined;
    if (lastVersion === this.currentVersion) return [];
    const upserts: EnvironmentChange[] = [];
    for (const env of this.environments.values()) {
      if (env.version > lastVersion) upserts.push({ type: 'upsert-environment', version: env.version, app: env.app, envId: env.envId, routes: env.routes as RouteTableEntry[] });
    }
    const removals: EnvironmentChange[] = [];
    for (const tombstone of this.removed.values()) {
      if (tombstone.version > lastVersion) removals.push({ type: 'remove-environment', version: tombstone.version, app: tombstone.app, envId: tombstone.envId });
    }
    // Both lists are already in version order: merge them.
    const merged: EnvironmentChange[] = [];
    let u = 0;
    let r = 0;
    while (u < upserts.length || r < removals.length) {
      if (r >= removals.length || (u < upserts.length && upserts[u]!.version < removals[r]!.version)) merged.push(upserts[u++]!);
      else merged.push(removals[r++]!);
    }
    return merged;
  }

  subscribe(listener: RouteListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private nextVersion(): number {
    this.currentVersion += 1;
    return this.currentVersion;
  }

  private publish(event: RouteChangeEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
