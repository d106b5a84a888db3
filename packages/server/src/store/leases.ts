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

/**
 * Named leases in the store, so that one server process at a time drives an environment's
 * workflows even when several share a PostgreSQL. Acquire and renew are the same call.
 */
export class Leases {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly owner = leaseOwner(),
  ) {}

  /** Takes or renews the lease; false when another live owner holds it. */
  async acquire(name: string, ttlMs: number, now = new Date()): Promise<boolean> {
    const expires = new Date(now.getTime() + ttlMs).toISOString();
    return transact(this.db, async (tx) => {
      const current = await tx.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
      if (!current) {
        await tx.insertInto('leases').values({ name, owner: this.owner, expires_at: expires }).execute();
        return true;
      }
      const free = current.owner === this.owner || current.expires_at < now.toISOString() || ownerIsDeadHere(current.owner);
      if (!free) return false;
      const updated = await tx
        .updateTable('leases')
        .set({ owner: this.owner, expires_at: expires })
        .where('name', '=', name)
        .where('owner', '=', current.owner)
        .where('expires_at', '=', current.expires_at)
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) === 1;
    });
  }

  async release(name: string): Promise<void> {
    await this.db.deleteFrom('leases').where('name', '=', name).where('owner', '=', this.owner).execute();
  }
}
