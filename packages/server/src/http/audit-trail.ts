import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InputError } from '@slipway/core';
import { recordAudit, type AuditEntryInput, type AuditHook } from '../store/audit-ledger.ts';
import type { Db } from '../store/database-schema.ts';
import { transact } from '../store/transact.ts';
import { requireRole } from './authorize.ts';

// Every change the API makes writes its audit entry in the change's own transaction: the change
// and its entry stand or fall together, and a ledger that cannot take the entry (blocked, a store
// error) rolls the change back and answers 503 audit_unavailable. A route either hands its service
// an AuditHook (auditHook) that the service's write transaction calls last, or makes its change
// inside audited(). audit-coverage.test.ts calls every mutating route and counts the entries.

declare module 'fastify' {
  interface FastifyInstance {
    /** The store the audit ledger lives in, for route handlers' audit hooks (buildApi provides it). */
    auditLedgerDb: Db;
  }
}

/** Makes audited() and auditHook() work in every route handler of the API. */
export function provideAuditTrail(app: FastifyInstance, db: Db): void {
  app.decorate('auditLedgerDb', db);
}

/** An entry as a route writes it: the caller and workspace come from the request. */
export type RequestEntry = Omit<AuditEntryInput, 'workspace' | 'actor'>;

/** The entry of a request: done by its caller, in the workspace it acts in. */
export function requestEntry(request: FastifyRequest, entry: RequestEntry): AuditEntryInput {
  const principal = request.principal!;
  return { ...entry, workspace: principal.workspace, actor: principal.name };
}

/** An AuditHook for a service's write transaction: records what `entryOf` makes of the change. */
export function auditHook<T>(request: FastifyRequest, entryOf: (result: T) => RequestEntry): AuditHook<T> {
  return (tx, result) => recordAudit(tx, requestEntry(request, entryOf(result)));
}

/** Makes `change` and its audit entry in one transaction; the change sees the transaction as `tx`. */
export function audited<T>(request: FastifyRequest, change: (tx: Db) => Promise<T>, entryOf: (result: T) => RequestEntry): Promise<T> {
  return transact(request.server.auditLedgerDb, async (tx) => {
    const result = await change(tx);
    await recordAudit(tx, requestEntry(request, entryOf(result)));
    return result;
  });
}

/**
 * What a change of variables did, by name: values stay out of the ledger, which keeps everything
 * forever, in case one was a credential written as a plain variable.
 */
export function variableChanges(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): { set: string[]; unset: string[] } {
  return {
    set: Object.keys(after).filter((name) => before[name] !== after[name]).sort(),
    unset: Object.keys(before).filter((name) => !(name in after)).sort(),
  };
}

const MAX_REASON = 500;

/** The query parameter with which an admin breaks glass on a protected environment. */
export const breakGlassQuery = {
  type: 'object',
  properties: { breakGlass: { type: 'string', maxLength: MAX_REASON, description: 'admins only: change a protected environment anyway, for this reason (recorded as a break-glass audit entry)' } },
} as const;

/**
 * The break-glass of a request (`?breakGlass=<reason>`), when it asks for one: only admins may, and
 * only with a reason. Undefined when it does not ask.
 */
export function breakGlassOf(request: FastifyRequest): { reason: string } | undefined {
  const asked = (request.query as { breakGlass?: unknown } | undefined)?.breakGlass;
  if (asked === undefined) return undefined;
  const reason = typeof asked === 'string' ? asked.trim() : '';
  if (!reason) throw new InputError('breakGlass needs a reason: say why the protected environment must change outside a release, as in --break-glass "restore the database after incident 42"');
  if (reason.length > MAX_REASON) throw new InputError(`the break-glass reason is ${reason.length} characters; keep it within ${MAX_REASON}`);
  requireRole(request, 'admin');
  return { reason };
}

/**
 * The entry of a change, or — when it broke glass — its distinct break-glass entry
 * (`<subject>.break-glass`, the action and reason in its details), which the portal shows as such.
 */
export function withBreakGlass(entry: RequestEntry, breakGlass: { reason: string } | undefined): RequestEntry {
  if (!breakGlass) return entry;
  const [subject, action] = entry.kind.split('.') as [string, string];
  return { ...entry, kind: `${subject}.break-glass`, details: { action, reason: breakGlass.reason, ...entry.details } };
}
