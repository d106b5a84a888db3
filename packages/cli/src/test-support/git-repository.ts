import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'Slipway Test', GIT_AUTHOR_EMAIL: 'test@slipway.invalid', GIT_COMMITTER_NAME: 'Slipway Test', GIT_COMMITTER_EMAIL: 'test@slipway.invalid' };

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();
}

/** A git repository (branch main) with the given files committed; returns its folder. */
export function gitRepository(folder: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), text);
  }
  git(folder, 'init', '-q', '-b', 'main');
  git(folder, 'add', '-A');
  git(folder, 'commit', '-q', '-m', 'first');
  return folder;
}
