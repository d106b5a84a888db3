import pc from 'picocolors';
import type { BuiltInRole, RevokeRolesResponse, UserResponse } from '@slipway/contract';
import { callApi, callApiList } from '../api-client.ts';
import type { CommandIO, OutputFormat } from '../io.ts';
import { table } from '../table.ts';
import { apiCommand, printJson, segment, usageError } from './api-command.ts';
import { approverCell, connectionIn } from './workspaces.ts';
import { listLimitOf, moreRowsNote, type ListOptions } from '../list-output.ts';

interface InWorkspace {
  workspace?: string;
  output: OutputFormat;
}

const describeUser = (user: UserResponse) => `${pc.bold(user.name)} in workspace ${user.workspace}: ${user.role}${user.approverRoles.length ? `, approver for ${user.approverRoles.join(', ')}` : ''}`;

export async function usersCreate(options: InWorkspace & { name: string; role?: BuiltInRole; approver?: string[] }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const body = { name: options.name, ...(options.role ? { role: options.role } : {}), ...(options.approver?.length ? { approverRoles: options.approver } : {}) };
    const user = await callApi<UserResponse>(connectionIn(options.workspace), 'POST', '/api/v1/users', body);
    if (options.output === 'json') return printJson(io, user);
    io.out(`${pc.green('✓')} user ${describeUser(user)}`);
    io.out(`  give them a token: slipway tokens create <name> --user ${user.name}${options.workspace ? ` --workspace ${options.workspace}` : ''}`);
  });
}

export async function usersList(options: ListOptions & InWorkspace, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const answer = await callApiList<UserResponse>(connectionIn(options.workspace), '/api/v1/users', listLimitOf(options));
    if (options.output === 'json') printJson(io, answer);
    else {
      io.out(table(['name', 'role', 'approver roles', 'created'], answer.items.map((u) => [u.name, u.role, approverCell(u.approverRoles), u.createdAt])));
      moreRowsNote(io, answer.items.length, answer.nextCursor);
    }
  });
}

export async function usersGet(options: InWorkspace & { name: string }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const user = await callApi<UserResponse>(connectionIn(options.workspace), 'GET', `/api/v1/users/${segment(options.name)}`);
    if (options.output === 'json') return printJson(io, user);
    io.out(`${pc.bold(user.name)}\n  workspace:       ${user.workspace}\n  role:            ${user.role}\n  approver roles:  ${approverCell(user.approverRoles)}\n  created:         ${user.createdAt}`);
  });
}

type RoleChange = InWorkspace & { name: string; role?: BuiltInRole; approver?: string[] };

function roleChangeBody(options: RoleChange, io: CommandIO, verb: 'grant' | 'revoke'): { role?: BuiltInRole; approverRoles?: string[] } | number {
  if (!options.role && !options.approver?.length) return usageError(io, `nothing to ${verb}: give --role <role> and/or --approver <role>`);
  return { ...(options.role ? { role: options.role } : {}), ...(options.approver?.length ? { approverRoles: options.approver } : {}) };
}

/** `slipway users grant`: sets the user's role in the workspace (up or down) and/or adds approver roles. */
export async function usersGrant(options: RoleChange, io: CommandIO): Promise<number> {
  const body = roleChangeBody(options, io, 'grant');
  if (typeof body === 'number') return body;
  return apiCommand(io, async () => {
    const user = await callApi<UserResponse>(connectionIn(options.workspace), 'POST', `/api/v1/users/${segment(options.name)}/grant`, body);
    if (options.output === 'json') printJson(io, user);
    else io.out(`${pc.green('✓')} ${describeUser(user)}`);
  });
}

/** `slipway users revoke`: removes approver roles, or the role itself — which takes the user out of the workspace. */
export async function usersRevoke(options: RoleChange, io: CommandIO): Promise<number> {
  const body = roleChangeBody(options, io, 'revoke');
  if (typeof body === 'number') return body;
  return apiCommand(io, async () => {
    const answer = await callApi<RevokeRolesResponse>(connectionIn(options.workspace), 'POST', `/api/v1/users/${segment(options.name)}/revoke`, body);
    if (options.output === 'json') printJson(io, answer);
    else if (answer.removed) io.out(`${pc.green('✓')} ${pc.bold(answer.name)} removed from workspace ${answer.workspace}; their tokens there are revoked`);
    else io.out(`${pc.green('✓')} ${describeUser(answer.user!)}`);
  });
}
