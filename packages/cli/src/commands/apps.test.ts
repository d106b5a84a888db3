import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '@slipway/server';
import { closeCliSession, isolateCliSettings, slipway, startServerForCli } from '../test-support/cli-session.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-apps-'));
let server: RunningServer;
let restore: () => void = () => undefined;

beforeAll(async () => {
  restore = isolateCliSettings(dir);
  server = await startServerForCli(dir);
});
afterAll(async () => {
  await closeCliSession(server, dir, restore);
});

describe('slipway apps, with the token the server wrote on first start', () => {
  it('registers, lists and gets an application', async () => {
    mkdirSync(join(dir, 'shop', '.slipway'), { recursive: true });
    writeFileSync(join(dir, 'shop', '.slipway', 'app.yaml'), 'apiVersion: slipway.dev/v1\nkind: Application\nmetadata: { name: shop }\nspec:\n  services: [{ name: web, image: nginx, ports: [{ port: 80 }] }]\n');
    const created = await slipway('apps', 'create', join(dir, 'shop'));
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/✓ application shop at template version [0-9a-f]{16}/);
    const list = await slipway('apps', 'list');
    expect(list.stdout).toMatch(/^NAME\s+VERSION/);
    expect(list.stdout).toMatch(/\nshop\s+[0-9a-f]{16}/);
    const got = await slipway('apps', 'get', 'shop', '-o', 'json');
    expect(JSON.parse(got.stdout)).toMatchObject({ name: 'shop', versions: [{ source: 'api' }] });
  });

  it('shows the API\'s located errors for an invalid manifest and exits 1', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: slipway.dev/v1\nkind: Application\nmetadata: { name: bad }\nspec:\n  services: [{ name: web, imag: nginx }]\n');
    const result = await slipway('apps', 'create', join(dir, 'bad.yaml'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad\.yaml is not (a )?valid/);
    expect(result.stderr).toMatch(/bad\.yaml:5:\d+ spec\.services\[0\]\.imag: unknown key "imag" \(did you mean "image"\?\)/);
  });

  it('registers from another folder of a repository with --path', async () => {
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, 'deploy'), { recursive: true });
    writeFileSync(join(repo, 'deploy', 'app.yaml'), 'apiVersion: slipway.dev/v1\nkind: Application\nmetadata: { name: shop-docker }\nspec:\n  runtime: docker\n  services: [{ name: web, image: nginx, ports: [{ port: 80 }] }]\n');
    const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t.invalid' };
    for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'shop']]) execFileSync('git', args, { cwd: repo, env: gitEnv });
    const created = await slipway('apps', 'create', '--repo', repo, '--path', 'deploy');
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/^✓ application shop-docker at template version [0-9a-f]{16}, from .*repo$/m);
    const missing = await slipway('apps', 'create', '--repo', repo, '--path', 'nowhere');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/has no nowhere\/\*\.yaml at main/);
    const alone = await slipway('apps', 'create', join(dir, 'shop'), '--path', 'deploy');
    expect(alone.code).not.toBe(0);
    expect(alone.stderr).toMatch(/--path goes with --repo/);
  });

  it('exits 3 for an unknown application', async () => {
    const result = await slipway('apps', 'get', 'nope');
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/no application "nope"/);
  });

  it('lets SLIPWAY_URL and SLIPWAY_TOKEN win, and says when the token is wrong', async () => {
    process.env.SLIPWAY_TOKEN = 'wrong';
    try {
      const result = await slipway('apps', 'list');
      expect(result.code).toBe(4);
      expect(result.stderr).toMatch(/the API token is not valid or was revoked/);
    } finally {
      delete process.env.SLIPWAY_TOKEN;
    }
  });

  it('says how to connect when nothing is configured, and when the API is unreachable', async () => {
    process.env.XDG_CONFIG_HOME = join(dir, 'empty-config');
    try {
      const none = await slipway('apps', 'list');
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/not logged in: run `slipway login/);
      const login = await slipway('login', '--url', 'http://127.0.0.1:9', '--token', 'x');
      expect(login.code).toBe(4);
      expect(login.stderr).toMatch(/cannot reach the Slipway API at http:\/\/127\.0\.0\.1:9.*nothing was saved/);
    } finally {
      process.env.XDG_CONFIG_HOME = join(dir, 'config');
    }
  });
});
