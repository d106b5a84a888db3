// A parser for the text/event-stream format (HTML Living Standard, "server-sent events"), fed
// arbitrary chunks as they arrive off the socket: events may be split anywhere, even inside a
// multi-byte character, and lines may end in \n, \r\n or \r.

export interface ServerSentEvent {
  /** "message" when the event named none. */
  event: string;
  data: string;
  /** The last id seen on the stream so far (ids persist across events, per the standard). */
  id: string | undefined;
}

export class SseParser {
  private readonly decoder = new TextDecoder();
  private buffer = '';
  /** How much of the buffer has been searched for a line end already. */
  private scanned = 0;
  private dataLines: string[] = [];
  private eventName = '';
  private lastId: string | undefined;
  private sawField = false;
  /** Set by a `retry:` field: the reconnection delay the server asks for. */
  retryMs: number | undefined;

  constructor(private readonly onEvent: (event: ServerSentEvent) => void) {}

  /**
   * Takes the next chunk. Linear in the input: each character is searched for a line end once, so a
   * line of many megabytes arriving in small chunks (a whole route table) costs its length, not its
   * length times the number of chunks.
   */
  push(chunk: Uint8Array): void {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const lineEnd = /\r\n|\r|\n/g;
    lineEnd.lastIndex = this.scanned;
    let start = 0;
    for (let match = lineEnd.exec(this.buffer); match; match = lineEnd.exec(this.buffer)) {
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (match[0] === '\r' && match.index + 1 === this.buffer.length) {
        lineEnd.lastIndex = match.index;
        break;
      }
      this.line(this.buffer.slice(start, match.index));
      start = match.index + match[0].length;
    }
    // Where the search stops: the end of the text, or the lone \r it waits behind.
    const scannedTo = this.buffer.endsWith('\r') ? this.buffer.length - 1 : this.buffer.length;
    this.buffer = this.buffer.slice(start);
    this.scanned = Math.max(0, scannedTo - start);
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return; // a comment: servers send them as heartbeats
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.dataLines.push(value);
        this.sawField = true;
        break;
      case 'event':
        this.eventName = value;
        this.sawField = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
  }

  private dispatch(): void {
    if (this.sawField && this.dataLines.length > 0) {
      this.onEvent({ event: this.eventName || 'message', data: this.dataLines.join('\n'), id: this.lastId });
    }
    this.dataLines = [];
    this.eventName = '';
    this.sawField = false;
  }
}
