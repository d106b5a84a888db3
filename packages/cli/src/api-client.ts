import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { homedir } from 'node:os';
import { parse } from 'yaml';
import { cliConfig, cliConfigPathFor, errorResponse, formatDiagnostic, MAX_PAGE_LIMIT, type CliConfig } from '@slipway/contract';

/** Where the CLI keeps its URL and token (the server writes it on first start). */
export function cliConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return cliConfigPathFor(env, homedir());
}

/** Where the CLI sends its calls; `workspace` (SLIPWAY_WORKSPACE) makes each act there (admins of it only). */
export type Connection = CliConfig & { workspace?: string };

/** The API to talk to: SLIPWAY_URL and SLIPWAY_TOKEN win over the config file. */
export function resolveConnection(env: NodeJS.ProcessEnv = process.env): Connection {
  const file = cliConfigFile(env);
  const saved = existsSync(file) ? ((parse(readFileSync(file, 'utf8')) as Partial<CliConfig> | null) ?? {}) : {};
  const candidate = { url: env.SLIPWAY_URL || saved.url, token: env.SLIPWAY_TOKEN || saved.token };
  const parsed = cliConfig.safeParse(candidate);
  if (!parsed.success) {
    throw new ApiError(
      candidate.url || candidate.token
        ? `the connection settings are incomplete or invalid (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`
        : `not logged in: run \`slipway login --url <api url> --token <token>\`, start a server on this machine (it writes ${file}), or set SLIPWAY_URL and SLIPWAY_TOKEN`,
      'config',
    );
  }
  return env.SLIPWAY_WORKSPACE ? { ...parsed.data, workspace: env.SLIPWAY_WORKSPACE } : parsed.data;
}

/** A failed API call, with the server's message (and located diagnostics) made readable. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly kind: 'config' | 'unreachable' | 'http',
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface CallOptions {
  /** Gives up after this long (default 30 s); exec raises it to cover the command's own timeout. */
  timeoutMs?: number;
}

/** Calls the API with the bearer token; returns the parsed JSON answer or throws ApiError. */
export async function callApi<T>(connection: Connection, method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
  const { status, text } = await exchange(connection, method, path, body, options.timeoutMs ?? 30_000);
  if (status < 200 || status >= 300) throw errorOf(status, text);
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(`the API at ${connection.url} answered ${method} ${path} with something that is not JSON (HTTP ${status})`, 'http', status);
  }
}

function urlOf(connection: Connection, path: string): URL {
  const url = new URL(path, connection.url);
  if (connection.workspace && !url.searchParams.has('workspace')) url.searchParams.set('workspace', connection.workspace);
  return url;
}

function headersOf(connection: Connection, body: unknown): Record<string, string> {
  return { authorization: `Bearer ${connection.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
}

function unreachable(connection: Connection, error: Error): ApiError {
  return new ApiError(`cannot reach the Slipway API at ${connection.url}: ${error.cause instanceof Error ? error.cause.message : error.message}`, 'unreachable');
}

/**
 * One request and its whole answer, over node:http(s). Not fetch: loading and tearing down fetch's
 * HTTP client costs a one-shot command about 150 ms of its start and exit (issue 14's CLI target).
 */
function exchange(connection: Connection, method: string, path: string, body: unknown, timeoutMs: number): Promise<{ status: number; text: string }> {
  const url = urlOf(connection, path);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const open = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = open(url, { method, headers: { ...headersOf(connection, body), ...(payload === undefined ? {} : { 'content-length': Buffer.byteLength(payload) }) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => reject(unreachable(connection, e)));
    });
    const timer = setTimeout(() => req.destroy(new ApiError(`the Slipway API at ${connection.url} did not answer ${method} ${path} in time`, 'unreachable')), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (e) => reject(e instanceof ApiError ? e : unreachable(connection, e)));
    req.end(payload);
  });
}

/**
 * Calls an endpoint whose answer is a text stream (an instance's log): the open Response, whose body
 * the caller reads until it ends or `signal` aborts. Failures before the stream starts throw ApiError.
 */
export async function streamApi(connection: Connection, path: string, signal: AbortSignal): Promise<Response> {
  const response = await send(connection, 'GET', path, undefined, signal);
  if (!response.ok) throw errorOf(response.status, await response.text());
  return response;
}

async function send(connection: Connection, method: string, path: string, body: unknown, signal: AbortSignal): Promise<Response> {
  try {
    return await fetch(urlOf(connection, path), { method, headers: headersOf(connection, body), ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal });
  } catch (e) {
    if ((e as Error).name === 'TimeoutError') throw new ApiError(`the Slipway API at ${connection.url} did not answer ${method} ${path} in time`, 'unreachable');
    if ((e as Error).name === 'AbortError') throw e;
    throw unreachable(connection, e as Error);
  }
}

function errorOf(status: number, text: string): ApiError {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const parsed = errorResponse.safeParse(json);
  const message = parsed.success ? parsed.data.error.message : `HTTP ${status}`;
  const details = parsed.success && parsed.data.error.diagnostics ? `\n${parsed.data.error.diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join('\n')}` : '';
  return new ApiError(`${message}${details}`, 'http', status);
}

/** The query that breaks glass on a protected environment (admins only, with a reason), or nothing. */
export function breakGlassQuery(reason: string | undefined): string {
  return reason === undefined ? '' : `?breakGlass=${encodeURIComponent(reason)}`;
}

/** Rows per request when the CLI reads a list: the API's largest page, so few round trips. */
const LIST_PAGE_SIZE = MAX_PAGE_LIMIT;

/**
 * A list endpoint read page by page: every item when `limit` is absent, else the first `limit`.
 * `nextCursor` is the cursor of the rows not read (null when the list was read to its end), so a
 * `--limit` that cut the list short can say so, and `-o json` keeps the API's shape.
 */
export async function callApiList<T>(connection: Connection, path: string, options: { limit?: number } = {}): Promise<{ items: T[]; nextCursor: string | null }> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const url = new URL(path, 'http://list.invalid');
    const wanted = options.limit === undefined ? LIST_PAGE_SIZE : Math.min(LIST_PAGE_SIZE, options.limit - items.length);
    url.searchParams.set('limit', String(wanted));
    if (cursor) url.searchParams.set('cursor', cursor);
    const page: { items: T[]; nextCursor?: string | null } = await callApi(connection, 'GET', `${url.pathname}${url.search}`);
    items.push(...page.items);
    cursor = page.nextCursor ?? null;
  } while (cursor && (options.limit === undefined || items.length < options.limit));
  return { items, nextCursor: cursor };
}
