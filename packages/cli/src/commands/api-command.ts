import pc from 'picocolors';
import { ApiError } from '../api-client.ts';
import { ExitCode, type CommandIO } from '../io.ts';

/**
 * Runs an API command, turning its failures into a message on stderr and an exit code. The action
 * may return its own exit code (a deploy that failed, the exit code of an exec'd command).
 */
export async function apiCommand(io: CommandIO, action: () => Promise<number | void>): Promise<number> {
  try {
    return (await action()) ?? ExitCode.ok;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    io.err(`${pc.red('error')}   ${e.message}`);
    return exitCodeOf(e);
  }
}

/** 400 → invalid input, 404 → not found, missing settings → usage; anything else is the API failing. */
export function exitCodeOf(e: ApiError): number {
  if (e.kind === 'http' && e.status === 400) return ExitCode.invalid;
  if (e.kind === 'http' && e.status === 404) return ExitCode.notFound;
  return e.kind === 'config' ? ExitCode.usage : ExitCode.failed;
}

/** A problem with what the user typed, found before calling the API: exit 2 with what was wrong. */
export function usageError(io: CommandIO, message: string): number {
  io.err(`${pc.red('error')}   ${message}`);
  return ExitCode.usage;
}

/** Prints an API answer for scripts. */
export function printJson(io: CommandIO, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** A path segment built from what the user typed. */
export const segment = encodeURIComponent;
