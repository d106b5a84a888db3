// Watches repositories that send no webhooks — any git URL, or a local (bare) repository — by
// polling `git ls-remote` at an interval with jitter, for every application whose manifest says
// `repository.poll: true`. Each look is compared with the heads the previous one saw (kept in the
// store, so a restart neither repeats nor misses a change): a new or moved branch is a push, a
// vanished one a deletion, and the preview coordinator acts on each. A head is recorded only once
// its change was handled, so a platform fault is retried at the next look.

import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '@slipway/core';
import { normalizeRepository, type Repositories } from '../git/repositories.ts';
import type { Leases } from '../store/leases.ts';
import type { PreviewStore, WatchedApplication } from '../store/previews.ts';
import type { PreviewCoordinator, PreviewLogger } from './preview-coordinator.ts';
import type { SourceEvent, SourceWatcher } from './source-provider.ts';

export interface GitPollerOptions {
  previews: PreviewStore;
  coordinator: PreviewCoordinator;
  repositories: Repositories;
  leases: Leases;
  intervalMs: number;
  /** Spread of each wait around the interval, as a fraction (default 0.2: ±20%). */
  jitter?: number;
  logger?: PreviewLogger;
}

/** Whether the poller watches this application. */
export function polls(app: WatchedApplication): boolean {
  return app.manifest?.spec.repository?.poll === true;
}

export class GitPoller implements SourceWatcher {
  readonly provider = 'git' as const;
  private stopping = false;
  private loop?: Promise<void>;
  private readonly wake = new AbortController();
  private readonly held = new Set<string>();
  /** Last problem per application, so a remote that stays unreachable is logged once, not every look. */
  private readonly problems = new Map<string, string>();

  constructor(private readonly options: GitPollerOptions) {}

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    await this.loop;
    for (const name of this.held) await this.options.leases.release(name).catch(() => undefined);
    this.held.clear();
  }

  /** One look at every polled application's repository (tests call it directly). */
  async pollOnce(): Promise<void> {
    for (const app of (await this.options.previews.applicationsWithRepository()).filter(polls)) {
      if (this.stopping) return;
      await this.pollApplication(app).catch((error: Error) => this.problem(app, `polling ${app.repositoryUrl}: ${error.message}`));
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      await this.pollOnce().catch((error: Error) => this.options.logger?.error(`polling: ${error.message}`));
      const spread = this.options.jitter ?? 0.2;
      const wait = this.options.intervalMs * (1 - spread + 2 * spread * Math.random());
      await sleep(wait, undefined, { signal: this.wake.signal }).catch(() => undefined);
    }
  }

  private async pollApplication(app: WatchedApplication): Promise<void> {
    const { previews, coordinator, repositories, leases } = this.options;
    // One server polls an application at a time when several share a PostgreSQL.
    const lease = `poll:${app.id}`;
    if (!(await leases.acquire(lease, Math.max(30_000, 3 * this.options.intervalMs)))) return;
    this.held.add(lease);
    let heads;
    try {
      heads = await repositories.heads(app.repositoryUrl);
    } catch (error) {
      if (error instanceof InputError) return this.problem(app, error.message);
      throw error;
    }
    this.problems.delete(app.id);
    const repository = normalizeRepository(app.repositoryUrl);
    const seen = await previews.heads(app.id);
    // Deletions first: a branch renamed frees its environment id before its new name asks for one.
    const changes: { branch: string; sha?: string; event: SourceEvent }[] = [];
    for (const branch of seen.keys()) {
      if (!heads.branches.has(branch)) changes.push({ branch, event: { type: 'branch-deleted', provider: 'git', repository, branch } });
    }
    for (const [branch, sha] of heads.branches) {
      if (seen.get(branch) === sha) continue;
      changes.push({ branch, sha, event: { type: 'branch-pushed', provider: 'git', repository, branch, sha, ...(heads.defaultBranch ? { defaultBranch: heads.defaultBranch } : {}) } });
    }
    for (const { branch, sha, event } of changes) {
      if (this.stopping) return;
      await coordinator.handle(event, [app], `git poll: ${sha ? 'push to' : 'deletion of'} ${branch}`);
      await previews.setHead(app.id, branch, sha);
    }
  }

  private problem(app: WatchedApplication, message: string): void {
    if (this.problems.get(app.id) === message) return;
    this.problems.set(app.id, message);
    this.options.logger?.error(`${app.name}: ${message}`);
  }
}
