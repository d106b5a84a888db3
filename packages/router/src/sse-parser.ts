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
  /** Bytes of a line that has not ended yet, in the order they came. */
  private partial: Buffer[] = [];
  /** The last chunk ended in \r: a \n starting the next one belongs to it. */
  private afterCarriageReturn = false;
  private atStart = true;
  private dataLines: string[] = [];
  private eventName = '';
  private lastId: string | undefined;
  private sawField = false;
  /** Set by a `retry:` field: the reconnection delay the server asks for. */
  retryMs: number | undefined;

  constructor(private readonly onEvent: (event: ServerSentEvent) => void) {}

  /**
   * Takes the next chunk. Linear in the input, and working on bytes: line ends are found with
   * Buffer.indexOf and each line is decoded once, whole, so a multi-byte character split between
   * chunks decodes right and a 64 KiB snapshot chunk costs one search and one decode.
   */
  push(input: Uint8Array): void {
    let chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (this.atStart) {
      // A byte order mark may open the stream (and only there).
      const head = this.partial.length > 0 ? Buffer.concat([...this.partial, chunk]) : chunk;
      if (head.length < 3 && head.length > 0 && Buffer.from([0xef, 0xbb, 0xbf]).subarray(0, head.length).equals(head)) {
        this.partial = [head];
        return;
      }
      this.partial = [];
      this.atStart = false;
      chunk = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? head.subarray(3) : head;
    }
    let position = 0;
    if (this.afterCarriageReturn && chunk.length > 0) {
      this.afterCarriageReturn = false;
      if (chunk[0] === 0x0a) position = 1;
    }
    // Where the next \r is, searched again only once passed: most streams have none at all.
    let carriageReturn = chunk.indexOf(0x0d, position);
    while (position < chunk.length) {
      if (carriageReturn !== -1 && carriageReturn < position) carriageReturn = chunk.indexOf(0x0d, position);
      const lineFeed = chunk.indexOf(0x0a, position);
      const end = carriageReturn === -1 ? lineFeed : lineFeed === -1 ? carriageReturn : Math.min(lineFeed, carriageReturn);
      if (end === -1) {
        this.partial.push(chunk.subarray(position));
        return;
      }
      let text: string;
      if (this.partial.length === 0) text = chunk.toString('utf8', position, end);
      else {
        this.partial.push(chunk.subarray(position, end));
        text = Buffer.concat(this.partial).toString('utf8');
        this.partial = [];
      }
      position = end + 1;
      if (chunk[end] === 0x0d) {
        if (position === chunk.length) this.afterCarriageReturn = true;
        else if (chunk[position] === 0x0a) position += 1;
      }
      this.line(text);
    }
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
