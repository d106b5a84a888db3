import pc from 'picocolors';
import type { WorkspaceResponse } from '@slipway/contract';
import { callApi, callApiList, resolveConnection, type Connection } from '../api-client.ts';
import type { CommandIO, OutputFormat } from '../io.ts';
import { table } from '../table.ts';
import { apiCommand, printJson } from './api-command.ts';
import { listLimitOf, moreRowsNote, type ListOptions } from '../list-output.ts';

/** The connection, acting in `workspace` when one is named (--workspace wins over SLIPWAY_WORKSPACE). */
export function connectionIn(workspace: string | undefined): Connection {
  const connection = resolveConnection();
  return workspace ? { ...connection, workspace } : connection;
}

/** Approver roles as a cell: "qa, security", or "-". */
export const approverCell = (roles: readonly string[]) => (roles.length ? roles.join(', ') : '-');

export async function workspacesCreate(options: { name: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const workspace = await callApi<WorkspaceResponse>(resolveConnection(), 'POST', '/api/v1/workspaces', { name: options.name });
    if (options.output === 'json') printJson(io, workspace);
    else {
      io.out(`${pc.green('✓')} workspace ${pc.bold(workspace.name)} created; you are its admin`);
      io.out(`  act in it with --workspace ${workspace.name} (or SLIPWAY_WORKSPACE=${workspace.name}), e.g. slipway users create <name> --workspace ${workspace.name}`);
    }
  });
}

export async function workspacesList(options: ListOptions & { output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const answer = await callApiList<WorkspaceResponse>(resolveConnection(), '/api/v1/workspaces', listLimitOf(options));
    if (options.output === 'json') printJson(io, answer);
    else {
      io.out(table(['workspace', 'your role', 'approver roles', 'created'], answer.items.map((w) => [w.name, w.role, approverCell(w.approverRoles), w.createdAt])));
      moreRowsNote(io, answer.items.length, answer.nextCursor);
    }
  });
}
