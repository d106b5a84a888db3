import { builtInRoles, operationRoles, type BuiltInRole } from '@slipway/contract';
import { ExitCode, type CommandIO, type OutputFormat } from '../io.ts';
import { table } from '../table.ts';

/**
 * `slipway roles`: the least role of every API operation, from the same table the API enforces and
 * docs/security.md is generated from; with --role, only what that role may call. Needs no server.
 */
export function roles(options: { role?: BuiltInRole; output: OutputFormat }, io: CommandIO): number {
  const rank = (role: string) => (builtInRoles as readonly string[]).indexOf(role);
  const rows = Object.entries(operationRoles)
    .filter(([, least]) => least !== 'no-token' && (!options.role || rank(least) <= rank(options.role)))
    .map(([operation, least]) => ({ operation, leastRole: least as BuiltInRole }));
  if (options.output === 'json') {
    io.out(JSON.stringify(rows, null, 2));
    return ExitCode.ok;
  }
  io.out(table(['operation', 'least role'], rows.map((r) => [r.operation, r.leastRole])));
  io.out(`\nEach role may do what the roles before it may: ${builtInRoles.join(' < ')}.${options.role ? '' : ' Handlers check more where the data decides (another user’s tokens need admin; breaking glass needs admin; approvals need an approver role the track names).'}`);
  return ExitCode.ok;
}
