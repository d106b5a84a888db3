// `slipway previews list` against a real server that polls a local bare repository.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@slipway/server';
import { closeCliSession, isolateCliSettings, slipway, startServerForCli } from '../test-support/cli-session.ts';
import { git, gitRepository } from '../test-support/git-repository.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-previews-cli-'));
let restore: () => void = () => undefined;
const remote = join(dir, 'hello.git');
let server: RunningServer;
let work: string;

const manifest = `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: hello
spec:
  runtime: local
  repository: { trackingBranch: main, poll: true }
  previews: { branches: ['feature/**'] }
  services:
    - name: web
      run:
        command: node server.mjs
      ports:
        - port: 3000
`;
const serverScript = `import { createServer } from 'node:http';
createServer((req, res) => res.end('hello')).listen(Number(process.env.PORT));
`;

beforeAll(async () => {
  restore = isolateCliSettings(dir);
  work = gitRepository(join(dir, 'hello'), { '.slipway/app.yaml': manifest, 'server.mjs': serverScript });
  git(dir, 'init', '-q', '--bare', '-b', 'main', remote);
  git(work, 'push', '-q', remote, 'main');
  server = await startServerForCli(dir, { pollIntervalMs: 200 }, { graceMs: 2_000, engine: { tickMs: 200, refreshRoutesMs: 500 } });
}, 60_000);

afterAll(async () => {
  await closeCliSession(server, dir, restore);
}, 60_000);

describe('slipway previews list', () => {
  it('shows which environment stands for which branch, and keeps closed ones for --all', async () => {
    expect((await slipway('apps', 'create', '--repo', remote)).code).toBe(0);
    expect((await slipway('previews', 'list')).stdout).toMatch(/^no previews open/);
    git(work, 'checkout', '-q', '-b', 'feature/hi');
    git(work, 'commit', '-q', '--allow-empty', '-m', 'hi');
    git(work, 'push', '-q', remote, 'feature/hi');
    for (let i = 0; i < 200 && !(await server.environments.getLive('default', 'feature-hi')); i++) await sleep(50);

    const listed = await slipway('previews', 'list');
    expect(listed.code).toBe(0);
    const [header, row] = listed.stdout.split('\n');
    expect(header).toMatch(/^ENVIRONMENT +APP +FOR +BRANCH +HEAD +STATE +REPOSITORY$/);
    expect(row).toMatch(new RegExp(`^feature-hi +hello +branch +feature/hi +[0-9a-f]{7} +open +git:${remote}$`));
    const json = JSON.parse((await slipway('previews', 'list', '--app', 'hello', '-o', 'json')).stdout) as { items: { environment: string; state: string }[] };
    expect(json.items).toMatchObject([{ environment: 'feature-hi', state: 'open' }]);

    git(work, 'push', '-q', remote, '--delete', 'feature/hi');
    for (let i = 0; i < 200 && (await server.previews.store.listLinks({ state: 'open' })).length; i++) await sleep(50);
    expect((await slipway('previews', 'list')).stdout).toMatch(/^no previews open/);
    expect((await slipway('previews', 'list', '--all')).stdout).toMatch(/feature-hi .* closed/);
  }, 60_000);
});
