import { builtInRoles, operationRoles, type BuiltInRole, type MinimumRole } from '@slipway/contract';

// The table itself is in the contract (packages/contract/src/operation-roles.ts), so the CLI reads it too;
// here are the checks of it against the API and the docs' form of it.
export { operationRoles, type MinimumRole };

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
      `${missing.length} API operation${missing.length === 1 ? ' has' : 's have'} no minimum role. Decide who may call each and add ${missing.length === 1 ? 'it' : 'them'} to operationRoles in packages/contract/src/operation-roles.ts:\n` +
        missing.map((op) => `  '${op}': '${op.startsWith('GET ') ? 'viewer' : 'developer'}', // least role: ${builtInRoles.join(', ')}; no-token when the handler authenticates the call itself`).join('\n') +
        '\nthen run `npm run docs:roles` to update docs/security.md.',
    );
  }
  const present = new Set(operations);
  const stale = Object.keys(table).filter((op) => !present.has(op));
  if (stale.length) problems.push(`operationRoles in packages/contract/src/operation-roles.ts names operations the API does not have; remove or rename them:\n${stale.map((op) => `  '${op}'`).join('\n')}`);
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

export const ROLE_TABLE_BEGIN = '<!-- role-table:begin (generated from packages/contract/src/operation-roles.ts by npm run docs:roles) -->';
export const ROLE_TABLE_END = '<!-- role-table:end -->';

/** The document with its generated role table replaced by the table's current form. */
export function withRoleTable(document: string, table: Readonly<Record<string, MinimumRole>> = operationRoles): string {
  const begin = document.indexOf(ROLE_TABLE_BEGIN);
  const end = document.indexOf(ROLE_TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`the document has no ${ROLE_TABLE_BEGIN} … ${ROLE_TABLE_END} section`);
  return `${document.slice(0, begin + ROLE_TABLE_BEGIN.length)}\n${roleTableMarkdown(table)}\n${document.slice(end)}`;
}
