import pc from 'picocolors';
import type { BuiltInRole, CreatedTokenResponse, TokenResponse } from '@slipway/contract';
import { callApi, callApiList } from '../api-client.ts';
import type { CommandIO, OutputFormat } from '../io.ts';
import { table } from '../table.ts';
import { relativeTime } from '../time-format.ts';
import { apiCommand, printJson, segment } from './api-command.ts';
import { connectionIn } from './workspaces.ts';
import { listLimitOf, moreRowsNote, type ListOptions } from '../list-output.ts';

interface InWorkspace {
  workspace?: string;
  output: OutputFormat;
}

/**
 * `slipway tokens create`: the secret alone goes to stdout, so `TOKEN=$(slipway tokens create ci)`
 * works; what it is goes to stderr. It is shown this once: the server keeps only its hash.
 */
export async function tokensCreate(options: InWorkspace & { name: string; user?: string; role?: BuiltInRole }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const body = { name: options.name, ...(options.user ? { user: options.user } : {}), ...(options.role ? { role: options.role } : {}) };
    const created = await callApi<CreatedTokenResponse>(connectionIn(options.workspace), 'POST', '/api/v1/tokens', body);
    if (options.output === 'json') return printJson(io, created);
    const { token } = created;
    io.err(`${pc.green('✓')} token ${pc.bold(token.name)} (${token.id}) of ${token.user}, acting in workspace ${token.workspace} with at most ${token.role}`);
    io.err('  this is the only time it is shown: store it now (slipway login --url <url> --token <token>, or SLIPWAY_TOKEN)');
    io.out(created.secret);
  });
}

export async function tokensList(options: ListOptions & InWorkspace & { user?: string; all?: boolean }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const query = new URLSearchParams({ ...(options.user ? { user: options.user } : {}), ...(options.all ? { revoked: 'true' } : {}) });
    const answer = await callApiList<TokenResponse>(connectionIn(options.workspace), `/api/v1/tokens${query.size ? `?${query}` : ''}`, listLimitOf(options));
    if (options.output === 'json') return printJson(io, answer);
    if (answer.items.length === 0) return io.out('no tokens');
    const now = new Date();
    const rows = answer.items.map((t) => [t.id, t.name, t.user, t.role, relativeTime(t.createdAt, now), t.lastUsedAt ? relativeTime(t.lastUsedAt, now) : 'never', ...(options.all ? [t.revokedAt ? relativeTime(t.revokedAt, now) : '-'] : [])]);
    io.out(table(['id', 'name', 'user', 'role', 'created', 'last used', ...(options.all ? ['revoked'] : [])], rows));
    moreRowsNote(io, answer.items.length, answer.nextCursor);
  });
}

export async function tokensRevoke(options: InWorkspace & { id: string }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const token = await callApi<TokenResponse>(connectionIn(options.workspace), 'DELETE', `/api/v1/tokens/${segment(options.id)}`);
    if (options.output === 'json') printJson(io, token);
    else io.out(`${pc.green('✓')} token ${pc.bold(token.name)} of ${token.user} revoked: calls with it are refused from now on`);
  });
}
