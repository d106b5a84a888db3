import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import type { DeployResponse } from '@slipway/contract';
import { freePort } from './router-bench-support.ts';

// The two sides of the spin-up benchmark: the guestbook started by hand, the way a careful shell
// script would, and the same guestbook as a Slipway environment created over the API.

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const gitIdentity = { GIT_AUTHOR_NAME: 'Slipway Bench', GIT_AUTHOR_EMAIL: 'bench@slipway.invalid', GIT_COMMITTER_NAME: 'Slipway Bench', GIT_COMMITTER_EMAIL: 'bench@slipway.invalid' };

export function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, { cwd, env: { ...process.env, ...gitIdentity }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/**
 * A git repository (branch main) holding a copy of the guestbook example, as an application's
 * repository would be; `edit` may change files before the commit.
 */
export function guestbookRepository(example: string, path: string, edit?: (root: string) => void): string {
  cpSync(example, path, { recursive: true, filter: (source) => !/[/\\](node_modules|dist|data)([/\\]|$)/.test(source.slice(example.length)) });
  edit?.(path);
  git(path, 'init', '-q', '-b', 'main');
  git(path, 'add', '-A');
  git(path, 'commit', '-q', '-m', 'guestbook');
  return path;
}

/** Replaces text in a file, failing when the text is not there (so an edited example cannot silently stop matching). */
export function replaceIn(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}`);
  writeFileSync(file, text.replace(from, to));
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface Answer {
  status: number;
  text: string;
}

export function http(port: number, method: string, path: string, options: { host?: string; token?: string; body?: unknown } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = {};
    if (options.host) headers.host = options.host;
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (body) headers['content-type'] = 'application/json';
    const req = request({ host: '127.0.0.1', port, method, path, headers, timeout: 15_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} within 15 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Status of one GET, 0 when the connection fails (nothing listens yet): what `curl -s -o /dev/null -w %{http_code}` gives. */
export function statusOf(port: number, path: string, host?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: host ? { host } : {}, agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Polls until the GET answers 200; returns performance.now() of the answer. */
export async function pollUntil200(port: number, path: string, pollMs: number, timeoutMs: number, host?: string): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if ((await statusOf(port, path, host)) === 200) return performance.now();
    if (performance.now() > deadline) throw new Error(`GET ${host ?? '127.0.0.1'}:${port}${path} did not answer 200 within ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

// ---------------------------------------------------------------------------------------------
// (a) By hand

/**
 * What every process of the guestbook gets by hand: the same small environment the local driver
 * gives its processes (PATH with this node first, HOME, locale) and the manifest's variables. The
 * benchmark's own NODE_OPTIONS or loaders never reach them.
 */
export function handEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', 'USER']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH = [dirname(process.execPath), process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(':');
  return { ...env, GREETING: 'Welcome to a preview of the guestbook!', MAX_ENTRIES: '1000', STATS_INTERVAL_SECONDS: '30', DATA_DIR: './data', ...extra };
}

function start(argv: string[], cwd: string, env: Record<string, string>, logFile: string): ChildProcess {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  try {
    return spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', reject);
  });
}

/** Runs a command to its end like `cmd >> log 2>&1 || exit 1`. */
async function run(argv: string[], cwd: string, env: Record<string, string>, logFile: string): Promise<void> {
  const code = await exited(start(argv, cwd, env, logFile));
  if (code !== 0) throw new Error(`${argv.join(' ')} exited with ${code}; see ${logFile}`);
}

export interface HandRound {
  /** performance.now() deltas from the start, ms. */
  checkoutMs: number;
  buildMs: number;
  migrateMs: number;
  /** From spawning the api to its first 200 on /api/health. */
  apiReadyMs: number;
  workerMs: number;
  /** Start to every service ready: the figure compared with Slipway's. */
  readyMs: number;
  /** SIGTERM to both processes gone, and the worktree removed. */
  stopMs: number;
}

/**
 * One spin-up by hand, as a shell script would do it from the environment's own checkout of the
 * repository: a worktree of the branch from a bare mirror (cloned first when there is none: the
 * first round is the cold one, as it is for the local driver), the web build, the migrate job, the
 * api on a free port polled on /api/health every `pollMs`, the worker. Then everything is stopped.
 */
