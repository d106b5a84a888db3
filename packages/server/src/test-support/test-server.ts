import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeployResponse } from '@slipway/contract';
import type { ServerConfig } from '../config.ts';
import { startServer, type RunningServer, type StartServerOptions } from '../start-server.ts';

export interface TestServer {
  server: RunningServer;
  /** Temporary folder holding the server's home; removed by close(). */
  dir: string;
  /** Removes every workload, stops the server and deletes its folder. */
  close(): Promise<void>;
}

/** A whole server (SQLite, local driver, router, engine) in a temporary home, on free ports, with fast engine timings. */
export async function startTestServer(prefix: string, options: StartServerOptions = {}, config: Partial<ServerConfig> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
  const server = await startServer(
    { home: join(dir, 'home'), apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(dir, 'cli.yaml'), ...config },
    { graceMs: 2_000, ...options, engine: { tickMs: 200, refreshRoutesMs: 500, ...options.engine } },
  );
  return { server, dir, close: () => closeServer(server, dir) };
}

/**
 * Stops the server's workflow engine first (so no queued deploy starts a process after the sweep), removes
 * every workload of its drivers, stops the server (when it started) and deletes `dir`.
 */
export async function closeServer(server: RunningServer | undefined, dir: string): Promise<void> {
  if (server) {
    await server.engine.stop();
    for (const driver of Object.values(server.drivers)) await driver.sweep([]);
    await server.close();
  }
  rmSync(dir, { recursive: true, force: true });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely
export type HttpAnswerJson = any;

export interface HttpAnswer {
  status: number;
  text: string;
  /** The answer's headers, names in lower case. */
  headers: Record<string, string | string[] | undefined>;
  json(): HttpAnswerJson;
}

/** One HTTP request to 127.0.0.1 (the API, or the router with a Host header). */
export function httpRequest(port: number, method: string, path: string, options: { host?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...options.headers };
    if (options.host) headers.host = options.host;
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (body) headers['content-type'] = 'application/json';
    const req = request({ host: '127.0.0.1', port, method, path, headers, timeout: 15_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers, json: () => JSON.parse(text) }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Waits until the environment has no deploy queued or running; its status then, or "gone" once deleted. */
export async function settled(server: RunningServer, envId: string, timeoutMs = 30_000, workspace = 'default'): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const env = await server.environments.getLive(workspace, envId);
    if (!env) return 'gone';
    if (!(await server.environments.hasActiveDeploy(env.id))) return env.status;
    if (Date.now() > end) throw new Error(`${envId} still deploying after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls the API until deploy `id` is neither queued nor running; the deploy as it ended. */
export async function waitForDeploy(server: RunningServer, token: string, id: string, timeoutMs = 60_000, pollMs = 200): Promise<DeployResponse> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const deploy = (await httpRequest(Number(new URL(server.apiUrl).port), 'GET', `/api/v1/deploys/${id}`, { token })).json() as DeployResponse;
    if (!['queued', 'running'].includes(deploy.state)) return deploy;
    if (Date.now() > until) throw new Error(`deploy ${id} still ${deploy.state}: ${JSON.stringify(deploy.tasks)}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** One call to the API at `apiUrl` with a bearer token and a JSON body: the status and the answer's JSON (undefined when empty). */
export async function apiCall(apiUrl: string, token: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: HttpAnswerJson }> {
  const response = await fetch(new URL(path, apiUrl), {
    method,
    headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? JSON.parse(text) : undefined };
}

/** apiCall that fails, naming the call, its status and answer, unless the status is 2xx; the answer's JSON. */
export async function apiOk(apiUrl: string, token: string | undefined, method: string, path: string, body?: unknown): Promise<HttpAnswerJson> {
  const { status, text, json } = await apiCall(apiUrl, token, method, path, body);
  if (status < 200 || status >= 300) throw new Error(`${method} ${path} on ${apiUrl}: ${status} ${text}`);
  return json;
}
