// An environment runs the .slipway/ manifests of its own commit: a branch that edits the manifest
// previews the edit, and one that breaks it is refused (people) or fails with located errors (previews).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../store/api-tokens.ts';
import type { RunningServer } from '../start-server.ts';
import { commitAll, git, guestbookRepository } from '../test-support/example-repository.ts';
import { httpRequest, settled as settledIn, startTestServer, type TestServer } from '../test-support/test-server.ts';
import type { DeployEvent } from '../workflows/workflow-engine.ts';

let test: TestServer;
let server: RunningServer;
let token: string;
let repository: string;

const get = (port: number, path: string, headers: { host: string }) => httpRequest(port, 'GET', path, headers);

async function settled(envId: string): Promise<{ status: string; reason?: string }> {
  await settledIn(server, envId);
  return (await server.environments.getLive('default', envId))!;
}

function onBranch(branch: string, edit: (manifest: string) => string): string {
  git(repository, 'checkout', '-q', '-b', branch, 'main');
  const path = join(repository, '.slipway/guestbook.yaml');
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  const sha = commitAll(repository, `edit the manifest on ${branch}`);
  git(repository, 'checkout', '-q', 'main');
  return sha;
}

beforeAll(async () => {
  repository = guestbookRepository();
  test = await startTestServer('branch-config');
  server = test.server;
  token = (await createApiToken(server.store.db, { name: 'test', workspace: 'default', role: 'admin' })).secret;
  const res = await server.api.inject({ method: 'POST', url: '/api/v1/applications', headers: { authorization: `Bearer ${token}` }, payload: { repository } });
  expect(res.statusCode).toBe(201);
}, 60_000);

afterAll(async () => {
  await test?.close();
  if (repository) rmSync(repository, { recursive: true, force: true });
}, 60_000);

describe('config from the branch', () => {
  it('previews a manifest edited on the branch, and a patch picks up the next edit', async () => {
    onBranch('new-greeting', (m) => m.replace('GREETING: Welcome to a preview of the guestbook!', 'GREETING: Hello from the branch manifest'));
    await server.service.create('default', { app: 'guestbook', branch: 'new-greeting' }, 'test');
    expect((await settled('new-greeting')).status).toBe('ready');
    const info = await get(server.routerPort, '/api/info', { host: 'guestbook-new-greeting.slipway.localhost' });
    expect(JSON.parse(info.text).greeting).toBe('Hello from the branch manifest');
    const env = await server.environments.getLive('default', 'new-greeting');
    const app = (await server.api.inject({ method: 'GET', url: '/api/v1/applications/guestbook', headers: { authorization: `Bearer ${token}` } })).json();
    expect(env!.templateVersion).not.toBe(app.currentVersion);
    expect(app.versions.map((v: { version: string }) => v.version)).toContain(env!.templateVersion);

    git(repository, 'checkout', '-q', 'new-greeting');
    const path = join(repository, '.slipway/guestbook.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('Hello from the branch manifest', 'Hello again'));
    commitAll(repository, 'edit again');
    git(repository, 'checkout', '-q', 'main');
    await server.service.patch('default', 'new-greeting', undefined, 'test');
    expect((await settled('new-greeting')).status).toBe('ready');
    expect(JSON.parse((await get(server.routerPort, '/api/info', { host: 'guestbook-new-greeting.slipway.localhost' })).text).greeting).toBe('Hello again');
  }, 60_000);

  it('refuses a branch whose manifest is invalid with the located error, creating nothing', async () => {
    onBranch('broken-manifest', (m) => m.replace('        - port: 3000', '        - port: three-thousand'));
    const res = await server.api.inject({ method: 'POST', url: '/api/v1/environments', headers: { authorization: `Bearer ${token}` }, payload: { app: 'guestbook', branch: 'broken-manifest' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/manifests at commit [0-9a-f]{12} are not valid/);
    expect(res.json().error.diagnostics[0]).toMatchObject({ file: '.slipway/guestbook.yaml', path: 'spec.services[1].ports[0].port' });
    expect(res.json().error.diagnostics[0].line).toBeGreaterThan(0);
    expect(await server.environments.getLive('default', 'broken-manifest')).toBeUndefined();
  });

  it('fails a preview of a broken manifest, with the errors in the deploy and an event for its pull request', async () => {
    const events: DeployEvent[] = [];
    const stop = server.engine.onDeploy((e) => void events.push(e));
    const { environment, deploy } = await server.service.create('default', { app: 'guestbook', branch: 'broken-manifest', id: 'pr-7' }, 'github', { invalidManifest: 'fail-environment' });
    stop();
    expect(environment.status).toBe('failed');
    expect(environment.reason).toMatch(/\.slipway\/guestbook\.yaml:\d+:\d+/);
    expect(deploy).toMatchObject({ state: 'failed', outcome: 'failed' });
    const [source] = await server.environments.tasks(deploy.id);
    expect(source).toMatchObject({ key: 'source', state: 'failed' });
    expect(source!.logTail).toMatch(/guestbook\.yaml:\d+:\d+.*port/);
    await new Promise((r) => setTimeout(r, 20));
    expect(events.map((e) => `${e.type} ${e.deploy.state}`)).toEqual(['ended failed']);
    expect((await server.drivers.local!.listOwned()).filter((r) => r.env.envId === 'pr-7')).toEqual([]);
  });
});
