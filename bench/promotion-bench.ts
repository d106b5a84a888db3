// Promotion benchmark (not part of `npm test`): `npm run bench:promotion [-- --rounds 10] [--json]`.
//
// The time from the last approval of a stage to the deploy of the next stage starting. Target:
// under 1 s. One server (API, workflow engine, release controller, local driver; default timings
// except where said) runs for the whole benchmark, with one small application in a git repository
// and a track staging (approvals: qa and product) → production. Each round commits a new version,
// snapshots the set, releases it, waits until staging awaits approval, has qa approve, and then
// measures, from the moment the product approval is sent:
//   approval answered   the POST /api/v1/releases/:n/approve response (the answer already shows
//                       production entered);
//   promotion           the workflow engine starting production's deploy (its `started` event);
// and, as the baseline of the same run, a deploy asked for directly: POST
// /api/v1/environments/production/deploys of the same commit to the engine starting it — what the
// platform takes to start any deploy, with no release in between. The release controller's own tick
// is set to 60 s, so a promotion under a second cannot come from polling.
//
// With `--postgres <url>` (a PostgreSQL where it may create and drop a database), it runs two
// servers instead, each its own process, on one fresh database: the first holds the release
// controller's lease, and every request goes to the second — so the last approval reaches the
// holder through NOTIFY. Both controllers tick every 60 s. Times there are from the approval being
// sent to the production deploy's stored start (the same machine's clock).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release as osRelease, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiToken, startServer, type DeployEvent, type RunningServer } from '@slipway/server';
import { createPostgresDatabase } from '../packages/server/src/test-support/test-databases.ts';
import { apiOk } from '../packages/server/src/test-support/test-server.ts';

