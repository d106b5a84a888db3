import { describe, expect, it } from 'vitest';
import { SseParser, type ServerSentEvent } from './sse-parser.ts';

describe('SseParser', () => {
  it('reassembles events split anywhere, with any line ending, ids kept and comments skipped', () => {
    const events: ServerSentEvent[] = [];
    const parser = new SseParser((event) => events.push(event));
    const text = ': heartbeat\r\nid: 7\r\nevent: snapshot\r\ndata: {"a":\r\ndata: 1}\r\n\r\nretry: 1500\rdata: é\n\n';
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 3) parser.push(bytes.subarray(i, i + 3));
    expect(events).toEqual([
      { event: 'snapshot', data: '{"a":\n1}', id: '7' },
      { event: 'message', data: 'é', id: '7' },
    ]);
    expect(parser.retryMs).toBe(1500);
  });

  it('gives the same events for every way of cutting the stream, \r\n split across chunks included', () => {
    const text = 'event: a\r\ndata: one\r\n\r\ndata: two\r\rdata: three\n\nid: 9\ndata: x\r\ndata: y\r\n\r\n';
    const whole: ServerSentEvent[] = [];
    new SseParser((e) => whole.push(e)).push(Buffer.from(text));
    expect(whole.map((e) => e.data)).toEqual(['one', 'two', 'three', 'x\ny']);
    const bytes = Buffer.from(text);
    for (let size = 1; size <= 8; size++) {
      const events: ServerSentEvent[] = [];
      const parser = new SseParser((e) => events.push(e));
      for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size));
      expect(events, `chunks of ${size}`).toEqual(whole);
    }
  });

  it('takes a line of several megabytes in small chunks (a whole route table in one event)', () => {
    const data = JSON.stringify(Array.from({ length: 60_000 }, (_, i) => ({ host: `web-pr-${i}.slipway.localhost`, port: 30_000 + (i % 1000) })));
    const bytes = Buffer.from(`event: snapshot\ndata: ${data}\n\n`);
    const events: ServerSentEvent[] = [];
    const parser = new SseParser((e) => events.push(e));
    for (let i = 0; i < bytes.length; i += 16_384) parser.push(bytes.subarray(i, i + 16_384));
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toBe(data);
  });

  it('drops a byte order mark at the start of the stream only, even when it comes a byte at a time', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: \ufeffone\n\n')]);
    for (const size of [1, 2, 3, 64]) {
      const events: ServerSentEvent[] = [];
      const parser = new SseParser((e) => events.push(e));
      for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size));
      expect(events.map((e) => e.data), `chunks of ${size}`).toEqual(['\ufeffone']);
    }
  });
});
