// Lifecycle policy: an idle ephemeral environment is torn down after its template's idleTimeout
// unless deploys or requests keep it in use; an application keeps at most lifecycle.maxEnvironments
// ephemeral environments, making room by tearing down the least recently used idle one. A paused
// environment is not idle, but it still expires.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '@slipway/core';
import { registerApplication } from '../applications/register-application.ts';
import type { RunningServer } from '../start-server.ts';
import { commitAll, git } from '../test-support/example-repository.ts';
import { httpRequest, startTestServer, type TestServer } from '../test-support/test-server.ts';

let test: TestServer;
let server: RunningServer;

const viaRouter = async (host: string) => (await httpRequest(server.routerPort, 'GET', '/', { host })).status;

async function ready(envId: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const env = await server.environments.getLive('default', envId);
    if (env?.status === 'ready') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${envId} not ready`);
}

async function gone(envId: string, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!(await server.environments.getLive('default', envId))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

beforeAll(async () => {
  test = await startTestServer('lifecycle-policy', { engine: { activityFlushMs: 200 } });
  server = test.server;
  const repository = join(test.dir, 'repo');
  mkdirSync(join(repository, '.slipway'), { recursive: true });
  writeFileSync(join(repository, 'server.mjs'), "import { createServer } from 'node:http';\ncreateServer((req, res) => res.end('ok')).listen(Number(process.env.PORT));\n");
  writeFileSync(
    join(repository, '.slipway/app.yaml'),
    `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: tiny
spec:
  runtime: local
  lifecycle:
    maxEnvironments: 2
  services:
    - name: web
      run:
        command: node server.mjs
      ports:
        - port: 3000
  environmentTemplates:
    - name: ephemeral
      ttl: 1h
      idleTimeout: 2s
`,
  );
  git(repository, 'init', '-q', '-b', 'main');
  commitAll(repository, 'tiny');
  await registerApplication({ db: server.store.db, repositories: server.repositories }, 'default', { repository });
}, 60_000);

afterAll(() => test?.close(), 60_000);

describe('lifecycle policy', () => {
  it('leaves a paused environment past its idle timeout and its runtime to the sweep, restarts its idle clock at resume, and still expires it', async () => {
    const { environment } = await server.service.create('default', { app: 'tiny', branch: 'main', id: 'sleeper' }, 'test');
    await ready('sleeper');
    await server.pauses.pause('default', 'sleeper');
    // Twice its idle timeout, and an orphan sweep: it stays, and so do its records on the runtime.
    await new Promise((r) => setTimeout(r, 4_000));
    await server.engine.sweep();
    expect((await server.environments.getLive('default', 'sleeper'))?.status).toBe('paused');
    const resumed = await server.pauses.resume('default', 'sleeper');
    expect(resumed.environment.status).toBe('ready');
    expect(Date.parse(resumed.environment.lastActivityAt!)).toBeGreaterThan(Date.now() - 1_000);
    expect(await viaRouter('web-sleeper.slipway.localhost')).toBe(200);
    // Paused again with an expiry a second away: the expiry ends it.
    await server.pauses.pause('default', 'sleeper');
    await server.service.extend('default', 'sleeper', '1s');
    expect(await gone('sleeper', 8_000)).toBe(true);
    const deploys = await server.environments.listDeploys(environment.id);
    expect(deploys[0]).toMatchObject({ workflow: 'teardown', requestedBy: 'scheduler (expired)' });
  }, 40_000);

  it('keeps an environment in use alive, and tears it down once idle for its idleTimeout', async () => {
    const { environment } = await server.service.create('default', { app: 'tiny', branch: 'main', id: 'busy' }, 'test');
    expect(environment.idleTimeoutMs).toBe(2_000);
    await ready('busy');
    // Requests every 300 ms for 3 s: longer than the idle timeout, yet it stays.
    for (let i = 0; i < 10; i++) {
      expect(await viaRouter('web-busy.slipway.localhost')).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(await server.environments.getLive('default', 'busy')).toBeDefined();
    expect(await gone('busy', 6_000)).toBe(true);
    const deploys = await server.environments.listDeploys(environment.id);
    expect(deploys[0]).toMatchObject({ workflow: 'teardown', requestedBy: 'scheduler (idle)' });
  }, 30_000);

  it('makes room for a new environment by tearing down the least recently used idle one', async () => {
    await server.service.create('default', { app: 'tiny', branch: 'main', id: 'first', ttl: '1h' }, 'test');
    await ready('first');
    await server.service.create('default', { app: 'tiny', branch: 'main', id: 'second', ttl: '1h' }, 'test');
    await ready('second');
    // "first" is used now, so "second" is the least recently used.
    expect(await viaRouter('web-first.slipway.localhost')).toBe(200);
    await new Promise((r) => setTimeout(r, 400));
    await server.service.create('default', { app: 'tiny', branch: 'main', id: 'third', ttl: '1h' }, 'test');
    expect(await gone('second', 5_000)).toBe(true);
    expect(await server.environments.getLive('default', 'first')).toBeDefined();
    await ready('third');
    // With a deploy under way in each of the two left (several queued, to keep them busy), none is
    // idle, so a fourth is refused.
    for (const id of ['third', 'first']) {
      const env = (await server.environments.getLive('default', id))!;
      const rendered = (await server.environments.listDeploys(env.id, 1))[0]!.rendered;
      for (let i = 0; i < 5; i++) await server.environments.queueDeploy({ environmentId: env.id, workflow: 'patch', rendered });
    }
    await expect(server.service.create('default', { app: 'tiny', branch: 'main', id: 'fourth' }, 'test')).rejects.toThrow(ConflictError);
  }, 40_000);
});
