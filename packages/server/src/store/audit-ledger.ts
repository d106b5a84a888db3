import { hash as oneShotHash } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { auditKind, type AuditProblem, type KnownAuditKind } from '@slipway/contract';
import { InputError } from '@slipway/core';
import type { AuditEntriesTable, Database } from './database-schema.ts';
import { transact } from './transact.ts';

/** The previous hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a caller records; seq, time and the hashes are the ledger's. */
export interface AuditEntryInput {
  workspace: string;
  /** The user who acted (`principal.name`), or "slipway" for the server itself. */
  actor: string;
  /** `<subject kind>.<action>`: one of knownAuditKinds, or a new kind written the same way. */
  kind: KnownAuditKind | (string & {});
  /** What was acted on: a user name, a token id, a secret name, an environment id, a release id. */
  subject: string;
  /** Anything worth keeping, as JSON; never a secret value. */
  details?: Record<string, unknown>;
  /** Defaults to now. */
  at?: Date;
}

/**
 * Writes the audit entry of a change inside the change's transaction `tx`, given what the change
 * made: a store method that takes one calls it last, so a ledger that cannot take the entry rolls
 * the change back (AuditUnavailableError).
 */
export type AuditHook<T> = (tx: Kysely<Database>, result: T) => Promise<unknown>;

export interface AuditEntry {
  seq: number;
  at: string;
  workspace: string;
  actor: string;
  kind: string;
  subject: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/**
 * JSON with object keys sorted at every level and no spaces, so the same details always serialise
 * to the same text; undefined members are dropped, as JSON.stringify drops them.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const source = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(source)
        .sort()
        .filter((k) => source[k] !== undefined)
        .map((k) => [k, sortKeys(source[k])]),
    );
  }
  return value;
}

/** The fields an entry's hash covers, as stored. */
export interface HashedFields {
  seq: number;
  at: string;
  workspace: string;
  actor: string;
  kind: string;
  subject: string;
  detailsJson: string;
  prevHash: string;
}

/**
 * SHA-256 (hex) of an entry's canonical serialisation: the JSON array
 * `[seq, at, workspace, actor, kind, subject, detailsJson, prevHash]`, where detailsJson is the
 * canonical JSON text of the details. Anyone can recompute it from an exported line.
 */
export function auditEntryHash(fields: HashedFields): string {
  const canonical = JSON.stringify([fields.seq, fields.at, fields.workspace, fields.actor, fields.kind, fields.subject, fields.detailsJson, fields.prevHash]);
  return oneShotHash('sha256', canonical, 'hex');
}

/**
 * Appends an entry to the ledger and returns it. Given a transaction, the entry is written in it
 * (and is gone if it rolls back); given the database, in a transaction of its own.
 *
 * Appends serialise on the ledger's head row: the first statement locks it (PostgreSQL's row lock,
 * SQLite's write lock) and reads the previous hash, so concurrent appends chain one after the other.
 * The lock is held until the transaction ends: inside a longer transaction, record last.
 */
export async function recordAudit(db: Kysely<Database>, entry: AuditEntryInput): Promise<AuditEntry> {
  if (!auditKind.safeParse(entry.kind).success) throw new InputError(`audit kind ${JSON.stringify(entry.kind)}: expected <subject>.<action> in lowercase, such as secret.set`);
  try {
    return await transact(db, (tx) => append(tx, entry));
  } catch (error) {
    throw error instanceof AuditUnavailableError ? error : new AuditUnavailableError(error);
  }
}

/**
 * The ledger could not take an entry, so the change it was to record must not stand: thrown by
 * recordAudit inside the change's transaction, it rolls the change back, and the API answers 503
 * audit_unavailable with the reason.
 */
export class AuditUnavailableError extends Error {
  constructor(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`the change was not made: the audit ledger cannot record it (${reason})`, { cause });
    this.name = 'AuditUnavailableError';
  }
}

