// The audit ledger's known kinds, apart from the schemas: the portal imports them, and this module
// keeps zod out of its bundle (packages/contract is marked free of side effects for that).
import type { BuiltInRole } from './identity-api.ts';

/**
 * The least role that may read the audit ledger (list, verify, export): the server's
 * operation-roles.ts requires it, and the portal shows its Audit page only to such roles.
 */
export const auditReaderRole = 'release-manager' as const satisfies BuiltInRole;

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
  'dataset.refresh': 'a dataset\'s golden copy was asked to be made again (its unattached clones are replaced)',
  'application.register': 'an application was registered, or got a new template version',
  'environment.create': 'an environment was created',
  'environment.delete': 'an environment was deleted',
  'environment.config-set': "an environment's own variables were changed",
  'environment.extend': "an ephemeral environment's expiry was extended",
  'environment.pause': "an environment's services were stopped, their state kept (paused)",
  'environment.resume': "a paused environment's services were started again",
  'deploy.create': 'a deploy of a new commit was queued into an environment',
  'instance.exec': 'a command was run in an instance (the program, never its arguments)',
  'environment.protect': 'an admin marked an environment protected (details say why)',
  'environment.unprotect': "an admin lifted an environment's protection mark",
  'environment.break-glass': 'an admin changed a protected environment outside a release; details say the action and the reason',
  'secret.break-glass': 'an admin set or deleted a secret that a protected environment reads; details say the action and the reason',
  'instance.break-glass': 'an admin ran a command in a protected environment’s instance; details say the reason',
  'deploy.break-glass': 'an admin deployed to a protected environment outside a release; details say the reason',
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
