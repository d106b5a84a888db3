import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { parse, stringify } from 'yaml';
import type { DeployResponse } from '@slipway/contract';
import { http, sleep, statusOf, type Answer, type TimelineEntry } from './spin-up-bench-support.ts';

// The two sides of the docker spin-up benchmark: the guestbook as a Slipway environment on the
// docker runtime, and the same images under `podman-compose up -d`, each followed by the same
// readiness polling: the api's /api/health and the page answer 200, and the worker container runs.

// ---------------------------------------------------------------------------------------------
// Readiness, polled the same way on both sides

export interface Readiness {
  /** performance.now() when each was first seen ready. */
  api: number;
  web: number;
  worker: number;
}

interface Checks {
  api: () => Promise<boolean>;
  web: () => Promise<boolean>;
  worker: () => Promise<boolean>;
}

/**
 * Every `pollMs`, checks what is not ready yet (the three side by side), until all are; each is
 * stamped when first seen ready. What a script does with curl and `podman ps` in a loop.
 */
export async function pollReadiness(checks: Checks, pollMs: number, timeoutMs: number): Promise<Readiness> {
  const seen: Partial<Readiness> = {};
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const pending = (Object.keys(checks) as (keyof Checks)[]).filter((key) => seen[key] === undefined);
    await Promise.all(
      pending.map(async (key) => {
        if (await checks[key]().catch(() => false)) seen[key] = performance.now();
      }),
    );
    if (seen.api !== undefined && seen.web !== undefined && seen.worker !== undefined) return seen as Readiness;
    if (performance.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms: ${(Object.keys(checks) as (keyof Checks)[]).filter((k) => seen[k] === undefined).join(', ')}`);
    await sleep(pollMs);
  }
}

/** Whether a container with all these labels runs (`podman ps --filter label=…`). */
export async function containerRuns(docker: Dockerode, labels: string[]): Promise<boolean> {
  const found = await docker.listContainers({ filters: { label: labels, status: ['running'] } });
  return found.length > 0;
}

// ---------------------------------------------------------------------------------------------
// podman-compose

/** The first lines of a command's output, for an error. */
export function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/**
 * The example's compose.yaml with the images Slipway built in place of its build sections (the
 * same images on both sides, nothing built during a round) and its host ports on free loopback
 * ports, so it cannot collide with whatever else listens on 3000 or 8080.
 */
export function composeFile(source: string, target: string, images: { api: string; web: string }, ports: { api: number; web: number }): void {
  const doc = parse(readFileSync(source, 'utf8'), { merge: true }) as { services: Record<string, Record<string, unknown>>; [key: string]: unknown };
  const services: Record<string, Record<string, unknown>> = {};
  for (const [name, service] of Object.entries(doc.services)) {
    const { build, image: _image, ...rest } = service;
    const image = build === 'web' ? images.web : build === 'api' ? images.api : undefined;
    if (!image) throw new Error(`compose.yaml: service ${name} builds from ${JSON.stringify(build)}, neither api nor web`);
    const published = (rest.ports as string[] | undefined)?.map((p) => {
      const inside = p.split(':').at(-1)!;
      const host = inside === '3000' ? ports.api : inside === '8080' ? ports.web : undefined;
      if (!host) throw new Error(`compose.yaml: service ${name} publishes ${p}, neither 3000 nor 8080`);
      return `127.0.0.1:${host}:${inside}`;
    });
    services[name] = { image, ...rest, ...(published ? { ports: published } : {}) };
  }
  const { 'x-api-image': _anchor, name: _name, ...top } = doc;
  writeFileSync(target, stringify({ ...top, services }));
}

export interface ComposeRound {
  /** `podman-compose up -d` returned. */
  upMs: number;
  apiMs: number;
  webMs: number;
  workerMs: number;
  /** Start to everything seen ready: the figure compared with Slipway's. */
  readyMs: number;
  /** `podman-compose down -v` (and the network it leaves). */
  downMs: number;
}

/** One `podman-compose up -d` of the file as project `project`, the readiness polling, then `down -v`. */
export async function composeRound(options: { docker: Dockerode; dir: string; file: string; project: string; ports: { api: number; web: number }; pollMs: number; readyTimeoutMs: number }): Promise<ComposeRound> {
  const { docker, dir, file, project, ports, pollMs } = options;
  const compose = (...args: string[]) => run('podman-compose', ['-p', project, '-f', file, ...args], dir);
  const t0 = performance.now();
  try {
    const up = await compose('up', '-d', '--no-build');
    if (up.code !== 0) throw new Error(`podman-compose up -d exited with ${up.code}:\n${up.output.slice(-3000)}`);
    const upAt = performance.now();
    const seen = await pollReadiness(
      {
        api: async () => (await statusOf(ports.api, '/api/health')) === 200,
        web: async () => (await statusOf(ports.web, '/')) === 200,
        worker: () => containerRuns(docker, [`com.docker.compose.project=${project}`, 'com.docker.compose.service=worker']),
      },
      pollMs,
      options.readyTimeoutMs,
    );
    const ready = Math.max(seen.api, seen.web, seen.worker);
    const downStart = performance.now();
    await composeDown(compose, docker, project);
    return { upMs: upAt - t0, apiMs: seen.api - t0, webMs: seen.web - t0, workerMs: seen.worker - t0, readyMs: ready - t0, downMs: performance.now() - downStart };
  } catch (error) {
    await composeDown(compose, docker, project).catch(() => undefined);
    throw error;
  }
}

async function composeDown(compose: (...args: string[]) => Promise<{ code: number | null; output: string }>, docker: Dockerode, project: string): Promise<void> {
  const down = await compose('down', '-v');
  if (down.code !== 0) throw new Error(`podman-compose down -v exited with ${down.code}:\n${down.output.slice(-3000)}`);
  // podman-compose 1.0 leaves the project's network behind.
  for (const network of await docker.listNetworks({ filters: { label: [`io.podman.compose.project=${project}`] } })) {
    await docker.getNetwork(network.Name).remove().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Slipway

export interface SlipwayApi {
  apiPort: number;
  routerPort: number;
  token: string;
}

export interface SlipwayRound {
  postMs: number;
  apiMs: number;
  webMs: number;
  workerMs: number;
  /** POST to everything seen ready (the same polling as compose's): the figure compared. */
  readyMs: number;
  /** POST to the deploy seen succeeded (every service's readiness probe passed), polled every pollMs. */
  deployMs: number;
  /** POST to the deploy's own finishedAt (server clock). */
  finishedMs: number;
  timeline: TimelineEntry[];
  /** DELETE to the teardown seen succeeded. */
  teardownMs: number;
}

async function json<T>(answer: Promise<Answer>, expected: number): Promise<T> {
  const { status, text } = await answer;
  if (status !== expected) throw new Error(`expected ${expected}, got ${status}: ${text}`);
  return JSON.parse(text) as T;
}

async function waitForDeploy(api: SlipwayApi, id: string, pollMs: number, timeoutMs: number): Promise<{ deploy: DeployResponse; seenAt: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const deploy = await json<DeployResponse>(http(api.apiPort, 'GET', `/api/v1/deploys/${id}`, { token: api.token }), 200);
    const seenAt = performance.now();
    if (deploy.state !== 'queued' && deploy.state !== 'running') return { deploy, seenAt };
    if (seenAt > deadline) throw new Error(`deploy ${id} still ${deploy.state} after ${timeoutMs} ms: ${JSON.stringify(deploy.tasks)}`);
    await sleep(pollMs);
  }
}

/**
 * One environment of `app` from POST /api/v1/environments to every service ready: the deploy and
 * the readiness (through the router, as users reach it, and the worker's container on the engine)
 * polled side by side, each every `pollMs`. Then its teardown.
 */
export async function slipwayRound(api: SlipwayApi, options: { docker: Dockerode; app: string; envId: string; domain: string; pollMs: number; readyTimeoutMs: number }): Promise<SlipwayRound> {
  const { docker, app, envId, domain, pollMs } = options;
  const wallStart = Date.now();
  const t0 = performance.now();
  const created = await json<{ deploy: DeployResponse }>(http(api.apiPort, 'POST', '/api/v1/environments', { token: api.token, body: { app, id: envId, branch: 'main' } }), 202);
  const posted = performance.now();
  const readiness = pollReadiness(
    {
      api: async () => (await statusOf(api.routerPort, '/api/health', `${app}-api-${envId}.${domain}`)) === 200,
      web: async () => (await statusOf(api.routerPort, '/', `${app}-${envId}.${domain}`)) === 200,
      worker: () => containerRuns(docker, [`dev.slipway.app=${app}`, `dev.slipway.env=${envId}`, 'dev.slipway.service=worker', 'dev.slipway.role=main']),
    },
    pollMs,
    options.readyTimeoutMs,
  );
  readiness.catch(() => undefined);
  const { deploy, seenAt } = await waitForDeploy(api, created.deploy.id, pollMs, options.readyTimeoutMs);
  if (deploy.state !== 'succeeded') throw new Error(`the setup deploy of ${envId} ${deploy.state}: ${deploy.reason ?? ''}\n${JSON.stringify(deploy.tasks, null, 2)}`);
  const seen = await readiness;
  const ready = Math.max(seen.api, seen.web, seen.worker);

  const at = (iso: string | undefined) => (iso ? Date.parse(iso) - wallStart : Number.NaN);
  const timeline: TimelineEntry[] = [
    { what: 'POST answered', startMs: posted - t0 },
    { what: 'deploy started', startMs: at(deploy.startedAt) },
    ...[...(deploy.tasks ?? [])]
      .sort((a, b) => at(a.startedAt) - at(b.startedAt))
      .map((task) => ({ what: task.kind === 'source' ? 'source: checkout, image found' : `${task.kind} ${task.name ?? task.key}`, startMs: at(task.startedAt), endMs: at(task.finishedAt) })),
    { what: 'deploy finished', startMs: at(deploy.finishedAt) },
    { what: 'deploy seen succeeded', startMs: seenAt - t0 },
    { what: 'api /api/health 200 via router', startMs: seen.api - t0 },
    { what: 'page 200 via router', startMs: seen.web - t0 },
    { what: 'worker container running', startMs: seen.worker - t0 },
  ];

  const deleting = performance.now();
  const teardown = await json<{ deploy: DeployResponse }>(http(api.apiPort, 'DELETE', `/api/v1/environments/${envId}`, { token: api.token }), 202);
  const removed = await waitForDeploy(api, teardown.deploy.id, pollMs, 60_000);
  if (removed.deploy.state !== 'succeeded') throw new Error(`the teardown of ${envId} ${removed.deploy.state}: ${removed.deploy.reason ?? ''}`);
  return {
    postMs: posted - t0,
    apiMs: seen.api - t0,
    webMs: seen.web - t0,
    workerMs: seen.worker - t0,
    readyMs: ready - t0,
    deployMs: seenAt - t0,
    finishedMs: at(deploy.finishedAt),
    timeline,
    teardownMs: removed.seenAt - deleting,
  };
}
