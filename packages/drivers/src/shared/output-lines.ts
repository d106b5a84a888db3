// Output lines for a caller's `onOutput` (a deploy's log): read from a log file while a process
// writes it, split into lines, with secret values masked. Processes write their log files straight
// through a descriptor (so they outlive the driver); these followers only read.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createSecretMasker, type SecretValues } from '@slipway/core';

/** Longest line handed on; a longer one is cut (a minified bundle printed whole, a progress bar). */
const MAX_LINE = 8 * 1024;

/**
 * Replaces every form of every secret value in a line with *** (core's createSecretMasker: literal,
 * base64, URL-encoded, JSON-escaped, each line of a multi-line value; values shorter than 4
 * characters are left alone, as masking "1" or "on" would garble every line without hiding anything).
 */
export function secretMasker(secrets: SecretValues | undefined): (line: string) => string {
  return createSecretMasker(secrets).mask;
}

/** Splits text arriving in chunks into lines; `flush` hands on a last line without its newline. */
export function lineSplitter(onLine: (line: string) => void): { push(text: string): void; flush(): void } {
  let partial = '';
  const emit = (line: string) => {
    const clean = line.endsWith('\r') ? line.slice(0, -1) : line;
    // A progress bar redraws with \r: the last state is the line.
    const shown = clean.includes('\r') ? clean.slice(clean.lastIndexOf('\r') + 1) : clean;
    onLine(shown.length > MAX_LINE ? `${shown.slice(0, MAX_LINE)}…` : shown);
  };
  return {
    push(text) {
      const parts = (partial + text).split('\n');
      partial = parts.pop() ?? '';
      if (partial.length > MAX_LINE * 4) {
        emit(partial);
        partial = '';
      }
      for (const line of parts) emit(line);
    },
    flush() {
      if (partial) emit(partial);
      partial = '';
    },
  };
}

/**
 * Hands on the lines appended to a log file from `offset` on, polling while a process writes it;
 * `stop` reads what is left and hands on a last unfinished line. A throwing `onLine` is ignored.
 */
export function followFileLines(path: string, onLine: (line: string) => void, options: { offset?: number; pollMs?: number } = {}): { stop(): void } {
  let offset = options.offset ?? 0;
  const decoder = new StringDecoder('utf8');
  const splitter = lineSplitter((line) => {
    try {
      onLine(line);
    } catch {
      // the caller's problem, never the process's
    }
  });
  const readNew = () => {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return;
    }
    if (size < offset) offset = 0; // truncated or replaced
    if (size === offset) return;
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(size - offset, 4 * 1024 * 1024));
      const n = readSync(fd, buffer, 0, buffer.length, offset);
      offset += n;
      splitter.push(decoder.write(buffer.subarray(0, n)));
    } finally {
      closeSync(fd);
    }
  };
  const timer = setInterval(readNew, options.pollMs ?? 100);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      for (let before = -1; before !== offset; ) {
        before = offset;
        readNew();
      }
      splitter.push(decoder.end());
      splitter.flush();
    },
  };
}
