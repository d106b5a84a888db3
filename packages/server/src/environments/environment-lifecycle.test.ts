// The rest of an environment's life through the API: secrets injected but never shown, variables of
// one environment (config-set re-runs setup), logs and exec of an instance, extend, and the
// scheduler tearing down an expired environment.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployResponse } from '@slipway/contract';
import { createApiToken } from '../store/api-tokens.ts';
import type { RunningServer } from '../start-server.ts';
import { commitAll, git } from '../test-support/example-repository.ts';
import { httpRequest, startTestServer, type TestServer, type HttpAnswer } from '../test-support/test-server.ts';

let test: TestServer;
let dir: string;
const SECRET = 's3cr3t-value-that-must-not-leak';
let server: RunningServer;
let token: string;
const events: string[] = [];

const call = (method: string, path: string, body?: unknown): Promise<HttpAnswer> => httpRequest(Number(new URL(server.apiUrl).port), method, path, { token, body });

async function settle(deployId: string): Promise<DeployResponse> {
  for (let i = 0; i < 300; i++) {
    const deploy = (await call('GET', `/api/v1/deploys/${deployId}`)).json() as DeployResponse;
    if (deploy.state !== 'queued' && deploy.state !== 'running') return deploy;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`deploy ${deployId} did not end`);
}

function filesUnder(root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

beforeAll(async () => {
  test = await startTestServer('lifecycle');
  server = test.server;
  dir = test.dir;
  const repository = join(dir, 'repo');
  mkdirSync(join(repository, '.slipway'), { recursive: true });
  writeFileSync(
    join(repository, 'server.mjs'),
    `import { createServer } from 'node:http';
console.log('greeting is ' + process.env.GREETING + ', token has ' + (process.env.API_TOKEN || '').length + ' characters');
createServer((req, res) => res.end(JSON.stringify({ greeting: process.env.GREETING }))).listen(Number(process.env.PORT));
`,
  );
  writeFileSync(
    join(repository, '.slipway/app.yaml'),
    `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: hello
spec:
  runtime: local
  services:
    - name: web
      run:
        command: node server.mjs
      ports:
        - port: 3000
      env:
        API_TOKEN:
          secret: api-token
      readiness:
        http:
          path: /
        period: 1s
  env:
    defaults:
      GREETING: hello
`,
  );
  git(repository, 'init', '-q', '-b', 'main');
  commitAll(repository, 'hello');
  token = (await createApiToken(server.store.db, { name: 'test', workspace: 'default', role: 'admin' })).secret;
  server.engine.onDeploy((e) => void events.push(`${e.type} ${e.deploy.workflow} ${e.deploy.state} ${e.environment.envId} ${e.environment.status}`));
  expect((await call('POST', '/api/v1/applications', { repository })).status).toBe(201);
}, 60_000);

afterAll(() => test?.close(), 60_000);

describe('an environment through its life', () => {
  it('fails clearly while a referenced secret is missing, then runs with it injected and never shows it', async () => {
    const first = await call('POST', '/api/v1/environments', { app: 'hello', kind: 'permanent', id: 'demo' });
    expect(first.status, first.text).toBe(202);
    const failed = await settle(first.json().deploy.id);
    expect(failed.state).toBe('failed');
    expect(failed.reason).toMatch(/secret not set in workspace default: api-token; set with `slipway secrets set <name>`/);

    expect((await call('PUT', '/api/v1/secrets/api-token', { value: SECRET })).status).toBe(204);
    expect((await call('GET', '/api/v1/secrets')).json()).toEqual({ items: [{ name: 'api-token' }], nextCursor: null });
    const retried = await call('PUT', '/api/v1/environments/demo/config', { variables: {} });
    expect(retried.status, retried.text).toBe(202);
    expect((await settle(retried.json().deploy.id)).state).toBe('succeeded');
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual([
      'started setup running demo queued',
      'ended setup failed demo failed',
      'started setup running demo failed',
      'ended setup succeeded demo ready',
    ]);

    const exec = await call('POST', '/api/v1/environments/demo/instances/web-0/exec', { command: ['node', '-e', 'console.log(process.env.API_TOKEN === process.argv[1] ? "injected" : "missing")', SECRET] });
    expect(exec.json()).toMatchObject({ exitCode: 0, output: expect.stringContaining('injected') });
    const vars = (await call('GET', '/api/v1/environments/demo/vars')).json();
    expect(vars.services.web.API_TOKEN).toBe('(secret api-token)');
    for (const path of ['/api/v1/environments/demo', '/api/v1/environments/demo/deploys', '/api/v1/environments/demo/instances', '/api/v1/environments/demo/config']) {
      expect((await call('GET', path)).text).not.toContain(SECRET);
    }
    // Not in the store, the driver's state files or the logs either.
    for (const file of filesUnder(join(dir, 'home'))) {
      expect(readFileSync(file).includes(SECRET), file).toBe(false);
    }
  }, 60_000);

  it('changes the variables of one environment with config-set and shows them in the logs', async () => {
    const set = await call('PUT', '/api/v1/environments/demo/config', { variables: { GREETING: 'bonjour' } });
    expect((await settle(set.json().deploy.id)).state).toBe('succeeded');
    expect((await call('GET', '/api/v1/environments/demo/config')).json()).toMatchObject({ variables: { GREETING: 'bonjour' } });
    expect((await call('GET', '/api/v1/environments/demo/vars')).json().services.web.GREETING).toBe('bonjour');
    const logs = await call('GET', '/api/v1/environments/demo/instances/web-0/logs?tail=5');
    expect(logs.status).toBe(200);
    expect(logs.text).toContain('greeting is bonjour, token has 31 characters');
    expect((await call('GET', '/api/v1/environments/demo/instances/web-9/logs')).json().error.message).toMatch(/no instance "web-9".*it has web-0/);
  }, 60_000);

  it('extends an ephemeral environment, and the scheduler tears it down once it expired', async () => {
    const runsBefore = server.workerMetrics().find((m) => m.name === 'expiry')!.runs;
    const created = await call('POST', '/api/v1/environments', { app: 'hello', branch: 'main', id: 'short', ttl: '1h' });
    expect((await settle(created.json().deploy.id)).state).toBe('succeeded');
    const extended = (await call('POST', '/api/v1/environments/short/extend', { ttl: '2s' })).json();
    const left = Date.parse(extended.expiresAt) - Date.now();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(2_000);
    expect((await call('POST', '/api/v1/environments/demo/extend', { ttl: '1h' })).json().error.message).toMatch(/permanent/);
    for (let i = 0; i < 100 && (await call('GET', '/api/v1/environments/short')).status !== 404; i++) await new Promise((r) => setTimeout(r, 200));
    expect((await call('GET', '/api/v1/environments/short')).status).toBe(404);
    expect((await server.drivers.local!.listOwned()).filter((r) => r.env.envId === 'short')).toEqual([]);
    // The scheduler woke for events (deploys starting, the extension) and the deadline, not to scan every tick.
    const runs = server.workerMetrics().find((m) => m.name === 'expiry')!.runs - runsBefore;
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(runs).toBeLessThanOrEqual(8);
  }, 60_000);
});
