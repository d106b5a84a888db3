import { auditReaderRole, builtInRoles, type BuiltInRole } from '@slipway/contract';

/**
 * The least role each API operation needs, keyed "METHOD /path" as the OpenAPI document writes it
 * (`GET /api/v1/environments/{id}`). Role ranks: viewer < developer < release-manager < admin; a
 * role may do everything the ones below it may. `no-token` marks the few endpoints that take no
 * bearer token and authenticate the call themselves (a webhook's signature).
 *
 * This table is the decision; the handlers enforce it (requireRole) and authorization.test.ts calls
 * every operation with every role to check that they do. An endpoint missing here fails that test,
 * and docs/security.md is generated from it (npm run docs:roles). Rule: viewers only read, so every
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

const methodOrder = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The operations of an OpenAPI document as "METHOD /path". */
export function operationsOf(document: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
}

/**
 * What is wrong between an API's operations and the table: operations without an entry, entries
 * without an operation, and mutations open to viewers — each as a message saying what to change.
 */
export function operationRoleProblems(operations: readonly string[], table: Readonly<Record<string, MinimumRole>> = operationRoles): string[] {
  const problems: string[] = [];
  const missing = operations.filter((op) => !(op in table));
  if (missing.length) {
    problems.push(
      `${missing.length} API operation${missing.length === 1 ? ' has' : 's have'} no minimum role. Decide who may call each and add ${missing.length === 1 ? 'it' : 'them'} to operationRoles in packages/server/src/http/operation-roles.ts:\n` +
        missing.map((op) => `  '${op}': '${op.startsWith('GET ') ? 'viewer' : 'developer'}', // least role: ${builtInRoles.join(', ')}; no-token when the handler authenticates the call itself`).join('\n') +
        '\nthen run `npm run docs:roles` to update docs/security.md.',
    );
  }
  const present = new Set(operations);
  const stale = Object.keys(table).filter((op) => !present.has(op));
  if (stale.length) problems.push(`operationRoles in packages/server/src/http/operation-roles.ts names operations the API does not have; remove or rename them:\n${stale.map((op) => `  '${op}'`).join('\n')}`);
  const open = Object.entries(table).filter(([op, role]) => !op.startsWith('GET ') && role === 'viewer');
  if (open.length) problems.push(`viewers only read, but these mutations are open to them; give each developer or more:\n${open.map(([op]) => `  '${op}'`).join('\n')}`);
  return problems;
}

/**
 * docs/security.md's table of who may call what, generated from operationRoles: one row per
 * operation, a mark under every role allowed to call it.
 */
export function roleTableMarkdown(table: Readonly<Record<string, MinimumRole>> = operationRoles): string {
  const rows = Object.entries(table)
    .filter(([, role]) => role !== 'no-token')
    .sort(([a], [b]) => {
      const [ma, pa] = a.split(' ') as [string, string];
      const [mb, pb] = b.split(' ') as [string, string];
      return pa === pb ? methodOrder.indexOf(ma) - methodOrder.indexOf(mb) : pa.localeCompare(pb);
    })
    .map(([op, role]) => {
      const rank = builtInRoles.indexOf(role as BuiltInRole);
      return `| \`${op}\` | ${builtInRoles.map((_r, i) => (i >= rank ? '✓' : '')).join(' | ')} |`;
    });
  const noToken = Object.entries(table).filter(([, role]) => role === 'no-token').map(([op]) => `\`${op}\``);
  return [
    `| operation | ${builtInRoles.join(' | ')} |`,
    `| --- | ${builtInRoles.map(() => ':-:').join(' | ')} |`,
    ...rows,
    '',
    noToken.length ? `Without a bearer token (the sender signs the call instead): ${noToken.join(', ')}.` : '',
  ]
    .join('\n')
    .trimEnd();
}

export const ROLE_TABLE_BEGIN = '<!-- role-table:begin (generated from packages/server/src/http/operation-roles.ts by npm run docs:roles) -->';
export const ROLE_TABLE_END = '<!-- role-table:end -->';

/** The document with its generated role table replaced by the table's current form. */
export function withRoleTable(document: string, table: Readonly<Record<string, MinimumRole>> = operationRoles): string {
  const begin = document.indexOf(ROLE_TABLE_BEGIN);
  const end = document.indexOf(ROLE_TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`the document has no ${ROLE_TABLE_BEGIN} … ${ROLE_TABLE_END} section`);
  return `${document.slice(0, begin + ROLE_TABLE_BEGIN.length)}\n${roleTableMarkdown(table)}\n${document.slice(end)}`;
}
