import type { Db } from '../store/database-schema.ts';

// What the release flow tells the audit ledger: every snapshot, release, approval, rejection,
// promotion, abort and rollback, with its actor. The ledger itself lives elsewhere; start-server
// passes a function that appends to it, and without one nothing is recorded.

export interface ReleaseAuditEntry {
  workspace: string;
  /** The user who acted, or "slipway" for the release controller. */
  actor: string;
  /** release.create, release.approve, release.reject, release.promote, release.abort, release.rollback, snapshot.create, … */
  kind: string;
  /** What was acted on: release #n, a snapshot alias, a set or track name. */
  subject: string;
  details?: Record<string, unknown>;
}

/**
 * Appends an entry; given the transaction `tx` of the change it records, inside it, so that the
 * change and its entry stand or fall together (a ledger that cannot take it rolls the change back).
 */
export type ReleaseAudit = (entry: ReleaseAuditEntry, tx?: Db) => Promise<void>;

export const noAudit: ReleaseAudit = async () => undefined;
