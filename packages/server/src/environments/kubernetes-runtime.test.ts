// An application on the kubernetes runtime through the server, end to end: registered from a git
// repository, an environment made through the API, its `build` service built by the engine and
// pushed to a real registry (the CNCF distribution registry, with a user), its Deployment naming the
// pushed digest, its cron job a CronJob, the deploy's log telling the push, and a delete that leaves
// no namespace. Runs under `npm run test:kubernetes` (the cluster) with a Docker or Podman engine;
// skipped, with the reason, without either.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDockerEngine } from '@slipway/drivers';
import { ensureBaseImages, NODE_IMAGE } from '@slipway/drivers/docker-test-images';
import { startTestRegistry, type TestRegistry } from '@slipway/drivers/kubernetes-test-registry';
import { createApiToken } from '../store/api-tokens.ts';
import { startServer, type RunningServer } from '../start-server.ts';
import { closeServer, httpRequest as http, waitForDeploy } from '../test-support/test-server.ts';
import { commitAll, git } from '../test-support/example-repository.ts';

const kubeconfig = process.env.SLIPWAY_TEST_KUBECONFIG;
const detected = kubeconfig ? await detectDockerEngine() : undefined;
const skipReason = !kubeconfig
  ? 'no test cluster: `npm run test:kubernetes` starts one and runs this test against it'
  : !detected?.found
    ? `${detected?.message ?? 'no engine'} (scripts/setup-podman.sh sets one up)`
    : undefined;

const APP = 'kube-shop';
const USER = 'slipway-push';
const PASSWORD = `push-${process.pid}-7d41`;

const manifest = `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: ${APP}
spec:
  runtime: kubernetes
  services:
    - name: web
      build:
        context: web
        args:
          BASE_IMAGE: ${NODE_IMAGE}
      ports:
        - port: 3000
  cronJobs:
    - name: nightly
      fromService: web
      command: node job.mjs
      schedule: "@daily"
`;

describe.skipIf(skipReason !== undefined)(`an application on the kubernetes runtime through the server${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let dir = '';
  let server: RunningServer;
  let registry: TestRegistry;
  let token = '';
  let repository = '';
  const api = (method: string, path: string, body?: unknown) => http(Number(new URL(server.apiUrl).port), method, path, { token, body });
  const clients = () => {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig!);
    return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), batch: kc.makeApiClient(BatchV1Api) };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-kube-server-'));
    if (detected?.found) await ensureBaseImages(detected.docker);
    registry = await startTestRegistry(join(dir, 'registry'), { users: { [USER]: PASSWORD } });
    repository = join(dir, 'repo');
    mkdirSync(join(repository, 'web'), { recursive: true });
    mkdirSync(join(repository, '.slipway'));
    writeFileSync(join(repository, '.slipway', 'app.yaml'), manifest);
    writeFileSync(join(repository, 'web', 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY server.mjs job.mjs /app/\nWORKDIR /app\nCMD ["node", "server.mjs"]\n');
    writeFileSync(join(repository, 'web', 'server.mjs'), "import { createServer } from 'node:http';\ncreateServer((_, res) => res.end('hello')).listen(3000);\n");
    writeFileSync(join(repository, 'web', 'job.mjs'), "console.log('nightly');\n");
    git(repository, 'init', '-q', '-b', 'main');
    commitAll(repository, 'kube shop');
    server = await startServer(
      {
        home: join(dir, 'home'),
        apiPort: 0,
        routerPort: 0,
        host: '127.0.0.1',
        domain: 'slipway.localhost',
        cliConfigPath: join(dir, 'cli.yaml'),
        kubernetes: {
          kubeconfig: kubeconfig!,
          namespacePrefix: `srv${process.pid}`,
          imageRegistry: `${registry.address}/apps`,
          registryUsername: USER,
          registryPassword: PASSWORD,
          registryInsecure: 'true',
        },
      },
      { graceMs: 2_000, engine: { tickMs: 200, refreshRoutesMs: 500 } },
    );
    expect(Object.keys(server.drivers)).toContain('kubernetes');
    token = (await createApiToken(server.store.db, { name: 'test', workspace: 'default', role: 'admin' })).secret;
    const registered = await api('POST', '/api/v1/applications', { repository, path: '.slipway' });
    expect(registered.status, registered.text).toBe(201);
  }, 300_000);

  afterAll(async () => {
    await closeServer(server, join(dir, 'server'));
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('builds and pushes the image, runs the Deployment by digest and the cron job as a CronJob, and deletes the namespace', async () => {
    const created = await api('POST', '/api/v1/environments', { app: APP, branch: 'main' });
    expect(created.status, created.text).toBe(202);
    const deployId = created.json().deploy.id as string;
    const deploy = await waitForDeploy(server, token, deployId, 240_000, 250);
    expect(deploy.state, JSON.stringify(deploy.tasks)).toBe('succeeded');
    const log = (await api('GET', `/api/v1/deploys/${deployId}/log`)).text;
    expect(log).toMatch(/pushed .*\/apps\/kube-shop-web@sha256:[a-f0-9]{64}/);
    expect(log).not.toContain(PASSWORD);

    const ns = `srv${process.pid}-default-${APP}-main`;
    const { apps, batch, core } = clients();
    const image = (await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec?.template.spec?.containers[0]?.image ?? '';
    expect(image).toMatch(new RegExp(`^${registry.address.replace(/\./g, '\\.')}/apps/kube-shop-web@sha256:[a-f0-9]{64}$`));
    const digest = image.split('@')[1]!;
    const manifestAnswer = await registry.get(`/v2/apps/kube-shop-web/manifests/${digest}`, { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' });
    expect(manifestAnswer.status).toBe(200);
    const cron = await batch.readNamespacedCronJob({ name: 'nightly', namespace: ns });
    expect(cron.spec).toMatchObject({ schedule: '@daily', concurrencyPolicy: 'Forbid' });
    expect(cron.spec?.jobTemplate.spec?.template.spec?.containers[0]).toMatchObject({ image, command: ['/bin/sh', '-c', 'node job.mjs'] });

    const deleted = await api('DELETE', `/api/v1/environments/main`);
    expect(deleted.status, deleted.text).toBe(202);
    const teardown = await waitForDeploy(server, token, deleted.json().deploy.id as string, 180_000, 250);
    expect(teardown.state, JSON.stringify(teardown.tasks)).toBe('succeeded');
    await expect(core.readNamespace({ name: ns })).rejects.toMatchObject({ code: 404 });
  }, 420_000);
});
