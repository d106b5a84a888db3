import { z } from 'zod';

// The audit ledger's entries and the answers of its endpoints (docs/security.md#audit-ledger).

/**
 * The kinds the server records. A kind is `<subject kind>.<action>`; new ones follow the pattern
 * (auditKind) and belong in this list so the docs and `slipway audit list --kind` know them.
 */
export const knownAuditKinds = {
  'workspace.create': 'a workspace was created',
  'user.create': 'a user was created with a role (and approver roles) in a workspace',
  'role.grant': "a user's role was set, or approver roles were added",
  'role.revoke': 'a user was removed from a workspace, or approver roles were removed',
  'token.create': 'an API token was created (never its secret)',
  'token.revoke': 'an API token was revoked',
  'secret.set': 'a secret was set (its name, never its value)',
  'secret.delete': 'a secret was deleted',
  'application.register': 'an application was registered, or got a new template version',
  'environment.create': 'an environment was created',
  'environment.delete': 'an environment was deleted',
  'environment.config-set': "an environment's own variables were changed",
  'application-set.register': 'an ApplicationSet was registered or replaced',
  'release-track.register': 'a ReleaseTrack was registered or replaced',
  'release-plan.register': 'a ReleasePlan was registered or replaced',
  'release-plan-admission.register': 'a ReleasePlanAdmission was registered or replaced',
  'snapshot.create': 'a snapshot of an application set was made',
  'release.create': 'a release was created',
  'release.approve': 'a release was approved in a stage',
  'release.reject': 'a release was rejected in a stage',
  'release.promote': 'a release was promoted into a stage',
  'release.abort': 'a release was aborted',
  'release.rollback': 'a stage was rolled back to the previously promoted snapshot',
} as const satisfies Record<string, string>;
export type KnownAuditKind = keyof typeof knownAuditKinds;

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
  limit: z.coerce.number().int().min(1).max(1000).optional().describe('page size (default 100)'),
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
