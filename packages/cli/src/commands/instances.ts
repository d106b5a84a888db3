import pc from 'picocolors';
import { durationToMs, type InstanceResponse } from '@slipway/contract';
import { ApiError, breakGlassQuery, callApi, callApiList, resolveConnection, streamApi } from '../api-client.ts';
import { ExitCode, type CommandIO, type OutputFormat } from '../io.ts';
import { apiCommand, printJson, segment } from './api-command.ts';
import { instanceTable } from './environment-view.ts';
import { listLimitOf, moreRowsNote, type ListOptions } from '../list-output.ts';

const instancePath = (env: string, instance: string) => `/api/v1/environments/${segment(env)}/instances/${segment(instance)}`;

export async function instancesList(options: ListOptions & { env: string; output: OutputFormat }, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const answer = await callApiList<InstanceResponse>(resolveConnection(), `/api/v1/environments/${segment(options.env)}/instances`, listLimitOf(options));
    if (options.output === 'json') printJson(io, answer);
    else if (answer.items.length === 0) io.out(`no instances running in ${options.env}`);
    else {
      io.out(instanceTable(answer.items));
      moreRowsNote(io, answer.items.length, answer.nextCursor);
    }
  });
}

/** Splits a stream of text into whole lines; what follows the last line break waits for the next chunk. */
export function splitLines(pending: string, chunk: string): { lines: string[]; rest: string } {
  const parts = (pending + chunk).split('\n');
  const rest = parts.pop()!;
  return { lines: parts, rest };
}

export interface LogsOptions {
  env: string;
  instance: string;
  follow?: boolean;
  tail?: number;
}

/**
 * `slipway instances logs`: copies the instance's log to stdout as it arrives. With --follow it runs
 * until `stop` aborts (Ctrl-C), which is the normal way to end it, so that exits 0.
 */
export async function instancesLogs(options: LogsOptions, io: CommandIO, stop?: AbortSignal): Promise<number> {
  return apiCommand(io, async () => {
    const query = new URLSearchParams({ follow: String(options.follow === true), ...(options.tail !== undefined ? { tail: String(options.tail) } : {}) });
    const abort = new AbortController();
    const onStop = () => abort.abort();
    stop?.addEventListener('abort', onStop, { once: true });
    let pending = '';
    try {
      const response = await streamApi(resolveConnection(), `${instancePath(options.env, options.instance)}/logs?${query}`, abort.signal);
      const decoder = new TextDecoder();
      for await (const chunk of response.body ?? []) {
        const { lines, rest } = splitLines(pending, decoder.decode(chunk as Uint8Array, { stream: true }));
        pending = rest;
        if (lines.length) io.out(lines.join('\n'));
      }
      pending += decoder.decode();
    } catch (e) {
      if (!abort.signal.aborted) {
        if (e instanceof ApiError) throw e;
        throw new ApiError(`the log stream of ${options.instance} broke off: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, 'unreachable');
      }
    } finally {
      stop?.removeEventListener('abort', onStop);
    }
    if (pending) io.out(pending);
    return ExitCode.ok;
  });
}

const DEFAULT_EXEC_TIMEOUT = '60s';
/** The server gives up on a command after at most this long; the client waits a little longer. */
const MAX_EXEC_TIMEOUT_MS = 10 * 60_000;

export interface ExecOptions {
  breakGlass?: string;
  env: string;
  instance: string;
  command: string[];
  timeout?: string;
  output: OutputFormat;
}

/**
 * `slipway instances exec`: runs a command in an instance and prints its output. Once the command
 * ran, the CLI exits with the command's own exit code, so scripts can test it like a local command.
 */
export async function instancesExec(options: ExecOptions, io: CommandIO): Promise<number> {
  return apiCommand(io, async () => {
    const timeout = options.timeout ?? DEFAULT_EXEC_TIMEOUT;
    const waitMs = Math.min(durationToMs(timeout), MAX_EXEC_TIMEOUT_MS) + 30_000;
    const result = await callApi<{ exitCode: number | null; output: string; timedOut: boolean }>(
      resolveConnection(),
      'POST',
      `${instancePath(options.env, options.instance)}/exec${breakGlassQuery(options.breakGlass)}`,
      { command: options.command, ...(options.timeout ? { timeout: options.timeout } : {}) },
      { timeoutMs: waitMs },
    );
    if (options.output === 'json') printJson(io, result);
    else if (result.output) io.out(result.output);
    if (result.timedOut) {
      io.err(`${pc.red('error')}   ${options.command.join(' ')} did not finish in ${timeout} and was stopped; give it longer with --timeout (at most 10m)`);
      return ExitCode.failed;
    }
    if (result.exitCode === null) {
      io.err(`${pc.red('error')}   ${options.command.join(' ')} was ended by a signal before it exited`);
      return ExitCode.failed;
    }
    return result.exitCode;
  });
}
