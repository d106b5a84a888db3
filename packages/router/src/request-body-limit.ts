import { Transform, type TransformCallback } from 'node:stream';

// A request body without Content-Length (chunked) can only be measured as it streams: this passes
// bytes through until the route's limit is crossed, then fails the stream, which aborts the upstream
// request. Bodies with a Content-Length are checked before anything is sent and skip this entirely.

export class RequestBodyLimit extends Transform {
  private seen = 0;
  /** Set once the limit was crossed, so the proxy can answer 413 rather than 502. */
  exceeded = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      this.exceeded = true;
      callback(new Error(`request body over ${this.limit} bytes`));
      return;
    }
    callback(null, chunk);
  }
}
