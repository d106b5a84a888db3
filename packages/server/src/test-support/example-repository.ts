import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const guestbookExample = resolve(fileURLToPath(import.meta.url), '../../../../../examples/guestbook');

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'Slipway Test', GIT_AUTHOR_EMAIL: 'test@slipway.invalid', GIT_COMMITTER_NAME: 'Slipway Test', GIT_COMMITTER_EMAIL: 'test@slipway.invalid' };

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();
}

/** Commits everything in the repository; returns the new commit's sha. */
export function commitAll(repository: string, message: string): string {
  git(repository, 'add', '-A');
  git(repository, 'commit', '-q', '--allow-empty', '-m', message);
  return git(repository, 'rev-parse', 'HEAD');
}

/** A git repository (branch main) holding a copy of the guestbook example. */
export function guestbookRepository(): string {
  const repository = mkdtempSync(join(tmpdir(), 'slipway-guestbook-'));
  cpSync(guestbookExample, repository, { recursive: true, filter: (source) => !/[/\\](node_modules|dist|data)([/\\]|$)/.test(source.slice(guestbookExample.length)) });
  git(repository, 'init', '-q', '-b', 'main');
  commitAll(repository, 'guestbook');
  return repository;
}
