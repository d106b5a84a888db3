// Polling any git remote, end to end: the guestbook lives in a local bare repository that a work
// clone pushes to; the real server polls it every 200 ms and follows its branches.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../config.ts';
import { startServer, type RunningServer } from '../start-server.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { commitAll, git, guestbookRepository } from '../test-support/example-repository.ts';
import { closeServer } from '../test-support/test-server.ts';

const INTERVAL_MS = 200;
const dir = mkdtempSync(join(tmpdir(), 'slipway-poll-'));
const remote = join(dir, 'guestbook.git');
let work: string;
let server: RunningServer;

const config: ServerConfig = {
  home: join(dir, 'home'),
  apiPort: 0,
  routerPort: 0,
  host: '127.0.0.1',
  domain: 'slipway.localhost',
  cliConfigPath: join(dir, 'cli.yaml'),
  pollIntervalMs: INTERVAL_MS,
};
const start = () => startServer(config, { graceMs: 2_000, engine: { tickMs: 200, refreshRoutesMs: 500 } });

function viaRouter(host: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.routerPort, path: '/', headers: { host }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The environment, once it is ready at the commit. */
const readyAt = (envId: string, commit: string) =>
  until(`${envId} ready at ${commit.slice(0, 12)}`, async () => {
    const env = await server.environments.getLive('default', envId);
    return env?.status === 'ready' && env.commit === commit && !(await server.environments.hasActiveDeploy(env.id)) ? env : undefined;
  });

function pushBranch(branch: string, text: string): string {
  const exists = git(work, 'branch', '--list', branch) !== '';
  git(work, 'checkout', '-q', ...(exists ? [branch] : ['-b', branch, 'main']));
  const page = join(work, 'web/src/index.html');
  writeFileSync(page, readFileSync(page, 'utf8').replace(/<body>(<p id="mark">[^<]*<\/p>)?/, `<body><p id="mark">${text}</p>`));
  const sha = commitAll(work, text);
  git(work, 'push', '-q', 'origin', branch);
  git(work, 'checkout', '-q', 'main');
  return sha;
}

beforeAll(async () => {
  work = guestbookRepository();
  const manifest = join(work, '.slipway/guestbook.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('\nspec:\n', "\nspec:\n  repository: { trackingBranch: main, poll: true }\n  previews: { branches: ['**'] }\n"));
  commitAll(work, 'poll the repository');
  git(dir, 'init', '-q', '--bare', '-b', 'main', remote);
  git(work, 'remote', 'add', 'origin', remote);
  git(work, 'push', '-q', 'origin', 'main');
  server = await start();
  const token = (await createApiToken(server.store.db, { name: 'test', workspace: 'default', role: 'admin' })).secret;
  const registered = await server.api.inject({ method: 'POST', url: '/api/v1/applications', headers: { authorization: `Bearer ${token}` }, payload: { repository: remote } });
  expect(registered.statusCode, registered.body).toBe(201);
}, 60_000);

afterAll(async () => {
  await closeServer(server, dir);
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('polling a bare repository', () => {
  it('brings up a reachable environment for a pushed branch within one interval plus deploy time', async () => {
    const pushedAt = Date.now();
    const sha = pushBranch('feature/poll-me', 'polled branch');
    await readyAt('feature-poll-me', sha);
    expect(Date.now() - pushedAt).toBeLessThan(INTERVAL_MS * 1.2 + 30_000);
    const page = await viaRouter('guestbook-feature-poll-me.slipway.localhost');
    expect(page.status).toBe(200);
    expect(page.text).toContain('polled branch');
    const env = (await server.environments.getLive('default', 'feature-poll-me'))!;
    expect(env).toMatchObject({ kind: 'ephemeral', branch: 'feature/poll-me' });
    // The tracking branch gets no preview of its own.
    expect(await server.environments.getLive('default', 'main')).toBeUndefined();
    const links = await server.previews.store.listLinks({ app: 'guestbook' });
    expect(links.map((l) => ({ provider: l.provider, repository: l.repository, sourceKey: l.sourceKey, envId: l.envId, state: l.state }))).toEqual([
      { provider: 'git', repository: remote, sourceKey: 'branch:feature/poll-me', envId: 'feature-poll-me', state: 'open' },
    ]);
  }, 60_000);

  it('patches the environment when the branch moves', async () => {
    const sha = pushBranch('feature/poll-me', 'polled branch, second push');
    const env = await readyAt('feature-poll-me', sha);
    expect((await viaRouter('guestbook-feature-poll-me.slipway.localhost')).text).toContain('second push');
    const deploys = await server.environments.listDeploys(env.id);
    expect(deploys.map((d) => `${d.workflow}:${d.state}`)).toEqual(['patch:succeeded', 'setup:succeeded']);
    expect(deploys[0]!.requestedBy).toBe('git poll: push to feature/poll-me');
  }, 60_000);

  it('neither repeats nor misses anything across a restart', async () => {
    const env = (await server.environments.getLive('default', 'feature-poll-me'))!;
    const deploysBefore = (await server.environments.listDeploys(env.id)).length;
    await server.close();
    // A push while the server is down is seen at the first look after the start.
    const sha = pushBranch('feature/poll-me', 'pushed while the server was down');
    server = await start();
    await readyAt('feature-poll-me', sha);
    await sleep(INTERVAL_MS * 5);
    const deploys = await server.environments.listDeploys(env.id);
    expect(deploys).toHaveLength(deploysBefore + 1);
    expect(deploys[0]).toMatchObject({ workflow: 'patch', commit: sha });
  }, 60_000);

  it('patches a permanent environment following the tracking branch when main moves', async () => {
    await server.service.create('default', { app: 'guestbook', kind: 'permanent', id: 'main', branch: 'main' }, 'test');
    await readyAt('main', git(work, 'rev-parse', 'main'));
    const sha = pushBranch('main', 'main moved');
    await readyAt('main', sha);
    expect((await viaRouter('guestbook-main.slipway.localhost')).text).toContain('main moved');
  }, 60_000);

  it('tears the environment down when the branch is deleted, leaving nothing behind', async () => {
    const env = (await server.environments.getLive('default', 'feature-poll-me'))!;
    expect((await server.drivers.local!.listOwned()).filter((r) => r.env.envId === 'feature-poll-me').length).toBeGreaterThan(0);
    git(work, 'push', '-q', 'origin', '--delete', 'feature/poll-me');
    await until('feature-poll-me deleted', async () => (await server.environments.getById(env.id))?.deletedAt);
    expect(await server.environments.getLive('default', 'feature-poll-me')).toBeUndefined();
    expect((await server.drivers.local!.listOwned()).filter((r) => r.env.envId === 'feature-poll-me')).toEqual([]);
    expect((await viaRouter('guestbook-feature-poll-me.slipway.localhost')).status).toBe(404);
    const [link] = await server.previews.store.listLinks({ app: 'guestbook' });
    expect(link).toMatchObject({ sourceKey: 'branch:feature/poll-me', state: 'closed' });
    expect(await server.environments.getLive('default', 'main')).toMatchObject({ status: 'ready' });
  }, 60_000);
});
