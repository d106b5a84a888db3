import { open, type FileHandle } from 'node:fs/promises';
import pc from 'picocolors';
import { durationPattern, durationToMs, type AuditEntryResponse, type AuditListResponse, type AuditVerifyResponse } from '@slipway/contract';
import { ApiError, callApi, streamApi } from '../api-client.ts';
import { ExitCode, type CommandIO, type OutputFormat } from '../io.ts';
import { table } from '../table.ts';
import { apiCommand, printJson, usageError } from './api-command.ts';
import { splitLines } from './instances.ts';
import { connectionIn } from './workspaces.ts';

export interface AuditFilterOptions {
  actor?: string;
  kind?: string;
  since?: string;
  until?: string;
  workspace?: string;
}

/** A point in time as typed: ISO-8601 (2025-01-31, 2025-01-31T12:00:00Z) or a duration ago (24h, 7d). */
export function pointInTime(value: string, now = new Date()): string | undefined {
  if (durationPattern.test(value)) return new Date(now.getTime() - durationToMs(value)).toISOString();
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The filters as query parameters, or a usage problem. */
export function auditQuery(options: AuditFilterOptions, now = new Date()): { query?: URLSearchParams; problem?: string } {
  const query = new URLSearchParams();
  if (options.actor) query.set('actor', options.actor);
  if (options.kind) query.set('kind', options.kind);
  for (const key of ['since', 'until'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    const at = pointInTime(value, now);
    if (!at) return { problem: `--${key} ${JSON.stringify(value)}: expected a time such as 2025-01-31 or 2025-01-31T12:00:00Z, or a duration ago such as 24h or 7d` };
    query.set(key, at);
  }
  return { query };
}

const detailsCell = (details: Record<string, unknown>) => {
  const text = Object.keys(details).length ? JSON.stringify(details) : '';
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
};

export async function auditList(options: AuditFilterOptions & { limit?: number; before?: number; output: OutputFormat }, io: CommandIO): Promise<number> {
  const { query, problem } = auditQuery(options);
  if (!query) return usageError(io, problem!);
  query.set('limit', String(options.limit ?? 50));
  if (options.before !== undefined) query.set('before', String(options.before));
  return apiCommand(io, async () => {
    const page = await callApi<AuditListResponse>(connectionIn(options.workspace), 'GET', `/api/v1/audit?${query}`);
    if (options.output === 'json') return printJson(io, page);
    if (page.items.length === 0) return io.out('no audit entries match');
    io.out(table(['seq', 'time', 'actor', 'kind', 'subject', 'details'], page.items.map((e: AuditEntryResponse) => [String(e.seq), e.at, e.actor, e.kind, e.subject, detailsCell(e.details)])));
    if (page.nextBefore !== undefined) io.err(pc.dim(`older entries: add --before ${page.nextBefore}`));
  });
}

/** `slipway audit verify`: walks the whole chain on the server; exit 1 when any entry was tampered with. */
export async function auditVerify(options: { workspace?: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const result = await callApi<AuditVerifyResponse>(connectionIn(options.workspace), 'GET', '/api/v1/audit/verify', undefined, { timeoutMs: 10 * 60_000 });
    if (options.output === 'json') printJson(io, result);
    else if (result.ok) {
      io.out(`${pc.green('✓')} audit ledger intact: ${result.entries} entries checked in ${result.durationMs} ms`);
      io.out(`  head: entry ${result.headSeq}, hash ${result.headHash} (note it down: a later verify must show this entry with this hash)`);
    } else {
      io.out(`${pc.red('✗')} audit ledger broken: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${result.entries} entries`);
      for (const p of result.problems) io.out(`  entry ${p.seq} ${pc.bold(p.problem)}: ${p.message}`);
    }
    return result.ok ? ExitCode.ok : ExitCode.invalid;
  });
}

/** `slipway audit export`: the workspace's entries as JSON lines, oldest first, to stdout or a file. */
export async function auditExport(options: AuditFilterOptions & { file?: string }, io: CommandIO): Promise<number> {
  const { query, problem } = auditQuery(options);
  if (!query) return usageError(io, problem!);
  return apiCommand(io, async () => {
    const abort = new AbortController();
    const response = await streamApi(connectionIn(options.workspace), `/api/v1/audit/export${query.size ? `?${query}` : ''}`, abort.signal);
    let file: FileHandle | undefined;
    if (options.file) {
      try {
        file = await open(options.file, 'w');
      } catch (e) {
        abort.abort();
        return usageError(io, `${options.file}: cannot write there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
    let count = 0;
    let pending = '';
    try {
      const decoder = new TextDecoder();
      for await (const chunk of response.body ?? []) {
        const { lines, rest } = splitLines(pending, decoder.decode(chunk as Uint8Array, { stream: true }));
        pending = rest;
        if (lines.length === 0) continue;
        count += lines.length;
        if (file) await file.write(`${lines.join('\n')}\n`);
        else io.out(lines.join('\n'));
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).syscall) throw e;
      throw new ApiError(`the export broke off after ${count} entries: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, 'unreachable');
    } finally {
      await file?.close();
    }
    if (pending.trim()) throw new ApiError(`the export ended in the middle of an entry after ${count} entries`, 'unreachable');
    if (file) io.err(`${pc.green('✓')} ${count} audit entries written to ${options.file}`);
  });
}
