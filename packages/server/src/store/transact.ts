import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database-schema.ts';

/**
 * Runs `work` in a transaction: the caller's, when `db` is one already (its writes then stand or
 * fall with the caller's — an audit entry with its change), else a new one. Store methods write
 * through this, never through db.transaction() directly, so that any of them can join a caller's.
 */
export function transact<T>(db: Kysely<Database>, work: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db);
  return db.transaction().execute((tx: Transaction<Database>) => work(tx));
}

/**
 * Runs `attempt` again, up to five times, when a unique constraint refused it — two servers
 * numbering at once — so the caller's whole transaction is retried, not a statement inside an
 * aborted one (PostgreSQL refuses any statement after a failed one in a transaction).
 */
export async function retryOnUniqueConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= 5 || !/unique|duplicate/i.test((error as Error).message)) throw error;
    }
  }
}
