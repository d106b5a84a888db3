// The docker runtime across a server killed with SIGKILL: one environment ready, another in the
// middle of its deploy (its job running). The server started again (it finds the engine itself)
// adopts the running containers (same containers, still serving through the router), finishes the
// interrupted deploy without running the job twice, and a delete then leaves no container, network
// or volume of either environment on the engine. Skipped, with the reason, when no Docker or Podman
// engine answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashText } from '@slipway/core';
import { detectDockerEngine } from '@slipway/drivers';
import { ensureBaseImages, NODE_IMAGE } from '@slipway/drivers/docker-test-images';
import { commitAll, git } from '../test-support/example-repository.ts';

const detected = await detectDockerEngine();
const skipReason = detected.found ? undefined : `${detected.message} (scripts/setup-podman.sh sets one up)`;

const runServer = resolve(fileURLToPath(import.meta.url), '../../test-support/run-server.ts');
const APP = 'crashy-docker';
const dir = mkdtempSync(join(tmpdir(), 'slipway-docker-crash-'));
const home = join(dir, 'home');
/** The tag the server's docker driver puts on everything it makes (a hash of its state folder). */
const driverTag = hashText(resolve(home, 'runtime', 'docker')).slice(0, 10);
const children: ChildProcess[] = [];

interface Started {
  child: ChildProcess;
  apiUrl: string;
  routerPort: number;
  token?: string;
  runtimes: string[];
  dockerEngine: string;
}

