import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from '../store/database-schema.ts';
import { LeaseLostError, Leases, type LeaseToken } from '../store/leases.ts';

// The one keyed worker every controller runs on (client-go's work queue and controller-runtime's
// Reconcile(key) are the model). A controller is a `reconcile(key)`: it reads the desired state of
// its key from the store, acts once, records, and returns — asking, when it waits on the clock, to
// be run again after a while. The worker owns everything around it:
//
// - a key queued while it waits runs once; a key never runs twice at once in this process, and one
//   queued while it runs runs once more after;
// - a reconcile that throws runs again after a backoff that doubles per failure of that key (reset
//   by a success);
// - requeue-after timers, one per key (the earliest wins): an idle server wakes for the clock and
//   for events, never to scan;
// - a lease in the store, per key or one for the whole worker, renewed while held, with fencing:
//   the run's token goes with its writes (`fenced`), so a server that lost the lease writes nothing;
// - counters: queue depth, runs, failures, retries, lease gains, refusals and losses, and how long
//   reconciles take (a cumulative histogram, which the server's /metrics exposes per controller).

export interface ReconcileContext {
  key: string;
  /** The lease this run holds; undefined when the worker takes none. */
  lease: LeaseToken | undefined;
  /**
   * Runs `work` in one transaction that first checks the run still holds its lease, so nothing is
   * written by a server that lost it (it throws LeaseLostError instead, and the run ends there).
   */
  fenced<T>(work: (tx: Db) => Promise<T>): Promise<T>;
  /** The same check inside a transaction a store opened (ReleaseStore.transact): throws LeaseLostError when the lease was lost. */
  fence(tx: Db): Promise<void>;
  /** Aborted when the worker stops or the lease is lost: a long run stops at its next step. */
  signal: AbortSignal;
}

/** What a reconcile asks for: to be run again after a while (a soak ending, a health recheck). */
export type ReconcileResult = void | undefined | { requeueAfterMs?: number };

export type Reconcile = (key: string, context: ReconcileContext) => Promise<ReconcileResult>;

export type WorkerLease =
  /** A lease per key (`<name>:<key>`), taken for each run and given up when the key has nothing queued. */
  | { per: 'key'; leases: Leases; ttlMs?: number }
  /**
   * One lease for the worker (`name`), held while the worker runs: only its holder runs keys. When
   * it gains the lease, it queues every key `resync` lists (what the last holder left under way); a
   * key queued where the lease is not held goes to `elsewhere` (to wake the holder).
   */
  | { per: 'worker'; leases: Leases; name: string; ttlMs?: number; resync(): Promise<string[]>; elsewhere?(key: string): void };

export interface KeyedWorkerOptions {
  /** Names the worker in logs, metrics and per-key leases. */
  name: string;
  reconcile: Reconcile;
  lease?: WorkerLease;
  /** Most keys run at once (default: no limit; a deploy may run for minutes beside others). */
  concurrency?: number;
  /** First retry after a failure (default 1 s), doubling per failure of the key up to `maxBackoffMs` (default 5 minutes). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Lists every key and queues it, this often (none by default): a safety net for an event that
   * was missed, not how work is found.
   */
  resyncMs?: number;
  /** Keys to queue at each resync (and at start). */
  keys?(): Promise<string[]>;
  /**
   * Whether a resync leaves alone a key that waits for a timer already (default false): for
   * controllers that run each key on its own clock (a poll), the resync only finds new keys.
   */
  resyncSkipsScheduled?: boolean;
  /**
   * Whether `stop` waits for the runs under way (default true). A worker whose runs wait on work
   * outside the process (a managed workflow's step) leaves them: the next holder runs them again.
   */
  waitOnStop?: boolean;
  logger?: { info(message: string): void; error(message: string): void };
}

export interface WorkerMetrics {
  name: string;
  /** Keys waiting to run now. */
  depth: number;
  /** Keys running now. */
  running: number;
  /** Keys waiting for a requeue-after or backoff timer. */
  delayed: number;
  /** Reconciles run, failed (threw), and failed runs queued again after a backoff. */
  runs: number;
  failures: number;
  retries: number;
  /** Leases this worker took: per key, or the worker's own taken again after it had none. */
  leaseGains: number;
  /** Runs not started because another server holds the lease. */
  leaseRefusals: number;
  /** Leases this worker held and lost (renewal refused, or a fenced write refused). */
  leaseLosses: number;
  /** Writes refused by fencing. */
  fencedRefusals: number;
  /** How long reconciles took, whatever their outcome (runs refused a lease are not counted). */
  reconcileSeconds: ReconcileHistogram;
}

