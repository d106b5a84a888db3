// Bad input on the docker runtime, through the real server: each deploy fails with a reason that
// says what is wrong (and the end of the relevant log), and deleting the environment leaves nothing
// of it on the engine. One small application per case, each in its own git repository, built
// FROM slipway-test/node:local (made locally: nothing is pulled). Skipped, with the reason, when no
// Docker or Podman engine answers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployResponse, DeployTaskResponse } from '@slipway/contract';
import type { ApplyRequest } from '@slipway/core';
import { detectDockerEngine, type DockerDriver } from '@slipway/drivers';
import { ensureBaseImages, NODE_IMAGE } from '@slipway/drivers/docker-test-images';
import { createApiToken } from '../store/api-tokens.ts';
import type { RunningServer } from '../start-server.ts';
import { commitAll, git } from '../test-support/example-repository.ts';
import { httpRequest as http, startTestServer, waitForDeploy as deployEnded, type TestServer } from '../test-support/test-server.ts';

const detected = await detectDockerEngine();
const skipReason = detected.found ? undefined : `${detected.message} (scripts/setup-podman.sh sets one up)`;

/** A base image no engine here has, and no registry can give. */
const MISSING_BASE = `slipway-test/no-such-base:${process.pid}`;
const SERVER_JS = "require('http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT));";

