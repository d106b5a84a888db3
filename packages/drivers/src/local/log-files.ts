// Per-instance log files, bounded and rotated. Processes append to the file directly (O_APPEND), so
// rotation copies the file aside and truncates it in place (logrotate's copytruncate): the writer
// keeps its descriptor and carries on at the new end.
import { copyFileSync, existsSync, openSync, readSync, closeSync, renameSync, statSync, truncateSync, rmSync } from 'node:fs';

export interface RotationSettings {
  maxBytes: number;
  /** Rotated files kept beside the live one: path.1 … path.<keep>. */
  keep: number;
}

export const DEFAULT_ROTATION: RotationSettings = { maxBytes: 5 * 1024 * 1024, keep: 3 };

export function rotateIfLarge(path: string, settings: RotationSettings): boolean {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return false;
  }
  if (size <= settings.maxBytes) return false;
  rmSync(`${path}.${settings.keep}`, { force: true });
  for (let i = settings.keep - 1; i >= 1; i--) {
    if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
  }
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  return true;
}

function readRange(path: string, start: number, end: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(Math.max(0, end - start));
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, start + read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/** The last `lines` lines of a log (looking into the last rotated file when the live one is short). */
export function tailLines(path: string, lines: number, maxBytes = 256 * 1024): string[] {
  const collected: string[] = [];
  for (const file of [path, `${path}.1`]) {
    const size = fileSize(file);
    if (size === undefined) continue;
    const start = Math.max(0, size - maxBytes);
    const text = readRange(file, start, size).toString('utf8');
    let fileLines = text.split('\n');
    if (fileLines[fileLines.length - 1] === '') fileLines.pop();
    if (start > 0) fileLines = fileLines.slice(1);
    collected.unshift(...fileLines);
    if (collected.length >= lines) break;
  }
  return collected.slice(-lines);
}

/** A short tail for reports: the last lines, at most `maxChars` characters. */
export function logTail(path: string, lines = 20, maxChars = 4_000): string {
  const text = tailLines(path, lines).join('\n');
  return text.length > maxChars ? text.slice(text.length - maxChars) : text;
}

/** Lines of a log file; with `follow`, keeps polling for new lines until the signal aborts. */
export async function* readLog(path: string, options: { follow?: boolean; tail?: number; signal?: AbortSignal; pollMs?: number }): AsyncGenerator<string> {
  const { follow = false, signal, pollMs = 100 } = options;
  let offset = fileSize(path) ?? 0;
  const initial = tailLines(path, options.tail ?? Number.MAX_SAFE_INTEGER, options.tail === undefined ? 16 * 1024 * 1024 : 256 * 1024);
  for (const line of initial) yield line;
  if (!follow) return;
  let partial = '';
  // Rotation truncates the live file; seeing the first rotated file change tells it even when the
  // live file has grown past the old offset again since.
  const rotatedMark = () => {
    try {
      const stat = statSync(`${path}.1`);
      return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      return '';
    }
  };
  let rotated = rotatedMark();
  while (!signal?.aborted) {
    const size = fileSize(path) ?? 0;
    const mark = rotatedMark();
    if (size < offset || mark !== rotated) {
      offset = 0;
      partial = '';
      rotated = mark;
    }
    if (size > offset) {
      const text = partial + readRange(path, offset, size).toString('utf8');
      offset = size;
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) yield line;
      continue;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollMs);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
