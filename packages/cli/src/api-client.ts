import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { parse } from 'yaml';
import { cliConfig, cliConfigPathFor, errorResponse, formatDiagnostic, type CliConfig } from '@slipway/contract';

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
  const response = await send(connection, method, path, body, AbortSignal.timeout(options.timeoutMs ?? 30_000));
  const text = await response.text();
  if (!response.ok) throw errorOf(response, text);
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(`the API at ${connection.url} answered ${method} ${path} with something that is not JSON (HTTP ${response.status})`, 'http', response.status);
  }
}

/**
 * Calls an endpoint whose answer is a text stream (an instance's log): the open Response, whose body
 * the caller reads until it ends or `signal` aborts. Failures before the stream starts throw ApiError.
 */
export async function streamApi(connection: Connection, path: string, signal: AbortSignal): Promise<Response> {
  const response = await send(connection, 'GET', path, undefined, signal);
  if (!response.ok) throw errorOf(response, await response.text());
  return response;
}

async function send(connection: Connection, method: string, path: string, body: unknown, signal: AbortSignal): Promise<Response> {
  const url = new URL(path, connection.url);
  if (connection.workspace && !url.searchParams.has('workspace')) url.searchParams.set('workspace', connection.workspace);
  try {
    return await fetch(url, {
      method,
      headers: { authorization: `Bearer ${connection.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal,
    });
  } catch (e) {
    if ((e as Error).name === 'TimeoutError') throw new ApiError(`the Slipway API at ${connection.url} did not answer ${method} ${path} in time`, 'unreachable');
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(`cannot reach the Slipway API at ${connection.url}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, 'unreachable');
  }
}

function errorOf(response: Response, text: string): ApiError {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const parsed = errorResponse.safeParse(json);
  const message = parsed.success ? parsed.data.error.message : `HTTP ${response.status}`;
  const details = parsed.success && parsed.data.error.diagnostics ? `\n${parsed.data.error.diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join('\n')}` : '';
  return new ApiError(`${message}${details}`, 'http', response.status);
}

/** The query that breaks glass on a protected environment (admins only, with a reason), or nothing. */
export function breakGlassQuery(reason: string | undefined): string {
  return reason === undefined ? '' : `?breakGlass=${encodeURIComponent(reason)}`;
}
