import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { commandArgv } from './process-group.ts';

describe('commandArgv', () => {
  const cwd = tmpdir();
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

  it('runs plain words without a shell, exporting the PWD the shell would have', () => {
    expect(commandArgv('node  build.mjs --out=dist ', cwd, env)).toEqual({ argv: ['node', 'build.mjs', '--out=dist'], env: { ...env, PWD: realpathSync(cwd) } });
  });

  it('keeps the shell for shell syntax, builtins, assignments, unknown programs and a PWD of its own', () => {
    for (const command of ['node $FILE', 'node a.mjs > log', 'node "a b"', 'node *.mjs', 'cd web', 'echo hi', 'A=1 node x', 'no-such-program-here x', 'node ~/x', 'node a; node b'])
      expect(commandArgv(command, cwd, env)).toEqual({ argv: ['/bin/sh', '-c', command], env });
    expect(commandArgv('node x', cwd, { ...env, PWD: '/elsewhere' }).argv).toEqual(['/bin/sh', '-c', 'node x']);
    expect(commandArgv(['node', 'x'], cwd, env)).toEqual({ argv: ['node', 'x'], env });
  });
});
