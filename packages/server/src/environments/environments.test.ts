// Environments end to end on one machine: the real server (SQLite, local driver, embedded router,
// workflow engine) runs the guestbook example from a git repository, reached over real HTTP.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployResponse, EnvironmentResponse } from '@slipway/contract';
import { createApiToken } from '../store/api-tokens.ts';
import type { RunningServer } from '../start-server.ts';
import { commitAll, git, guestbookRepository } from '../test-support/example-repository.ts';
import { processAlive } from '../test-support/process-alive.ts';
import { httpRequest as http, startTestServer, waitForDeploy as deployEnded, type TestServer } from '../test-support/test-server.ts';

let test: TestServer;
let server: RunningServer;
let token: string;
let repository: string;

const apiPort = () => Number(new URL(server.apiUrl).port);
const api = (method: string, path: string, body?: unknown) => http(apiPort(), method, path, { token, body });
const viaRouter = (host: string, path = '/') => http(server.routerPort, 'GET', path, { host });

const waitForDeploy = (id: string, timeoutMs = 60_000) => deployEnded(server, token, id, timeoutMs);

beforeAll(async () => {
  repository = guestbookRepository();
  test = await startTestServer('envs');
  server = test.server;
  token = (await createApiToken(server.store.db, { name: 'test', workspace: 'default', role: 'admin' })).secret;
  const registered = await api('POST', '/api/v1/applications', { repository });
  expect(registered.status, registered.text).toBe(201);
}, 60_000);

afterAll(async () => {
  await test?.close();
  if (repository) rmSync(repository, { recursive: true, force: true });
}, 60_000);

