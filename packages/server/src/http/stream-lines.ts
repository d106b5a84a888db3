import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Answers with a plain-text stream of lines (a log, followed or not): written as they come, waiting for the
 * client to drain, stopped when it goes away. A source that fails mid-way ends the text with why.
 */
export async function streamLines(request: FastifyRequest, reply: FastifyReply, lines: (signal: AbortSignal) => AsyncIterable<string>): Promise<void> {
  const abort = new AbortController();
  request.raw.on('close', () => abort.abort());
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  try {
    for await (const line of lines(abort.signal)) {
      if (!res.write(`${line}\n`)) await new Promise((resolve) => res.once('drain', resolve));
      if (abort.signal.aborted) break;
    }
  } catch (error) {
    if (!abort.signal.aborted) res.write(`\n[slipway: the log ended: ${(error as Error).message}]\n`);
  }
  res.end();
}
