import type { ErrorResponse } from '@slipway/contract';
import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';

/** An answer of the API that was not 2xx, with the API's own error code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/**
 * The portal's only way to the server: the public /api with the signed-in token as a bearer token.
 * Feature folders build their typed calls on `json` (see applications/applications-api.ts);
 * `lines` and `events` read the streaming endpoints (text logs and server-sent events).
 */
export class ApiClient {
  constructor(
    private readonly token: string,
    /** Called on a 401, so the shell can sign out and ask for a token again. */
    private readonly onUnauthenticated: () => void = () => undefined,
    private readonly baseUrl = '',
  ) {}

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options, 'application/json');
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** Lines of a text stream (a log, optionally followed) until it ends or `signal` aborts. */
  async *lines(path: string, options: RequestOptions = {}): AsyncGenerator<string> {
    const response = await this.send('GET', path, options, 'text/plain');
    if (!response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let rest = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        rest += value;
        const parts = rest.split('\n');
        rest = parts.pop() ?? '';
        yield* parts;
      }
      if (rest) yield rest;
    } finally {
      reader.releaseLock();
    }
  }

  /**
   * Server-sent events read with fetch, because EventSource cannot send an Authorization header.
   * Ends when the server closes the stream or `signal` aborts.
   */
  async *events(path: string, options: RequestOptions = {}): AsyncGenerator<EventSourceMessage> {
    const response = await this.send('GET', path, options, 'text/event-stream');
    if (!response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }

  private async send(method: string, path: string, options: RequestOptions, accept: string): Promise<Response> {
    const query = Object.entries(options.query ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined);
    const url = `${this.baseUrl}${path}${query.length ? `?${new URLSearchParams(query).toString()}` : ''}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError(0, 'unreachable', `cannot reach the Slipway server: ${(error as Error).message}`);
    }
    if (response.ok) return response;
    const text = await response.text();
    let body: ErrorResponse | undefined;
    try {
      body = JSON.parse(text) as ErrorResponse;
    } catch {
      body = undefined;
    }
    if (response.status === 401) this.onUnauthenticated();
    throw new ApiError(response.status, body?.error.code ?? 'http_error', body?.error.message ?? `${method} ${path} answered ${response.status}`);
  }
}
