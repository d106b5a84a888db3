// The environment commands end to end: a real server (SQLite, local driver, workflow engine) runs a
// small application from a git repository, and every command is run as `slipway …` would run it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@slipway/server';
import { captureIO } from '../test-support/capture-io.ts';
import { closeCliSession, isolateCliSettings, slipway, startServerForCli } from '../test-support/cli-session.ts';
import { gitRepository } from '../test-support/git-repository.ts';
import { instancesLogs } from './instances.ts';
import { secretsSet } from './secrets.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-envs-cli-'));
let restore: () => void = () => undefined;
let server: RunningServer;
let repository: string;

const manifest = `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: hello
spec:
  runtime: local
  services:
    - name: web
      run:
        command: node server.mjs
      ports:
        - port: 3000
      dependsOn:
        - name: migrate
          condition: completed
      readiness:
        http:
          path: /
        period: 1s
  jobs:
    - name: migrate
      fromService: web
      command: node migrate.mjs
      timeout: 1m
  env:
    defaults:
      GREETING: hello
`;
const serverScript = `import { createServer } from 'node:http';
console.log('greeting is ' + process.env.GREETING);
createServer((req, res) => res.end(JSON.stringify({ greeting: process.env.GREETING }))).listen(Number(process.env.PORT));
`;
const migrateScript = `if (process.env.FAIL_MIGRATION) {
  console.log('migrating to version 7');
  console.error('relation "users" already exists');
  process.exit(1);
}
console.log('migrated');
`;

beforeAll(async () => {
  restore = isolateCliSettings(dir);
  repository = gitRepository(join(dir, 'hello'), { '.slipway/app.yaml': manifest, 'server.mjs': serverScript, 'migrate.mjs': migrateScript });
  server = await startServerForCli(dir, {}, { graceMs: 2_000, engine: { tickMs: 200, refreshRoutesMs: 500 } });
}, 60_000);

afterAll(async () => {
  await closeCliSession(server, dir, restore);
}, 60_000);

