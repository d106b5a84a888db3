// Watches repositories that send no webhooks — any git URL, or a local (bare) repository — by
// polling `git ls-remote` at an interval with jitter, for every application whose manifest says
// `repository.poll: true`. Each look is compared with the heads the previous one saw (kept in the
// store, so a restart neither repeats nor misses a change): a new or moved branch is a push, a
// vanished one a deletion, and the preview coordinator acts on each. A head is recorded only once
// its change was handled, so a platform fault is retried at the next look.

import { InputError } from '@slipway/core';
import { normalizeRepository, type Repositories } from '../git/repositories.ts';
import type { Leases } from '../store/leases.ts';
import { PreviewStore, type WatchedApplication } from '../store/previews.ts';
import { KeyedWorker, type ReconcileContext, type ReconcileResult, type WorkerMetrics } from '../worker/keyed-worker.ts';
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

/**
 * A reconcile(application id) on the keyed worker: each application is looked at on its own
 * jittered clock, under the `poll:<id>` lease (one server polls an application at a time when
 * several share a PostgreSQL), and the list of polled applications is read every interval to
 * find new ones.
 */
export class GitPoller implements SourceWatcher {
  readonly provider = 'git' as const;
  private readonly worker: KeyedWorker;
  /** Last problem per application, so a remote that stays unreachable is logged once, not every look. */
  private readonly problems = new Map<string, string>();

  constructor(private readonly options: GitPollerOptions) {
    this.worker = new KeyedWorker({
      name: 'poll',
      reconcile: (id, context) => this.poll(id, context),
      lease: { per: 'key', leases: options.leases, ttlMs: Math.max(30_000, 3 * options.intervalMs) },
      keys: async () => (await options.previews.applicationsWithRepository()).filter(polls).map((app) => app.id),
      resyncMs: options.intervalMs,
      resyncSkipsScheduled: true,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  start(): void {
    void this.worker.start().catch((error: Error) => this.options.logger?.error(`polling: ${error.message}`));
  }

  /** The poll queue's and leases' counters. */
  metrics(): WorkerMetrics {
    return this.worker.metrics();
  }

  /** Stops polling and waits for a look under way to end. */
  async stop(): Promise<void> {
    await this.worker.stop();
  }

  /** Looks at the application's repository once, then again after about an interval (not at all once it stops polling). */
  private async poll(id: string, context: ReconcileContext): Promise<ReconcileResult> {
    const app = (await this.options.previews.applicationsWithRepository()).find((a) => a.id === id);
    if (!app || !polls(app)) return undefined;
    await this.pollApplication(app, context).catch((error: Error) => this.problem(app, `polling ${app.repositoryUrl}: ${error.message}`));
    const spread = this.options.jitter ?? 0.2;
    return { requeueAfterMs: this.options.intervalMs * (1 - spread + 2 * spread * Math.random()) };
  }

  private async pollApplication(app: WatchedApplication, context: ReconcileContext): Promise<void> {
    const { previews, coordinator, repositories } = this.options;
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
      if (context.signal.aborted) return;
      await coordinator.handle(event, [app], `git poll: ${sha ? 'push to' : 'deletion of'} ${branch}`);
      // Recorded only while this server holds the application's lease: one that lost it leaves it to the new holder.
      await context.fenced((tx) => new PreviewStore(tx).setHead(app.id, branch, sha));
    }
  }

  private problem(app: WatchedApplication, message: string): void {
    if (this.problems.get(app.id) === message) return;
    this.problems.set(app.id, message);
    this.options.logger?.error(`${app.name}: ${message}`);
  }
}