export async function handRound(options: { repository: string; mirror: string; checkout: string; logs: string; pollMs: number; readyTimeoutMs: number }): Promise<HandRound> {
  const { repository, mirror, checkout, logs, pollMs } = options;
  const gitEnv = { ...handEnvironment(), GIT_TERMINAL_PROMPT: '0' };
  const processes: ChildProcess[] = [];
  const t0 = performance.now();
  try {
    if (!existsSync(mirror)) await run(['git', 'clone', '--mirror', '--quiet', repository, mirror], dirname(mirror), gitEnv, join(logs, 'git.log'));
    await run(['git', 'worktree', 'add', '--detach', '--quiet', checkout, 'main'], mirror, gitEnv, join(logs, 'git.log'));
    const checkedOut = performance.now();

    await run(['node', 'build.mjs'], join(checkout, 'web'), handEnvironment(), join(logs, 'web-build.log'));
    const built = performance.now();

    const api = join(checkout, 'api');
    await run(['node', 'migrate.mjs'], api, handEnvironment(), join(logs, 'migrate.log'));
    const migrated = performance.now();

    const port = await freePort();
    const server = start(['node', 'server.mjs'], api, handEnvironment({ PORT: String(port), PUBLIC_URL: 'http://localhost:8080' }), join(logs, 'api.log'));
    processes.push(server);
    const crashed = exited(server).then((code) => Promise.reject(new Error(`the api exited with ${code} before it was ready; see ${join(logs, 'api.log')}`)));
    crashed.catch(() => undefined);
    const apiReady = await Promise.race([pollUntil200(port, '/api/health', pollMs, options.readyTimeoutMs), crashed]);

    processes.push(start(['node', 'worker.mjs'], api, handEnvironment(), join(logs, 'worker.log')));
    const ready = performance.now();

    const stopping = performance.now();
    await stopAll(processes);
    await run(['git', 'worktree', 'remove', '--force', checkout], mirror, gitEnv, join(logs, 'git.log'));
    const stopped = performance.now();
    return {
      checkoutMs: checkedOut - t0,
      buildMs: built - checkedOut,
      migrateMs: migrated - built,
      apiReadyMs: apiReady - migrated,
      workerMs: ready - apiReady,
      readyMs: ready - t0,
      stopMs: stopped - stopping,
    };
  } finally {
    await stopAll(processes);
  }
}