const TARGET_MS = 1_000;

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '10' }, json: { type: 'boolean', default: false }, postgres: { type: 'string' } } });
const rounds = Number(args.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds: expected a whole number from 1');

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@slipway.invalid', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@slipway.invalid' };
function git(cwd: string, ...a: string[]): string {
  const r = spawnSync('git', a, { cwd, env: gitEnv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function repository(dir: string): { app: string; platform: string } {
  const app = join(dir, 'app');
  mkdirSync(join(app, '.slipway'), { recursive: true });
  writeFileSync(join(app, 'server.mjs'), "import { createServer } from 'node:http';\ncreateServer((q, s) => s.end('ok')).listen(Number(process.env.PORT));\n");
  writeFileSync(join(app, 'version.txt'), '0\n');
  writeFileSync(
    join(app, '.slipway/app.yaml'),
    'apiVersion: slipway.dev/v1\nkind: Application\nmetadata: { name: bench }\nspec:\n  runtime: local\n  repository: { trackingBranch: main }\n  services:\n    - name: web\n      run: { command: node server.mjs }\n      ports: [{ port: 3000 }]\n',
  );
  git(app, 'init', '-q', '-b', 'main');
  git(app, 'add', '-A');
  git(app, 'commit', '-q', '-m', 'v0');
  const platform = join(dir, 'platform');
  mkdirSync(join(platform, '.slipway'), { recursive: true });
  writeFileSync(
    join(platform, '.slipway/release.yaml'),
    'apiVersion: slipway.dev/v1\nkind: ReleaseTrack\nmetadata: { name: bench-track }\nspec:\n  releaseStages:\n    - environments: [staging]\n      gates: { approvals: { required: [{ role: qa }, { role: product }] } }\n    - environments: [production]\n---\napiVersion: slipway.dev/v1\nkind: ApplicationSet\nmetadata: { name: bench-set }\nspec: { applications: [bench], releaseTrack: bench-track }\n',
  );
  git(platform, 'init', '-q', '-b', 'main');
  git(platform, 'add', '-A');
  git(platform, 'commit', '-q', '-m', 'track');
  return { app, platform };
}

interface Summary {
  median: number;
  p90: number;
  min: number;
  max: number;
}

function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return { median: at(0.5), p90: at(0.9), min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-promotion-bench-'));
  let server: RunningServer | undefined;
  try {
    const repos = repository(dir);
    server = await startServer(
      { home: join(dir, 'home'), apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(dir, 'cli.yaml') },
      { graceMs: 1_000, docker: false, releases: { tickMs: 60_000 } },
    );
    const running = server;
    const tokens: Record<string, string> = {};
    for (const [user, role, approverRoles] of [
      ['admin', 'admin', []],
      ['rita', 'release-manager', []],
      ['quinn', 'developer', ['qa']],
      ['pat', 'developer', ['product']],
    ] as const) {
      tokens[user] = (await createApiToken(running.store.db, { name: 'bench', workspace: 'default', role, user, approverRoles: [...approverRoles] })).secret;
    }
    const call = (who: string, method: string, path: string, body?: unknown) => apiOk(running.apiUrl, tokens[who], method, path, body);
    /** Resolves with the time the engine starts the next deploy of `envId` matching `which`. */
    const deployStarts = (envId: string, which: (event: DeployEvent) => boolean) =>
      new Promise<number>((resolve) => {
        const stop = running.engine.onDeploy((event) => {
          if (event.type === 'started' && event.environment.envId === envId && which(event)) {
            stop();
            resolve(performance.now());
          }
        });
      });
    const until = async (what: string, probe: () => Promise<boolean>) => {
      const end = Date.now() + 60_000;
      while (!(await probe())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const releaseState = async (n: number) => (await call('admin', 'GET', `/api/v1/releases/${n}`)) as { state: string; stages: { name: string; state: string }[] };

    await call('admin', 'POST', '/api/v1/applications', { repository: repos.app });
    await call('admin', 'POST', '/api/v1/tracks', { repository: repos.platform });
    await call('admin', 'POST', '/api/v1/sets', { repository: repos.platform });

    const answered: number[] = [];
    const promotion: number[] = [];
    const direct: number[] = [];
    for (let round = 1; round <= rounds + 1; round++) {
      writeFileSync(join(repos.app, 'version.txt'), `${round}\n`);
      git(repos.app, 'commit', '-qam', `v${round}`);
      const snapshot = await call('admin', 'POST', '/api/v1/snapshots', { set: 'bench-set' });
      const created = await call('rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias });
      const n = created.number as number;
      await until(`release #${n} to await approval`, async () => (await releaseState(n)).stages[0]!.state === 'AwaitingApproval');
      await call('quinn', 'POST', `/api/v1/releases/${n}/approve`, {});
      const started = deployStarts('production', (e) => e.deploy.requestedBy === `release #${n} (rita)`);
      const t0 = performance.now();
      await call('pat', 'POST', `/api/v1/releases/${n}/approve`, {});
      const t1 = performance.now();
      const t2 = await started;
      await until(`release #${n} to be promoted`, async () => (await releaseState(n)).state === 'Promoted');
      // Baseline: a deploy of the same commit asked for directly.
      const baseline = deployStarts('production', (e) => e.deploy.requestedBy === 'admin');
      const b0 = performance.now();
      const deploy = await call('admin', 'POST', `/api/v1/environments/production/deploys?breakGlass=${encodeURIComponent('bench baseline: a direct deploy')}`, { commit: snapshot.components[0].commit });
      const b1 = await baseline;
      await until('the direct deploy', async () => ['succeeded', 'failed', 'errored'].includes((await call('admin', 'GET', `/api/v1/deploys/${deploy.id}`)).state));
      // Round 1 creates the production environment (a setup deploy, a cold checkout): kept apart.
      if (round === 1) continue;
      answered.push(t1 - t0);
      promotion.push(t2 - t0);
      direct.push(b1 - b0);
    }

    const cpu = cpus();
    const report = {
      target: { ms: TARGET_MS },
      rounds,
      machine: { cpus: cpu.length, cpuModel: cpu[0]?.model.trim() ?? 'unknown', memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10, os: `${process.platform} ${osRelease()}`, node: process.version },
      approvalAnswered: summarize(answered),
      lastApprovalToDeployStart: summarize(promotion),
      directDeployStart: summarize(direct),
      ratio: summarize(promotion).median / summarize(direct).median,
      pass: summarize(promotion).max < TARGET_MS,
    };
    if (args.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
    const row = (label: string, s: Summary) => console.log(`  ${label.padEnd(44)} ${fmt(s.median).padStart(10)} ${fmt(s.p90).padStart(10)} ${fmt(s.min).padStart(10)} ${fmt(s.max).padStart(10)}`);
    console.log(`\nPromotion: the last approval of staging to production's deploy starting (target < ${TARGET_MS} ms)`);
    console.log(`machine: ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memoryGiB} GiB, ${report.machine.os}; node ${report.machine.node}`);
    console.log(`${rounds} round${rounds === 1 ? '' : 's'} (after a first one that creates production); release controller tick 60 s, so nothing comes from polling\n`);
    console.log(`  ${''.padEnd(44)} ${'median'.padStart(10)} ${'p90'.padStart(10)} ${'min'.padStart(10)} ${'max'.padStart(10)}`);
    row('last approval → production deploy started', report.lastApprovalToDeployStart);
    row('last approval → approval answered', report.approvalAnswered);
    row('baseline: direct deploy asked → started', report.directDeployStart);
    console.log(`\n  promotion / direct deploy (medians): ${report.ratio.toFixed(2)}×`);
    console.log(`  ${report.pass ? 'PASS' : 'FAIL'}: slowest promotion ${fmt(report.lastApprovalToDeployStart.max)} ${report.pass ? '<' : '≥'} ${TARGET_MS} ms`);
    if (!report.pass) process.exitCode = 1;
  } finally {
    if (server) {
      for (const driver of Object.values(server.drivers)) await driver.sweep([]);
      await server.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same rounds across two server processes on one PostgreSQL: approvals go to the server without the lease. */
async function mainTwoServers(adminUrl: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-promotion-bench-'));
  const database = await createPostgresDatabase(adminUrl, 'slipway_bench');
  const children: ChildProcess[] = [];
  const runServer = resolve(fileURLToPath(import.meta.url), '../../packages/server/src/test-support/run-server.ts');
  const startProcess = (name: string, token: boolean) =>
    new Promise<{ apiUrl: string; token?: string; pid: number }>((done, fail) => {
      const child = spawn(process.execPath, ['--import', 'tsx', runServer], {
        env: { ...process.env, SLIPWAY_HOME: join(dir, name), SLIPWAY_DATABASE_URL: database.databaseUrl, TEST_RELEASE_TICK_MS: '60000', TEST_SWEEP_ON_EXIT: '1', ...(token ? { TEST_TOKEN_WANTED: '1' } : {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let log = '';
      child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
      createInterface({ input: child.stdout! }).once('line', (line) => done({ ...(JSON.parse(line) as { apiUrl: string; token?: string }), pid: child.pid! }));
      child.once('exit', (code) => fail(new Error(`server ${name} exited with ${code}: ${log}`)));
    });
  const db = new pg.Client({ connectionString: database.databaseUrl });
  try {
    const repos = repository(dir);
    const holder = await startProcess('holder', true);
    const other = await startProcess('other', false);
    await db.connect();
    const lease = await db.query<{ owner: string }>("SELECT owner FROM leases WHERE name = 'releases:controller'");
    if (!lease.rows[0]?.owner.endsWith(`:${holder.pid}`)) throw new Error(`the first server does not hold the release lease (${lease.rows[0]?.owner ?? 'nobody'} does)`);
    const call = (token: string, method: string, path: string, body?: unknown) => apiOk(other.apiUrl, token, method, path, body);
    const adminToken = holder.token!;
    // Approvers, made through the API of the server without the lease.
    const tokens: Record<string, string> = {};
    for (const [user, role, approver] of [
      ['rita', 'release-manager', undefined],
      ['quinn', 'developer', 'qa'],
      ['pat', 'developer', 'product'],
    ] as const) {
      await call(adminToken, 'POST', '/api/v1/users', { name: user, role, approverRoles: approver ? [approver] : [] });
      tokens[user] = (await call(adminToken, 'POST', '/api/v1/tokens', { name: `${user} bench`, user })).secret;
    }
    const until = async (what: string, probe: () => Promise<boolean>) => {
      const end = Date.now() + 60_000;
      while (!(await probe())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const releaseState = async (n: number) => (await call(adminToken, 'GET', `/api/v1/releases/${n}`)) as { state: string; stages: { state: string }[] };
    await call(adminToken, 'POST', '/api/v1/applications', { repository: repos.app });
    await call(adminToken, 'POST', '/api/v1/tracks', { repository: repos.platform });
    await call(adminToken, 'POST', '/api/v1/sets', { repository: repos.platform });
    const promotion: number[] = [];
    const direct: number[] = [];
    for (let round = 1; round <= rounds + 1; round++) {
      writeFileSync(join(repos.app, 'version.txt'), `${round}\n`);
      git(repos.app, 'commit', '-qam', `v${round}`);
      const snapshot = await call(tokens.rita!, 'POST', '/api/v1/snapshots', { set: 'bench-set' });
      const n = (await call(tokens.rita!, 'POST', '/api/v1/releases', { snapshot: snapshot.alias })).number as number;
      await until(`release #${n} to await approval`, async () => (await releaseState(n)).stages[0]!.state === 'AwaitingApproval');
      await call(tokens.quinn!, 'POST', `/api/v1/releases/${n}/approve`, {});
      const t0 = Date.now();
      await call(tokens.pat!, 'POST', `/api/v1/releases/${n}/approve`, {});
      let started: string | undefined;
      await until(`release #${n}'s production deploy to start`, async () => {
        const row = await db.query<{ started_at: string | null }>(
          "SELECT d.started_at FROM deploys d JOIN environments e ON e.id = d.environment_id WHERE e.env_id = 'production' AND d.requested_by = $1 AND d.started_at IS NOT NULL",
          [`release #${n} (rita)`],
        );
        started = row.rows[0]?.started_at ?? undefined;
        return started !== undefined;
      });
      await until(`release #${n} to be promoted`, async () => (await releaseState(n)).state === 'Promoted');
      // Baseline: a deploy of the same commit asked for directly, of the same server.
      const b0 = Date.now();
      const deploy = await call(adminToken, 'POST', `/api/v1/environments/production/deploys?breakGlass=${encodeURIComponent('bench baseline: a direct deploy')}`, { commit: snapshot.components[0].commit });
      let baselineStarted: string | undefined;
      await until('the direct deploy to start', async () => {
        baselineStarted = (await db.query<{ started_at: string | null }>('SELECT started_at FROM deploys WHERE id = $1', [deploy.id])).rows[0]?.started_at ?? undefined;
        return baselineStarted !== undefined;
      });
      await until('the direct deploy', async () => ['succeeded', 'failed', 'errored'].includes((await call(adminToken, 'GET', `/api/v1/deploys/${deploy.id}`)).state));
      if (round === 1) continue;
      promotion.push(Date.parse(started!) - t0);
      direct.push(Date.parse(baselineStarted!) - b0);
    }
    const summary = summarize(promotion);
    const baseline = summarize(direct);
    const report = { target: { ms: TARGET_MS }, rounds, servers: 2, lastApprovalToDeployStart: summary, directDeployStart: baseline, ratio: summary.median / baseline.median, pass: summary.max < TARGET_MS };
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(`\nPromotion across two servers on one PostgreSQL: the last approval, sent to the server without the lease, to production's deploy starting (target < ${TARGET_MS} ms)`);
      console.log(`${rounds} round${rounds === 1 ? '' : 's'} (after a first one that creates production); both controllers tick every 60 s\n`);
      const line = (label: string, x: Summary) => console.log(`  ${label.padEnd(44)} median ${x.median} ms   p90 ${x.p90} ms   min ${x.min} ms   max ${x.max} ms`);
      line('last approval → production deploy started', summary);
      line('baseline: direct deploy asked → started', baseline);
      console.log(`\n  promotion / direct deploy (medians): ${report.ratio.toFixed(2)}× (stored times: whole milliseconds)`);
      console.log(`  ${report.pass ? 'PASS' : 'FAIL'}: slowest promotion ${summary.max} ms ${report.pass ? '<' : '≥'} ${TARGET_MS} ms`);
    }
    if (!report.pass) process.exitCode = 1;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await db.end().catch(() => undefined);
    await database.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

await (args.postgres ? mainTwoServers(args.postgres) : main());
