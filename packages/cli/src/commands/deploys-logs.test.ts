// `slipway deploys logs` and `deploys create --wait --logs` against a real server: the deploy's log
// holds the task lines and the static build's output.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@slipway/server';
import { closeCliSession, isolateCliSettings, slipway, startServerForCli } from '../test-support/cli-session.ts';
import { gitRepository } from '../test-support/git-repository.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-deploys-logs-cli-'));
let restore: () => void = () => undefined;
let server: RunningServer;

const manifest = `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: site
spec:
  runtime: local
  services:
    - name: web
      static:
        build: node build.mjs
        output: dist
`;
const build = `import { mkdirSync, writeFileSync } from 'node:fs';
mkdirSync('dist', { recursive: true });
writeFileSync('dist/index.html', 'hi');
console.log('hello from the build');
`;

beforeAll(async () => {
  restore = isolateCliSettings(dir);
  gitRepository(join(dir, 'site'), { '.slipway/app.yaml': manifest, 'build.mjs': build });
  server = await startServerForCli(dir, {}, { graceMs: 2_000, engine: { tickMs: 200, refreshRoutesMs: 500 } });
}, 60_000);

afterAll(async () => {
  await closeCliSession(server, dir, restore);
}, 60_000);

describe('slipway deploys logs', () => {
  it('streams the log with --wait --logs, and prints it, followed or not, afterwards', async () => {
    expect((await slipway('apps', 'create', '--repo', join(dir, 'site'))).code).toBe(0);
    const created = await slipway('envs', 'create', '--app', 'site', '--branch', 'main', '--id', 'one', '--permanent', '-o', 'json');
    expect(created.code, created.stderr).toBe(0);
    const deployId = JSON.parse(created.stdout).deploy.id as string;

    const waited = await slipway('deploys', 'get', deployId, '--wait', '--logs');
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toContain('web | hello from the build');
    expect(waited.stdout).toMatch(/✓ step 1 web · service web succeeded/);
    expect(waited.stdout).toContain('✓ setup deploy #1 succeeded');

    const printed = await slipway('deploys', 'logs', deployId);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout.split('\n')[0]).toMatch(/^▸ setup deploy #1 of site\/one started/);
    expect(printed.stdout).toContain('web | hello from the build');
    const followed = await slipway('deploys', 'logs', deployId, '-f');
    expect(followed.stdout).toBe(printed.stdout);

    const missing = await slipway('deploys', 'logs', '00000000-0000-4000-8000-000000000000');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no deploy/);
  }, 90_000);
});