async function stopAll(processes: ChildProcess[]): Promise<void> {
  await Promise.all(
    processes.map((child) => {
      if (child.exitCode !== null || child.signalCode !== null) return undefined;
      const gone = exited(child);
      child.kill('SIGTERM');
      return gone;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// (b) Slipway

export interface SlipwayApi {
  apiPort: number;
  routerPort: number;
  token: string;
}

export interface SlipwayRound {
  /** POST answered (202). */
  postMs: number;
  /** POST to the deploy seen `succeeded` by a long-polling GET (`?wait=`): the figure compared with the baseline. */
  readyMs: number;
  /** POST to the deploy's own finishedAt (server clock): readyMs without the client's polling. */
  finishedMs: number;
  /** POST to the first 200 from the api through the router (polled every `pollMs` from the POST's answer). */
  routedMs: number;
  /** Server-side timeline, ms from the POST (the server's clock is this process's clock). */
  timeline: TimelineEntry[];
  /** DELETE to the teardown deploy seen `succeeded`. */
  teardownMs: number;
  /** The same time cut into consecutive phases (ms each; they add up to readyMs). */
  phases: SlipwayPhases;
}

/**
 * Where Slipway's time goes, phase after phase, from the deploy's own timestamps: what happens
 * before the first process starts, the checkout, the work the script does too (builds, job,
 * services: from the checkout's end to the last task's), and what happens after it.
 */
export interface SlipwayPhases {
  /** POST to the deploy written: branch head, manifests, render, the environment and deploy in one transaction. */
  request: number;
  /** Deploy written to started: the engine queued, took the environment's lease, read the deploy. */
  queue: number;
  /** Started to the source task started: the environment's status, secrets, the task's state written. */
  start: number;
  /** The source task: git worktree add (and, for services built in it, their builds). */
  checkout: number;
  /** From the checkout's end to the last task's end: static build, migrate job, api readiness, worker. */
  tasks: number;
  /** Last task ended to the deploy's finishedAt: the converge and the deploy's end written. */
  finish: number;
  /** finishedAt to the client holding the answer: the environment written, routes published, the long-poll answered. */
  answer: number;
}

export const PHASE_LABELS: Record<keyof SlipwayPhases, string> = {
  request: 'request: POST → deploy written',
  queue: 'queue: → deploy started (lease)',
  start: 'start: → source task started',
  checkout: 'checkout: source task',
  tasks: 'tasks: builds, job, services',
  finish: 'finish: last task → finishedAt',
  answer: 'answer: finishedAt → client sees it',
};

function phasesOf(deploy: DeployResponse, at: (iso: string | undefined) => number, seenMs: number): SlipwayPhases {
  const tasks = deploy.tasks ?? [];
  const source = tasks.find((t) => t.kind === 'source');
  const lastEnd = Math.max(...tasks.map((t) => at(t.finishedAt)).filter(Number.isFinite));
  const created = at(deploy.createdAt);
  const started = at(deploy.startedAt);
  const sourceStart = at(source?.startedAt);
  const sourceEnd = at(source?.finishedAt);
  const finished = at(deploy.finishedAt);
  return {
    request: created,
    queue: started - created,
    start: sourceStart - started,
    checkout: sourceEnd - sourceStart,
    tasks: lastEnd - sourceEnd,
    finish: finished - lastEnd,
    answer: seenMs - finished,
  };
}

export interface TimelineEntry {
  what: string;
  startMs: number;
  endMs?: number;
}

async function json<T>(answer: Promise<Answer>, expected: number): Promise<T> {
  const { status, text } = await answer;
  if (status !== expected) throw new Error(`expected ${expected}, got ${status}: ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Follows a deploy to its end as `slipway deploys get --wait` does: GET /api/v1/deploys/:id?wait=,
 * which the server answers as soon as the deploy has ended (or after `wait` seconds, then asked again).
 */
async function waitForDeploy(api: SlipwayApi, id: string, timeoutMs: number): Promise<{ deploy: DeployResponse; seenAt: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const deploy = await json<DeployResponse>(http(api.apiPort, 'GET', `/api/v1/deploys/${id}?wait=10`, { token: api.token }), 200);
    const seenAt = performance.now();
    if (deploy.state !== 'queued' && deploy.state !== 'running') return { deploy, seenAt };
    if (seenAt > deadline) throw new Error(`deploy ${id} still ${deploy.state} after ${timeoutMs} ms: ${JSON.stringify(deploy.tasks)}`);
  }
}

/**
 * One environment from `POST /api/v1/environments` to every service ready, then its teardown. The
 * deploy (long-polled with `?wait=`) and the route (every `pollMs`) are followed side by side.
 */
export async function slipwayRound(api: SlipwayApi, options: { app: string; envId: string; pollMs: number; readyTimeoutMs: number }): Promise<SlipwayRound> {
  const { app, envId, pollMs } = options;
  const wallStart = Date.now();
  const t0 = performance.now();
  const created = await json<{ deploy: DeployResponse }>(http(api.apiPort, 'POST', '/api/v1/environments', { token: api.token, body: { app, id: envId, branch: 'main' } }), 202);
  const posted = performance.now();
  const routed = pollUntil200(api.routerPort, '/api/health', pollMs, options.readyTimeoutMs, `guestbook-${envId}.slipway.localhost`);
  routed.catch(() => undefined);
  const { deploy, seenAt } = await waitForDeploy(api, created.deploy.id, options.readyTimeoutMs);
  if (deploy.state !== 'succeeded') throw new Error(`the setup deploy of ${envId} ${deploy.state}: ${deploy.reason ?? ''}\n${JSON.stringify(deploy.tasks, null, 2)}`);
  const routedAt = await routed;

  const at = (iso: string | undefined) => (iso ? Date.parse(iso) - wallStart : Number.NaN);
  const timeline: TimelineEntry[] = [
    { what: 'POST answered', startMs: posted - t0 },
    { what: 'deploy created', startMs: at(deploy.createdAt) },
    { what: 'deploy started', startMs: at(deploy.startedAt) },
    ...[...(deploy.tasks ?? [])]
      .sort((a, b) => at(a.startedAt) - at(b.startedAt))
      .map((task) => ({ what: task.kind === 'source' ? 'source: checkout + build' : `${task.kind} ${task.name ?? task.key}`, startMs: at(task.startedAt), endMs: at(task.finishedAt) })),
    { what: 'deploy finished', startMs: at(deploy.finishedAt) },
    { what: 'deploy seen succeeded', startMs: seenAt - t0 },
    { what: 'api answers via router', startMs: routedAt - t0 },
  ];

  const deleting = performance.now();
  const teardown = await json<{ deploy: DeployResponse }>(http(api.apiPort, 'DELETE', `/api/v1/environments/${envId}`, { token: api.token }), 202);
  const removed = await waitForDeploy(api, teardown.deploy.id, 60_000);
  if (removed.deploy.state !== 'succeeded') throw new Error(`the teardown of ${envId} ${removed.deploy.state}: ${removed.deploy.reason ?? ''}`);
  return {
    postMs: posted - t0,
    readyMs: seenAt - t0,
    finishedMs: at(deploy.finishedAt),
    routedMs: routedAt - t0,
    timeline,
    teardownMs: removed.seenAt - deleting,
    phases: phasesOf(deploy, at, seenAt - t0),
  };
}

// ---------------------------------------------------------------------------------------------
// Figures

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(values: number[]): Summary {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n };
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { median, min: sorted[0]!, max: sorted[n - 1]!, n };
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
