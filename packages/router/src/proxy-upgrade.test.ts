import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { RouteTable } from './route-table.ts';
import { startRouter } from './start-router.ts';
import { closedPort, startServer, upstreamRoute } from './test-support/network.ts';

// A WebSocket echo through the router: the upstream does the real RFC 6455 handshake and echoes
// one unmasked text frame back; the test client sends a masked frame as browsers do.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const guid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

function unmaskFrame(frame: Buffer): string {
  const length = frame[1]! & 0x7f;
  const mask = frame.subarray(2, 6);
  return Buffer.from(frame.subarray(6, 6 + length).map((byte, i) => byte ^ mask[i % 4]!)).toString();
}

async function readUntil(socket: Socket, done: (data: Buffer) => boolean): Promise<Buffer> {
  let data = Buffer.alloc(0);
  while (!done(data)) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    data = Buffer.concat([data, chunk]);
  }
  return data;
}

describe('upgraded connections', () => {
  it('pipes a WebSocket handshake and frames both ways, with forwarded headers', async () => {
    let upgradeHeaders: Record<string, unknown> = {};
    const upstream = await startServer((_req, res) => res.end('not a websocket'));
    upstream.server.on('upgrade', (req, socket) => {
      upgradeHeaders = req.headers;
      const accept = createHash('sha1').update(`${String(req.headers['sec-websocket-key'])}${guid}`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      socket.on('data', (frame: Buffer) => {
        const text = unmaskFrame(frame);
        const reply = Buffer.from(`echo: ${text}`);
        socket.write(Buffer.concat([Buffer.from([0x81, reply.length]), reply]));
      });
    });
    cleanups.push(() => upstream.close());
    const table = new RouteTable();
    table.upsertEnvironment('web', 'main', [upstreamRoute('ws.test', [upstream.port], { pathPrefix: '/live', stripPrefix: true })]);
    const router = await startRouter({ table, port: 0, host: '127.0.0.1' });
    cleanups.push(() => router.close());

    const client = connect(router.port, '127.0.0.1');
    cleanups.push(async () => {
      client.destroy();
    });
    await once(client, 'connect');
    const key = Buffer.from('0123456789abcdef').toString('base64');
    client.write(`GET /live/socket HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    const handshake = (await readUntil(client, (data) => data.includes('\r\n\r\n'))).toString();
    expect(handshake).toMatch(/^HTTP\/1.1 101/);
    expect(handshake).toContain(`Sec-WebSocket-Accept: ${createHash('sha1').update(`${key}${guid}`).digest('base64')}`);
    expect(upgradeHeaders).toMatchObject({ host: 'ws.test', upgrade: 'websocket', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': 'ws.test' });

    client.write(maskedTextFrame('hello'));
    const frame = await readUntil(client, (data) => data.length >= 2 && data.length >= 2 + data[1]!);
    expect(frame.subarray(2).toString()).toBe('echo: hello');
  });

  it('answers 404 for an unknown host and 502 when the upstream refuses, on the raw socket', async () => {
    const down = await closedPort();
    const table = new RouteTable();
    table.upsertEnvironment('web', 'main', [upstreamRoute('ws.test', [down])]);
    const router = await startRouter({ table, port: 0, host: '127.0.0.1' });
    cleanups.push(() => router.close());
    for (const [host, status] of [['nobody.test', '404'], ['ws.test', '502']] as const) {
      const client = connect(router.port, '127.0.0.1');
      client.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`);
      let answer = '';
      for await (const chunk of client) answer += String(chunk);
      expect(answer.split(' ')[1]).toBe(status);
    }
  });
});
