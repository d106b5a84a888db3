// Kill the server with SIGKILL while a release's test job runs in staging, and start it again: the
// release carries on from the store — the job is not run a second time, its result counts, the
// stage awaits approval, and the approval promotes the release into production.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { commitAll, git } from '../test-support/example-repository.ts';
import { apiOk } from '../test-support/test-server.ts';

const runServer = resolve(fileURLToPath(import.meta.url), '../../test-support/run-server.ts');
const dir = mkdtempSync(join(tmpdir(), 'slipway-release-crash-'));
const children: ChildProcess[] = [];
/** Everything the servers wrote to stderr, shown when a wait times out. */
let serverLog = '';

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  apiUrl: string;
  token?: string;
}

function start(withToken: boolean): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', runServer], {
    env: { ...process.env, SLIPWAY_HOME: join(dir, 'home'), ...(withToken ? { TEST_TOKEN_WANTED: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (c: Buffer) => {
    log += c.toString();
    serverLog += c.toString();
  });
  return new Promise((resolvePromise, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolvePromise({ child, ...(JSON.parse(line) as Omit<Started, 'child'>) }));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${log}`)));
  });
}

const api = (server: Started, token: string, method: string, path: string, body?: unknown) => apiOk(server.apiUrl, token, method, path, body);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe().catch((error: Error) => {
      last = error.message;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${String(last)})\nserver log:\n${serverLog.slice(-6000)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function repositories(countFile: string): { app: string; platform: string } {
  const app = join(dir, 'app');
  mkdirSync(join(app, '.slipway'), { recursive: true });
  writeFileSync(join(app, 'server.mjs'), "import { createServer } from 'node:http';\ncreateServer((q, s) => s.end('ok')).listen(Number(process.env.PORT));\n");
  // The test job marks each run, then takes long enough for the test to kill the server during it.
  writeFileSync(join(app, 'e2e.mjs'), "import { appendFileSync } from 'node:fs';\nappendFileSync(process.env.COUNT_FILE, 'run\\n');\nsetTimeout(() => {}, 3000);\n");
  writeFileSync(
    join(app, '.slipway/app.yaml'),
    `apiVersion: slipway.dev/v1
kind: Application
metadata: { name: crashy }
spec:
  runtime: local
  services:
    - { name: web, run: { command: node server.mjs }, ports: [{ port: 3000 }] }
  jobs:
    - { name: e2e, fromService: web, command: node e2e.mjs, timeout: 1m }
  workflows:
    setup: { steps: [{ tasks: [services.all] }] }
  env:
    defaults: { COUNT_FILE: ${countFile} }
`,
  );
  git(app, 'init', '-q', '-b', 'main');
  commitAll(app, 'crashy');
  const platform = join(dir, 'platform');
  mkdirSync(join(platform, '.slipway'), { recursive: true });
  writeFileSync(
    join(platform, '.slipway/release.yaml'),
    'apiVersion: slipway.dev/v1\nkind: ReleaseTrack\nmetadata: { name: t }\nspec:\n  releaseStages:\n    - environments: [staging]\n      gates: { tests: [e2e], approvals: { required: [{ role: qa }] } }\n    - environments: [production]\n---\napiVersion: slipway.dev/v1\nkind: ApplicationSet\nmetadata: { name: s }\nspec: { applications: [crashy], releaseTrack: t }\n',
  );
  git(platform, 'init', '-q', '-b', 'main');
  commitAll(platform, 'track');
  return { app, platform };
}

describe('release crash recovery', () => {
  it('carries a release on after SIGKILL during its test job: the job runs once, and the release reaches production', async () => {
    const countFile = join(dir, 'runs.txt');
    writeFileSync(countFile, '');
    const repos = repositories(countFile);
    const first = await start(true);
    const admin = first.token!;
    await api(first, admin, 'POST', '/api/v1/applications', { repository: repos.app });
    await api(first, admin, 'POST', '/api/v1/tracks', { repository: repos.platform });
    await api(first, admin, 'POST', '/api/v1/sets', { repository: repos.platform });
    await api(first, admin, 'POST', '/api/v1/users', { name: 'quinn', role: 'developer', approverRoles: ['qa'] });
    const quinn = (await api(first, admin, 'POST', '/api/v1/tokens', { name: 'laptop', user: 'quinn' })).secret as string;
    const snapshot = await api(first, admin, 'POST', '/api/v1/snapshots', { set: 's' });
    await api(first, admin, 'POST', '/api/v1/releases', { snapshot: snapshot.alias });

    await until('the test job to start', async () => (readFileSync(countFile, 'utf8').includes('run') ? true : undefined));
    const during = await api(first, admin, 'GET', '/api/v1/releases/1');
    expect(during.stages[0]).toMatchObject({ state: 'Verifying', tests: [{ job: 'e2e', state: 'running' }] });
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await start(false);
    const awaiting = await until('staging to await approval', async () => {
      const r = await api(second, admin, 'GET', '/api/v1/releases/1');
      if (['Failed', 'Errored'].includes(r.state)) throw new Error(JSON.stringify(r));
      if (r.stages[0].state !== 'AwaitingApproval') throw new Error(JSON.stringify(r.stages[0]));
      return r;
    });
    expect(awaiting.stages[0].tests).toMatchObject([{ job: 'e2e', envId: 'staging', state: 'succeeded' }]);
    expect(readFileSync(countFile, 'utf8')).toBe('run\n');

    await api(second, quinn, 'POST', '/api/v1/releases/1/approve', {});
    const done = await until('the release to be promoted', async () => {
      const r = await api(second, admin, 'GET', '/api/v1/releases/1');
      return r.state === 'Promoted' ? r : undefined;
    });
    expect(done.stages.map((s: { state: string }) => s.state)).toEqual(['Promoted', 'Promoted']);
    for (const env of ['staging', 'production']) await api(second, admin, 'DELETE', `/api/v1/environments/${env}?breakGlass=${encodeURIComponent('test cleanup')}`);
    await until('the environments to be gone', async () => ((await api(second, admin, 'GET', '/api/v1/environments')).items.length === 0 ? true : undefined));
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  }, 120_000);
});
