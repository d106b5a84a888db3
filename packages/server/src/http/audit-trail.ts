import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { recordAudit, type AuditEntry, type AuditEntryInput } from '../store/audit-ledger.ts';
import type { Database } from '../store/database-schema.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The store the audit ledger lives in, for route handlers' auditRequest (buildApi provides it). */
    auditLedgerDb: Kysely<Database>;
  }
}

/** Makes auditRequest work in every route handler of the API. */
export function provideAuditTrail(app: FastifyInstance, db: Kysely<Database>): void {
  app.decorate('auditLedgerDb', db);
}

/**
 * Records what a request did in the audit ledger, as done by its caller in the workspace it acts
 * in. Call it once the change is made. Changes written in a transaction of their own record with
 * recordAudit(tx, …) inside it instead, so the entry and the change stand or fall together.
 */
export function auditRequest(request: FastifyRequest, entry: Omit<AuditEntryInput, 'workspace' | 'actor'>): Promise<AuditEntry> {
  const principal = request.principal!;
  return recordAudit(request.server.auditLedgerDb, { ...entry, workspace: principal.workspace, actor: principal.name });
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
