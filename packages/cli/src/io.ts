/** Where a command writes: stdout for results, stderr for problems. Tests pass their own. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
}

export const processIO: CommandIO = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Exit codes scripts can rely on. */
export const ExitCode = {
  ok: 0,
  /** The input was read but is invalid (validation errors). */
  invalid: 1,
  /** The command could not run: bad arguments, unreadable files, no connection settings. */
  usage: 2,
  /** What was named does not exist (an application, an environment). */
  notFound: 3,
  /** The API could not be reached, or failed. */
  failed: 4,
  /** A deploy waited for with --wait failed (the application's verdict) or errored (the platform's fault), or was cancelled. */
  deployFailed: 5,
} as const;

export type OutputFormat = 'text' | 'json';
