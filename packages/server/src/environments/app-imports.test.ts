// App Imports: an environment of a frontend that imports a backend brings up the backend for it —
// on the same branch when the backend has it, else on the backend's tracking branch — gives the
// frontend the backend's direct loopback addresses (the local runtime), which its process calls
// through an env.mapping, honours excludeServices in every later deploy of the backend, uses a
// failed backend that still runs, and takes down only what it made.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerApplication } from '../applications/register-application.ts';
import type { RunningServer } from '../start-server.ts';
import { commitAll, git } from '../test-support/example-repository.ts';
import { httpRequest, settled as settledIn, startTestServer, type TestServer } from '../test-support/test-server.ts';

let test: TestServer;
let server: RunningServer;
let dir: string;

// GET /call calls the imported api at $API_BASE (the frontend maps it from $API_URL) and answers with what it said.
const server_mjs = `import { createServer } from 'node:http';
createServer(async (req, res) => {
  if (req.url !== '/call') return res.end(process.env.SLIPWAY_APP + ' ' + process.env.SLIPWAY_BRANCH);
  try {
    const answer = await fetch(process.env.API_BASE);
    res.end('api said: ' + (await answer.text()));
  } catch (error) {
    res.statusCode = 502;
    res.end('calling ' + process.env.API_BASE + ' failed: ' + String(error.cause ?? error));
  }
}).listen(Number(process.env.PORT));
`;

function repository(name: string, manifest: string): string {
  const repo = join(dir, name);
  mkdirSync(join(repo, '.slipway'), { recursive: true });
  writeFileSync(join(repo, 'server.mjs'), server_mjs);
  writeFileSync(join(repo, '.slipway/app.yaml'), manifest);
  git(repo, 'init', '-q', '-b', 'main');
  commitAll(repo, name);
  return repo;
}

const service = (name: string, build?: string) => `    - name: ${name}
      run:
        command: node server.mjs${build ? `\n        build: ${build}` : ''}
      ports:
        - port: 3000
`;
const backendManifest = (build?: string) => `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: backend
spec:
  runtime: local
  repository:
    trackingBranch: main
  services:
${service('api', build)}${service('admin')}`;

const viaRouter = async (host: string, path = '/') => {
  const answer = await httpRequest(server.routerPort, 'GET', path, { host });
  return `${answer.status} ${answer.text}`;
};
const settled = (envId: string) => settledIn(server, envId);

beforeAll(async () => {
  test = await startTestServer('app-imports');
  server = test.server;
  dir = test.dir;
  const backend = repository('backend', backendManifest());
  git(backend, 'checkout', '-q', '-b', 'feature');
  commitAll(backend, 'feature branch of the backend');
  git(backend, 'checkout', '-q', '-b', 'stale', 'main');
  commitAll(backend, 'stale branch of the backend');
  // A backend branch whose build fails from its first commit: it never has an instance.
  git(backend, 'checkout', '-q', '-b', 'broken', 'main');
  writeFileSync(join(backend, '.slipway/app.yaml'), backendManifest('exit 3'));
  commitAll(backend, 'a build that fails');
  git(backend, 'checkout', '-q', 'main');
  const frontend = repository('frontend', `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: frontend
spec:
  runtime: local
  services:
${service('web')}  env:
    mapping:
      API_BASE: \${API_URL}
  appImports:
    - app: backend
      excludeServices: [admin]
`);
  git(frontend, 'checkout', '-q', '-b', 'feature');
  commitAll(frontend, 'feature');
  for (const branch of ['stale', 'broken']) {
    git(frontend, 'checkout', '-q', '-b', branch, 'main');
    commitAll(frontend, branch);
  }
  git(frontend, 'checkout', '-q', '-b', 'only-front');
  commitAll(frontend, 'only on the frontend');
  git(frontend, 'checkout', '-q', 'main');
  for (const repo of [backend, frontend]) await registerApplication({ db: server.store.db, repositories: server.repositories }, 'default', { repository: repo });
}, 60_000);

afterAll(() => test?.close(), 60_000);