describe('slipway envs, deploys, instances and secrets against a real server', () => {
  it('registers the application from its git repository', async () => {
    const result = await slipway('apps', 'create', '--repo', repository);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`✓ application hello at template version [0-9a-f]+, from ${repository}`));
  }, 30_000);

  it('creates an environment and follows its setup deploy step by step', async () => {
    const result = await slipway('envs', 'create', '--app', 'hello', '--branch', 'main', '--id', 'demo', '--ttl', '72h', '--var', 'GREETING=hi', '--wait');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('✓ environment demo of hello (main) created; setup deploy #1 of demo queued');
    // setup runs in dependsOn order: the checkout, then migrate, then web (once migrate completed).
    const done = (label: string) => lines.findIndex((l) => l.startsWith(`  ✓ ${label}`));
    expect(done('checkout and build')).toBeGreaterThan(0);
    expect(done('step 1 migrate · job migrate succeeded')).toBeGreaterThan(done('checkout and build'));
    expect(done('step 2 web · service web ready')).toBeGreaterThan(done('step 1 migrate · job migrate succeeded'));
    expect(lines.filter((l) => l.includes('service web ready'))).toHaveLength(1);
    expect(result.stdout).toMatch(/✓ setup deploy #1 of demo succeeded in [\d.]+m?s\n {2}web {2}http:\/\/web-demo\.slipway\.localhost:\d+/);
  }, 90_000);

  it('lists and shows the environment with its instances', async () => {
    const list = await slipway('envs', 'list', '--app', 'hello');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID +APP +STATUS +BRANCH +COMMIT +EXPIRES +URL\ndemo +hello +ready +main +[0-9a-f]{7} +in 7[01]h +http:\/\/web-demo/);

    const got = await slipway('envs', 'get', 'demo');
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(/status: +ready/);
    expect(got.stdout).toMatch(/expires: +in 7[01]h/);
    expect(got.stdout).toMatch(/last deploy: +setup deploy #1 of demo: succeeded/);
    expect(got.stdout).toMatch(/web-0 +ready +0 +127\.0\.0\.1:\d+/);

    const json = await slipway('envs', 'get', 'demo', '-o', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 'demo', app: 'hello', status: 'ready', instances: [{ name: 'web-0', state: 'ready' }] });

    const instances = await slipway('instances', 'list', 'demo');
    expect(instances.stdout).toMatch(/^NAME +STATE +RESTARTS +ENDPOINTS +MESSAGE\nweb-0 +ready/);
  }, 30_000);

  it('prints logs, and stops following them when told to', async () => {
    const logs = await slipway('instances', 'logs', 'demo', 'web-0', '--tail', '10');
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('greeting is hi');

    const io = captureIO();
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 1_500);
    const code = await instancesLogs({ env: 'demo', instance: 'web-0', follow: true }, io, stop.signal);
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(io.stdout()).toContain('greeting is hi');

    const missing = await slipway('instances', 'logs', 'demo', 'web-9');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no instance "web-9"/);
  }, 30_000);

  it("runs a command in an instance and exits with the command's exit code", async () => {
    const hello = await slipway('instances', 'exec', 'demo', 'web-0', '--', 'node', '-e', 'console.log("greeting: " + process.env.GREETING)');
    expect(hello.code).toBe(0);
    expect(hello.stdout).toBe('greeting: hi\n');
    const failing = await slipway('instances', 'exec', 'demo', 'web-0', '--', 'node', '-e', 'process.exit(7)');
    expect(failing.code).toBe(7);
  }, 30_000);

  it('changes variables with config-set, and reports a failed deploy with exit 5 and the log tail', async () => {
    const failed = await slipway('envs', 'config-set', 'demo', 'FAIL_MIGRATION=yes', '--wait');
    expect(failed.code).toBe(5);
    expect(failed.stdout).toMatch(/✓ 1 variable of demo changed \(set FAIL_MIGRATION\); setup deploy #2 of demo queued/);
    expect(failed.stdout).toMatch(/\n {2}✗ step 1 migrate · job migrate failed: jobs\.migrate exited with code 1 \(\d+m?s\)\n( {6}.*\n)* {6}migrating to version 7\n {6}relation "users" already exists\n {2}- step 2 web · service web skipped/);
    expect(failed.stderr).toMatch(/✗ setup deploy #2 of demo failed: .*migrate/);
    expect(failed.stderr).toMatch(/details: slipway deploys get [0-9a-f-]{36}/);

    const config = await slipway('envs', 'config-get', 'demo');
    expect(config.stdout).toMatch(/FAIL_MIGRATION +yes/);
    expect(config.stdout).toMatch(/GREETING +hi/);

    const fixed = await slipway('envs', 'config-set', 'demo', '--unset', 'FAIL_MIGRATION', 'GREETING=bonjour', '--wait');
    expect(fixed.stderr).toBe('');
    expect(fixed.code).toBe(0);
    const vars = await slipway('envs', 'vars-get', 'demo', '--service', 'web', '-o', 'json');
    expect(JSON.parse(vars.stdout).services.web).toMatchObject({ GREETING: 'bonjour' });
    expect(JSON.parse(vars.stdout).services.web.FAIL_MIGRATION).toBeUndefined();

    const unchanged = await slipway('envs', 'config-set', 'demo', 'GREETING=bonjour');
    expect(unchanged.stdout).toMatch(/nothing changed/);
  }, 120_000);

  it('deploys again, lists the deploys and shows one', async () => {
    const queued = await slipway('deploys', 'create', 'demo', '-o', 'json');
    expect(queued.code).toBe(0);
    const deploy = JSON.parse(queued.stdout) as { id: string; workflow: string };
    expect(deploy.workflow).toBe('patch');
    const followed = await slipway('deploys', 'get', deploy.id, '--wait');
    expect(followed.stderr).toBe('');
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/✓ patch deploy #4 of demo succeeded/);

    const list = await slipway('deploys', 'list', 'demo');
    expect(list.stdout.split('\n').slice(1).map((l) => l.split(/ +/).slice(0, 4).filter((_, i) => i !== 1).join(' '))).toEqual([
      '4 patch succeeded',
      '3 setup succeeded',
      '2 setup failed',
      '1 setup succeeded',
    ]);

    const shown = await slipway('deploys', 'get', deploy.id);
    expect(shown.stdout).toMatch(/patch deploy #4 of demo \(hello\)/);
    expect(shown.stdout).toMatch(/step \d web · service web +succeeded/);
  }, 90_000);

  it('extends the environment', async () => {
    const result = await slipway('envs', 'extend', 'demo', '--ttl', '5h');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✓ environment demo now expires in [45]h \(/);
  }, 30_000);

  it('pauses the environment and resumes it, and says what to do when that is not possible', async () => {
    const paused = await slipway('envs', 'pause', 'demo');
    expect([paused.code, paused.stderr]).toEqual([0, '']);
    expect(paused.stdout).toBe('✓ environment demo paused: its services are stopped and keep their data; they answer a paused page until `slipway envs resume demo`');
    expect((await slipway('envs', 'list', '--app', 'hello')).stdout).toMatch(/\ndemo +hello +paused +main/);
    expect((await slipway('instances', 'list', 'demo')).stdout).toMatch(/\nweb-0 +stopped/);
    const twice = await slipway('envs', 'pause', 'demo');
    expect(twice.code).toBe(4);
    expect(twice.stderr).toMatch(/environment demo is paused already; resume it with slipway envs resume demo/);

    const resumed = await slipway('envs', 'resume', 'demo');
    expect([resumed.code, resumed.stderr]).toEqual([0, '']);
    expect(resumed.stdout).toMatch(/^✓ environment demo resumed: its services are ready\n {2}web {2}http:\/\/web-demo\.slipway\.localhost:\d+/);
    const json = await slipway('envs', 'get', 'demo', '-o', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'ready', instances: [{ name: 'web-0', state: 'ready' }] });
    expect((await slipway('envs', 'resume', 'demo')).stderr).toMatch(/environment demo is not paused \(it is ready\)/);
    expect((await slipway('envs', 'pause', 'nope')).code).toBe(3);
    const help = await slipway('envs', 'pause', '--help');
    expect(help.stdout).toContain('still expires at its TTL');

    const wakeable = await slipway('envs', 'pause', 'demo', '--wake-on-request');
    expect([wakeable.code, wakeable.stdout]).toEqual([0, '✓ environment demo paused: its services are stopped and keep their data; the first request to one of them wakes it (the request waits until it is ready)']);
    expect((await slipway('envs', 'resume', 'demo')).code).toBe(0);
  }, 60_000);

  it('protects a permanent environment by hand, refuses a direct change with the way out, and lifts the mark', async () => {
    const ephemeral = await slipway('envs', 'protect', 'demo', '--reason', 'customer demo');
    expect(ephemeral.code).not.toBe(0);
    expect(ephemeral.stderr).toMatch(/environment demo is ephemeral: it expires and is torn down by its lifecycle, so it cannot be marked protected/);
    expect((await slipway('envs', 'create', '--app', 'hello', '--branch', 'main', '--id', 'shared', '--permanent', '--wait')).code).toBe(0);
    const marked = await slipway('envs', 'protect', 'shared', '--reason', 'customer demo until Friday');
    expect([marked.code, marked.stdout]).toEqual([0, '✓ environment shared is protected: it changes only once an admin lifts the mark (slipway envs unprotect), or by an admin breaking glass (customer demo until Friday)']);
    expect((await slipway('envs', 'get', 'shared')).stdout).toMatch(/protected: +marked by \S+ \(customer demo until Friday\)\. To change it, have an admin lift the mark/);
    const refused = await slipway('deploys', 'create', 'shared');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/environment shared is protected and cannot be deployed to directly: \S+ marked it protected \(customer demo until Friday\)/);
    expect(refused.stderr).toContain('slipway envs unprotect shared');
    const lifted = await slipway('envs', 'unprotect', 'shared');
    expect([lifted.code, lifted.stdout]).toEqual([0, '✓ lifted the mark from shared; it may be changed directly again']);
    expect((await slipway('envs', 'delete', 'shared', '--wait')).code).toBe(0);
  }, 60_000);

  it('stores secrets without ever printing them', async () => {
    const set = await slipway('secrets', 'set', 'api-token', '--value', 's3cr3t-value');
    expect(set.code).toBe(0);
    const io = captureIO();
    expect(await secretsSet({ name: 'db-password', output: 'text' }, io, { isTTY: false, read: async () => 'piped-value\n' })).toBe(0);
    for (const out of [set.stdout, set.stderr, io.stdout(), io.stderr()]) expect(out).not.toMatch(/s3cr3t-value|piped-value/);
    const list = await slipway('secrets', 'list');
    expect(list.stdout).toBe('NAME\napi-token\ndb-password');
    expect((await slipway('secrets', 'delete', 'api-token')).code).toBe(0);
    const again = await slipway('secrets', 'delete', 'api-token');
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/no secret "api-token"/);
  }, 30_000);

  it('exits 1 when the API refuses the input, 3 for what does not exist', async () => {
    const unknown = await slipway('envs', 'create', '--app', 'helo', '--branch', 'main');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/no application "helo"/);
    const noBranch = await slipway('envs', 'create', '--app', 'hello', '--branch', 'nope');
    expect(noBranch.code).toBe(1);
    expect(noBranch.stderr).toMatch(/branch "nope" does not exist/);
    expect((await slipway('envs', 'get', 'nope')).code).toBe(3);
    expect((await slipway('deploys', 'get', 'nope')).code).toBe(3);
  }, 30_000);

  it('deletes the environment and waits until it is gone', async () => {
    const result = await slipway('envs', 'delete', 'demo', '--wait');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✓ deleting environment demo; teardown deploy #5 of demo queued/);
    expect(result.stdout).toMatch(/✓ environment demo deleted \(teardown deploy #5 of demo succeeded in/);
    expect((await slipway('envs', 'get', 'demo')).code).toBe(3);
    expect((await slipway('envs', 'list')).stdout).toMatch(/^no environments/);
  }, 60_000);
});