/** A cumulative histogram: `counts[i]` runs took at most `buckets[i]` seconds; `count` is every run. */
export interface ReconcileHistogram {
  buckets: readonly number[];
  counts: number[];
  sum: number;
  count: number;
}

/** Upper bounds, in seconds: from a store read (ms) to a deploy that waits minutes for readiness. */
export const RECONCILE_BUCKETS_SECONDS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

const DEFAULT_TTL_MS = 30_000;

export class KeyedWorker {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Map<string, { done: Promise<void>; abort: AbortController; lease?: LeaseToken }>();
  /** Keys queued while they ran: they run once more after. */
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  /** Per-key leases held between runs of a key queued again at once. */
  private readonly keyLeases = new Map<string, LeaseToken>();
  /** Per-key leases being given up: taking one again waits for it. */
  private readonly releasing = new Map<string, Promise<void>>();
  private workerLease?: LeaseToken;
  /** Until when the worker's lease runs as far as this server knows (its last take or renewal). */
  private workerLeaseUntil = 0;
  private readonly idleWaiters = new Map<string, (() => void)[]>();
  private started = false;
  private stopping = false;
  private leaseTimer?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  /** The run whose code is calling: what `fence` checks when a controller's deeper calls write. */
  private readonly current = new AsyncLocalStorage<ReconcileContext>();
  private readonly counters = { runs: 0, failures: 0, retries: 0, leaseGains: 0, leaseRefusals: 0, leaseLosses: 0, fencedRefusals: 0 };
  private readonly durations = { counts: RECONCILE_BUCKETS_SECONDS.map(() => 0), sum: 0, count: 0 };

  constructor(private readonly options: KeyedWorkerOptions) {}

  private get ttlMs(): number {
    return this.options.lease?.ttlMs ?? DEFAULT_TTL_MS;
  }

