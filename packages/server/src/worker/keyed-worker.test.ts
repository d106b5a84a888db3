import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database-schema.ts';
import { LeaseLostError, Leases, type LeaseToken } from '../store/leases.ts';
import { openDatabase, type StoreDatabase } from '../store/open-database.ts';
import { testDatabases } from '../test-support/test-databases.ts';
import { KeyedWorker, type KeyedWorkerOptions, type Reconcile } from './keyed-worker.ts';

/** Resolves when `check` holds, polling every 10 ms; fails naming `what` after `ms`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A gate a reconcile waits at until the test opens it. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** Leases whose renewals fail while `cut` is set: a server cut off from the database for a while. */
class PartitionedLeases extends Leases {
  cut = false;
  override async renew(token: LeaseToken, ttlMs: number, now?: Date): Promise<boolean> {
    if (this.cut) throw new Error('connection to the database lost');
    return super.renew(token, ttlMs, now);
  }
}

const protection = (db: Kysely<Database>, envId: string, by: string) =>
  db.insertInto('environment_protections').values({ workspace: 'default', env_id: envId, marked_by: by, reason: 'test', marked_at: new Date().toISOString() }).execute();

describe('keyed worker, in memory', () => {
  const workers: KeyedWorker[] = [];
  const worker = (options: Partial<KeyedWorkerOptions> & Pick<KeyedWorkerOptions, 'reconcile'>) => {
    const created = new KeyedWorker({ name: 'test', baseBackoffMs: 20, ...options });
    workers.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });

  it('times every reconcile, failed ones too, in a cumulative histogram', async () => {
    const w = worker({
      reconcile: async (key) => {
        await sleep(key === 'slow' ? 60 : 0);
        if (key === 'fails') throw new Error('no');
      },
      maxBackoffMs: 60_000,
      baseBackoffMs: 60_000,
    });
    await w.start();
    for (const key of ['quick', 'slow', 'fails']) await w.settle(key);
    const { reconcileSeconds: h } = w.metrics();
    expect(h.count).toBe(3);
    expect(h.sum).toBeGreaterThanOrEqual(0.06);
    expect(h.buckets).toHaveLength(h.counts.length);
    // Cumulative: each bucket holds at least the one below it, and the slow run is above 50 ms.
    h.counts.forEach((count, i) => expect(count).toBeGreaterThanOrEqual(h.counts[i - 1] ?? 0));
    expect(h.counts[h.buckets.indexOf(0.05)]).toBe(2);
    expect(h.counts.at(-1)).toBe(3);
  });

  it('runs a key queued several times while it waits once, and once more when queued while it runs', async () => {
    const runs: string[] = [];
    const hold = gate();
    const w = worker({
      concurrency: 1,
      reconcile: async (key) => {
        runs.push(key);
        if (key === 'blocker') await hold.wait;
      },
    });
    await w.start();
    w.enqueue('blocker');
    for (let i = 0; i < 5; i++) w.enqueue('a');
    expect(w.metrics()).toMatchObject({ depth: 1, running: 1 });
    hold.open();
    await w.idle('blocker');
    await w.idle('a');
    expect(runs).toEqual(['blocker', 'a']);

    const again = gate();
    const w2 = worker({
      reconcile: async (key) => {
        runs.push(key);
        if (runs.filter((k) => k === key).length === 1) await again.wait;
      },
    });
    runs.length = 0;
    w2.enqueue('b');
    w2.enqueue('b');
    w2.enqueue('b');
    again.open();
    await until('b to settle', () => !w2.busy('b'));
    expect(runs).toEqual(['b', 'b']);
    expect(w2.metrics().runs).toBe(2);
  });

  it('never runs one key twice at once, while different keys run side by side', async () => {
    const active = new Map<string, number>();
    let most = 0;
    let together = 0;
    const w = worker({
      reconcile: async (key) => {
        active.set(key, (active.get(key) ?? 0) + 1);
        most = Math.max(most, active.get(key)!);
        together = Math.max(together, [...active.values()].reduce((a, b) => a + b, 0));
        await sleep(5 + Math.random() * 10);
        active.set(key, active.get(key)! - 1);
      },
    });
    for (let round = 0; round < 20; round++) {
      for (const key of ['x', 'y', 'z']) w.enqueue(key);
      await sleep(Math.random() * 8);
    }
    await until('every key to settle', () => !['x', 'y', 'z'].some((k) => w.busy(k)));
    expect(most).toBe(1);
    expect(together).toBeGreaterThan(1);
  });

  it('drains: resolves once nothing is queued or running, a key queued by a run included', async () => {
    const runs: string[] = [];
    const w = worker({
      concurrency: 1,
      reconcile: async (key) => {
        await sleep(10);
        runs.push(key);
        if (key === 'first') w.enqueue('queued by first');
      },
    });
    await w.start();
    w.enqueue('first');
    w.enqueue('second');
    w.enqueueAfter('later', 60_000);
    await w.drained();
    expect(runs).toEqual(['first', 'second', 'queued by first']);
    expect(w.metrics()).toMatchObject({ depth: 0, running: 0, delayed: 1 });
  });

  it('runs a failing key again after a backoff that doubles per failure, and resets it after a success', async () => {
    const at: number[] = [];
    const w = worker({
      baseBackoffMs: 40,
      reconcile: async () => {
        at.push(Date.now());
        if (at.length <= 3) throw new Error(`failure ${at.length}`);
      },
    });
    w.enqueue('k');
    await until('the fourth run', () => at.length === 4 && !w.busy('k'));
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(38);
    expect(gaps[1]).toBeGreaterThanOrEqual(78);
    expect(gaps[2]).toBeGreaterThanOrEqual(158);
    expect(w.metrics()).toMatchObject({ runs: 4, failures: 3, retries: 3, delayed: 0 });
    // The success forgot the failures: the next failure waits the first backoff again.
    at.length = 0;
    const failAgain: Reconcile = async () => {
      at.push(Date.now());
      if (at.length === 1) throw new Error('once more');
    };
    const w2 = worker({ baseBackoffMs: 40, reconcile: failAgain });
    w2.enqueue('k');
    await until('the retry', () => at.length === 2);
    expect(at[1]! - at[0]!).toBeLessThan(150);
  });

  it('runs a key again after the time its reconcile asks for, and not before; the earliest timer wins', async () => {
    const at: number[] = [];
    const w = worker({
      reconcile: async () => {
        at.push(Date.now());
        return at.length === 1 ? { requeueAfterMs: 150 } : undefined;
      },
    });
    w.enqueue('k');
    await sleep(100);
    expect(at).toHaveLength(1);
    expect(w.metrics().delayed).toBe(1);
    await until('the requeued run', () => at.length === 2);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(148);
    await sleep(200);
    expect(at).toHaveLength(2);
    expect(w.metrics()).toMatchObject({ delayed: 0, runs: 2 });

    w.enqueueAfter('k', 5_000);
    w.enqueueAfter('k', 50);
    w.enqueueAfter('k', 3_000);
    await until('the earliest timer', () => at.length === 3);
    expect(w.metrics().delayed).toBe(0);
  });

  it('queues every listed key at each resync, or with resyncSkipsScheduled only those not waiting on their own timer', async () => {
    const runs = { every: 0, own: 0 };
    const every = worker({ keys: async () => ['a'], resyncMs: 50, reconcile: async () => void runs.every++ });
    const own = worker({ keys: async () => ['a'], resyncMs: 50, resyncSkipsScheduled: true, reconcile: async () => (runs.own++, { requeueAfterMs: 10_000 }) });
    await every.start();
    await own.start();
    await sleep(300);
    expect(runs.every).toBeGreaterThanOrEqual(4);
    expect(runs.own).toBe(1);
  });
});

