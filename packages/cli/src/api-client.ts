import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { parse } from 'yaml';
import { cliConfig, cliConfigPathFor, errorResponse, formatDiagnostic, type CliConfig } from '@slipway/contract';

/** Where the CLI keeps its URL and token (the server writes it on first start). */
export function cliConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return cliConfigPathFor(env, homedir());
}

/** The API to talk to: SLIPWAY_URL and SLIPWAY_TOKEN win over the config file. */
export function resolveConnection(env: NodeJS.ProcessEnv = process.env): CliConfig {
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
  return parsed.data;
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

/** Calls the API with the bearer token; returns the parsed JSON answer or throws ApiError. */
export async function callApi<T>(connection: CliConfig, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL(path, connection.url), {
      method,
      headers: { authorization: `Bearer ${connection.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new ApiError(`cannot reach the Slipway API at ${connection.url}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, 'unreachable');
  }
  const text = await response.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const parsed = errorResponse.safeParse(json);
    const message = parsed.success ? parsed.data.error.message : `HTTP ${response.status}`;
    const details = parsed.success && parsed.data.error.diagnostics ? `\n${parsed.data.error.diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join('\n')}` : '';
    throw new ApiError(`${message}${details}`, 'http', response.status);
  }
  return json as T;
}
