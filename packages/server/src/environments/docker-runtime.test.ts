// The guestbook on the docker runtime, end to end, as a new user would run it: its Compose-imported
// manifest (.slipway-docker/) registered from a git repository, an environment made through the
// API from the example's own Dockerfiles (FROM node:20-alpine, a local stand-in: nothing is pulled),
// its pages and API through the router, a patch that changes only the page, a pause woken by a
// request, and a delete that leaves nothing on the engine. Skipped, with the reason, when no Docker or Podman engine answers.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentResponse, InstanceResponse } from '@slipway/contract';
import { detectDockerEngine, type DockerDriver } from '@slipway/drivers';
import { ensureBaseImages, ensureNodeStandIn, NODE_STAND_IN } from '@slipway/drivers/docker-test-images';
import { createApiToken } from '../store/api-tokens.ts';
import type { RunningServer } from '../start-server.ts';
import { commitAll, git, guestbookRepository } from '../test-support/example-repository.ts';
import { removeCommitImageTags } from '../test-support/docker-image-tags.ts';
import { httpRequest as http, startTestServer, waitForDeploy as deployEnded, type TestServer } from '../test-support/test-server.ts';

const detected = await detectDockerEngine();
const skipReason = detected.found ? undefined : `${detected.message} (scripts/setup-podman.sh sets one up)`;

const APP = 'guestbook-docker';
const ENV = 'main';
const PAGE_HOST = 'guestbook-docker-main.slipway.localhost';
const API_HOST = 'guestbook-docker-api-main.slipway.localhost';

