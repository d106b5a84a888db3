import type { RouteChangeEvent, RouteTableEntry, RouteTableSnapshot } from '@slipway/contract';

// The router's view of every environment's routes. Lookups run on every request, so they are a
// Map hit on the exact host (plus, on a miss, one Map hit per label of the host for wildcards) and
// a scan of that host's few prefixes. Changes arrive one environment at a time and touch only the
// hosts that environment uses: the table is never rebuilt, so at 10,000 environments a deploy costs
// the same as at ten.

/** One path-prefix rule under a host, with the prefix pre-normalised for matching. */
interface PrefixRule {
  /** "" for the whole host, else "/api" (no trailing slash). */
  prefix: string;
  entry: RouteTableEntry;
}

export interface RouteMatch {
  entry: RouteTableEntry;
  /** The request path with the route's prefix removed (always starts with "/"); query kept. */
  pathAfterPrefix: string;
}

export interface RouteTableSize {
  routes: number;
  environments: number;
  hosts: number;
}

/**
 * Called when no route uses an upstream origin (its connection pool can be closed) or a host (its
 * metric series can be dropped) any more.
 */
export type ReleaseListener = (release: { kind: 'origin' | 'host'; key: string }) => void;

/** Lowercase, without port or trailing dot: what a Host header means for matching. */
export function normalizeHost(hostHeader: string): string {
  let host = hostHeader;
  if (host.startsWith('[')) {
    // IPv6 literal: [::1]:8080
    const end = host.indexOf(']');
    host = end === -1 ? host : host.slice(0, end + 1);
  } else {
    const colon = host.indexOf(':');
    if (colon !== -1) host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host.toLowerCase();
}

function normalizePrefix(pathPrefix: string): string {
  let prefix = pathPrefix;
  while (prefix.endsWith('/')) prefix = prefix.slice(0, -1);
  return prefix;
}

/** Whether `path` (query included) lies under `prefix` on a segment boundary. */
function underPrefix(path: string, prefix: string): boolean {
  if (prefix === '') return true;
  if (!path.startsWith(prefix)) return false;
  const next = path.charCodeAt(prefix.length);
  // end of path, "/", or "?"
  return Number.isNaN(next) || next === 47 || next === 63;
}

function environmentKey(app: string, envId: string): string {
  return `${app}/${envId}`;
}

export function originOf(address: { host: string; port: number }): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `http://${host}:${address.port}`;
}

export class RouteTable {
  /** Exact hosts → rules, longest prefix first. */
  private readonly exact = new Map<string, PrefixRule[]>();
  /** Wildcard suffixes ("example.com" for *.example.com) → rules, longest prefix first. */
  private readonly wildcard = new Map<string, PrefixRule[]>();
  /** Environment → the entries it put in, so an upsert or removal touches only its own hosts. */
  private readonly environments = new Map<string, RouteTableEntry[]>();
  /** How many routes reference each upstream origin; a pool is closed when its count drops to 0. */
  private readonly originRefs = new Map<string, number>();
  private readonly releaseListeners = new Set<ReleaseListener>();
  private routeCount = 0;
  private currentVersion = 0;

  /** The version of the last applied change event (0 before any). */
  get version(): number {
    return this.currentVersion;
  }

  get size(): RouteTableSize {
    return { routes: this.routeCount, environments: this.environments.size, hosts: this.exact.size + this.wildcard.size };
  }

  /**
   * Applies a change event from the route stream; returns whether it was applied. Changes whose
   * version is not newer than the table are ignored (a resumed stream may repeat some); a snapshot
   * always applies, being the whole truth, even if the control plane's versions started over.
   */
  apply(event: RouteChangeEvent): boolean {
    if (event.type !== 'snapshot' && event.version <= this.currentVersion) return false;
    switch (event.type) {
      case 'upsert-environment':
        this.upsertEnvironment(event.app, event.envId, event.routes);
        break;
      case 'remove-environment':
        this.removeEnvironment(event.app, event.envId);
        break;
      case 'snapshot':
        this.replaceAll(event.routes);
        break;
    }
    this.currentVersion = event.version;
    return true;
  }

  /** Replaces every route of one environment (an empty list removes it). */
  upsertEnvironment(app: string, envId: string, routes: readonly RouteTableEntry[]): void {
    const key = environmentKey(app, envId);
    const previous = this.environments.get(key);
    // Add before removing so an origin used by both the old and new routes keeps its pool.
    // Entries from the stream already name their environment: kept as they are, not copied (at
    // 100k routes the copies alone cost a snapshot load a fair share of its garbage collection).
    const added = routes.map((route) => (route.app === app && route.envId === envId ? route : { ...route, app, envId }));
    for (const entry of added) this.insert(entry);
    if (previous) for (const entry of previous) this.delete(entry);
    if (added.length > 0) this.environments.set(key, added);
    else this.environments.delete(key);
  }

  removeEnvironment(app: string, envId: string): void {
    this.upsertEnvironment(app, envId, []);
  }

