// `slipway previews list` against a real server that polls a local bare repository.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '@slipway/server';
import { main } from '../main.ts';
import { captureIO } from '../test-support/capture-io.ts';
import { git, gitRepository } from '../test-support/git-repository.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-previews-cli-'));
const saved = { XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, SLIPWAY_URL: process.env.SLIPWAY_URL, SLIPWAY_TOKEN: process.env.SLIPWAY_TOKEN };
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

const slipway = async (...args: string[]) => {
  const io = captureIO();
  const code = await main(['node', 'slipway', ...args], io);
  return { code, stdout: stripVTControlCharacters(io.stdout()), stderr: stripVTControlCharacters(io.stderr()) };
};

beforeAll(async () => {
  process.env.XDG_CONFIG_HOME = join(dir, 'config');
  delete process.env.SLIPWAY_URL;
  delete process.env.SLIPWAY_TOKEN;
  work = gitRepository(join(dir, 'hello'), { '.slipway/app.yaml': manifest, 'server.mjs': serverScript });
  git(dir, 'init', '-q', '--bare', '-b', 'main', remote);
  git(work, 'push', '-q', remote, 'main');
  server = await startServer(
    { home: join(dir, 'home'), apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(dir, 'config', 'slipway', 'config.yaml'), pollIntervalMs: 200 },
    { graceMs: 2_000, engine: { tickMs: 200, refreshRoutesMs: 500 } },
  );
}, 60_000);

afterAll(async () => {
  if (server) {
    for (const driver of Object.values(server.drivers)) await driver.sweep([]);
    await server.close();
  }
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  rmSync(dir, { recursive: true, force: true });
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
