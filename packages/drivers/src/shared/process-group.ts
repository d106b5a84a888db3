// Processes as supervised groups: each workload is the leader of its own process group (spawned
// detached, so setsid), writes straight into its log file, or through a masking filter in its own
// group when it has secrets (no pipe to the driver either way, so it outlives a killed server), and
// is identified by pid plus kernel start time, so a reused pid is never mistaken for our process.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { Command } from '@slipway/contract';
import type { ExitInfo } from '@slipway/core';
import { maskedCommand } from './masked-output.ts';

export interface ProcessIdentity {
  pid: number;
  /** Start time from /proc/<pid>/stat (clock ticks since boot); "unknown" without /proc. */
  startTime: string;
}

export interface Running extends ProcessIdentity {
  /** Resolves when the process has exited (or, for an adopted process, is gone). */
  exited: Promise<ExitInfo>;
  child?: ChildProcess;
}

const hasProc = (() => {
  try {
    readdirSync('/proc/self');
    return true;
  } catch {
    return false;
  }
})();

interface ProcStat {
  state: string;
  pgid: number;
  startTime: string;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: fields follow the last ")".
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, pgid: Number(rest[2]), startTime: rest[19]! };
  } catch {
    return undefined;
  }
}

/** The identity of a live process; undefined when it does not exist or is a zombie. */
export function identify(pid: number): ProcessIdentity | undefined {
  if (!hasProc) {
    try {
      process.kill(pid, 0);
      return { pid, startTime: 'unknown' };
    } catch {
      return undefined;
    }
  }
  const stat = readStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return undefined;
  return { pid, startTime: stat.startTime };
}

/** True when the process is alive and is the very process recorded (not a reused pid). */
export function isSameProcess(id: ProcessIdentity): boolean {
  const now = identify(id.pid);
  return now !== undefined && (now.startTime === id.startTime || id.startTime === 'unknown');
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone: stopping is idempotent.
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Stops a process group gracefully: SIGTERM, then SIGKILL once `graceMs` has passed. Only a group
 * whose leader is still the recorded process is signalled, so a reused pid is never hit.
 */
export async function stopGroup(id: ProcessIdentity, graceMs: number): Promise<void> {
  if (!isSameProcess(id)) {
    // The leader is gone; members it left behind still carry its group id.
    if (identify(id.pid) === undefined) signalGroup(id.pid, 'SIGKILL');
    return;
  }
  signalGroup(id.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isSameProcess(id)) await sleep(50);
  signalGroup(id.pid, 'SIGKILL');
  const hardDeadline = Date.now() + 5_000;
  while (Date.now() < hardDeadline && isSameProcess(id)) await sleep(20);
}

/** A command as the deploy log shows it. */
export function commandText(command: Command): string {
  return typeof command === 'string' ? command : command.join(' ');
}

/** Waits until an adopted process (not our child) is gone; its exit code cannot be known. */
export function watchAdopted(id: ProcessIdentity, pollMs = 250): Promise<ExitInfo> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (!isSameProcess(id)) {
        clearInterval(timer);
        resolve({ code: null, signal: null, at: new Date().toISOString() });
      }
    }, pollMs);
    timer.unref();
  });
}

export function argv(command: Command, args: string[] = []): string[] {
  return typeof command === 'string' ? ['/bin/sh', '-c', [command, ...args].join(' ')] : [...command, ...args];
}

/**
 * A command as a container's argv (docker, kubernetes): a string runs under `/bin/sh -c` with `args`
 * as the shell's positional parameters, as an image's CMD does; a list is the program and its words.
 */
export function containerArgv(command: Command, args: string[] = []): string[] {
  return typeof command === 'string' ? ['/bin/sh', '-c', command, ...args] : [...command, ...args];
}

// Words the shell gives no meaning beyond themselves: no quotes, variables, globs, tildes,
// comments, redirections, pipes or separators, split on plain spaces.
const PLAIN_WORDS = /^ *[A-Za-z0-9_./:=@%+,-]+( +[A-Za-z0-9_./:=@%+,-]+)* *$/;
// dash's builtins and keywords: these run inside the shell, not as the program of that name.
const SHELL_WORDS = new Set(
  '. : [ alias bg break cd chdir command continue echo eval exec exit export false fc fg getopts hash jobs kill local printf pwd read readonly return set shift test times trap true type ulimit umask unalias unset wait ! case do done elif else esac fi for if in then until while'.split(' '),
);