describe.skipIf(skipReason !== undefined)(`the guestbook on the docker runtime${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let test: TestServer;
  let server: RunningServer;
  let token: string;
  let repository: string;
  const commits: string[] = [];

  const apiPort = () => Number(new URL(server.apiUrl).port);
  const api = (method: string, path: string, body?: unknown) => http(apiPort(), method, path, { token, body });
  const viaRouter = (host: string, path = '/', method = 'GET', body?: unknown) => http(server.routerPort, method, path, { host, body });
  const docker = () => server.drivers.docker as DockerDriver;

  const waitForDeploy = (id: string, timeoutMs: number) => deployEnded(server, token, id, timeoutMs, 250);

  async function containerIds(): Promise<Record<string, string | undefined>> {
    const env = (await api('GET', `/api/v1/environments/${ENV}`)).json() as EnvironmentResponse;
    return Object.fromEntries((env.instances ?? []).map((i: InstanceResponse) => [i.service, i.runtimeId]));
  }

  /** Build logs the driver wrote for a commit: one per image it built (none for an image it reused). */
  function builtAt(commit: string): string[] {
    const dir = join(test.dir, 'home', 'runtime', 'docker', 'logs', `default.${APP}.${ENV}`, 'builds');
    return ['api', 'worker', 'web'].filter((service) => existsSync(join(dir, `${commit.slice(0, 12)}-${service}.log`)));
  }

  beforeAll(async () => {
    if (!detected.found) return;
    await ensureBaseImages(detected.docker);
    // The Dockerfiles start FROM node:20-alpine; a real one the engine already has is used as it is.
    const standIn = await ensureNodeStandIn(detected.docker);
    if (standIn === 'real image') console.info(`using the engine's own ${NODE_STAND_IN}`);
    repository = guestbookRepository();
    commits.push(git(repository, 'rev-parse', 'HEAD'));
    test = await startTestServer('docker-runtime');
    server = test.server;
    expect(Object.keys(server.drivers)).toContain('docker');
    token = (await createApiToken(server.store.db, { name: 'test', workspace: 'default', role: 'admin' })).secret;
    const registered = await api('POST', '/api/v1/applications', { repository, path: '.slipway-docker' });
    expect(registered.status, registered.text).toBe(201);
    expect(registered.json()).toMatchObject({ name: APP });
  }, 60_000);

  afterAll(async () => {
    await test?.close();
    if (repository) rmSync(repository, { recursive: true, force: true });
    // The images this run built stay on the engine as a cache; only their tags for its commits go.
    if (detected.found) await removeCommitImageTags(detected.docker, APP, commits);
  }, 60_000);

  it('comes up from its Dockerfiles; its services reach each other by name; its URLs serve through the router', async () => {
    const created = await api('POST', '/api/v1/environments', { app: APP, branch: 'main' });
    expect(created.status, created.text).toBe(202);
    const deploy = await waitForDeploy(created.json().deploy.id, 120_000);
    expect(deploy.state, JSON.stringify(deploy.tasks)).toBe('succeeded');
    expect(deploy.tasks!.map((t) => `${t.key}=${t.state}`).sort()).toEqual(['0:job:migrate=succeeded', '1:service:api=succeeded', '2:service:web=succeeded', '2:service:worker=succeeded', 'source=succeeded']);

    const env = (await api('GET', `/api/v1/environments/${ENV}`)).json() as EnvironmentResponse;
    expect(env.status).toBe('ready');
    expect(env.urls).toEqual({ api: `http://${API_HOST}:${server.routerPort}`, web: `http://${PAGE_HOST}:${server.routerPort}` });
    expect(env.instances!.map((i) => `${i.name}:${i.state}`).sort()).toEqual(['api-0:ready', 'web-0:ready', 'worker-0:ready']);

    // The page, from the web container's serve.mjs.
    const page = await viaRouter(PAGE_HOST);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<html/i);
    // /api on the page's host goes through serve.mjs to $API_URL, http://api:3000: the api by name on the environment's network.
    const health = await viaRouter(PAGE_HOST, '/api/health');
    expect(health.status, health.text).toBe(200);
    expect(health.json()).toMatchObject({ ok: true });
    const info = (await viaRouter(PAGE_HOST, '/api/info')).json();
    expect(info).toMatchObject({ envId: ENV, greeting: 'Welcome to the guestbook on Docker Compose!' });
    // The api's own hostname, straight to its container.
    expect((await viaRouter(API_HOST, '/api/health')).status).toBe(200);

    const signed = await viaRouter(PAGE_HOST, '/api/entries', 'POST', { name: 'Ada', message: 'Hello from a container' });
    expect(signed.status, signed.text).toBe(201);
    const entries = (await viaRouter(PAGE_HOST, '/api/entries')).json();
    expect(entries.entries.map((e: { name: string; message: string }) => `${e.name}: ${e.message}`)).toEqual(['Ada: Hello from a container']);
  }, 150_000);

  it('a patch that changes only web/src rebuilds and replaces only web', async () => {
    const before = await containerIds();
    expect(Object.keys(before).sort()).toEqual(['api', 'web', 'worker']);
    // A change no earlier run made: an image built from the same folder would be reused, not built.
    const marker = `patched page ${process.pid}.${Date.now()}`;
    const index = join(repository, 'web/src/index.html');
    writeFileSync(index, readFileSync(index, 'utf8').replace('<body>', `<body><p id="patched">${marker}</p>`));
    const commit = commitAll(repository, 'a change to the page only');
    commits.push(commit);

    const patch = await api('POST', `/api/v1/environments/${ENV}/deploys`, {});
    expect(patch.status, patch.text).toBe(202);
    const done = await waitForDeploy(patch.json().id, 90_000);
    expect(done, JSON.stringify(done.tasks)).toMatchObject({ workflow: 'patch', state: 'succeeded', commit });

    const after = await containerIds();
    expect(after.web).not.toBe(before.web);
    expect({ api: after.api, worker: after.worker }).toEqual({ api: before.api, worker: before.worker });
    // Only web's image was built for the new commit; api's (and the worker's) was reused.
    expect(builtAt(commit)).toEqual(['web']);
    expect((await viaRouter(PAGE_HOST)).text).toContain(marker);
    // The data volume outlived the patch, and the new web container reaches the api too.
    expect((await viaRouter(PAGE_HOST, '/api/entries')).json().total).toBe(1);
  }, 120_000);

  it('pauses: its containers stop and stay; the first request through the router wakes it, with its data', async () => {
    const before = await containerIds();
    const paused = await api('POST', `/api/v1/environments/${ENV}/pause`, { wakeOnRequest: true });
    expect(paused.status, paused.text).toBe(200);
    const env = (await api('GET', `/api/v1/environments/${ENV}`)).json() as EnvironmentResponse;
    expect(env.instances!.map((i) => `${i.name}:${i.state}`).sort()).toEqual(['api-0:stopped', 'web-0:stopped', 'worker-0:stopped']);
    expect(await containerIds()).toEqual(before);
    const started = Date.now();
    const woken = await viaRouter(PAGE_HOST, '/api/entries');
    console.info(`docker: a request to the paused guestbook answered after waking it in ${Date.now() - started} ms (noisy: a shared machine)`);
    expect(woken.status, woken.text).toBe(200);
    expect(woken.json().total).toBe(1);
    // The same containers, started again: nothing was rebuilt or recreated.
    expect(await containerIds()).toEqual(before);
    expect(((await api('GET', `/api/v1/environments/${ENV}`)).json() as EnvironmentResponse).status).toBe('ready');
  }, 90_000);

  it('a delete leaves no container, network or volume of the environment', async () => {
    const owned = async () => (await docker().listOwned()).filter((r) => r.env.app === APP && r.env.envId === ENV);
    expect((await owned()).map((r) => r.kind)).toEqual(expect.arrayContaining(['container', 'network', 'volume']));
    const deleted = await api('DELETE', `/api/v1/environments/${ENV}`);
    expect(deleted.status, deleted.text).toBe(202);
    expect((await waitForDeploy(deleted.json().deploy.id, 60_000)).state).toBe('succeeded');
    expect(await owned()).toEqual([]);

    // And as the engine itself lists them, by the labels the driver puts on everything it makes.
    if (!detected.found) return;
    const labels = [`dev.slipway.driver=${docker().tag}`, `dev.slipway.app=${APP}`, `dev.slipway.env=${ENV}`];
    const has = (own: Record<string, string> | null | undefined) => labels.every((pair) => own?.[pair.split('=')[0]!] === pair.slice(pair.indexOf('=') + 1));
    const containers = (await detected.docker.listContainers({ all: true })).filter((c) => has(c.Labels));
    const networks = (await detected.docker.listNetworks()).filter((n) => has(n.Labels));
    const volumes = ((await detected.docker.listVolumes()).Volumes ?? []).filter((v) => has(v.Labels));
    expect({ containers: containers.map((c) => c.Names), networks: networks.map((n) => n.Name), volumes: volumes.map((v) => v.Name) }).toEqual({ containers: [], networks: [], volumes: [] });
    expect((await viaRouter(PAGE_HOST)).status).toBe(404);
  }, 60_000);
});
