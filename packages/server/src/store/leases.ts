import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from './database-schema.ts';
import { transact } from './transact.ts';

/**
 * Who holds a lease: this host and process. A lease held by a process of this host that no longer
 * runs (a server killed with SIGKILL) is taken over at once instead of waiting for it to expire.
 */
export function leaseOwner(pid = process.pid): string {
  return `${hostname()}:${pid}`;
}

function ownerIsDeadHere(owner: string): boolean {
  const [host, pidText] = owner.split(':');
  if (host !== hostname() || !pidText) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A lease as its holder knows it: the epoch is the fencing token its writes show. */
export interface LeaseToken {
  name: string;
  owner: string;
  epoch: number;
}

/** A write was refused because its writer no longer holds the lease it showed (another server took it over). */
export class LeaseLostError extends Error {
  constructor(readonly lease: LeaseToken) {
    super(`lease ${lease.name} (epoch ${lease.epoch}) is no longer held by ${lease.owner}: another server took it over; nothing was written`);
    this.name = 'LeaseLostError';
  }
}

/** A time no lease runs until: what a released lease keeps, so its epoch is never reused. */
const RELEASED = new Date(0).toISOString();

/**
 * Named leases in the store, so that one server process at a time does a piece of work even when
 * several share a PostgreSQL. Each change of hands raises the lease's epoch; `fenced` runs a write
 * in a transaction that first checks the writer's epoch is still the lease's, so a server that lost
 * its lease (paused, partitioned, slow) cannot write over the new holder's work. Only the keyed
 * worker (worker/keyed-worker.ts) takes leases.
 */
export class Leases {
  constructor(
    private readonly db: Kysely<Database>,
    readonly owner = leaseOwner(),
  ) {}

  /** Takes or renews the lease; false when another live owner holds it. */
  async acquire(name: string, ttlMs: number, now = new Date()): Promise<boolean> {
    return (await this.take(name, ttlMs, now)) !== undefined;
  }

  /**
   * Takes the lease, or renews it when this owner holds it still: its token, or undefined when
   * another live owner holds it (or took it at the same moment).
   */
  async take(name: string, ttlMs: number, now = new Date()): Promise<LeaseToken | undefined> {
    const expires = new Date(now.getTime() + ttlMs).toISOString();
    try {
      return await transact(this.db, async (tx) => {
        const current = await tx.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
        if (!current) {
          await tx.insertInto('leases').values({ name, owner: this.owner, expires_at: expires, epoch: 1 }).execute();
          return { name, owner: this.owner, epoch: 1 };
        }
        const running = current.expires_at >= now.toISOString();
        if (current.owner === this.owner && running) {
          await tx.updateTable('leases').set({ expires_at: expires }).where('name', '=', name).where('owner', '=', this.owner).where('epoch', '=', current.epoch).execute();
          return { name, owner: this.owner, epoch: current.epoch };
        }
        if (running && !ownerIsDeadHere(current.owner)) return undefined;
        // Changes hands (or is taken again after it ran out): a new epoch, so the last holder's writes are refused.
        const epoch = current.epoch + 1;
        const updated = await tx
          .updateTable('leases')
          .set({ owner: this.owner, expires_at: expires, epoch })
          .where('name', '=', name)
          .where('owner', '=', current.owner)
          .where('epoch', '=', current.epoch)
          .executeTakeFirst();
        return Number(updated.numUpdatedRows) === 1 ? { name, owner: this.owner, epoch } : undefined;
      });
    } catch (error) {
      // Two servers inserting the first row at once: the one refused does not hold it.
      if (/unique|duplicate|busy|locked/i.test((error as Error).message)) return undefined;
      throw error;
    }
  }

  /** Extends the lease when the token is still the lease's (nobody took it over); false when it was lost. */
  async renew(token: LeaseToken, ttlMs: number, now = new Date()): Promise<boolean> {
    const updated = await this.db
      .updateTable('leases')
      .set({ expires_at: new Date(now.getTime() + ttlMs).toISOString() })
      .where('name', '=', token.name)
      .where('owner', '=', token.owner)
      .where('epoch', '=', token.epoch)
      .where('expires_at', '>', RELEASED)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  /**
   * Runs `work` in one transaction that first checks the token still holds the lease, and locks the
   * lease's row until it commits: a takeover waits for the write, or the write sees the takeover and
   * throws LeaseLostError having written nothing.
   */
  async fenced<T>(token: LeaseToken, work: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
    return transact(this.db, async (tx) => {
      await Leases.check(tx, token);
      return work(tx);
    });
  }

  /**
   * Inside a transaction another store opened: throws LeaseLostError unless the token still holds
   * the lease, and locks the lease's row until that transaction commits.
   */
  static async check(tx: Kysely<Database>, token: LeaseToken): Promise<void> {
    if (!tx.isTransaction) throw new Error(`checking lease ${token.name} outside a transaction would fence nothing: call it inside the write's transaction`);
    // An update that changes nothing takes the row's lock (PostgreSQL) or the database's write lock (SQLite).
    const held = await tx.updateTable('leases').set({ owner: token.owner }).where('name', '=', token.name).where('owner', '=', token.owner).where('epoch', '=', token.epoch).executeTakeFirst();
    if (Number(held.numUpdatedRows) !== 1) throw new LeaseLostError(token);
  }

  /** Who holds the lease and until when, as the store has it now. */
  async holder(name: string): Promise<{ owner: string; epoch: number; expiresAt: string } | undefined> {
    const row = await this.db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? { owner: row.owner, epoch: row.epoch, expiresAt: row.expires_at } : undefined;
  }

  /**
   * Gives the lease up, so another server may take it at once. The row stays (run out) and keeps
   * its epoch: whoever takes it next gets a higher one.
   */
  async release(lease: string | LeaseToken): Promise<void> {
    let query = this.db.updateTable('leases').set({ expires_at: RELEASED });
    if (typeof lease === 'string') query = query.where('name', '=', lease).where('owner', '=', this.owner);
    else query = query.where('name', '=', lease.name).where('owner', '=', lease.owner).where('epoch', '=', lease.epoch);
    await query.execute();
  }
}
