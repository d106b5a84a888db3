import { createHash } from 'node:crypto';
import type { EnvironmentStatus, RenderedEnvironment } from '@slipway/contract';
import type { EnvironmentRef, RuntimeDriver } from '@slipway/core';
import type { EnvironmentStore, StoredEnvironment } from '../store/environments.ts';
import { KeyedWorker, type WorkerMetrics } from '../worker/keyed-worker.ts';
import { refOf } from '../workflows/environment-ref.ts';
import { environmentRoutes, type RoutePhase } from './environment-routes.ts';
import type { RouteHub } from './route-hub.ts';

// Publishes each environment's routes to the route hub from where its instances listen now — when
// something changed, never by scanning every environment on a clock:
//
// - a deploy publishes at its end (and placeholders at its start), and a teardown removes them;
// - a runtime that tells of instance changes (`RuntimeDriver.onInstanceChange`: an instance became
//   ready, unhealthy, crashed or stopped) queues that environment;
// - what another server changed (several servers on one PostgreSQL) shows in the store: the
//   environments whose row changed since the last look are queued, one cheap query every
//   `changesMs`;
// - a runtime that tells nothing (kubernetes, for now) has each of its environments looked at again
//   `pollMs` after the last time, a timer per environment;
// - a slow resync (`resyncMs`) queues every environment once more, a safety net for a missed event.
//
// Each is a reconcile(environment id) on the keyed worker, so an environment is refreshed once
// however many events arrive for it, and never while its deploy runs here (the deploy publishes).

export interface RoutePublisherOptions {
  store: EnvironmentStore;
  drivers: Readonly<Record<string, RuntimeDriver>>;
  routes: RouteHub;
  /** Whether this server is driving a deploy of the environment (its end publishes the routes). */
  deploying(environmentId: string): boolean;
  /** The safety-net resync of every environment's routes (default 15 minutes). */
  resyncMs?: number;
  /** How often the store is asked which environments changed (default 10 s). */
  changesMs?: number;
  /** How often an environment on a runtime without instance events is looked at (default 10 s). */
  pollMs?: number;
  logger?: { info(message: string): void; error(message: string): void };
}

/**
 * Environments whose routes follow their instances (a paused one's answer "paused" whatever its
 * instances do); one deploying or being deleted is its deploy's to publish.
 */
const ROUTED: readonly EnvironmentStatus[] = ['ready', 'failed', 'paused'];
/** How far back each look at the store's changes reaches before the last one: clocks of servers differ a little. */
const CHANGES_OVERLAP_MS = 5_000;

export class RoutePublisher {
  private readonly worker: KeyedWorker;
  /** A hash of the routes last published of each environment (by id): unchanged routes are not sent again. */
  private readonly published = new Map<string, string>();
  private readonly unsubscribers: (() => void)[] = [];
  private changesTimer?: NodeJS.Timeout;
  private changesSince = new Date().toISOString();
  private stopped = false;

