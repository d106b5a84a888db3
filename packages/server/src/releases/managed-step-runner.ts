import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Command } from '@slipway/contract';

// Runs one step of a managed workflow as a process on the server's machine: a shell string or an
// argument list, in its own folder, with only the variables it is given (never the server's own, which
// may hold its secret key), stopped with its whole process group at its timeout.

export interface StepRun {
  command: Command;
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
}

export interface StepResult {
  outcome: 'succeeded' | 'failed' | 'errored';
  reason?: string;
  logTail: string;
}

const TAIL = 4_000;

export function runStep(run: StepRun): Promise<StepResult> {
  mkdirSync(run.cwd, { recursive: true });
  const [file, args] = typeof run.command === 'string' ? ['sh', ['-c', run.command]] : [run.command[0]!, run.command.slice(1)];
  const env = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', HOME: run.cwd, ...run.env };
  return new Promise((resolve) => {
    let log = '';
    const append = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-TAIL * 2);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, args, { cwd: run.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ outcome: 'errored', reason: `could not start ${file}: ${(error as Error).message}`, logTail: '' });
      return;
    }
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, run.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ outcome: 'errored', reason: `could not start ${file}: ${error.message}`, logTail: log.slice(-TAIL) });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const logTail = log.slice(-TAIL);
      if (timedOut) resolve({ outcome: 'failed', reason: `timed out after ${Math.round(run.timeoutMs / 1000)}s`, logTail });
      else if (code === 0) resolve({ outcome: 'succeeded', logTail });
      else resolve({ outcome: 'failed', reason: code !== null ? `exited with ${code}` : `killed by ${signal}`, logTail });
    });
  });
}
