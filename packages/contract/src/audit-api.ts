import { z } from 'zod';
import { nextCursor, pageQuery } from './pagination.ts';

// The audit ledger's entries and the answers of its endpoints (docs/security.md#audit-ledger).

// The kinds live in a module without zod, so the portal can show them without bundling zod.
export { auditReaderRole, knownAuditKinds, type KnownAuditKind } from './audit-kinds.ts';

export const auditKind = z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/, { message: 'expected a kind such as secret.set or release.approve' });

export const auditEntryResponse = z.object({
  seq: z.number().int().describe('position in the ledger, from 1, without gaps'),
  at: z.string().describe('ISO-8601 time'),
  workspace: z.string(),
  actor: z.string().describe('the user who acted, or "slipway" for the server itself'),
  kind: z.string(),
  subject: z.string().describe('what was acted on: a user, a token id, a secret name, an environment id, a release id'),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string().describe('hash of the entry before (64 zeros for the first)'),
  hash: z.string().describe('SHA-256 of this entry’s canonical form, which includes prevHash'),
});
export type AuditEntryResponse = z.infer<typeof auditEntryResponse>;

export const auditListResponse = z.object({
  items: z.array(auditEntryResponse).describe('newest first'),
  nextBefore: z.number().int().optional().describe('pass as before= for the next (older) page; absent on the last page'),
  nextCursor,
});
export type AuditListResponse = z.infer<typeof auditListResponse>;

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'expected an ISO-8601 time such as 2025-01-31T12:00:00Z' });

/** Filters of `GET /api/v1/audit` and `GET /api/v1/audit/export`, as query parameters. */
export const auditQuery = z.strictObject({
  actor: z.string().min(1).max(100).optional().describe('only entries by this user'),
  kind: z
    .string()
    .regex(/^[a-z0-9.*,-]+$/, { message: 'expected kinds such as secret.set, or a prefix with *: release.*; several separated by ","' })
    .optional()
    .describe('kinds, comma-separated; a trailing * matches a prefix (release.*)'),
  since: isoTime.optional().describe('entries at or after this time'),
  until: isoTime.optional().describe('entries before this time'),
  limit: pageQuery.shape.limit,
  cursor: pageQuery.shape.cursor,
  before: z.coerce.number().int().min(1).optional().describe('only entries with a smaller seq: the nextBefore of the previous page'),
  workspace: z.string().optional().describe('the workspace to act in (admins of it only); the token’s own when absent'),
});
export type AuditQuery = z.infer<typeof auditQuery>;

export const auditProblem = z.object({
  seq: z.number().int().describe('the entry the problem is about'),
  problem: z.enum(['edited', 'rewritten', 'deleted', 'inserted', 'out-of-order']),
  message: z.string(),
});
export type AuditProblem = z.infer<typeof auditProblem>;

export const auditVerifyResponse = z.object({
  ok: z.boolean(),
  entries: z.number().int().describe('entries checked'),
  headSeq: z.number().int().describe('the last seq the ledger head records'),
  headHash: z.string().describe('the hash the ledger head records: note it down to compare later'),
  problems: z.array(auditProblem).describe('the first problems found, in ledger order (at most 100)'),
  durationMs: z.number(),
});
export type AuditVerifyResponse = z.infer<typeof auditVerifyResponse>;