describe('App Imports', () => {
  it('brings up the backend on the same branch, gives the frontend its loopback address, which the frontend calls, and leaves out excluded services', async () => {
    const { environment } = await server.service.create('default', { app: 'frontend', branch: 'feature' }, 'test');
    expect(await settled('feature')).toBe('ready');
    expect(await settled('feature-backend')).toBe('ready');
    const child = (await server.environments.getLive('default', 'feature-backend'))!;
    expect(child).toMatchObject({ app: 'backend', branch: 'feature', parentId: environment.id, ownedByParent: true });
    expect(Object.keys(child.urls)).toEqual(['api']);
    expect((await server.drivers.local!.instances({ workspace: 'default', app: 'backend', envId: 'feature-backend' })).map((i) => i.name)).toEqual(['api-0']);
    expect(await viaRouter('api-feature-backend.slipway.localhost')).toBe('200 backend feature');
    // Node cannot resolve *.localhost: the frontend gets the api's direct loopback address instead of the router's URL.
    const [api] = await server.drivers.local!.instances({ workspace: 'default', app: 'backend', envId: 'feature-backend' });
    const port = api!.endpoints[0]!.hostPort;
    const web = (await server.service.currentSpec(environment)).services.find((s) => s.name === 'web')!;
    // env.mapping reads the direct address too: API_BASE, which the frontend calls, is mapped from API_URL.
    expect(web.env).toMatchObject({ API_URL: `http://127.0.0.1:${port}`, API_HOST: '127.0.0.1', API_PORT: String(port), API_BASE: `http://127.0.0.1:${port}` });
    expect(web.env.ADMIN_URL).toBeUndefined();
    expect(await viaRouter('web-feature.slipway.localhost', '/call')).toBe('200 api said: backend feature');
    // A push to the backend replaces its api; it keeps its port, so the frontend's address still works.
    const backend = join(dir, 'backend');
    git(backend, 'checkout', '-q', 'feature');
    commitAll(backend, 'another push to the backend');
    git(backend, 'checkout', '-q', 'main');
    await server.service.patch('default', 'feature-backend', undefined, 'test');
    expect(await settled('feature-backend')).toBe('ready');
    const [replaced] = await server.drivers.local!.instances({ workspace: 'default', app: 'backend', envId: 'feature-backend' });
    expect(replaced!.runtimeId).not.toBe(api!.runtimeId);
    expect(replaced!.endpoints[0]!.hostPort).toBe(port);
    expect(await viaRouter('web-feature.slipway.localhost', '/call')).toBe('200 api said: backend feature');
    // The import's excludeServices holds for its patch and for a change of its variables: admin stays out.
    const backendServices = async () => {
      const env = (await server.environments.getLive('default', 'feature-backend'))!;
      const running = (await server.drivers.local!.instances({ workspace: 'default', app: 'backend', envId: 'feature-backend' })).map((i) => i.name);
      return { urls: Object.keys(env.urls), spec: (await server.service.currentSpec(env)).services.map((s) => s.name), running };
    };
    expect(await backendServices()).toEqual({ urls: ['api'], spec: ['api'], running: ['api-0'] });
    await server.service.setConfig('default', 'feature-backend', { GREETING: 'hi' }, 'test');
    expect(await settled('feature-backend')).toBe('ready');
    expect(await backendServices()).toEqual({ urls: ['api'], spec: ['api'], running: ['api-0'] });
  }, 60_000);

  it('uses an import whose last deploy failed while its previous version runs, and fails on one that never ran', async () => {
    await server.service.create('default', { app: 'frontend', branch: 'stale' }, 'test');
    expect(await settled('stale')).toBe('ready');
    // A push to the backend that breaks its build: its patch fails, and its api keeps running.
    const backend = join(dir, 'backend');
    git(backend, 'checkout', '-q', 'stale');
    writeFileSync(join(backend, '.slipway/app.yaml'), backendManifest('exit 3'));
    commitAll(backend, 'break the build');
    git(backend, 'checkout', '-q', 'main');
    await server.service.patch('default', 'stale-backend', undefined, 'test');
    expect(await settled('stale-backend')).toBe('failed');
    // The frontend's next deploy uses the backend as it runs, and says so.
    const deploy = await server.service.patch('default', 'stale', undefined, 'test');
    expect(await settled('stale')).toBe('ready');
    expect(await viaRouter('web-stale.slipway.localhost', '/call')).toBe('200 api said: backend stale');
    expect(readFileSync(join(dir, 'home', 'deploys', `${deploy.id}.log`), 'utf8')).toMatch(/backend\/stale-backend is failed .*its ready instances are used as they run/);
    // A backend that failed before it ever ran fails the frontend, naming it.
    const { environment } = await server.service.create('default', { app: 'frontend', branch: 'broken' }, 'test');
    expect(await settled('broken')).toBe('failed');
    expect((await server.environments.getById(environment.id))!.reason).toMatch(/its App Import backend\/broken-backend is failed.*with no ready instance/);
    for (const id of ['stale', 'broken']) await server.service.delete('default', id, 'test');
    for (const id of ['stale', 'stale-backend', 'broken', 'broken-backend']) expect(await settled(id)).toBe('gone');
  }, 60_000);

  it("falls back to the backend's tracking branch, and deleting the frontend removes what was made for it", async () => {
    await server.service.create('default', { app: 'frontend', branch: 'only-front' }, 'test');
    expect(await settled('only-front')).toBe('ready');
    expect((await server.environments.getLive('default', 'only-front-backend'))!.branch).toBe('main');
    await server.service.delete('default', 'only-front', 'test');
    expect(await settled('only-front')).toBe('gone');
    expect(await settled('only-front-backend')).toBe('gone');
    expect((await server.drivers.local!.listOwned()).filter((r) => r.env.envId.startsWith('only-front'))).toEqual([]);
  }, 60_000);

  it('uses a backend environment that existed before, and leaves it when the frontend goes', async () => {
    await server.service.create('default', { app: 'backend', branch: 'main', id: 'pre-backend' }, 'test');
    expect(await settled('pre-backend')).toBe('ready');
    await server.service.create('default', { app: 'frontend', branch: 'main', id: 'pre' }, 'test');
    expect(await settled('pre')).toBe('ready');
    expect((await server.environments.getLive('default', 'pre-backend'))!.ownedByParent).toBe(false);
    expect(await viaRouter('web-pre.slipway.localhost', '/call')).toBe('200 api said: backend main');
    // A patch of the frontend renders again and still gets the direct address.
    await server.service.patch('default', 'pre', undefined, 'test');
    expect(await settled('pre')).toBe('ready');
    const pre = (await server.environments.getLive('default', 'pre'))!;
    expect((await server.service.currentSpec(pre)).services[0]!.env.API_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await viaRouter('web-pre.slipway.localhost', '/call')).toBe('200 api said: backend main');
    await server.service.delete('default', 'pre', 'test');
    expect(await settled('pre')).toBe('gone');
    await new Promise((r) => setTimeout(r, 500));
    expect(await settled('pre-backend')).toBe('ready');
    expect(await viaRouter('api-pre-backend.slipway.localhost')).toBe('200 backend main');
  }, 60_000);

  it('refuses an import of an unknown application, creating nothing', async () => {
    const before = (await server.environments.listLive('default')).length;
    const frontend = join(dir, 'frontend');
    git(frontend, 'checkout', '-q', '-b', 'bad-import', 'main');
    writeFileSync(join(frontend, '.slipway/app.yaml'), `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: frontend
spec:
  runtime: local
  services:
${service('web')}  appImports:
    - app: nowhere
`);
    commitAll(frontend, 'import an app that does not exist');
    git(frontend, 'checkout', '-q', 'main');
    await expect(server.service.create('default', { app: 'frontend', branch: 'bad-import' }, 'test')).rejects.toThrow(/no application "nowhere"/);
    expect((await server.environments.listLive('default')).length).toBe(before);
  }, 30_000);
});