  /**
   * Makes the table equal to a full snapshot by applying only the differences: environments
   * whose routes are unchanged are not touched, so their hosts never miss a request.
   */
  replaceAll(routes: readonly RouteTableEntry[]): void {
    const wanted = new Map<string, RouteTableEntry[]>();
    for (const route of routes) {
      const key = environmentKey(route.app, route.envId);
      const list = wanted.get(key);
      if (list) list.push(route);
      else wanted.set(key, [route]);
    }
    for (const [key, current] of [...this.environments]) {
      if (!wanted.has(key)) {
        const first = current[0]!;
        this.removeEnvironment(first.app, first.envId);
      }
    }
    for (const [key, list] of wanted) {
      const current = this.environments.get(key);
      if (current && JSON.stringify(current) === JSON.stringify(list)) continue;
      this.upsertEnvironment(list[0]!.app, list[0]!.envId, list);
    }
  }

  /** One environment's entries, or undefined when the table has none of it. */
  routesOf(app: string, envId: string): readonly RouteTableEntry[] | undefined {
    return this.environments.get(environmentKey(app, envId));
  }

  /** Every environment the table holds. */
  *environmentNames(): Generator<{ app: string; envId: string }> {
    for (const entries of this.environments.values()) yield { app: entries[0]!.app, envId: entries[0]!.envId };
  }

  /**
   * Records the version a snapshot that arrived in pieces (each applied with upsertEnvironment and
   * removeEnvironment) brought the table to. May go down, like a snapshot's.
   */
  setVersion(version: number): void {
    this.currentVersion = version;
  }

  /** The route for a request, or undefined. `hostHeader` may carry a port; `path` may carry a query. */
  lookup(hostHeader: string, path: string): RouteMatch | undefined {
    const host = normalizeHost(hostHeader);
    const rules = this.exact.get(host);
    const match = rules && matchRules(rules, path);
    if (match) return match;
    // Most specific wildcard first: a.b.example.com tries *.b.example.com, then *.example.com.
    let dot = host.indexOf('.');
    while (dot !== -1) {
      const wildcardRules = this.wildcard.get(host.slice(dot + 1));
      const wildcardMatch = wildcardRules && matchRules(wildcardRules, path);
      if (wildcardMatch) return wildcardMatch;
      dot = host.indexOf('.', dot + 1);
    }
    return undefined;
  }

  /** Whether any route names this host, to tell "unknown host" from "no route for this path". */
  servesHost(hostHeader: string): boolean {
    const host = normalizeHost(hostHeader);
    if (this.exact.has(host)) return true;
    for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.', dot + 1)) {
      if (this.wildcard.has(host.slice(dot + 1))) return true;
    }
    return false;
  }

  /** The whole table as a snapshot event, for the cache file a standalone router restarts from. */
  snapshot(): RouteTableSnapshot {
    const routes: RouteTableEntry[] = [];
    for (const list of this.environments.values()) routes.push(...list);
    return { type: 'snapshot', version: this.currentVersion, routes };
  }

  onRelease(listener: ReleaseListener): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  private released(kind: 'origin' | 'host', key: string): void {
    for (const listener of this.releaseListeners) listener({ kind, key });
  }

  private insert(entry: RouteTableEntry): void {
    const rule: PrefixRule = { prefix: normalizePrefix(entry.pathPrefix), entry };
    const [map, key] = this.bucketOf(entry.host);
    let rules = map.get(key);
    if (!rules) {
      rules = [];
      map.set(key, rules);
    }
    // Longest prefix first; among equal prefixes the newest first, so of two environments claiming
    // the same host and prefix the one changed last wins. Lists are a handful long.
    let index = 0;
    while (index < rules.length && rules[index]!.prefix.length > rule.prefix.length) index++;
    rules.splice(index, 0, rule);
    this.routeCount++;
    if (entry.target.kind === 'upstream') {
      for (const address of entry.target.addresses) {
        const origin = originOf(address);
        this.originRefs.set(origin, (this.originRefs.get(origin) ?? 0) + 1);
      }
    }
  }

  private delete(entry: RouteTableEntry): void {
    const [map, key] = this.bucketOf(entry.host);
    const rules = map.get(key);
    if (!rules) return;
    // From the end: when an environment re-publishes the very same entry object, the rule just
    // inserted (in front of its equals) stays and the older one goes.
    let index = rules.length - 1;
    while (index >= 0 && rules[index]!.entry !== entry) index--;
    if (index === -1) return;
    rules.splice(index, 1);
    if (rules.length === 0) {
      map.delete(key);
      this.released('host', entry.host);
    }
    this.routeCount--;
    if (entry.target.kind === 'upstream') {
      for (const address of entry.target.addresses) {
        const origin = originOf(address);
        const count = (this.originRefs.get(origin) ?? 1) - 1;
        if (count > 0) this.originRefs.set(origin, count);
        else {
          this.originRefs.delete(origin);
          this.released('origin', origin);
        }
      }
    }
  }

  private bucketOf(host: string): [Map<string, PrefixRule[]>, string] {
    const normalized = host.toLowerCase();
    return normalized.startsWith('*.') ? [this.wildcard, normalized.slice(2)] : [this.exact, normalized];
  }
}

function matchRules(rules: readonly PrefixRule[], path: string): RouteMatch | undefined {
  for (const rule of rules) {
    if (!underPrefix(path, rule.prefix)) continue;
    let rest = path.slice(rule.prefix.length);
    if (!rest.startsWith('/')) rest = `/${rest}`;
    return { entry: rule.entry, pathAfterPrefix: rest };
  }
  return undefined;
}
