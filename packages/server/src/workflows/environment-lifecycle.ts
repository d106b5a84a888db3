import type { EnvironmentStore, StoredEnvironment } from '../store/environments.ts';
import type { Leases } from '../store/leases.ts';
import { KeyedWorker, type ReconcileContext, type ReconcileResult, type WorkerMetrics } from '../worker/keyed-worker.ts';
import type { EngineLogger, WorkflowEngine } from './workflow-engine.ts';

// The scheduler of environments' lives, as two controllers on the keyed worker instead of loops:
//
// - expiry: tears down ephemeral environments that expired or went idle. It runs when the next
//   deadline comes (the store says which is next), and when a deploy starts or an environment is
//   extended (a new or nearer deadline) — an idle server does not scan its environments. One
//   server at a time decides (the `environments:expiry` lease), and its teardowns are fenced by it.
// - sweep: removes runtime leftovers of environments that no longer exist, at start and every
//   `sweepMs`. Each server sweeps the runtimes it drives.

export interface EnvironmentLifecycleOptions {
  store: EnvironmentStore;
  engine: WorkflowEngine;
  leases: Leases;
  logger?: EngineLogger;
  /** How often the expiry deadlines are read again as a safety net (another server's new environment; default 60 s). */
  resyncMs?: number;
  /** How often runtime leftovers are swept (default 5 minutes; also at start). */
  sweepMs?: number;
  leaseMs?: number;
}

const EXPIRY_KEY = 'environments';
const SWEEP_KEY = 'runtimes';

export class EnvironmentLifecycle {
  private readonly expiry: KeyedWorker;
  private readonly sweeper: KeyedWorker;
  private unsubscribe?: () => void;

  constructor(private readonly options: EnvironmentLifecycleOptions) {
    this.expiry = new KeyedWorker({
      name: 'expiry',
      reconcile: (_key, context) => this.expire(context),
      lease: { per: 'worker', name: 'environments:expiry', leases: options.leases, ttlMs: options.leaseMs ?? 30_000, resync: async () => [EXPIRY_KEY] },
      keys: async () => [EXPIRY_KEY],
      resyncMs: options.resyncMs ?? 60_000,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.sweeper = new KeyedWorker({
      name: 'sweep',
      reconcile: async () => {
        await options.engine.sweep();
        return { requeueAfterMs: options.sweepMs ?? 5 * 60_000 };
      },
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  /** Starts both controllers; the engine's own start swept already, so the next sweep comes after `sweepMs`. */
  async start(): Promise<void> {
    // A deploy starting is an environment made, patched or reconfigured: its deadlines may be nearer.
    this.unsubscribe = this.options.engine.onDeploy((event) => {
      if (event.type === 'started') this.changed();
    });
    await this.expiry.start();
    this.sweeper.enqueueAfter(SWEEP_KEY, this.options.sweepMs ?? 5 * 60_000);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await Promise.all([this.expiry.stop(), this.sweeper.stop()]);
  }

  /** An environment's expiry or idle timeout changed: the deadlines are read again now. */
  changed(): void {
    this.expiry.enqueue(EXPIRY_KEY);
  }

  metrics(): WorkerMetrics[] {
    return [this.expiry.metrics(), this.sweeper.metrics()];
  }

  /** Tears down what expired or went idle, then waits for the next deadline. */
  private async expire(context: ReconcileContext): Promise<ReconcileResult> {
    const { store } = this.options;
    const now = new Date();
    for (const env of await store.expired(now)) await this.tearDown(context, env, 'scheduler (expired)', `expired at ${env.expiresAt}`);
    for (const env of await store.idle(now)) await this.tearDown(context, env, 'scheduler (idle)', `no deploy or request since ${env.lastActivityAt ?? env.createdAt}`);
    // Those due already were dealt with; one whose teardown waits (or failed) is looked at again when a deploy starts, or at the resync.
    const next = await store.nextLifecycleDeadline(now);
    return next === undefined ? undefined : { requeueAfterMs: Math.max(0, next - Date.now()) + 10 };
  }

  /** Queues the environment's teardown unless one is queued already, fenced by the expiry lease. */
  private async tearDown(context: ReconcileContext, env: StoredEnvironment, requestedBy: string, why: string): Promise<void> {
    const queued = await this.options.store.transact(async (store, tx) => {
      await context.fence(tx);
      return store.queueTeardown(env, requestedBy);
    });
    if (!queued?.queued) return;
    this.options.logger?.info(`${env.app}/${env.envId}: ${why}; tearing it down`);
    this.options.engine.kick(env.id);
  }
}
