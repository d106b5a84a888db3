import type { CommandIO } from '../io.ts';

/** A CommandIO that keeps what a command writes, for assertions. */
export function captureIO(): CommandIO & { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    stdout: () => out.join('\n'),
    stderr: () => err.join('\n'),
  };
}
