// The release commands end to end: a real server and git repositories, every command run as
// `slipway …` would run it — tracks and sets registered, a snapshot released, approvals given,
// the track shown stage by stage, a rollback — and the output people read.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@slipway/server';
import { closeCliSession, isolateCliSettings, slipway, startServerForCli } from '../test-support/cli-session.ts';
import { git, gitRepository } from '../test-support/git-repository.ts';
import { pairsOf } from './releases.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-releases-cli-'));
let restore: () => void = () => undefined;
let server: RunningServer;
let appRepo: string;
const platformRepo = join(dir, 'platform');

const tokens: Record<string, string> = {};
const as = async <T>(who: string, action: () => Promise<T>): Promise<T> => {
  process.env.SLIPWAY_TOKEN = tokens[who];
  try {
    return await action();
  } finally {
    delete process.env.SLIPWAY_TOKEN;
  }
};

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const stateOf = async (n: number) => JSON.parse((await slipway('releases', 'get', String(n), '-o', 'json')).stdout) as { state: string; currentStage?: number; stages: { name: string; state: string }[] };

beforeAll(async () => {
  restore = isolateCliSettings(dir);
  appRepo = gitRepository(join(dir, 'tiny'), {
    'server.mjs': "import { createServer } from 'node:http';\nimport { readFileSync } from 'node:fs';\ncreateServer((q, s) => s.end(readFileSync('version.txt', 'utf8'))).listen(Number(process.env.PORT));\n",
    'check.mjs': "console.log('smoke ok');\n",
    'version.txt': 'v1',
    '.slipway/app.yaml': `apiVersion: slipway.dev/v1
kind: Application
metadata: { name: tiny }
spec:
  runtime: local
  repository: { trackingBranch: main }
  services:
    - name: web
      run: { command: node server.mjs }
      ports: [{ port: 3000 }]
  jobs:
    - { name: smoke, fromService: web, command: node check.mjs }
  workflows:
    setup: { steps: [{ tasks: [services.all] }] }
`,
  });
  gitRepository(platformRepo, {
    '.slipway/track.yaml': `apiVersion: slipway.dev/v1
kind: ReleaseTrack
metadata: { name: tiny-track }
spec:
  releaseStages:
    - environments: [staging]
      gates:
        tests: [smoke]
        approvals: { required: [{ role: qa }], expireAfter: 24h }
    - environments: [production]
      gates:
        windows: [{ type: deny, schedule: "0 0 1 1 *", duration: 1h }]
`,
    '.slipway/set.yaml': 'apiVersion: slipway.dev/v1\nkind: ApplicationSet\nmetadata: { name: tiny-set }\nspec: { applications: [tiny], releaseTrack: tiny-track }\n',
  });
  server = await startServerForCli(dir, {}, { graceMs: 1_000, docker: false, engine: { tickMs: 200 }, releases: { tickMs: 500, healthRecheckMs: 200 } });
  expect((await slipway('users', 'create', 'rita', '--role', 'release-manager')).code).toBe(0);
  expect((await slipway('users', 'create', 'quinn', '--approver', 'qa')).code).toBe(0);
  for (const user of ['rita', 'quinn']) tokens[user] = (await slipway('tokens', 'create', 'cli', '--user', user)).stdout;
  expect((await slipway('apps', 'create', '--repo', appRepo)).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await closeCliSession(server, dir, restore);
}, 60_000);

describe('slipway sets, tracks, snapshots and releases against a real server', () => {
  it('registers the track and the set from a repository, and lists them', async () => {
    const track = await slipway('tracks', 'create', '--repo', platformRepo);
    expect(track.stderr).toBe('');
    expect(track.stdout).toMatch(/^✓ release track tiny-track for set tiny-set: staging → production \(version [0-9a-f]{16}\)$/);
    expect((await slipway('sets', 'create', join(platformRepo, '.slipway/set.yaml'))).stdout).toMatch(/^✓ application set tiny-set: tiny, along track tiny-track/);
    expect((await slipway('tracks', 'list')).stdout).toMatch(/^NAME +SET +RELEASE STAGES +HOTFIX STAGES +PRE-RELEASE STAGES\ntiny-track +tiny-set +staging → production +- +-$/);
    expect((await slipway('sets', 'get', 'tiny-set')).stdout).toMatch(/applications: tiny\n {2}track: +tiny-track/);
    expect((await slipway('sets', 'create')).code).toBe(2);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'apiVersion: slipway.dev/v1\nkind: ReleaseTrack\nmetadata: { name: bad }\nspec:\n  releaseStages:\n    - environments: [x]\n      gates: { windows: [{ type: deny, schedule: "0 0 * * 9", duration: 1h }] }\n');
    const refused = await slipway('tracks', 'create', broken);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/does not hold valid manifests\n.*broken\.yaml:7:\d+ spec\.releaseStages\[0\]\.gates\.windows\[0\]: "0 0 \* \* 9": day of week 9 is out of range 0-7/);
  });

  it('snapshots the set, releases it, and shows where it stands until approved', async () => {
    const snapshot = await slipway('snapshots', 'create', 'tiny-set');
    expect(snapshot.stdout).toMatch(/^✓ snapshot (\d{4}\.\d\d\.\d\d-1) of tiny-set: tiny@[0-9a-f]{7}\n {2}release it: slipway releases create \1 \[--hotfix\]$/);
    const alias = /snapshot (\S+)/.exec(snapshot.stdout)![1]!;
    expect((await slipway('snapshots', 'list')).stdout).toMatch(new RegExp(`^ALIAS +SET +KIND +VERSIONS +BY +CREATED\\n${alias.replace(/\./g, '\\.')} +tiny-set +release +tiny@[0-9a-f]{7} +admin +(now|\\d+s ago)$`));
    expect((await slipway('snapshots', 'get', alias)).stdout).toMatch(/APPLICATION +COMMIT +FROM +IMAGE\ntiny +[0-9a-f]{12} +main +-/);
    expect((await slipway('snapshots', 'create', 'tiny-set', '--use', 'tiny')).code).toBe(2);
    expect((await slipway('snapshots', 'create', 'tiny-set', '--app', 'tiny')).stderr).toMatch(/exactly one of --branch <branch> or --pr <number>/);

    const created = await as('rita', () => slipway('releases', 'create', alias));
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/^✓ release #1 · release of \S+ \(set tiny-set\) along tiny-track · by rita: staging → production\n/);
    await until('staging to await approval', async () => (await stateOf(1)).state === 'AwaitingApproval');

    const picture = await slipway('tracks', 'get', 'tiny-track');
    expect(picture.stdout).toContain('tiny-track (set tiny-set)\n\nRELEASE STAGES\n  1. staging  gates: tests smoke · approvals qa (expire after 24h)\n');
    expect(picture.stdout).toMatch(/ {5}#1 \S+ +◐ AwaitingApproval +← runs here now\n {8}healthy ✓ +tests ✓ +approvals … missing qa\n {8}missing approvals: qa\n/);
    expect(picture.stdout).toMatch(/ {2}2\. production +gates: deny "0 0 1 1 \*" for 1h\n {5}no release yet/);

    const details = await slipway('releases', 'get', '1');
    expect(details.stdout).toMatch(/^release #1 · release of \S+ \(set tiny-set\) along tiny-track · by rita\n {2}state: ◐ AwaitingApproval/);
    expect(details.stdout).toMatch(/STAGE +STATE +GATES\nstaging +◐ AwaitingApproval +healthy ✓ +tests ✓ +approvals … missing qa\nproduction +not reached/);
    expect(details.stdout).toMatch(/\nstaging\n {2}waiting: approvals missing: qa\n {2}deploys: tiny@[0-9a-f]{7} → staging succeeded\n {2}tests: smoke in staging succeeded\n {2}missing approvals: qa/);
    expect(details.stdout).toMatch(/\ntransitions\nAT +STAGE +MOVE +BY +WHY\n\S+ \S+ +release +→ Pending +rita +release of snapshot/);

    const refused = await as('rita', () => slipway('releases', 'approve', '1'));
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/rita is the release's author/);
    expect((await slipway('releases', 'approve', '1')).stderr).toMatch(/approving this stage needs one of the approver roles qa; admin has admin, developer, release-manager, viewer/);
    const approved = await as('quinn', () => slipway('releases', 'approve', '1', '--comment', 'looks good'));
    expect(approved.stdout).toMatch(/^✓ release #1 approved\n {2}(● Deploying|● Verifying|✓ Promoted) in production/);
    await until('release #1 to be promoted', async () => (await stateOf(1)).state === 'Promoted');
    expect((await slipway('releases', 'list')).stdout).toMatch(/^# +KIND +SNAPSHOT +TRACK +STATE +STAGE +AUTHOR +CREATED\n1 +release +\S+ +tiny-track +✓ Promoted +production +rita +(now|\d+s ago)$/);
    expect((await slipway('releases', 'get', '1')).stdout).toMatch(/approved by quinn as qa (now|\d+s ago): "looks good"/);
  }, 90_000);

  it('rolls production back and shows the hold', async () => {
    writeFileSync(join(appRepo, 'version.txt'), 'v2');
    git(appRepo, 'commit', '-qam', 'v2');
    const alias = /snapshot (\S+)/.exec((await slipway('snapshots', 'create', 'tiny-set')).stdout)![1]!;
    await as('rita', () => slipway('releases', 'create', alias));
    await until('staging to await approval', async () => (await stateOf(2)).state === 'AwaitingApproval');
    await as('quinn', () => slipway('releases', 'approve', '2'));
    await until('release #2 to be promoted', async () => (await stateOf(2)).state === 'Promoted');

    const rolled = await as('rita', () => slipway('releases', 'rollback', '2', '--reason', 'broke checkout'));
    expect(rolled.stderr).toBe('');
    expect(rolled.stdout).toMatch(/^✓ release #3 · rollback of #2 to \S+-1 \(set tiny-set\) along tiny-track · by rita\n {2}production is held/);
    await until('the rollback to be promoted', async () => (await stateOf(3)).state === 'Promoted');
    const picture = (await slipway('tracks', 'get', 'tiny-track')).stdout;
    expect(picture).toMatch(/2\. production.*\n {5}⏸ held by rita \(rollback #3\) now: releases enter only when promoted deliberately\n {5}#3 \S+-1 \(rollback\) +✓ Promoted +← runs here now/);
    expect((await slipway('releases', 'reject', '2')).stderr).toMatch(/error: required option '--reason <text>' not specified/);
    expect((await slipway('releases', 'abort', '2')).code).toBe(4);
  }, 90_000);
});

describe('slipway plans, admissions and managed-releases against a real server', () => {
  it('releases a snapshot that went through its track into a managed workspace', async () => {
    const admission = join(dir, 'admission.yaml');
    writeFileSync(
      admission,
      'apiVersion: slipway.dev/v1\nkind: ReleasePlanAdmission\nmetadata: { name: tiny-admission }\nspec:\n  origins: [{ workspace: default, applications: [tiny-set] }]\n  secrets: [deploy-token]\n  workflow:\n    steps:\n      - { name: publish, command: "test -n \\"$TOKEN\\" && echo published $VERSION", env: { TOKEN: { secret: deploy-token }, VERSION: "1" } }\n',
    );
    const plan = join(dir, 'plan.yaml');
    writeFileSync(plan, 'apiVersion: slipway.dev/v1\nkind: ReleasePlan\nmetadata: { name: tiny-to-ops }\nspec: { applicationSet: tiny-set, target: ops }\n');
    expect((await slipway('workspaces', 'create', 'ops')).code).toBe(0);
    process.env.SLIPWAY_WORKSPACE = 'ops';
    try {
      const admitted = await slipway('admissions', 'create', admission);
      expect(admitted.stdout).toBe('✓ admission tiny-admission: accepts tiny-set from default; runs publish');
      expect((await slipway('secrets', 'set', 'deploy-token', '--value', 'hunter2')).code).toBe(0);
      expect((await slipway('admissions', 'list')).stdout).toMatch(/^NAME +ACCEPTS +STEPS +SECRETS +BLOCKED\ntiny-admission +tiny-set from default +publish +deploy-token +no$/);
    } finally {
      delete process.env.SLIPWAY_WORKSPACE;
    }
    expect((await as('rita', () => slipway('plans', 'create', plan))).stdout).toBe('✓ release plan tiny-to-ops: set tiny-set into workspace ops');
    const alias = JSON.parse((await slipway('releases', 'get', '1', '-o', 'json')).stdout).snapshot.alias as string;
    const created = await as('rita', () => slipway('managed-releases', 'create', alias, '--plan', 'tiny-to-ops', '--data', 'version=9'));
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(new RegExp(`^✓ managed release #1 · ${alias.replace(/\./g, '\\.')} from default into ops under plan tiny-to-ops, admitted by tiny-admission · by rita\n`));
    await until('the managed release to end', async () => JSON.parse((await slipway('managed-releases', 'get', '1', '-o', 'json')).stdout).state === 'Promoted');
    const details = (await slipway('managed-releases', 'get', '1')).stdout;
    expect(details).toMatch(/state: ✓ Promoted — the workflow of admission tiny-admission succeeded: publish/);
    expect(details).toMatch(/policy\n {2}✓ requirePassedStages: release #1 took \S+ through every stage of tiny-track/);
    expect(details).toMatch(/STEP +STATE +TOOK +WHY\npublish +succeeded +\d+\.\ds/);
    expect(details).toContain('data: {"version":"9"}');
    expect((await slipway('managed-releases', 'list')).stdout).toMatch(/^# +FROM +INTO +PLAN +SNAPSHOT +STATE +AUTHOR +CREATED\n1 +default +ops +tiny-to-ops +\S+ +✓ Promoted +rita +(now|\d+s ago)$/);
    expect((await slipway('managed-releases', 'create', alias, '--plan', 'tiny-to-ops', '--data', 'oops')).code).toBe(2);
  }, 60_000);
});

describe('app=value pairs', () => {
  it('reads them, and names a malformed one', () => {
    expect(pairsOf(['web=hotfix/login', 'api=main'], 'use')).toEqual({ web: 'hotfix/login', api: 'main' });
    expect(pairsOf(['web'], 'use')).toBe('--use web: expected <application>=<branch>, such as web=hotfix/login');
    expect(pairsOf(['web:abc'], 'pin')).toBe('--pin web:abc: expected <application>=<commit>, such as web=0123abc');
  });
});
