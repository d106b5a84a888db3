// A deploy's log: one text file per deploy under <home>/deploys/<deploy id>.log, written by the
// workflow engine (a line as each task starts and ends, and the build and job output the runtime
// hands on, prefixed with the service or job). Bounded: past `maxBytes` output is left out after a
// note saying so; the engine's own task lines still go in, up to a small reserve beyond the cap.
// Logs outlive their environment (history): a teardown keeps them.
import { appendFileSync, closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

export const DEFAULT_DEPLOY_LOG_BYTES = 5 * 1024 * 1024;
/** Room kept beyond the cap for the engine's task lines, so a log full of build output still ends with its outcome. */
const TASK_LINE_RESERVE = 64 * 1024;

const deployIdPattern = /^[0-9a-f-]{36}$/;

export class DeployLogs {
  /** Bytes written per deploy since this process opened its log (read from the file on first use). */
  private readonly sizes = new Map<string, { bytes: number; truncated: boolean }>();

  constructor(
    readonly dir: string,
    private readonly maxBytes = DEFAULT_DEPLOY_LOG_BYTES,
  ) {}

  path(deployId: string): string {
    if (!deployIdPattern.test(deployId)) throw new Error(`not a deploy id: ${JSON.stringify(deployId)}`);
    return join(this.dir, `${deployId}.log`);
  }

  /** Appends a line of build or job output; left out (after a note) once the log is full. */
  output(deployId: string, line: string): void {
    this.write(deployId, line, false);
  }

  /** Appends one of the engine's own lines (a task started or ended): kept past the cap, up to a reserve. */
  task(deployId: string, line: string): void {
    this.write(deployId, line, true);
  }

  /** Forgets the size kept in memory for a deploy that ended. */
  close(deployId: string): void {
    this.sizes.delete(deployId);
  }

  private write(deployId: string, line: string, isTaskLine: boolean): void {
    const path = this.path(deployId);
    let state = this.sizes.get(deployId);
    if (!state) {
      let bytes = 0;
      try {
        bytes = statSync(path).size;
      } catch {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      }
      state = { bytes, truncated: bytes >= this.maxBytes };
      this.sizes.set(deployId, state);
    }
    const text = `${line.replace(/\n/g, ' ')}\n`;
    const size = Buffer.byteLength(text);
    const limit = isTaskLine ? this.maxBytes + TASK_LINE_RESERVE : this.maxBytes;
    if (state.bytes + size > limit) {
      if (!state.truncated) {
        state.truncated = true;
        const note = `[slipway] the deploy log reached its limit of ${formatBytes(this.maxBytes)}: further output is left out (task lines go on)\n`;
        appendFileSync(path, note, { mode: 0o600 });
        state.bytes += Buffer.byteLength(note);
      }
      return;
    }
    appendFileSync(path, text, { mode: 0o600 });
    state.bytes += size;
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB` : `${Math.round(bytes / 1024)} KB`;
}

/**
 * The lines of a deploy log. With `follow`, keeps reading new lines until `ended()` says the deploy
 * is over (then reads what is left and stops) or the signal aborts.
 */
export async function* readDeployLog(
  path: string,
  options: { follow?: boolean; ended?: () => Promise<boolean>; signal?: AbortSignal; pollMs?: number } = {},
): AsyncGenerator<string> {
  const pollMs = options.pollMs ?? 200;
  const decoder = new StringDecoder('utf8');
  let offset = 0;
  let partial = '';
  const readNew = function* (): Generator<string> {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return;
    }
    while (offset < size) {
      const fd = openSync(path, 'r');
      let n: number;
      const buffer = Buffer.alloc(Math.min(size - offset, 1024 * 1024));
      try {
        n = readSync(fd, buffer, 0, buffer.length, offset);
      } finally {
        closeSync(fd);
      }
      if (n === 0) return;
      offset += n;
      const parts = (partial + decoder.write(buffer.subarray(0, n))).split('\n');
      partial = parts.pop() ?? '';
      yield* parts;
    }
  };
  yield* readNew();
  if (options.follow) {
    while (!options.signal?.aborted) {
      // Asked before reading: the engine writes a deploy's last line before it stores its end.
      const ended = options.ended ? await options.ended() : false;
      yield* readNew();
      if (ended) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pollMs);
        function done() {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', done);
          resolve();
        }
        options.signal?.addEventListener('abort', done, { once: true });
      });
    }
  }
  const rest = partial + decoder.end();
  if (rest) yield rest;
}
