// Kill the server with SIGKILL in the middle of a deploy and start it again: the environment
// converges, the job that was running is not run a second time, and nothing is orphaned.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { commitAll, git } from '../test-support/example-repository.ts';
import { processAlive } from '../test-support/process-alive.ts';

const runServer = resolve(fileURLToPath(import.meta.url), '../../test-support/run-server.ts');
const dir = mkdtempSync(join(tmpdir(), 'slipway-crash-'));
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  apiUrl: string;
  routerPort: number;
  token?: string;
}

function start(withToken: boolean): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', runServer], {
    env: { ...process.env, SLIPWAY_HOME: join(dir, 'home'), ...(withToken ? { TEST_TOKEN_WANTED: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  return new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolvePromise({ child, ...(JSON.parse(line) as Omit<Started, 'child'>) }));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${log}`)));
  });
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

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function repositoryWithSlowJob(countFile: string): string {
  const repository = join(dir, 'repo');
  mkdirSync(join(repository, '.slipway'), { recursive: true });
  writeFileSync(
    join(repository, 'server.mjs'),
    "import { createServer } from 'node:http';\ncreateServer((req, res) => res.end('hello from ' + process.env.SLIPWAY_ENV_ID)).listen(Number(process.env.PORT));\n",
  );
  // The job marks each run, then takes long enough for the test to kill the server during it.
  writeFileSync(join(repository, 'job.mjs'), "import { appendFileSync } from 'node:fs';\nappendFileSync(process.env.COUNT_FILE, 'run\\n');\nsetTimeout(() => {}, 3000);\n");
  writeFileSync(
    join(repository, '.slipway/app.yaml'),
    `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: crashy
spec:
  runtime: local
  services:
    - name: web
      run:
        command: node server.mjs
      ports:
        - port: 3000
      dependsOn:
        - name: slow
          condition: completed
      readiness:
        http:
          path: /
        period: 1s
  jobs:
    - name: slow
      fromService: web
      command: node job.mjs
      timeout: 1m
  env:
    defaults:
      COUNT_FILE: ${countFile}
`,
  );
  git(repository, 'init', '-q', '-b', 'main');
  commitAll(repository, 'crashy');
  return repository;
}

describe('crash recovery', () => {
  it('converges after SIGKILL during a job: the job runs once, the environment becomes ready, nothing is orphaned', async () => {
    const countFile = join(dir, 'runs.txt');
    const repository = repositoryWithSlowJob(countFile);
    const first = await start(true);
    const token = first.token!;
    const registered = await api(first, token, 'POST', '/api/v1/applications', { repository });
    expect(registered.status, JSON.stringify(registered.json)).toBe(201);
    const created = await api(first, token, 'POST', '/api/v1/environments', { app: 'crashy', kind: 'permanent', id: 'main' });
    expect(created.status).toBe(202);
    const deployId = created.json.deploy.id as string;

    // Wait until the job is under way, then kill the server without any chance to clean up.
    await until('the job to start', async () => (readFileSync(countFile, 'utf8').includes('run') ? true : undefined));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await start(false);
    const deploy = await until('the deploy to end', async () => {
      const d = (await api(second, token, 'GET', `/api/v1/deploys/${deployId}`)).json;
      return d.state === 'running' || d.state === 'queued' ? undefined : d;
    });
    expect(deploy.state, JSON.stringify(deploy)).toBe('succeeded');
    expect(readFileSync(countFile, 'utf8')).toBe('run\n');

    const env = (await api(second, token, 'GET', '/api/v1/environments/main')).json;
    expect(env.status).toBe('ready');
    expect(env.instances.map((i: { name: string; state: string }) => `${i.name}:${i.state}`)).toEqual(['web-0:ready']);
    const served = await until('the router to serve the environment', () =>
      new Promise<string | undefined>((resolvePromise) => {
        const req = request({ host: '127.0.0.1', port: second.routerPort, path: '/', headers: { host: 'web-main.slipway.localhost' } }, (res) => {
          let data = '';
          res.on('data', (c: Buffer) => (data += c.toString()));
          res.on('end', () => resolvePromise(res.statusCode === 200 ? data : undefined));
        });
        req.on('error', () => resolvePromise(undefined));
        req.end();
      }),
    );
    expect(served).toBe('hello from main');

    // Delete: every process of the environment is gone, including any the killed server started.
    const pid = Number(env.instances[0].runtimeId);
    expect(processAlive(pid)).toBe(true);
    const deleted = await api(second, token, 'DELETE', '/api/v1/environments/main');
    await until('the teardown', async () => {
      const d = (await api(second, token, 'GET', `/api/v1/deploys/${deleted.json.deploy.id}`)).json;
      return d.state === 'succeeded' ? d : undefined;
    });
    expect(processAlive(pid)).toBe(false);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  }, 120_000);
});
