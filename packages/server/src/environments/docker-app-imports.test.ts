// App Imports on the docker runtime, through the real server: a frontend and the backend it
// imports share one network, so each reaches the other's services by name; a service name both
// have resolves, in each, to its own (the other's is `<service>.<app>`); the frontend is given the
// backend's address by name; deleting the frontend leaves a backend that existed before running and
// reachable, and takes everything that was made for it off the engine. Images are built FROM
// slipway-test/node:local (made locally: nothing is pulled). Skipped, with the reason, when no
// Docker or Podman engine answers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDockerEngine, type DockerDriver } from '@slipway/drivers';
import { ensureBaseImages, NODE_IMAGE } from '@slipway/drivers/docker-test-images';
import { registerApplication } from '../applications/register-application.ts';
import type { RunningServer } from '../start-server.ts';
import { commitAll, git } from '../test-support/example-repository.ts';
import { httpRequest, settled as settledIn, startTestServer, type TestServer } from '../test-support/test-server.ts';

const detected = await detectDockerEngine();
const skipReason = detected.found ? undefined : `${detected.message} (scripts/setup-podman.sh sets one up)`;

// Every service answers "<app>/<service>"; GET /call?url=… calls that URL from inside its container.
const SERVER_MJS = `import { createServer } from 'node:http';
createServer(async (req, res) => {
  const url = new URL(req.url, 'http://service');
  if (url.pathname !== '/call') return res.end(process.env.SLIPWAY_APP + '/' + process.env.SLIPWAY_SERVICE);
  try {
    const answer = await fetch(url.searchParams.get('url'), { signal: AbortSignal.timeout(5000) });
    res.end(await answer.text());
  } catch (error) {
    res.statusCode = 502;
    res.end('failed: ' + String(error.cause ?? error));
  }
}).listen(Number(process.env.PORT));
`;

const service = (name: string) => `    - name: ${name}
      build:
        context: .
      ports:
        - port: 3000
`;

