// Container output as lines. The engine multiplexes stdout and stderr of a container without a TTY
// into frames (8-byte header: stream, 3 zero bytes, big-endian length); a whole log read arrives as
// one buffer of frames, a followed log as a stream of them.
import { PassThrough, type Readable } from 'node:stream';
import type Dockerode from 'dockerode';

/** The payload of a multiplexed buffer; the buffer as text when it is not multiplexed. */
export function demuxBuffer(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const stream = buffer[offset]!;
    const length = buffer.readUInt32BE(offset + 4);
    if (stream > 2 || buffer[offset + 1] !== 0 || buffer[offset + 2] !== 0 || buffer[offset + 3] !== 0 || offset + 8 + length > buffer.length) {
      return offset === 0 ? buffer.toString('utf8') : Buffer.concat([...parts, buffer.subarray(offset)]).toString('utf8');
    }
    parts.push(buffer.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  if (offset < buffer.length) parts.push(buffer.subarray(offset));
  return Buffer.concat(parts).toString('utf8');
}

export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** A container's whole log (or its last `tail` lines) as text. */
export async function containerLogText(container: Dockerode.Container, tail?: number): Promise<string> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, follow: false, ...(tail !== undefined ? { tail } : {}) })) as unknown;
    if (Buffer.isBuffer(raw)) return demuxBuffer(raw);
    return typeof raw === 'string' ? raw : '';
  } catch {
    return '';
  }
}

/** Lines of a followed log stream until it ends or `signal` aborts. */
export async function* followLines(docker: Dockerode, container: Dockerode.Container, tail: number | undefined, signal?: AbortSignal): AsyncGenerator<string> {
  const source = (await container.logs({ stdout: true, stderr: true, follow: true, ...(tail !== undefined ? { tail } : {}) })) as unknown as Readable;
  const output = new PassThrough();
  docker.modem.demuxStream(source, output, output);
  const finish = () => {
    source.destroy();
    output.end();
  };
  source.once('end', () => output.end());
  source.once('close', () => output.end());
  source.once('error', () => output.end());
  if (signal?.aborted) finish();
  signal?.addEventListener('abort', finish, { once: true });
  let pending = '';
  try {
    for await (const chunk of output) {
      pending += (chunk as Buffer).toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
    if (pending) yield pending;
  } finally {
    signal?.removeEventListener('abort', finish);
    source.destroy();
  }
}

/** The last `count` lines of a text, for log tails in results. */
export function lastLines(text: string, count = 40): string {
  const lines = splitLines(text);
  return lines.slice(-count).join('\n');
}