for (const database of testDatabases()) {
  describe.skipIf(database.skip !== undefined)(`keyed worker leases on ${database.name}${database.skip ? ` (skipped: ${database.skip})` : ''}`, () => {
    let store: StoreDatabase;
    let dispose: () => Promise<void>;
    const workers: KeyedWorker[] = [];

    beforeEach(async () => {
      const created = await database.create();
      dispose = created.dispose;
      store = await openDatabase(created.location);
    });
    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.stop()));
      await store.close();
      await dispose();
    });

    // Two servers sharing the database: each its own lease owner (on another host, so neither is taken for dead).
    const server = (name: string) => new PartitionedLeases(store.db, `host-${name}:1`);
    const worker = (options: KeyedWorkerOptions) => {
      const created = new KeyedWorker({ baseBackoffMs: 20, ...options });
      workers.push(created);
      return created;
    };

    it('gives a lease a higher epoch each time it changes hands, and refuses a stale holder’s write', async () => {
      const a = server('a');
      const b = server('b');
      const first = (await a.take('work', 100))!;
      expect(first.epoch).toBe(1);
      expect(await b.take('work', 100)).toBeUndefined();
      expect(await a.take('work', 100)).toEqual(first);
      await a.fenced(first, (tx) => protection(tx, 'one', 'a'));
      await sleep(150);
      const second = (await b.take('work', 1_000))!;
      expect(second).toMatchObject({ owner: 'host-b:1', epoch: 2 });
      expect(await a.renew(first, 100)).toBe(false);
      await expect(a.fenced(first, (tx) => protection(tx, 'two', 'a'))).rejects.toBeInstanceOf(LeaseLostError);
      await b.fenced(second, (tx) => protection(tx, 'three', 'b'));
      const rows = await store.db.selectFrom('environment_protections').select(['env_id', 'marked_by']).orderBy('env_id').execute();
      expect(rows).toEqual([
        { env_id: 'one', marked_by: 'a' },
        { env_id: 'three', marked_by: 'b' },
      ]);
      // Released, the lease is free at once, and its epoch is never reused.
      await b.release(second);
      expect((await a.take('work', 100))!.epoch).toBe(3);
    });

    it('takes a key over once the lease of a server that stopped answering runs out', async () => {
      const a = server('a');
      // Server a took the key's lease and died: nobody renews it.
      await a.take('deploys:env-1', 300);
      const runs: { key: string; epoch: number | undefined }[] = [];
      const b = worker({ name: 'deploys', lease: { per: 'key', leases: server('b'), ttlMs: 300 }, reconcile: async (key, ctx) => void runs.push({ key, epoch: ctx.lease?.epoch }) });
      await b.start();
      const queuedAt = Date.now();
      b.enqueue('env-1');
      await until('the refusal', () => b.metrics().leaseRefusals === 1);
      expect(runs).toEqual([]);
      await until('the takeover', () => runs.length === 1);
      expect(Date.now() - queuedAt).toBeGreaterThanOrEqual(250);
      expect(Date.now() - queuedAt).toBeLessThan(2_000);
      expect(runs).toEqual([{ key: 'env-1', epoch: 2 }]);
      // Nothing more queued: the lease is given up for whoever needs it next.
      await until('the lease to be given up', async () => (await a.holder('deploys:env-1'))?.expiresAt === new Date(0).toISOString());
    });

    it('refuses the writes of a server that lost its lease while its run went on, and lets the new holder write', async () => {
      const leasesA = server('a');
      const hold = gate();
      const refused: unknown[] = [];
      const reconcileA: Reconcile = async (key, ctx) => {
        await protection(store.db, `${key}-started-a`, 'a');
        await hold.wait;
        try {
          await ctx.fenced((tx) => protection(tx, `${key}-a`, 'a'));
        } catch (error) {
          refused.push(error);
          throw error;
        }
      };
      const a = worker({ name: 'deploys', lease: { per: 'key', leases: leasesA, ttlMs: 200 }, reconcile: reconcileA });
      const b = worker({ name: 'deploys', lease: { per: 'key', leases: server('b'), ttlMs: 200 }, reconcile: async (key, ctx) => void (await ctx.fenced((tx) => protection(tx, `${key}-b`, 'b'))) });
      await a.start();
      await b.start();
      a.enqueue('env-1');
      await until('a to run', async () => (await store.db.selectFrom('environment_protections').select('env_id').execute()).length === 1);
      // a is cut off: its renewals fail, its lease runs out, b takes the key over and does its work.
      leasesA.cut = true;
      await sleep(250);
      b.enqueue('env-1');
      await until('b to write', async () => (await store.db.selectFrom('environment_protections').select('env_id').where('env_id', '=', 'env-1-b').execute()).length === 1);
      // a comes back and tries to write what its run decided before it was cut off.
      leasesA.cut = false;
      hold.open();
      await until('a to be refused', () => refused.length === 1);
      expect(refused[0]).toBeInstanceOf(LeaseLostError);
      await until('a to settle', () => !a.busy('env-1'));
      expect(a.metrics()).toMatchObject({ fencedRefusals: 1, leaseLosses: 1, retries: 0 });
      const rows = await store.db.selectFrom('environment_protections').select('env_id').orderBy('env_id').execute();
      expect(rows.map((r) => r.env_id)).toEqual(['env-1-b', 'env-1-started-a']);
    });

    it('fences the writes a run makes deep in a controller, refusing them once the worker-wide lease changed hands', async () => {
      const leasesA = server('a');
      const hold = gate();
      const outcomes: string[] = [];
      // A controller's store call, several calls below the reconcile: it opens its own transaction and shows the run's lease there.
      const markDeep = (w: KeyedWorker, envId: string, by: string) =>
        store.db.transaction().execute(async (tx) => {
          await w.fence(tx);
          await protection(tx, envId, by);
        });
      const a: KeyedWorker = worker({
        name: 'releases',
        lease: { per: 'worker', name: 'releases:controller', leases: leasesA, ttlMs: 200, resync: async () => [] },
        reconcile: async (key) => {
          await markDeep(a, `${key}-before-a`, 'a');
          await hold.wait;
          await markDeep(a, `${key}-after-a`, 'a').then(
            () => outcomes.push('written'),
            (error: Error) => outcomes.push(error.name),
          );
        },
      });
      await a.start();
      await expect(store.db.transaction().execute((tx) => a.fence(tx))).rejects.toThrow(/outside any of its runs/);
      a.enqueue('r1');
      await until('a to write before the cut', async () => (await store.db.selectFrom('environment_protections').select('env_id').execute()).length === 1);
      leasesA.cut = true;
      await sleep(250);
      const b = worker({ name: 'releases', lease: { per: 'worker', name: 'releases:controller', leases: server('b'), ttlMs: 200, resync: async () => [] }, reconcile: async () => undefined });
      await b.start();
      expect(b.holdsLease).toBe(true);
      leasesA.cut = false;
      hold.open();
      await until('a’s late write to end', () => outcomes.length === 1);
      expect(outcomes).toEqual(['LeaseLostError']);
      expect((await store.db.selectFrom('environment_protections').select('env_id').execute()).map((r) => r.env_id)).toEqual(['r1-before-a']);
      expect(a.metrics().leaseLosses).toBe(1);
    });

    it('runs keys only on the holder of a worker-wide lease; another server takes over and resumes what was under way', async () => {
      const ran: string[] = [];
      const forwarded: string[] = [];
      const underWay = ['r1', 'r2'];
      const options = (name: string): KeyedWorkerOptions => ({
        name: 'releases',
        lease: { per: 'worker', name: 'releases:controller', leases: server(name), ttlMs: 300, resync: async () => underWay, elsewhere: (key) => forwarded.push(`${name}:${key}`) },
        reconcile: async (key) => void ran.push(`${name}:${key}`),
      });
      const a = worker(options('a'));
      await a.start();
      await until('a to resume what was under way', () => ran.length === 2);
      expect(ran.sort()).toEqual(['a:r1', 'a:r2']);
      const b = worker(options('b'));
      await b.start();
      expect(b.holdsLease).toBe(false);
      b.enqueue('r3');
      expect(forwarded).toEqual(['b:r3']);
      a.enqueue('r3');
      await until('a to run r3', () => ran.includes('a:r3'));
      // a stops: b takes the lease at its next renewal and resumes every release under way.
      await a.stop();
      ran.length = 0;
      await until('b to take over', () => ran.length === 2, 2_000);
      expect(ran.sort()).toEqual(['b:r1', 'b:r2']);
      expect(b.holdsLease).toBe(true);
    });
  });
}