describe.skipIf(skipReason !== undefined)(`bad input on the docker runtime${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let test: TestServer;
  let server: RunningServer;
  let token: string;
  const repositories: string[] = [];

  const apiPort = () => Number(new URL(server.apiUrl).port);
  const api = (method: string, path: string, body?: unknown) => http(apiPort(), method, path, { token, body });
  const docker = () => server.drivers.docker as DockerDriver;

  /** A repository with one docker-runtime application `app`: service `web` built from web/Dockerfile. */
  function repository(app: string, files: Record<string, string>, service: string): string {
    const root = mkdtempSync(join(tmpdir(), `slipway-${app}-`));
    repositories.push(root);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    mkdirSync(join(root, '.slipway'));
    writeFileSync(join(root, '.slipway/app.yaml'), `apiVersion: slipway.dev/v1\nkind: Application\nmetadata:\n  name: ${app}\nspec:\n  runtime: docker\n  services:\n${service}`);
    git(root, 'init', '-q', '-b', 'main');
    commitAll(root, app);
    return root;
  }

  async function register(app: string, root: string): Promise<void> {
    const registered = await api('POST', '/api/v1/applications', { repository: root });
    expect(registered.status, registered.text).toBe(201);
    expect(registered.json()).toMatchObject({ name: app });
  }

  const waitForDeploy = (id: string, timeoutMs: number) => deployEnded(server, token, id, timeoutMs);

  /** Creates the environment `app`-main; returns its setup deploy once it ended, and the task that failed. */
  async function failedDeploy(app: string, envId: string): Promise<{ deploy: DeployResponse; task: DeployTaskResponse }> {
    const created = await api('POST', '/api/v1/environments', { app, kind: 'permanent', id: envId });
    expect(created.status, created.text).toBe(202);
    const deploy = await waitForDeploy(created.json().deploy.id, 60_000);
    expect(deploy.state, JSON.stringify(deploy.tasks)).toBe('failed');
    const task = deploy.tasks!.find((t) => t.state === 'failed');
    expect(task, JSON.stringify(deploy.tasks)).toBeDefined();
    const env = (await api('GET', `/api/v1/environments/${envId}`)).json();
    expect(env.status).toBe('failed');
    return { deploy, task: task! };
  }

  /** Deletes the environment; then neither the driver nor the engine knows anything of it. */
  async function deleteLeavesNothing(app: string, envId: string): Promise<void> {
    const deleted = await api('DELETE', `/api/v1/environments/${envId}`);
    expect(deleted.status, deleted.text).toBe(202);
    expect((await waitForDeploy(deleted.json().deploy.id, 60_000)).state).toBe('succeeded');
    const owned = (await docker().listOwned()).filter((r) => r.env.app === app && r.env.envId === envId);
    expect(owned).toEqual([]);
    if (!detected.found) return;
    const labels: Record<string, string> = { 'dev.slipway.driver': docker().tag, 'dev.slipway.app': app, 'dev.slipway.env': envId };
    const has = (own: Record<string, string> | null | undefined) => Object.entries(labels).every(([k, v]) => own?.[k] === v);
    const containers = (await detected.docker.listContainers({ all: true })).filter((c) => has(c.Labels));
    const networks = (await detected.docker.listNetworks()).filter((n) => has(n.Labels));
    const volumes = ((await detected.docker.listVolumes()).Volumes ?? []).filter((v) => has(v.Labels));
    expect({ containers: containers.map((c) => c.Names), networks: networks.map((n) => n.Name), volumes: volumes.map((v) => v.Name) }).toEqual({ containers: [], networks: [], volumes: [] });
  }

  beforeAll(async () => {
    if (!detected.found) return;
    await ensureBaseImages(detected.docker);
    test = await startTestServer('docker-bad-input');
    server = test.server;
    expect(Object.keys(server.drivers)).toContain('docker');
    token = (await createApiToken(server.store.db, { name: 'test', workspace: 'default', role: 'admin' })).secret;
  }, 60_000);

  afterAll(async () => {
    await test?.close();
    for (const root of repositories) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('a missing Dockerfile fails the deploy naming the file and the build context', async () => {
    const app = 'bad-dockerfile';
    const root = repository(app, { 'web/server.js': SERVER_JS, 'web/Dockerfile': `FROM ${NODE_IMAGE}\nCOPY server.js /app/\nCMD ["node", "/app/server.js"]\n` }, '    - name: web\n      build:\n        context: web\n        dockerfile: Dockerfile.prod\n      ports:\n        - port: 3000\n');
    await register(app, root);
    const { deploy, task } = await failedDeploy(app, 'no-dockerfile');
    expect(task.key).toBe('source');
    expect(task.reason).toContain('Dockerfile.prod');
    expect(task.reason).toContain('build context "web"');
    expect(deploy.reason).toContain('Dockerfile.prod');
    await deleteLeavesNothing(app, 'no-dockerfile');
  }, 60_000);

  it('a base image the engine does not have fails the deploy naming it and saying it cannot be pulled', async () => {
    const app = 'bad-base';
    const root = repository(app, { 'web/server.js': SERVER_JS, 'web/Dockerfile': `FROM ${MISSING_BASE}\nCOPY server.js /app/\nCMD ["node", "/app/server.js"]\n` }, '    - name: web\n      build:\n        context: web\n      ports:\n        - port: 3000\n');
    await register(app, root);
    const { task } = await failedDeploy(app, 'no-base');
    expect(task.key).toBe('source');
    expect(task.reason).toContain(`the base image ${MISSING_BASE}`);
    expect(task.reason).toMatch(/is not on the engine and could not be pulled/);
    expect(task.logTail).toContain(MISSING_BASE);
    await deleteLeavesNothing(app, 'no-base');

    // The same for a service that names an image rather than building one.
    const named = 'bad-image';
    await register(named, repository(named, {}, `    - name: web\n      image: ${MISSING_BASE}\n      ports:\n        - port: 3000\n`));
    const { task: pulled } = await failedDeploy(named, 'no-image');
    expect(pulled.reason).toContain(`the image ${MISSING_BASE} is not on the engine and could not be pulled`);
    await deleteLeavesNothing(named, 'no-image');
  }, 60_000);

  it('a host port that is taken fails the deploy saying so', async () => {
    const app = 'bad-port';
    const root = repository(app, { 'web/server.js': SERVER_JS, 'web/Dockerfile': `FROM ${NODE_IMAGE}\nCOPY server.js /app/\nCMD ["node", "/app/server.js"]\n` }, '    - name: web\n      build:\n        context: web\n      ports:\n        - port: 3000\n');
    await register(app, root);
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    // The server asks for no host port of its own (the driver picks free ones); the deploys of this
    // application ask the driver for the one the blocker holds, as an apply with hostPorts does.
    const driver = docker();
    const apply = driver.apply.bind(driver);
    driver.apply = (request: ApplyRequest) => apply(request.env.app === app ? { ...request, hostPorts: { web: port } } : request);
    try {
      const { task } = await failedDeploy(app, 'port-taken');
      expect(task.key).toBe('0:service:web');
      expect(task.reason).toContain(`host port ${port} is already in use`);
    } finally {
      driver.apply = apply;
      await new Promise((resolve) => blocker.close(resolve));
    }
    await deleteLeavesNothing(app, 'port-taken');
  }, 60_000);

  it('a container that exits at once fails the deploy with its exit code and the end of its output', async () => {
    const app = 'bad-crash';
    const crash = "console.log('starting the crashy service'); console.error('fatal: no DATABASE_URL'); process.exit(3);";
    const root = repository(app, { 'web/crash.js': crash, 'web/Dockerfile': `FROM ${NODE_IMAGE}\nCOPY crash.js /app/\nCMD ["node", "/app/crash.js"]\n` }, '    - name: web\n      build:\n        context: web\n      ports:\n        - port: 3000\n');
    await register(app, root);
    const { task } = await failedDeploy(app, 'crashing');
    expect(task.key).toBe('0:service:web');
    expect(task.reason).toMatch(/web-0 is crash-looping \(last exit code 3\)/);
    expect(task.reason).toContain('exited with code 3');
    expect(task.logTail).toContain('fatal: no DATABASE_URL');
    await deleteLeavesNothing(app, 'crashing');
  }, 60_000);
});