describe.skipIf(skipReason !== undefined)(`App Imports on the docker runtime${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let test: TestServer;
  let server: RunningServer;
  const roots: string[] = [];
  const docker = () => server.drivers.docker as DockerDriver;
  const settled = (envId: string) => settledIn(server, envId, 120_000);

  function repository(app: string, services: string[], extra = ''): string {
    const root = mkdtempSync(join(tmpdir(), `slipway-${app}-`));
    roots.push(root);
    writeFileSync(join(root, 'server.mjs'), SERVER_MJS);
    writeFileSync(join(root, 'Dockerfile'), `FROM ${NODE_IMAGE}\nCOPY server.mjs /app/\nCMD ["node", "/app/server.mjs"]\n`);
    mkdirSync(join(root, '.slipway'));
    writeFileSync(join(root, '.slipway/app.yaml'), `apiVersion: slipway.dev/v1\nkind: Application\nmetadata:\n  name: ${app}\nspec:\n  runtime: docker\n  services:\n${services.map(service).join('')}${extra}`);
    git(root, 'init', '-q', '-b', 'main');
    commitAll(root, app);
    return root;
  }

  /** What `service` of `app`/`envId` got when it called `url` from inside its container. */
  async function call(host: string, url: string): Promise<string> {
    const answer = await httpRequest(server.routerPort, 'GET', `/call?url=${encodeURIComponent(url)}`, { host });
    return `${answer.status} ${answer.text}`;
  }

  async function onEngine(envId: string): Promise<string[]> {
    const owned = await docker().listOwned();
    return owned.filter((r) => r.env.envId === envId && r.kind !== 'checkout').map((r) => `${r.kind} ${r.id}`);
  }

  beforeAll(async () => {
    if (!detected.found) return;
    await ensureBaseImages(detected.docker);
    test = await startTestServer('docker-app-imports');
    server = test.server;
    expect(Object.keys(server.drivers)).toContain('docker');
    const backend = repository('backend', ['api', 'cache']);
    const frontend = repository('frontend', ['web', 'cache'], '  appImports:\n    - app: backend\n');
    for (const root of [backend, frontend]) await registerApplication({ db: server.store.db, repositories: server.repositories }, 'default', { repository: root });
  }, 120_000);

  afterAll(async () => {
    await test?.close();
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it("lets the frontend and its imported backend reach each other's services by name, each keeping its own for a shared name", async () => {
    const { environment } = await server.service.create('default', { app: 'frontend', branch: 'main', id: 'linked' }, 'test');
    expect(await settled('linked')).toBe('ready');
    expect(await settled('linked-backend')).toBe('ready');

    // The frontend is given the api's address on the shared network, and calls it.
    const web = (await server.service.currentSpec(environment)).services.find((s) => s.name === 'web')!;
    expect(web.env).toMatchObject({ API_URL: 'http://api:3000', API_HOST: 'api', API_PORT: '3000' });
    expect(web.env.CACHE_URL).toBe(environment.urls.cache);
    expect(await call('web-linked.slipway.localhost', web.env.API_URL as string)).toBe('200 backend/api');
    // The backend reaches the frontend by name too.
    expect(await call('api-linked-backend.slipway.localhost', 'http://web:3000')).toBe('200 frontend/web');
    // A name both have: each gets its own; the other's answers to <service>.<app>.
    for (let i = 0; i < 3; i++) {
      expect(await call('web-linked.slipway.localhost', 'http://cache:3000')).toBe('200 frontend/cache');
      expect(await call('api-linked-backend.slipway.localhost', 'http://cache:3000')).toBe('200 backend/cache');
    }
    expect(await call('web-linked.slipway.localhost', 'http://cache.backend:3000')).toBe('200 backend/cache');
    expect(await call('api-linked-backend.slipway.localhost', 'http://cache.frontend:3000')).toBe('200 frontend/cache');

    // A container made later (the api replaced after a crash) joins by itself.
    const [api] = await docker().instances({ workspace: 'default', app: 'backend', envId: 'linked-backend' }, 'api');
    if (detected.found) await detected.docker.getContainer(api!.runtimeId!).kill();
    await expect.poll(async () => (await docker().instances({ workspace: 'default', app: 'backend', envId: 'linked-backend' }, 'api'))[0], { timeout: 30_000, interval: 250 }).toMatchObject({ state: 'ready', restarts: 1 });
    expect(await call('web-linked.slipway.localhost', 'http://api:3000')).toBe('200 backend/api');

    // Deleting the frontend takes the backend made for it, their containers and networks, off the engine.
    await server.service.delete('default', 'linked', 'test');
    expect(await settled('linked')).toBe('gone');
    expect(await settled('linked-backend')).toBe('gone');
    expect([...(await onEngine('linked')), ...(await onEngine('linked-backend'))]).toEqual([]);
  }, 240_000);

  it('leaves a backend that existed before running and reachable when the frontend goes', async () => {
    await server.service.create('default', { app: 'backend', branch: 'main', id: 'pre-backend' }, 'test');
    expect(await settled('pre-backend')).toBe('ready');
    const before = await docker().instances({ workspace: 'default', app: 'backend', envId: 'pre-backend' });
    await server.service.create('default', { app: 'frontend', branch: 'main', id: 'pre' }, 'test');
    expect(await settled('pre')).toBe('ready');
    expect(await call('web-pre.slipway.localhost', 'http://api:3000')).toBe('200 backend/api');
    expect(await call('api-pre-backend.slipway.localhost', 'http://web:3000')).toBe('200 frontend/web');

    await server.service.delete('default', 'pre', 'test');
    expect(await settled('pre')).toBe('gone');
    expect(await onEngine('pre')).toEqual([]);
    expect(await settled('pre-backend')).toBe('ready');
    // The same containers, detached from the frontend's network, still serving and reaching each other.
    const after = await docker().instances({ workspace: 'default', app: 'backend', envId: 'pre-backend' });
    expect(after.map((i) => [i.name, i.state, i.runtimeId])).toEqual(before.map((i) => [i.name, 'ready', i.runtimeId]));
    expect(await call('api-pre-backend.slipway.localhost', 'http://cache:3000')).toBe('200 backend/cache');
    expect((await call('api-pre-backend.slipway.localhost', 'http://web:3000')).startsWith('502 failed')).toBe(true);

    await server.service.delete('default', 'pre-backend', 'test');
    expect(await settled('pre-backend')).toBe('gone');
    expect(await onEngine('pre-backend')).toEqual([]);
  }, 240_000);
});
