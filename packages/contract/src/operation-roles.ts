import { auditReaderRole } from './audit-kinds.ts';
import type { BuiltInRole } from './identity-api.ts';

/**
 * The least role each API operation needs, keyed "METHOD /path" as the OpenAPI document writes it
 * (`GET /api/v1/environments/{id}`). Role ranks: viewer < developer < release-manager < admin; a
 * role may do everything the ones below it may. `no-token` marks the few endpoints that take no
 * bearer token and authenticate the call themselves (a webhook's signature).
 *
 * This table is the decision, read by everyone: the API enforces it for every route before the
 * handler runs (packages/server/src/http/operation-role-check.ts), docs/security.md is generated from it, and
 * `slipway roles` prints it; authorization.test.ts calls every operation with every role to check. An endpoint missing here fails the server's start
 * and that test; run `npm run docs:roles` after a change. Rule: viewers only read, so every
 * POST, PUT, PATCH and DELETE needs developer or more.
 *
 * Add yours to the block of its resource (or a new block), keeping one line per operation.
 */
export const operationRoles: Record<string, MinimumRole> = {
  // workspaces, users, tokens (docs/security.md)
  'GET /api/v1/workspaces': 'viewer',
  'POST /api/v1/workspaces': 'admin',
  'GET /api/v1/users': 'viewer',
  'GET /api/v1/users/{name}': 'viewer',
  'POST /api/v1/users': 'admin',
  'POST /api/v1/users/{name}/grant': 'admin',
  'POST /api/v1/users/{name}/revoke': 'admin',
  // Own tokens; another user's need admin (checked in the handler).
  'GET /api/v1/tokens': 'viewer',
  'GET /api/v1/whoami': 'viewer',
  'POST /api/v1/tokens': 'developer',
  'DELETE /api/v1/tokens/{id}': 'developer',

  // audit ledger
  'GET /api/v1/audit': auditReaderRole,
  'GET /api/v1/audit/verify': auditReaderRole,
  'GET /api/v1/audit/export': auditReaderRole,

  // applications
  'GET /api/v1/applications': 'viewer',
  'GET /api/v1/applications/{name}': 'viewer',
  'GET /api/v1/applications/{name}/branches': 'viewer',
  'POST /api/v1/applications': 'developer',

  // environments and deploys
  'GET /api/v1/environments': 'viewer',
  'GET /api/v1/environments/{id}': 'viewer',
  'GET /api/v1/environments/{id}/config': 'viewer',
  'GET /api/v1/environments/{id}/vars': 'viewer',
  'GET /api/v1/environments/{id}/deploys': 'viewer',
  'GET /api/v1/deploys/{deployId}': 'viewer',
  'GET /api/v1/deploys/{deployId}/log': 'viewer',
  'GET /api/v1/deploys/{deployId}/events': 'viewer',
  'POST /api/v1/environments': 'developer',
  'DELETE /api/v1/environments/{id}': 'developer',
  'POST /api/v1/environments/{id}/extend': 'developer',
  'POST /api/v1/environments/{id}/pause': 'developer',
  'POST /api/v1/environments/{id}/resume': 'developer',
  'PUT /api/v1/environments/{id}/config': 'developer',
  'POST /api/v1/environments/{id}/deploys': 'developer',
  // an admin's own protection mark (docs/security.md#protected-environments-and-break-glass)
  'PUT /api/v1/environments/{id}/protection': 'admin',
  'DELETE /api/v1/environments/{id}/protection': 'admin',

  // instances
  'GET /api/v1/environments/{id}/instances': 'viewer',
  'GET /api/v1/environments/{id}/instances/{name}/logs': 'viewer',
  'POST /api/v1/environments/{id}/instances/{name}/exec': 'developer',

  // secrets: names only; values never leave the server
  'GET /api/v1/secrets': 'viewer',
  'PUT /api/v1/secrets/{name}': 'developer',
  'DELETE /api/v1/secrets/{name}': 'developer',

  // datasets: pools of database clones (docs/datasets.md); never a password or source URL
  'GET /api/v1/datasets': 'viewer',
  'GET /api/v1/datasets/{app}/{name}': 'viewer',
  'POST /api/v1/datasets/{app}/{name}/refresh': 'developer',

  // routing: the route table spans every workspace
  'GET /api/v1/routes/stream': 'admin',

  // previews: which environment stands for which pull request or branch (docs/previews.md)
  'GET /api/v1/previews': 'viewer',

  // releases (docs/releases.md): approving also needs an approver role the stage names
  'GET /api/v1/sets': 'viewer',
  'GET /api/v1/sets/{name}': 'viewer',
  'POST /api/v1/sets': 'release-manager',
  'GET /api/v1/tracks': 'viewer',
  'GET /api/v1/tracks/{name}': 'viewer',
  'GET /api/v1/tracks/{name}/view': 'viewer',
  'POST /api/v1/tracks': 'release-manager',
  'GET /api/v1/snapshots': 'viewer',
  'GET /api/v1/snapshots/{ref}': 'viewer',
  'POST /api/v1/snapshots': 'developer',
  'GET /api/v1/releases': 'viewer',
  'GET /api/v1/releases/{ref}': 'viewer',
  'GET /api/v1/releases/{ref}/actions': 'viewer',
  'POST /api/v1/releases': 'release-manager',
  'POST /api/v1/releases/{ref}/approve': 'developer',
  'POST /api/v1/releases/{ref}/reject': 'developer',
  'POST /api/v1/releases/{ref}/promote': 'release-manager',
  'POST /api/v1/releases/{ref}/abort': 'release-manager',
  'POST /api/v1/releases/{ref}/rollback': 'release-manager',
  // managed workspaces: plans in the development workspace, admissions in the managed one
  'GET /api/v1/release-plans': 'viewer',
  'POST /api/v1/release-plans': 'release-manager',
  'GET /api/v1/release-plan-admissions': 'viewer',
  'POST /api/v1/release-plan-admissions': 'admin',
  'GET /api/v1/managed-releases': 'viewer',
  'GET /api/v1/managed-releases/{ref}': 'viewer',
  'POST /api/v1/managed-releases': 'release-manager',

  // webhooks: signed by the sender instead of a bearer token
  'POST /api/v1/webhooks/github': 'no-token',
};

export type MinimumRole = BuiltInRole | 'no-token';