function start(withToken: boolean): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', runServer], {
    env: { ...process.env, SLIPWAY_HOME: home, ...(withToken ? { TEST_TOKEN_WANTED: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  return new Promise((resolvePromise, reject) => {
    let first = '';
    child.stdout!.on('data', (c: Buffer) => {
      if (first.includes('\n')) return;
      first += c.toString();
      if (first.includes('\n')) resolvePromise({ child, ...(JSON.parse(first.slice(0, first.indexOf('\n'))) as Omit<Started, 'child'>) });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${log}`)));
  });
}

async function kill(server: Started, signal: NodeJS.Signals): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill(signal);
  await exited;
}

function api(server: Started, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const url = new URL(path, server.apiUrl);
  return new Promise((resolvePromise, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(url, { method, headers: { authorization: `Bearer ${token}`, ...(text ? { 'content-type': 'application/json' } : {}) }, timeout: 10_000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, json: data ? JSON.parse(data) : undefined }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

function viaRouter(server: Started, host: string): Promise<{ status: number; text: string }> {
  return new Promise((resolvePromise) => {
    const req = request({ host: '127.0.0.1', port: server.routerPort, path: '/', headers: { host }, timeout: 5_000 }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text: data }));
    });
    req.on('error', () => resolvePromise({ status: 0, text: '' }));
    req.end();
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A docker-runtime application: web serves the runs its seed job recorded on their shared volume. */
function repository(): string {
  const root = join(dir, 'repo');
  mkdirSync(join(root, 'app'), { recursive: true });
  mkdirSync(join(root, '.slipway'));
  writeFileSync(
    join(root, 'app/server.js'),
    "const { existsSync, readFileSync } = require('fs');\nrequire('http').createServer((q, s) => s.end(`hello from ${process.env.SLIPWAY_ENV_ID}; runs=${existsSync('/data/runs.txt') ? readFileSync('/data/runs.txt', 'utf8').split('\\n').filter(Boolean).length : 0}`)).listen(Number(process.env.PORT));\n",
  );
  // The job records its run, then takes long enough for the test to kill the server during it.
  writeFileSync(join(root, 'app/seed.js'), "require('fs').appendFileSync('/data/runs.txt', 'run\\n');\nsetTimeout(() => {}, 4000);\n");
  writeFileSync(join(root, 'app/Dockerfile'), `FROM ${NODE_IMAGE}\nWORKDIR /app\nCOPY *.js ./\nCMD ["node", "server.js"]\n`);
  writeFileSync(
    join(root, '.slipway/app.yaml'),
    `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: ${APP}
spec:
  runtime: docker
  services:
    - name: web
      build:
        context: app
      ports:
        - port: 3000
      volumes:
        - name: data
          mountPath: /data
      dependsOn:
        - name: seed
          condition: completed
      readiness:
        http:
          path: /
        period: 1s
  jobs:
    - name: seed
      fromService: web
      command: ["node", "seed.js"]
      timeout: 1m
`,
  );
  git(root, 'init', '-q', '-b', 'main');
  commitAll(root, APP);
  return root;
}

/** What the engine holds of an environment of this server's driver, by the labels the driver puts on everything. */
async function onEngine(envId: string): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  if (!detected.found) return { containers: [], networks: [], volumes: [] };
  const labels: Record<string, string> = { 'dev.slipway.driver': driverTag, 'dev.slipway.app': APP, 'dev.slipway.env': envId };
  const has = (own: Record<string, string> | null | undefined) => Object.entries(labels).every(([k, v]) => own?.[k] === v);
  const containers = (await detected.docker.listContainers({ all: true })).filter((c) => has(c.Labels));
  const networks = (await detected.docker.listNetworks()).filter((n) => has(n.Labels));
  const volumes = ((await detected.docker.listVolumes()).Volumes ?? []).filter((v) => has(v.Labels));
  return { containers: containers.flatMap((c) => c.Names), networks: networks.map((n) => n.Name), volumes: volumes.map((v) => v.Name) };
}

describe.skipIf(skipReason !== undefined)(`crash recovery on the docker runtime${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    if (detected.found) await ensureBaseImages(detected.docker);
  }, 60_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // Whatever a failed run left: containers first (they hold the network and volume).
    if (detected.found) {
      const ours = (own: Record<string, string> | null | undefined) => own?.['dev.slipway.driver'] === driverTag;
      for (const c of (await detected.docker.listContainers({ all: true })).filter((x) => ours(x.Labels))) await detected.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      for (const n of (await detected.docker.listNetworks()).filter((x) => ours(x.Labels))) await detected.docker.getNetwork(n.Name).remove().catch(() => undefined);
      for (const v of ((await detected.docker.listVolumes()).Volumes ?? []).filter((x) => ours(x.Labels))) await detected.docker.getVolume(v.Name).remove({ force: true }).catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('adopts a ready environment and finishes one killed mid-deploy; a delete then leaves nothing on the engine', async () => {
    const first = await start(true);
    expect(first.runtimes, first.dockerEngine).toContain('docker');
    const token = first.token!;
    const registered = await api(first, token, 'POST', '/api/v1/applications', { repository: repository() });
    expect(registered.status, JSON.stringify(registered.json)).toBe(201);

    // "steady" becomes ready before the kill.
    const steady = await api(first, token, 'POST', '/api/v1/environments', { app: APP, kind: 'permanent', id: 'steady' });
    expect(steady.status, JSON.stringify(steady.json)).toBe(202);
    const steadyDeploy = await until('steady to be deployed', async () => {
      const d = (await api(first, token, 'GET', `/api/v1/deploys/${steady.json.deploy.id}`)).json;
      return d.state === 'running' || d.state === 'queued' ? undefined : d;
    });
    expect(steadyDeploy.state, JSON.stringify(steadyDeploy.tasks)).toBe('succeeded');
    const before = (await api(first, token, 'GET', '/api/v1/environments/steady')).json;
    expect(before.instances.map((i: { name: string; state: string }) => `${i.name}:${i.state}`)).toEqual(['web-0:ready']);
    const steadyContainer = before.instances[0].runtimeId as string;
    expect((await viaRouter(first, 'web-steady.slipway.localhost')).text).toBe('hello from steady; runs=1');

    // "midway" is killed while its job runs.
    const midway = await api(first, token, 'POST', '/api/v1/environments', { app: APP, kind: 'permanent', id: 'midway' });
    expect(midway.status).toBe(202);
    const midwayDeployId = midway.json.deploy.id as string;
    await until('the seed job of midway to run', async () => {
      if (!detected.found) return undefined;
      const jobs = await detected.docker.listContainers({ filters: { label: [`dev.slipway.driver=${driverTag}`, 'dev.slipway.env=midway', 'dev.slipway.role=job'] } });
      return jobs.some((c) => c.State === 'running') ? true : undefined;
    });
    await kill(first, 'SIGKILL');

    const second = await start(false);
    expect(second.runtimes).toContain('docker');
    const deploy = await until('the interrupted deploy to end', async () => {
      const d = (await api(second, token, 'GET', `/api/v1/deploys/${midwayDeployId}`)).json;
      return d.state === 'running' || d.state === 'queued' ? undefined : d;
    });
    expect(deploy.state, JSON.stringify(deploy.tasks)).toBe('succeeded');

    // The ready environment was adopted: the same container, still ready, still served.
    const after = (await api(second, token, 'GET', '/api/v1/environments/steady')).json;
    expect(after.status).toBe('ready');
    expect(after.instances.map((i: { name: string; state: string; runtimeId: string }) => `${i.name}:${i.state}:${i.runtimeId}`)).toEqual([`web-0:ready:${steadyContainer}`]);
    expect(await until('steady through the new router', async () => {
      const answer = await viaRouter(second, 'web-steady.slipway.localhost');
      return answer.status === 200 ? answer.text : undefined;
    })).toBe('hello from steady; runs=1');
    // The interrupted one came up, its job having run once (the record on the shared volume says so).
    const midwayEnv = (await api(second, token, 'GET', '/api/v1/environments/midway')).json;
    expect(midwayEnv.status).toBe('ready');
    expect(await until('midway through the router', async () => {
      const answer = await viaRouter(second, 'web-midway.slipway.localhost');
      return answer.status === 200 ? answer.text : undefined;
    })).toBe('hello from midway; runs=1');
    for (const envId of ['steady', 'midway']) expect((await onEngine(envId)).containers, envId).toHaveLength(1);

    // Delete both: nothing of either is left on the engine, whichever server made it.
    for (const envId of ['steady', 'midway']) {
      const deleted = await api(second, token, 'DELETE', `/api/v1/environments/${envId}`);
      expect(deleted.status).toBe(202);
      const teardown = await until(`the teardown of ${envId}`, async () => {
        const d = (await api(second, token, 'GET', `/api/v1/deploys/${deleted.json.deploy.id}`)).json;
        return d.state === 'running' || d.state === 'queued' ? undefined : d;
      });
      expect(teardown.state).toBe('succeeded');
      expect(await onEngine(envId), envId).toEqual({ containers: [], networks: [], volumes: [] });
    }
    await kill(second, 'SIGTERM');
  }, 120_000);
});