  /** Takes the worker's lease (when it has one), queues what there is to do, and starts its timers. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { lease } = this.options;
    if (lease) {
      if (lease.per === 'worker') await this.holdWorkerLease();
      // Held leases are renewed on their own clock, however long a run takes.
      this.leaseTimer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.ttlMs / 3)));
      this.leaseTimer.unref();
    }
    if (this.options.keys) {
      await this.resync();
      if (this.options.resyncMs) {
        this.resyncTimer = setInterval(() => void this.resync(), this.options.resyncMs);
        this.resyncTimer.unref();
      }
    }
  }

  /** Stops taking keys, waits for the runs under way (told to stop by their signal) and gives the leases up. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.leaseTimer);
    clearInterval(this.resyncTimer);
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    for (const run of this.running.values()) run.abort.abort();
    if (this.options.waitOnStop ?? true) await Promise.allSettled([...this.running.values()].map((r) => r.done));
    const { lease } = this.options;
    if (lease) {
      const held = [...this.keyLeases.values(), ...(this.workerLease ? [this.workerLease] : [])];
      this.keyLeases.clear();
      this.workerLease = undefined;
      await Promise.all(held.map((token) => lease.leases.release(token).catch(() => undefined)));
    }
    for (const key of [...this.idleWaiters.keys()]) this.wakeIdle(key);
  }

  /** Queues the key to run now: once, however often it is queued before it starts. */
  enqueue(key: string): void {
    if (this.stopping) return;
    const { lease } = this.options;
    if (lease?.per === 'worker' && this.started && !this.workerLease) {
      lease.elsewhere?.(key);
      return;
    }
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Queues the key after `ms`, unless it is due sooner already. */
  enqueueAfter(key: string, ms: number): void {
    this.enqueueAt(key, Date.now() + Math.max(0, ms));
  }

  /** Queues the key at `at` (epoch ms), unless a timer for it is due sooner already. */
  enqueueAt(key: string, at: number): void {
    if (this.stopping) return;
    const current = this.timers.get(key);
    if (current && current.at <= at && current.at > Date.now()) return;
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        this.enqueue(key);
      },
      Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1),
    );
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Whether the key is queued or running here. */
  busy(key: string): boolean {
    return this.queued.has(key) || this.running.has(key);
  }

  /** Whether this worker holds its worker-wide lease now (always true without one). */
  get holdsLease(): boolean {
    return this.options.lease?.per !== 'worker' || this.workerLease !== undefined;
  }

  /** Resolves once the key is neither queued nor running here. */
  idle(key: string): Promise<void> {
    if (!this.busy(key) || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.idleWaiters.get(key) ?? [];
      waiters.push(resolve);
      this.idleWaiters.set(key, waiters);
    });
  }

  /**
   * Resolves once nothing is queued or running here (keys waiting on a timer do not count): for
   * tests and a stop that lets the work under way end.
   */
  async drained(): Promise<void> {
    while (!this.stopping && (this.queue.length > 0 || this.running.size > 0)) {
      await Promise.allSettled([...this.running.values()].map((run) => run.done));
    }
  }

  /** Queues the key and resolves once it ran and nothing more is queued for it. */
  async settle(key: string): Promise<void> {
    this.enqueue(key);
    await this.idle(key);
  }

  /**
   * Checks, inside the write's transaction, that the run calling holds its lease still (throws
   * LeaseLostError when it lost it): for writes deep in a controller, without passing its context down.
   */
  async fence(tx: Db): Promise<void> {
    const context = this.current.getStore();
    if (!context) throw new Error(`a write fenced by worker ${this.options.name} was made outside any of its runs`);
    await context.fence(tx);
  }

  metrics(): WorkerMetrics {
    return {
      name: this.options.name,
      depth: this.queue.length,
      running: this.running.size,
      delayed: this.timers.size,
      ...this.counters,
      reconcileSeconds: { buckets: RECONCILE_BUCKETS_SECONDS, counts: [...this.durations.counts], sum: this.durations.sum, count: this.durations.count },
    };
  }

  private pump(): void {
    const limit = this.options.concurrency ?? Infinity;
    while (this.queue.length > 0 && this.running.size < limit && !this.stopping) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      const abort = new AbortController();
      const entry: { done: Promise<void>; abort: AbortController; lease?: LeaseToken } = { abort, done: Promise.resolve() };
      this.running.set(key, entry);
      entry.done = this.run(key, entry).finally(() => {
        this.running.delete(key);
        if (this.dirty.delete(key) && !this.stopping) {
          this.queued.add(key);
          this.queue.unshift(key);
        } else void this.afterLastRun(key);
        if (!this.busy(key)) this.wakeIdle(key);
        this.pump();
      });
    }
  }

  private async run(key: string, entry: { abort: AbortController; lease?: LeaseToken }): Promise<void> {
    const { lease } = this.options;
    let token: LeaseToken | undefined;
    if (lease?.per === 'worker') {
      token = this.workerLease;
      if (!token) {
        lease.elsewhere?.(key);
        return;
      }
    } else if (lease?.per === 'key') {
      token = await this.takeKeyLease(key, lease);
      if (!token) return;
    }
    entry.lease = token;
    const leases = lease?.leases;
    const context: ReconcileContext = {
      key,
      lease: token,
      signal: entry.abort.signal,
      fenced: (work) => (token && leases ? this.refusals(key, token, leases.fenced(token, work)) : Promise.reject(new Error(`worker ${this.options.name} takes no lease: a fenced write needs one`))),
      fence: (tx) => (token ? this.refusals(key, token, Leases.check(tx, token)) : Promise.reject(new Error(`worker ${this.options.name} takes no lease: a fenced write needs one`))),
    };
    this.counters.runs++;
    const started = performance.now();
    try {
      const result = await this.current.run(context, () => this.options.reconcile(key, context));
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.enqueueAfter(key, result.requeueAfterMs);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        // Another server holds the key's work now: it carries on, not this one.
        this.options.logger?.error(`${this.options.name} ${key}: ${error.message}`);
        return;
      }
      this.counters.failures++;
      if (this.stopping) return;
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      const delay = Math.min(this.options.maxBackoffMs ?? 300_000, (this.options.baseBackoffMs ?? 1_000) * 2 ** (failures - 1));
      this.options.logger?.error(`${this.options.name} ${key}: ${(error as Error).stack ?? (error as Error).message}; trying again in ${delay} ms`);
      this.counters.retries++;
      this.enqueueAfter(key, delay);
    } finally {
      this.observeRun((performance.now() - started) / 1000);
    }
  }

  private observeRun(seconds: number): void {
    const { durations } = this;
    durations.sum += seconds;
    durations.count++;
    RECONCILE_BUCKETS_SECONDS.forEach((bound, i) => {
      if (seconds <= bound) durations.counts[i]!++;
    });
  }

  /** A per-key lease: the one held since the key's last run, else taken now; when another server holds it, the key is tried again when that lease runs out. */
  private async takeKeyLease(key: string, lease: Extract<WorkerLease, { per: 'key' }>): Promise<LeaseToken | undefined> {
    const name = `${this.options.name}:${key}`;
    await this.releasing.get(key);
    const held = this.keyLeases.get(key);
    if (held) return held;
    let token: LeaseToken | undefined;
    try {
      token = await lease.leases.take(name, this.ttlMs);
    } catch (error) {
      this.options.logger?.error(`${this.options.name} ${key}: taking lease ${name}: ${(error as Error).message}`);
    }
    if (token) {
      this.keyLeases.set(key, token);
      this.counters.leaseGains++;
      return token;
    }
    this.counters.leaseRefusals++;
    // Should its holder die, the key is taken over within one lease period.
    const holder = await lease.leases.holder(name).catch(() => undefined);
    const until = holder ? Date.parse(holder.expiresAt) : Date.now() + this.ttlMs;
    this.enqueueAt(key, Math.min(until, Date.now() + this.ttlMs) + 50);
    return undefined;
  }

  /** Counts a write fencing refused, and lets go of the lease it showed: this server no longer holds it. */
  private async refusals<T>(key: string, token: LeaseToken, write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.counters.fencedRefusals++;
        this.lost(key, token);
      }
      throw error;
    }
  }

  /** Gives a key's lease up once it has nothing more queued. */
  private async afterLastRun(key: string): Promise<void> {
    const { lease } = this.options;
    const token = this.keyLeases.get(key);
    if (lease?.per !== 'key' || !token || this.busy(key) || this.stopping) return;
    this.keyLeases.delete(key);
    const released = lease.leases.release(token).catch(() => undefined);
    this.releasing.set(key, released);
    await released;
    if (this.releasing.get(key) === released) this.releasing.delete(key);
  }

  private lost(key: string | undefined, token: LeaseToken | undefined): void {
    if (!token) return;
    if (key !== undefined && this.keyLeases.get(key) === token) {
      this.keyLeases.delete(key);
      this.counters.leaseLosses++;
    }
    if (this.workerLease === token) {
      this.workerLease = undefined;
      this.counters.leaseLosses++;
      for (const run of this.running.values()) run.abort.abort();
    }
  }

  private async renewLeases(): Promise<void> {
    const { lease } = this.options;
    if (!lease || this.stopping) return;
    if (lease.per === 'worker') {
      await this.holdWorkerLease();
      return;
    }
    for (const [key, token] of [...this.keyLeases]) {
      const renewed = await lease.leases.renew(token, this.ttlMs).catch(() => false);
      if (renewed || this.keyLeases.get(key) !== token) continue;
      this.options.logger?.error(`${this.options.name} ${key}: lost lease ${token.name}; another server took it over`);
      this.lost(key, token);
      this.running.get(key)?.abort.abort();
    }
  }

  /** Takes or renews the worker's lease; gaining it queues what the last holder left. */
  private async holdWorkerLease(): Promise<void> {
    const lease = this.options.lease;
    if (lease?.per !== 'worker' || this.stopping) return;
    const before = this.workerLease;
    let token: LeaseToken | undefined;
    const asked = Date.now();
    try {
      token = before && (await lease.leases.renew(before, this.ttlMs)) ? before : await lease.leases.take(lease.name, this.ttlMs);
    } catch (error) {
      this.options.logger?.error(`${this.options.name}: lease ${lease.name}: ${(error as Error).message}`);
      // Cut off from the store for longer than the lease runs: another server may hold it now.
      if (before && Date.now() > this.workerLeaseUntil) this.lost(undefined, before);
      return;
    }
    if (token) this.workerLeaseUntil = asked + this.ttlMs;
    if (this.stopping) {
      if (token) await lease.leases.release(token).catch(() => undefined);
      return;
    }
    if (before && token?.epoch !== before.epoch) {
      this.options.logger?.error(`${this.options.name}: lost lease ${lease.name}${token ? ' and took it again' : '; another server took it over'}`);
      this.lost(undefined, before);
    }
    this.workerLease = token;
    if (token && token.epoch !== before?.epoch) {
      this.counters.leaseGains++;
      for (const key of await lease.resync().catch((error: Error) => {
        this.options.logger?.error(`${this.options.name}: listing work after taking lease ${lease.name}: ${error.message}`);
        return [] as string[];
      }))
        this.enqueue(key);
    }
  }

  private async resync(): Promise<void> {
    if (this.stopping || !this.options.keys || !this.holdsLease) return;
    try {
      for (const key of await this.options.keys()) {
        if (this.options.resyncSkipsScheduled && (this.busy(key) || this.timers.has(key))) continue;
        this.enqueue(key);
      }
    } catch (error) {
      this.options.logger?.error(`${this.options.name}: listing keys: ${(error as Error).message}`);
    }
  }

  private wakeIdle(key: string): void {
    const waiters = this.idleWaiters.get(key);
    if (!waiters) return;
    this.idleWaiters.delete(key);
    for (const wake of waiters) wake();
  }
}
