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
});
