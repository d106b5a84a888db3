import type { RouteStreamEvent, RouteTableEntry } from '@slipway/contract';
import type { RouteTable } from './route-table.ts';

// Applies the route stream's events to a router's table while it serves traffic. A snapshot comes
// in chunks of whole environments; each chunk is applied as it arrives, environment by environment,
// and only where it differs from what the table holds, so a host that did not change never misses a
// request and nothing is rebuilt. The table keeps the version it had until `snapshot-end`, which
// also removes every environment the snapshot did not name. If the stream breaks half-way, the
// table is the old one with some environments already newer — and since every change replaces an
// environment whole, resuming from the old version (changes since, or a new snapshot) converges.

export type AppliedEvent =
  | { kind: 'change'; version: number }
  | { kind: 'stale' }
  | { kind: 'snapshot-begin'; version: number; environments: number; routes: number }
  | { kind: 'snapshot-chunk'; environments: number; written: number }
  | { kind: 'snapshot-end'; version: number; environments: number; written: number; removed: number; ms: number }
  | { kind: 'closing'; reason: string; version: number }
  | { kind: 'out-of-order'; problem: string };

export class RouteStreamApplier {
  private loading: { version: number; seen: Set<string>; written: number; startedAt: number; tableWasEmpty: boolean } | undefined;

  constructor(private readonly table: RouteTable) {}

  /** Whether a snapshot is half-way in. */
  get loadingSnapshot(): boolean {
    return this.loading !== undefined;
  }

  /** The connection broke: what came of a snapshot stays applied, the rest will come on resume. */
  reset(): void {
    this.loading = undefined;
  }

  apply(event: RouteStreamEvent): AppliedEvent {
    switch (event.type) {
      case 'upsert-environment':
      case 'remove-environment':
      case 'snapshot':
        return this.table.apply(event) ? { kind: 'change', version: event.version } : { kind: 'stale' };
      case 'snapshot-begin':
        // Into an empty table (a router's first start) nothing needs comparing or removing.
        this.loading = { version: event.version, seen: new Set(), written: 0, startedAt: performance.now(), tableWasEmpty: this.table.size.environments === 0 };
        return { kind: 'snapshot-begin', version: event.version, environments: event.environments, routes: event.routes };
      case 'snapshot-chunk':
        return this.applyChunk(event.version, event.routes);
      case 'snapshot-end':
        return this.finish(event.version, event.environments);
      case 'closing':
        return { kind: 'closing', reason: event.reason, version: event.version };
    }
  }

  private applyChunk(version: number, routes: readonly RouteTableEntry[]): AppliedEvent {
    const loading = this.loading;
    if (!loading || loading.version !== version) return { kind: 'out-of-order', problem: `a snapshot chunk of version ${version} outside its snapshot` };
    // A chunk holds whole environments, each one's routes next to each other.
    let written = 0;
    let environments = 0;
    for (let start = 0; start < routes.length; ) {
      const { app, envId } = routes[start]!;
      let end = start + 1;
      while (end < routes.length && routes[end]!.envId === envId && routes[end]!.app === app) end++;
      const list = start === 0 && end === routes.length ? routes : routes.slice(start, end);
      start = end;
      environments += 1;
      loading.seen.add(`${app}/${envId}`);
      const current = loading.tableWasEmpty ? undefined : this.table.routesOf(app, envId);
      if (current && JSON.stringify(current) === JSON.stringify(list)) continue;
      this.table.upsertEnvironment(app, envId, list);
      written += 1;
    }
    loading.written += written;
    return { kind: 'snapshot-chunk', environments, written };
  }

  private finish(version: number, environments: number): AppliedEvent {
    const loading = this.loading;
    this.loading = undefined;
    if (!loading || loading.version !== version) return { kind: 'out-of-order', problem: `the end of a snapshot of version ${version} that did not begin` };
    if (loading.seen.size !== environments) {
      // Something was lost in between: keep the old version so that the next connection corrects it.
      return { kind: 'out-of-order', problem: `the snapshot of version ${version} named ${environments} environments, ${loading.seen.size} arrived` };
    }
    const gone = loading.tableWasEmpty ? [] : [...this.table.environmentNames()].filter(({ app, envId }) => !loading.seen.has(`${app}/${envId}`));
    for (const { app, envId } of gone) this.table.removeEnvironment(app, envId);
    this.table.setVersion(version);
    return { kind: 'snapshot-end', version, environments, written: loading.written, removed: gone.length, ms: performance.now() - loading.startedAt };
  }
}