async function append(tx: Kysely<Database>, entry: AuditEntryInput): Promise<AuditEntry> {
  const head = await tx
    .updateTable('audit_head')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1) }))
    .where('id', '=', 1)
    .returning(['last_seq', 'last_hash'])
    .executeTakeFirstOrThrow();
  const fields: HashedFields = {
    seq: Number(head.last_seq),
    at: (entry.at ?? new Date()).toISOString(),
    workspace: entry.workspace,
    actor: entry.actor,
    kind: entry.kind,
    subject: entry.subject,
    detailsJson: canonicalJson(entry.details ?? {}),
    prevHash: head.last_hash,
  };
  const hash = auditEntryHash(fields);
  // The head says which seq comes next; a row already there was put in behind the ledger's back.
  if (await tx.selectFrom('audit_entries').select('seq').where('seq', '=', fields.seq).executeTakeFirst()) {
    throw new Error(`audit ledger: entry ${fields.seq} exists, but the ledger head ends at ${fields.seq - 1}; it was inserted outside the ledger (slipway audit verify names it), and no entry can be added until it is removed`);
  }
  await tx
    .insertInto('audit_entries')
    .values({ seq: fields.seq, at: fields.at, workspace: fields.workspace, actor: fields.actor, kind: fields.kind, subject: fields.subject, details_json: fields.detailsJson, prev_hash: fields.prevHash, hash })
    .execute();
  await tx.updateTable('audit_head').set({ last_hash: hash }).where('id', '=', 1).execute();
  return { seq: fields.seq, at: fields.at, workspace: fields.workspace, actor: fields.actor, kind: fields.kind, subject: fields.subject, details: JSON.parse(fields.detailsJson) as Record<string, unknown>, prevHash: fields.prevHash, hash };
}

export interface AuditFilter {
  workspace: string;
  actor?: string;
  /** Kinds, each exact or a prefix ending in "*" (release.*). */
  kinds?: string[];
  /** ISO times: at or after `since`, before `until`. */
  since?: string;
  until?: string;
}

type AuditRow = Selectable<AuditEntriesTable>;