  constructor(private readonly options: RoutePublisherOptions) {
    this.worker = new KeyedWorker({
      name: 'routes',
      reconcile: (id) => this.reconcile(id),
      keys: async () => (await options.store.listLive()).filter((env) => ROUTED.includes(env.status)).map((env) => env.id),
      resyncMs: options.resyncMs ?? 15 * 60_000,
      // The resync queues every environment at once: two at a time keep that burst from taking the CPU.
      concurrency: 2,
      resyncSkipsScheduled: true,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  /** Publishes every routed environment's routes (one query for all of them), then follows changes. */
  async start(): Promise<void> {
    this.changesSince = new Date(Date.now() - CHANGES_OVERLAP_MS).toISOString();
    for (const { environment, deploy } of await this.options.store.liveWithLastSourcedDeploy(ROUTED)) {
      await this.publish(environment, deploy.rendered, deploy.source?.staticRoots ?? {}).catch((error: Error) => this.options.logger?.error(`routes of ${environment.app}/${environment.envId}: ${error.message}`));
    }
    for (const [name, driver] of Object.entries(this.options.drivers)) {
      if (!driver.onInstanceChange) continue;
      this.unsubscribers.push(driver.onInstanceChange((env) => void this.instancesChanged(name, env)));
    }
    // The start lists every environment itself: the worker's first resync is `resyncMs` away.
    await this.worker.start();
    this.changesTimer = setInterval(() => void this.followChanges(), this.options.changesMs ?? 10_000);
    this.changesTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.changesTimer);
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    await this.worker.stop();
  }

  metrics(): WorkerMetrics {
    return this.worker.metrics();
  }

  /** Publishes the environment's routes from its instances now, when they changed (the spec and static roots of its last sourced deploy unless given). */
  async publish(env: StoredEnvironment, rendered?: RenderedEnvironment, staticRoots?: Record<string, string>): Promise<void> {
    let spec = rendered;
    let roots = staticRoots;
    if (!spec || !roots) {
      const last = await this.options.store.lastSourcedDeploy(env.id);
      if (!last) return;
      spec ??= last.rendered;
      roots ??= last.source?.staticRoots ?? {};
    }
    const driver = this.options.drivers[spec.runtime];
    if (!driver) return;
    const instances = await driver.instances(refOf(env));
    const routes = environmentRoutes(spec, instances, roots, phaseOf(env.status), { wake: env.wakeOnRequest === true });
    const hash = createHash('sha1').update(JSON.stringify(routes)).digest('base64');
    if (this.published.get(env.id) !== hash) {
      this.published.set(env.id, hash);
      this.options.routes.upsertEnvironment(env.app, env.envId, routes);
    }
    // A runtime that tells nothing of its instances is asked again after a while.
    if (!driver.onInstanceChange && !this.stopped) this.worker.enqueueAfter(env.id, this.options.pollMs ?? 10_000);
  }

  /**
   * Publishes the environment's routes as the store has it now, and queues it once more: a refresh
   * that started before the change (reading the status it had) runs again after, so it cannot leave
   * its stale routes last (a pause or resume calls this after writing the status).
   */
  async republish(env: StoredEnvironment): Promise<void> {
    await this.publish(env);
    if (!this.stopped) this.worker.enqueue(env.id);
  }

  /** A first setup: its hosts answer "deploying" (503) until its instances are ready, rather than not existing. */
  placeholders(env: StoredEnvironment, rendered: RenderedEnvironment): void {
    if (this.options.routes.routesOf(env.app, env.envId).length > 0) return;
    this.published.delete(env.id);
    this.options.routes.upsertEnvironment(env.app, env.envId, environmentRoutes(rendered, [], {}, 'deploying'));
  }

  /** The environment is being torn down: its hosts go at once. */
  remove(env: Pick<StoredEnvironment, 'id' | 'app' | 'envId'>): void {
    this.options.routes.removeEnvironment(env.app, env.envId);
    this.published.delete(env.id);
  }

  private async reconcile(id: string): Promise<void> {
    if (this.options.deploying(id)) return;
    const env = await this.options.store.getById(id);
    if (!env) return;
    if (env.deletedAt) {
      // Deleted by another server: its hosts go here too, unless the same name lives again already.
      if (!(await this.options.store.getLive(env.workspace, env.envId))) this.remove(env);
      return;
    }
    if (!ROUTED.includes(env.status)) return;
    await this.publish(env);
  }

  private async instancesChanged(runtime: string, ref: EnvironmentRef): Promise<void> {
    try {
      const env = await this.options.store.getLive(ref.workspace, ref.envId);
      if (env && env.app === ref.app) this.worker.enqueue(env.id);
    } catch (error) {
      this.options.logger?.error(`routes: instances of ${ref.app}/${ref.envId} on ${runtime} changed, and the environment could not be read: ${(error as Error).message}`);
    }
  }

  private async followChanges(): Promise<void> {
    if (this.stopped) return;
    const now = Date.now();
    try {
      const ids = await this.options.store.changedSince(this.changesSince);
      this.changesSince = new Date(now - CHANGES_OVERLAP_MS).toISOString();
      for (const id of ids) if (!this.options.deploying(id)) this.worker.enqueue(id);
    } catch (error) {
      this.options.logger?.error(`routes: reading which environments changed: ${(error as Error).message}`);
    }
  }
}

function phaseOf(status: EnvironmentStatus): RoutePhase {
  if (status === 'paused') return 'paused';
  return status === 'deploying' || status === 'queued' ? 'deploying' : 'running';
}