describe('environments of the guestbook on one machine', () => {
  it('creates a permanent environment that serves the site and the API through the router', async () => {
    const created = await api('POST', '/api/v1/environments', { app: 'guestbook', kind: 'permanent', id: 'main', branch: 'main' });
    expect(created.status, created.text).toBe(202);
    // One long-polling GET answers once the deploy has ended, its routes published.
    const waited = await api('GET', `/api/v1/deploys/${created.json().deploy.id}?wait=60`);
    expect(waited.status, waited.text).toBe(200);
    const deploy = waited.json() as DeployResponse;
    expect(deploy.state, JSON.stringify(deploy)).toBe('succeeded');
    expect((await viaRouter('guestbook-main.slipway.localhost', '/api/health')).status).toBe(200);
    expect((await api('GET', `/api/v1/deploys/${deploy.id}?wait=soon`)).status).toBe(400);
    expect((await api('GET', `/api/v1/deploys/${deploy.id}?wait=61`)).status).toBe(400);
    expect(deploy.tasks!.map((t) => `${t.key}=${t.state}`)).toEqual(expect.arrayContaining(['source=succeeded']));
    expect(deploy.tasks!.every((t) => t.state === 'succeeded')).toBe(true);

    const env = (await api('GET', '/api/v1/environments/main')).json() as EnvironmentResponse;
    expect(env.status).toBe('ready');
    expect(env.urls.web).toBe(`http://guestbook-main.slipway.localhost:${server.routerPort}`);
    expect(env.instances!.map((i) => `${i.name}:${i.state}`).sort()).toEqual(['api-0:ready', 'worker-0:ready']);

    const page = await viaRouter('guestbook-main.slipway.localhost');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<html/i);
    const health = await viaRouter('guestbook-main.slipway.localhost', '/api/health');
    expect(health.status).toBe(200);
    expect(health.json()).toMatchObject({ ok: true });
  }, 90_000);

  it('runs a second environment of another branch side by side, and a patch deploy serves new code', async () => {
    git(repository, 'checkout', '-q', '-b', 'feature-x');
    const info = join(repository, 'web/src/index.html');
    writeFileSync(info, readFileSync(info, 'utf8').replace('<body>', '<body><p id="branch">feature x</p>'));
    commitAll(repository, 'feature x');
    git(repository, 'checkout', '-q', 'main');

    const created = await api('POST', '/api/v1/environments', { app: 'guestbook', branch: 'feature-x' });
    expect(created.status, created.text).toBe(202);
    expect(created.json().environment).toMatchObject({ id: 'feature-x', kind: 'ephemeral', branch: 'feature-x' });
    expect(created.json().environment.expiresAt).toBeDefined();
    expect((await waitForDeploy(created.json().deploy.id)).state).toBe('succeeded');
    expect((await viaRouter('guestbook-feature-x.slipway.localhost')).text).toContain('feature x');
    expect((await viaRouter('guestbook-main.slipway.localhost')).text).not.toContain('feature x');

    git(repository, 'checkout', '-q', 'feature-x');
    writeFileSync(info, readFileSync(info, 'utf8').replace('feature x', 'feature x, second commit'));
    const second = commitAll(repository, 'second');
    git(repository, 'checkout', '-q', 'main');
    const patch = await api('POST', '/api/v1/environments/feature-x/deploys', {});
    expect(patch.status, patch.text).toBe(202);
    const done = await waitForDeploy(patch.json().id);
    expect(done).toMatchObject({ workflow: 'patch', state: 'succeeded', commit: second });
    expect((await viaRouter('guestbook-feature-x.slipway.localhost')).text).toContain('second commit');
  }, 120_000);

  it('deletes an environment leaving no process, worktree or route behind', async () => {
    const before = (await api('GET', '/api/v1/environments/feature-x')).json() as EnvironmentResponse;
    const pids = (await server.drivers.local!.listOwned()).filter((r) => r.env.envId === 'feature-x' && r.kind === 'process').map((r) => Number(r.id));
    expect(pids.length).toBeGreaterThan(0);
    expect(before.status).toBe('ready');
    const deleted = await api('DELETE', '/api/v1/environments/feature-x');
    expect(deleted.status, deleted.text).toBe(202);
    expect((await waitForDeploy(deleted.json().deploy.id)).state).toBe('succeeded');
    expect((await api('GET', '/api/v1/environments/feature-x')).status).toBe(404);
    expect((await server.drivers.local!.listOwned()).filter((r) => r.env.envId === 'feature-x')).toEqual([]);
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    expect((await viaRouter('guestbook-feature-x.slipway.localhost')).status).toBe(404);
  }, 60_000);

  it('refuses bad input with a clear error and creates nothing', async () => {
    const count = async () => ((await api('GET', '/api/v1/environments')).json().items as unknown[]).length;
    const before = await count();
    const unknownApp = await api('POST', '/api/v1/environments', { app: 'guestbok', branch: 'main' });
    expect(unknownApp.status).toBe(404);
    expect(unknownApp.json().error.message).toMatch(/no application "guestbok".*did you mean "guestbook"/);
    const noBranch = await api('POST', '/api/v1/environments', { app: 'guestbook', branch: 'nope' });
    expect(noBranch.status).toBe(400);
    expect(noBranch.json().error.message).toMatch(/branch "nope" does not exist .* it has feature-x, main/);
    const taken = await api('POST', '/api/v1/environments', { app: 'guestbook', kind: 'permanent', id: 'main' });
    expect(taken.status).toBe(409);
    const badTtl = await api('POST', '/api/v1/environments', { app: 'guestbook', branch: 'main', id: 'x', ttl: 'soon' });
    expect(badTtl.status).toBe(400);
    expect(badTtl.json().error.diagnostics[0].path).toBe('ttl');
    expect((await api('GET', '/api/v1/environments/nope')).status).toBe(404);
    expect(await count()).toBe(before);
  }, 30_000);

  it('reports a failing build as Failed with the log tail', async () => {
    git(repository, 'checkout', '-q', '-b', 'broken');
    writeFileSync(join(repository, 'web/build.mjs'), "console.error('syntax is wrong here'); process.exit(2);\n");
    commitAll(repository, 'broken build');
    git(repository, 'checkout', '-q', 'main');
    const created = await api('POST', '/api/v1/environments', { app: 'guestbook', branch: 'broken' });
    const deploy = await waitForDeploy(created.json().deploy.id);
    expect(deploy.state).toBe('failed');
    // The static site is built in its own task, beside the migrate job: that task fails, with the build's log tail.
    expect(deploy.tasks!.find((t) => t.key === 'source')!.state).toBe('succeeded');
    const web = deploy.tasks!.find((t) => t.key.endsWith(':service:web'))!;
    expect(web.state).toBe('failed');
    expect(web.reason).toMatch(/services\.web static\.build "node build\.mjs" exited with code 2/);
    expect(web.logTail).toContain('syntax is wrong here');
    expect(deploy.reason).toMatch(/service web failed/);
    const env = (await api('GET', '/api/v1/environments/broken')).json() as EnvironmentResponse;
    expect(env.status).toBe('failed');
    expect(env.reason).toMatch(/failed/);
    const deleted = await api('DELETE', '/api/v1/environments/broken');
    expect((await waitForDeploy(deleted.json().deploy.id)).state).toBe('succeeded');
  }, 60_000);

  it('answers 401 on every API endpoint without a valid token', async () => {
    const document = (await http(apiPort(), 'GET', '/api/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
    const calls = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'x') })));
    expect(calls.length).toBeGreaterThan(15);
    for (const { method, path } of calls) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      expect((await http(apiPort(), method, path, { body })).status, `${method} ${path}`).toBe(401);
      expect((await http(apiPort(), method, path, { body, token: 'slw_not-a-token' })).status, `${method} ${path}`).toBe(401);
    }
  });
});