function entryOf(row: AuditRow): AuditEntry {
  return {
    seq: Number(row.seq),
    at: row.at,
    workspace: row.workspace,
    actor: row.actor,
    kind: row.kind,
    subject: row.subject,
    details: JSON.parse(row.details_json) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function filtered(db: Kysely<Database>, filter: AuditFilter) {
  let query = db.selectFrom('audit_entries').selectAll().where('workspace', '=', filter.workspace);
  if (filter.actor) query = query.where('actor', '=', filter.actor);
  if (filter.since) query = query.where('at', '>=', new Date(filter.since).toISOString());
  if (filter.until) query = query.where('at', '<', new Date(filter.until).toISOString());
  const kinds = filter.kinds?.filter((k) => k.length > 0) ?? [];
  if (kinds.length > 0) {
    query = query.where((eb) => eb.or(kinds.map((k) => (k.endsWith('*') ? eb('kind', 'like', `${k.slice(0, -1)}%`) : eb('kind', '=', k)))));
  }
  return query;
}

/** A page of a workspace's entries, newest first; `nextBefore` continues with older ones. */
export async function listAudit(db: Kysely<Database>, filter: AuditFilter & { before?: number; limit?: number }): Promise<{ items: AuditEntry[]; nextBefore?: number }> {
  const limit = filter.limit ?? 100;
  let query = filtered(db, filter);
  if (filter.before !== undefined) query = query.where('seq', '<', filter.before);
  const rows = await query.orderBy('seq', 'desc').limit(limit + 1).execute();
  const items = rows.slice(0, limit).map(entryOf);
  return rows.length > limit ? { items, nextBefore: items[items.length - 1]!.seq } : { items };
}

/** A workspace's entries oldest first, read in batches, for export. */
export async function* exportAudit(db: Kysely<Database>, filter: AuditFilter, batchSize = 1000): AsyncGenerator<AuditEntry> {
  let after = 0;
  for (;;) {
    const rows = await filtered(db, filter).where('seq', '>', after).orderBy('seq', 'asc').limit(batchSize).execute();
    for (const row of rows) yield entryOf(row);
    if (rows.length < batchSize) return;
    after = Number(rows[rows.length - 1]!.seq);
  }
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  headSeq: number;
  headHash: string;
  problems: AuditProblem[];
}

const MAX_PROBLEMS = 100;

/**
 * Walks the whole ledger in seq order, in batches (only the previous hash is kept in memory), and
 * checks that every entry's hash matches its fields, that each records the hash of the one before,
 * that seqs run without gaps, and that the last entry is the one the ledger head records. Each
 * problem names the entry: edited (fields changed), rewritten (changed and its hash recomputed: the
 * next entry or the head gives it away), deleted, inserted (beyond the head, or before the first).
 */
export async function verifyAudit(db: Kysely<Database>, options: { batchSize?: number; onBatch?: (checked: number) => void } = {}): Promise<AuditVerification> {
  const batchSize = options.batchSize ?? 5000;
  const problems: AuditProblem[] = [];
  const report = (problem: AuditProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
  };
  const readHead = async () => {
    const head = await db.selectFrom('audit_head').select(['last_seq', 'last_hash']).where('id', '=', 1).executeTakeFirst();
    return { seq: Number(head?.last_seq ?? 0), hash: head?.last_hash ?? GENESIS_HASH };
  };
  const batchAfter = (seq: number) => db.selectFrom('audit_entries').selectAll().where('seq', '>', seq).orderBy('seq', 'asc').limit(batchSize).execute();

  let lastSeq = 0;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  // The lowest 32-bit integer: PostgreSQL compares seq as one, and a forged entry may sit below 1.
  let afterSeq = -2_147_483_648;
  const check = (row: AuditRow) => {
    const seq = Number(row.seq);
    entries += 1;
    let gap = false;
    if (seq <= 0 || seq <= lastSeq) {
      report({ seq, problem: 'inserted', message: `entry ${seq} was inserted: seqs start at 1 and only increase` });
      return;
    }
    if (seq > lastSeq + 1) {
      gap = true;
      const missing = seq - 1 === lastSeq + 1 ? `entry ${lastSeq + 1} was` : `entries ${lastSeq + 1} to ${seq - 1} were`;
      report({ seq: lastSeq + 1, problem: 'deleted', message: `${missing} deleted: ${lastSeq === 0 ? 'the ledger starts' : `entry ${lastSeq} is followed`} at entry ${seq}` });
    }
    const computed = auditEntryHash({ seq, at: row.at, workspace: row.workspace, actor: row.actor, kind: row.kind, subject: row.subject, detailsJson: row.details_json, prevHash: row.prev_hash });
    if (computed !== row.hash) {
      report({ seq, problem: 'edited', message: `entry ${seq} was edited: its fields no longer match its hash` });
    } else if (!gap && row.prev_hash !== prevHash) {
      report({ seq: lastSeq, problem: 'rewritten', message: `entry ${lastSeq} was rewritten: its hash is not the one entry ${seq} recorded for it` });
    }
    lastSeq = seq;
    prevHash = row.hash;
  };

  let head: { seq: number; hash: string };
  for (;;) {
    const rows = await batchAfter(afterSeq);
    for (const row of rows) check(row);
    options.onBatch?.(entries);
    if (rows.length > 0) afterSeq = Number(rows[rows.length - 1]!.seq);
    if (rows.length === batchSize) continue;
    head = await readHead();
    if (head.seq <= lastSeq) break;
    // The head moved past what was read: appends committed meanwhile, or entries at the end are gone.
    const more = await batchAfter(afterSeq);
    if (more.length === 0) {
      const missing = head.seq === lastSeq + 1 ? `entry ${head.seq} was` : `entries ${lastSeq + 1} to ${head.seq} were`;
      report({ seq: lastSeq + 1, problem: 'deleted', message: `${missing} deleted: the ledger head records ${head.seq} entries, the last one left is ${lastSeq}` });
      break;
    }
    for (const row of more) check(row);
    afterSeq = Number(more[more.length - 1]!.seq);
  }
  if (lastSeq > head.seq) {
    const added = lastSeq === head.seq + 1 ? `entry ${lastSeq} was` : `entries ${head.seq + 1} to ${lastSeq} were`;
    report({ seq: head.seq + 1, problem: 'inserted', message: `${added} inserted outside the ledger: its head ends at entry ${head.seq}` });
  } else if (lastSeq === head.seq && lastSeq > 0 && head.hash !== prevHash) {
    report({ seq: lastSeq, problem: 'rewritten', message: `entry ${lastSeq} was rewritten: its hash is not the one the ledger head recorded for it` });
  }
  problems.sort((a, b) => a.seq - b.seq);
  return { ok: problems.length === 0, entries, headSeq: head.seq, headHash: head.hash, problems };
}
