// Argument handling of the API commands: everything here is refused or answered before any API call.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryOf } from './commands/apps.ts';
import { createEnvironmentBody } from './commands/envs.ts';
import { splitLines } from './commands/instances.ts';
import { secretFromStdin, secretsSet } from './commands/secrets.ts';
import { main } from './main.ts';
import { captureIO } from './test-support/capture-io.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-args-'));
const saved = { XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, SLIPWAY_URL: process.env.SLIPWAY_URL, SLIPWAY_TOKEN: process.env.SLIPWAY_TOKEN };
beforeAll(() => {
  // No connection settings at all: a command that got as far as the API would say "not logged in".
  process.env.XDG_CONFIG_HOME = join(dir, 'config');
  delete process.env.SLIPWAY_URL;
  delete process.env.SLIPWAY_TOKEN;
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  rmSync(dir, { recursive: true, force: true });
});

const slipway = async (...args: string[]) => {
  const io = captureIO();
  const code = await main(['node', 'slipway', ...args], io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
};

describe('arguments of the API commands', () => {
  it.each([
    [['envs', 'create'], /required option '--app <app>' not specified/],
    [['envs', 'create', '--app', 'Shop'], /expected a lowercase name of letters, digits and "-"/],
    [['envs', 'create', '--app', 'shop', '--var', 'LOG_LEVEL'], /--var "LOG_LEVEL": expected NAME=VALUE, but there is no "="/],
    [['envs', 'create', '--app', 'shop', '--var', '2FA=on'], /--var "2FA=on": "2FA" is not a variable name: it starts with a digit/],
    [['envs', 'create', '--app', 'shop', '--permanent'], /a permanent environment needs a name: add --id <id>/],
    [['envs', 'create', '--app', 'shop', '--ttl', '3 days'], /expected a duration: a number and a unit/],
    [['envs', 'create', '--app', 'shop', '--commit', 'HEAD'], /expected a commit sha/],
    [['envs', 'extend', 'pr-1'], /required option '--ttl <duration>' not specified/],
    [['envs', 'config-set', 'pr-1'], /nothing to change: give NAME=VALUE arguments, or --unset NAME/],
    [['envs', 'config-set', 'pr-1', 'A=1', '--unset', 'A'], /A: both set and --unset; choose one/],
    [['deploys', 'create', 'pr-1', '--commit', 'main'], /expected a commit sha/],
    [['instances', 'logs', 'pr-1', 'web-0', '--tail', 'lots'], /expected a number of lines from 0 to 100000/],
    [['instances', 'exec', 'pr-1', 'web-0'], /missing required argument 'command'/],
    [['instances', 'exec', 'pr-1', 'web-0', '--timeout', 'forever', '--', 'ls'], /expected a duration/],
    [['apps', 'create'], /give either a manifest <path> or --repo <path-or-url>/],
    [['apps', 'create', 'app.yaml', '--repo', '.'], /give either a manifest <path> or --repo <path-or-url>/],
    [['apps', 'create', 'app.yaml', '--branch', 'main'], /--branch goes with --repo/],
    [['apps', 'create', '--repo', join(dir, 'nowhere')], /nowhere: no such folder, and not a git URL/],
    [['secrets', 'set', 'DB_PASSWORD', '--value', 'x'], /secret name "DB_PASSWORD": expected a lowercase name/],
  ])('slipway %j exits 2 and says what was wrong', async (args, message) => {
    const result = await slipway(...args);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/not logged in/);
  });

  it('gets as far as the connection settings when the arguments are right', async () => {
    const result = await slipway('envs', 'create', '--app', 'shop', '--var', 'A=1', '--var', 'B=x=y', '--ttl', '24h');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not logged in: run `slipway login/);
  });

  it('explains each command with examples', async () => {
    for (const command of [['envs', 'create'], ['envs', 'config-set'], ['deploys', 'get'], ['instances', 'exec'], ['secrets', 'set']]) {
      const help = await slipway(...command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Examples:\n {2}.*slipway /);
    }
    expect((await slipway('--help')).stdout).toMatch(/5 a deploy waited for with --wait failed or errored/);
  });
});

describe('createEnvironmentBody', () => {
  it('sends only what was given, with the variables parsed', () => {
    expect(createEnvironmentBody({ app: 'shop', output: 'text' })).toEqual({ value: { app: 'shop' }, errors: [] });
    expect(createEnvironmentBody({ app: 'shop', branch: 'main', id: 'staging', permanent: true, vars: ['A=1'], template: 'big', output: 'text' }).value).toEqual({
      app: 'shop',
      branch: 'main',
      id: 'staging',
      kind: 'permanent',
      template: 'big',
      variables: { A: '1' },
    });
  });

  it('reports every problem at once', () => {
    expect(createEnvironmentBody({ app: 'shop', permanent: true, ttl: '1h', vars: ['X'], output: 'text' }).errors).toEqual([
      'a permanent environment needs a name: add --id <id>, such as --id staging',
      '--ttl applies to ephemeral environments only; a permanent one lives until it is deleted',
      '--var "X": expected NAME=VALUE, but there is no "=" (to remove X, use --unset X)',
    ]);
  });
});

describe('repositoryOf', () => {
  it('sends git URLs as they are and local folders as absolute paths', () => {
    expect(repositoryOf('https://github.com/acme/shop.git')).toEqual({ value: 'https://github.com/acme/shop.git' });
    expect(repositoryOf('git@github.com:acme/shop.git')).toEqual({ value: 'git@github.com:acme/shop.git' });
    expect(repositoryOf('file:///srv/git/shop')).toEqual({ value: 'file:///srv/git/shop' });
    expect(repositoryOf('.', dir)).toEqual({ value: dir });
    expect(repositoryOf('missing', dir).error).toMatch(/^missing: no such folder, and not a git URL/);
  });
});

describe('splitLines', () => {
  it('keeps a partial line for the next chunk', () => {
    expect(splitLines('', 'one\ntw')).toEqual({ lines: ['one'], rest: 'tw' });
    expect(splitLines('tw', 'o\nthree\n')).toEqual({ lines: ['two', 'three'], rest: '' });
  });
});

describe('secrets set input', () => {
  it('drops the one line break echo adds, and nothing else', () => {
    expect(secretFromStdin('hunter2\n')).toBe('hunter2');
    expect(secretFromStdin('hunter2\r\n')).toBe('hunter2');
    expect(secretFromStdin('two lines\n\n')).toBe('two lines\n');
  });

  it('refuses to read a value from a terminal, and an empty stdin', async () => {
    const io = captureIO();
    expect(await secretsSet({ name: 'db-password', output: 'text' }, io, { isTTY: true, read: async () => 'never read' })).toBe(2);
    expect(io.stderr()).toMatch(/give the value with --value, or pipe it in/);
    const io2 = captureIO();
    expect(await secretsSet({ name: 'db-password', output: 'text' }, io2, { isTTY: false, read: async () => '\n' })).toBe(2);
    expect(io2.stderr()).toMatch(/read an empty value from stdin/);
  });
});