function isProgram(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * What to spawn for a command run in `cwd` with `env`, as argv does, except that a string command
 * made only of plain words whose program is found runs without `/bin/sh -c` in between: the same
 * words the shell would have run, with the PWD it would have exported, and one process fewer.
 * Anything else (shell syntax, a builtin, an assignment, a program not on PATH, a PWD of its own)
 * still goes through the shell, so its meaning and its errors stay the shell's.
 */
export function commandArgv(command: Command, cwd: string, env: Record<string, string>): { argv: string[]; env: Record<string, string> } {
  const words = typeof command === 'string' && PLAIN_WORDS.test(command) ? command.trim().split(/ +/) : undefined;
  const program = words?.[0];
  if (!words || !program || program.includes('=') || SHELL_WORDS.has(program) || env.PWD !== undefined || env.PATH === undefined) return { argv: argv(command), env };
  const found = program.includes('/') ? isProgram(resolve(cwd, program)) : env.PATH.split(':').some((dir) => isProgram(resolve(cwd, dir || '.', program)));
  if (!found) return { argv: argv(command), env };
  let pwd: string;
  try {
    pwd = realpathSync(cwd);
  } catch {
    return { argv: argv(command), env };
  }
  return { argv: words, env: { ...env, PWD: pwd } };
}

export interface SpawnOptions {
  cwd: string;
  env: Record<string, string>;
  logPath: string;
  /**
   * Forms of the secrets the process was given (core's createSecretMasker(...).forms): when there
   * are any, its output goes through a masking filter before it reaches `logPath` (masked-output.ts).
   */
  mask?: readonly string[];
}

/** Starts a command as the leader of a new process group, its output appended to `logPath` (masked, with `mask`). */
export function spawnGroup(command: string[], options: SpawnOptions): Running {
  mkdirSync(dirname(options.logPath), { recursive: true });
  const fd = openSync(options.logPath, 'a');
  const masked = options.mask && options.mask.length > 0 ? maskedCommand(command, options.env) : undefined;
  const [program, ...args] = masked?.argv ?? command;
  let child: ChildProcess;
  try {
    child = spawn(program!, args, { cwd: options.cwd, env: masked?.env ?? options.env, detached: true, stdio: masked ? ['ignore', fd, fd, 'ignore', 'ignore', 'pipe'] : ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (masked) {
    // The forms go to the filter on its descriptor 5, then the pipe closes: that is its cue to start.
    const forms = (child.stdio as unknown as (Writable | null)[])[5];
    forms?.on('error', () => undefined);
    forms?.end(JSON.stringify(options.mask));
  }
  child.unref();
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (error) => {
      appendLine(options.logPath, `[slipway] could not start ${command[0]}: ${error.message}`);
      resolve({ code: 127, signal: null, at: new Date().toISOString() });
    });
    child.once('exit', (code, signal) => resolve({ code, signal, at: new Date().toISOString() }));
  });
  const pid = child.pid ?? -1;
  const id = pid > 0 ? identify(pid) : undefined;
  return { pid, startTime: id?.startTime ?? 'unknown', exited, child };
}

export function appendLine(path: string, line: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, `${line}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Processes whose environment carries `name=<prefix>…`, with that value: finds our processes without records. */
export function processesWithVariable(name: string, prefix: string): { pid: number; pgid: number; value: string }[] {
  if (!hasProc) return [];
  const found: { pid: number; pgid: number; value: string }[] = [];
  const needle = `${name}=${prefix}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    const variable = environ.split('\0').find((v) => v.startsWith(needle));
    const stat = variable ? readStat(pid) : undefined;
    if (variable && stat && stat.state !== 'Z') found.push({ pid, pgid: stat.pgid, value: variable.slice(name.length + 1) });
  }
  return found;
}

/**
 * Waits for a process group's leader to exit, for `timeoutMs` at the most: then stops the group
 * (SIGTERM, SIGKILL after `graceMs`) and says 'timeout'.
 */
export async function exitOrTimeout(running: Running, timeoutMs: number, graceMs: number): Promise<ExitInfo | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs))));
  const exit = await Promise.race([running.exited, timeout]);
  clearTimeout(timer);
  if (exit === 'timeout') await stopGroup(running, graceMs);
  return exit;
}
