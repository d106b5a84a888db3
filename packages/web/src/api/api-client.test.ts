import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from './api-client.ts';

let server: Server;
let base: string;
const seen: { method: string; url: string; authorization?: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body });
      const write = (chunks: string[], type: string) => {
        res.writeHead(200, { 'content-type': type });
        // Chunks on separate ticks: lines and events arrive split at awkward places.
        let i = 0;
        const next = () => (i < chunks.length ? res.write(chunks[i++], () => setTimeout(next, 5)) : res.end());
        next();
      };
      if (req.url === '/lines') return write(['first li', 'ne\nsecond\n', 'third (no newline)'], 'text/plain');
      if (req.url === '/events') return write([': comment\n\nevent: deploy\ndata: {"a":', '1}\n\n', 'event: end\ndata: {}\n\n'], 'text/event-stream');
      if (req.url === '/denied') return res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'unauthenticated', message: 'token revoked' } }));
      if (req.url === '/broken') return res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('ApiClient', () => {
  it('sends the token, the query and a JSON body, and reads JSON', async () => {
    const client = new ApiClient('slw_secret', undefined, base);
    await expect(client.json('POST', '/things', { body: { a: 1 }, query: { app: 'guestbook', skip: undefined } })).resolves.toEqual({ echo: '/things?app=guestbook' });
    expect(seen.at(-1)).toEqual({ method: 'POST', url: '/things?app=guestbook', authorization: 'Bearer slw_secret', body: '{"a":1}' });
  });

  it('reads lines split across chunks, the last one without a newline too', async () => {
    const lines: string[] = [];
    for await (const line of new ApiClient('t', undefined, base).lines('/lines')) lines.push(line);
    expect(lines).toEqual(['first line', 'second', 'third (no newline)']);
  });

  it('reads server-sent events split across chunks, skipping comments', async () => {
    const events: { event?: string | undefined; data: string }[] = [];
    for await (const message of new ApiClient('t', undefined, base).events('/events')) events.push({ event: message.event, data: message.data });
    expect(events).toEqual([
      { event: 'deploy', data: '{"a":1}' },
      { event: 'end', data: '{}' },
    ]);
  });

  it("turns the API's error into an ApiError, and a 401 into a sign-out", async () => {
    let signedOut = 0;
    const client = new ApiClient('t', () => signedOut++, base);
    const error = await client.json('GET', '/denied').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: 'unauthenticated', message: 'token revoked' });
    expect(signedOut).toBe(1);
    await expect(client.json('GET', '/broken')).rejects.toMatchObject({ status: 502, code: 'http_error', message: 'GET /broken answered 502' });
    expect(signedOut).toBe(1);
  });

  it('says when the server cannot be reached', async () => {
    await expect(new ApiClient('t', undefined, 'http://127.0.0.1:9').json('GET', '/x')).rejects.toMatchObject({ status: 0, code: 'unreachable', message: expect.stringContaining('cannot reach the Slipway server') });
  });
});
