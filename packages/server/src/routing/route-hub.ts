import type { RouteChangeEvent, RouteTableEntry } from '@slipway/contract';

export type RouteListener = (event: RouteChangeEvent) => void;

/**
 * The control plane's side of the route table: the routes of every environment, the recent change
 * events, and the subscribers (the embedded router and the route stream of `slipway router`).
 *
 * Versions start from the clock in microseconds, so they keep increasing across server restarts: a
 * router that reconnects with a version this hub never issued gets a snapshot, never a wrong diff.
 */
export class RouteHub {
  private readonly environments = new Map<string, { app: string; envId: string; routes: RouteTableEntry[] }>();
  /** Which environment (its key in `environments`) serves each host: host checks answer in O(1). */
  private readonly hostOwners = new Map<string, string>();
  private readonly recent: RouteChangeEvent[] = [];
  private readonly listeners = new Set<RouteListener>();
  private currentVersion: number;

  constructor(
    private readonly options: { keepEvents?: number; now?: () => number } = {},
  ) {
    this.currentVersion = Math.floor((options.now ?? Date.now)() * 1000);
  }

  get version(): number {
    return this.currentVersion;
  }

  /** Replaces every route of one environment (an empty list removes it). */
  upsertEnvironment(app: string, envId: string, routes: RouteTableEntry[]): void {
    if (routes.length === 0) return this.removeEnvironment(app, envId);
    const key = `${app}/${envId}`;
    this.forgetHosts(key);
    this.environments.set(key, { app, envId, routes });
    for (const route of routes) this.hostOwners.set(route.host, key);
    this.publish({ type: 'upsert-environment', version: this.nextVersion(), app, envId, routes });
  }

  removeEnvironment(app: string, envId: string): void {
    const key = `${app}/${envId}`;
    this.forgetHosts(key);
    if (!this.environments.delete(key)) return;
    this.publish({ type: 'remove-environment', version: this.nextVersion(), app, envId });
  }

  /** Routes of one environment, as last published. */
  routesOf(app: string, envId: string): RouteTableEntry[] {
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

  snapshot(): Extract<RouteChangeEvent, { type: 'snapshot' }> {
    return { type: 'snapshot', version: this.currentVersion, routes: [...this.environments.values()].flatMap((e) => e.routes) };
  }

  /**
   * The events a subscriber that last applied `lastVersion` needs: the changes after it when they
   * are all still kept, else one snapshot.
   */
  eventsSince(lastVersion: number | undefined): RouteChangeEvent[] {
    if (lastVersion === this.currentVersion) return [];
    // Versions go up by one per event, so the kept events resume a subscriber exactly when the
    // first kept one follows, or precedes, what it last applied.
    const first = this.recent[0];
    if (lastVersion === undefined || lastVersion > this.currentVersion || !first || lastVersion < first.version - 1) return [this.snapshot()];
    return this.recent.filter((e) => e.version > lastVersion);
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
    this.recent.push(event);
    const keep = this.options.keepEvents ?? 1000;
    if (this.recent.length > keep) this.recent.splice(0, this.recent.length - keep);
    for (const listener of this.listeners) listener(event);
  }
}
