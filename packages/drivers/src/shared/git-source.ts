// Checkouts, shared by the local and docker runtimes: every repository is mirrored once under the
// state folder (so the user's own clone is never touched), and each environment gets a detached
// worktree of its commit. The local runtime runs install and build commands there once per
// checkout (a marker outside the worktree records that they succeeded); the docker runtime sends
// build contexts from it.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { hashText } from '@slipway/core';

const execFileAsync = promisify(execFile);

export class GitError extends Error {}

async function git(args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', args, {
      ...(cwd ? { cwd } : {}),
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'echo' },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (error) {
    const e = error as { stderr?: string; message: string; code?: string };
    if (e.code === 'ENOENT') throw new Error('git is not installed or not on PATH');
    throw new GitError((e.stderr ?? '').trim() || e.message);
  }
}

/** Absolute path for a local repository, the URL as is otherwise. */
export function normalizeRepository(repository: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repository) || /^[^/]+@[^/]+:/.test(repository) ? repository : resolve(repository);
}

/** Where mirrorWithCommit keeps the repository's bare mirror. */
export function mirrorPath(reposDir: string, repository: string): string {
  return join(reposDir, `${hashText(normalizeRepository(repository))}.git`);
}

/**
 * The worktree of a full sha, added straight from the mirror without asking git first whether the
 * mirror holds the commit (`worktree add` checks that itself): true once it is there; false when the
 * mirror or the commit is missing, or the add failed for another reason, for mirrorWithCommit and
 * ensureWorktree to sort out.
 */
export async function worktreeIfPresent(mirror: string, path: string, sha: string): Promise<boolean> {
  if (!/^[0-9a-f]{40}$/.test(sha)) return false;
  if (existsSync(join(path, '.git'))) return true;
  if (!existsSync(mirror)) return false;
  rmSync(path, { recursive: true, force: true });
  try {
    await git(['worktree', 'add', '--detach', '--force', path, sha], mirror);
    return true;
  } catch {
    rmSync(path, { recursive: true, force: true });
    return false;
  }
}

/** A bare mirror of the repository under `reposDir`, fetched when `commit` is not in it yet. */
export async function mirrorWithCommit(reposDir: string, repository: string, commit: string): Promise<{ mirror: string; sha: string }> {
  const url = normalizeRepository(repository);
  const mirror = mirrorPath(reposDir, url);
  if (!existsSync(mirror)) {
    mkdirSync(reposDir, { recursive: true });
    const temporary = `${mirror}.tmp-${process.pid}-${Date.now()}`;
    try {
      await git(['clone', '--mirror', '--quiet', url, temporary]);
      renameSync(temporary, mirror);
    } catch (error) {
      rmSync(temporary, { recursive: true, force: true });
      if (error instanceof GitError) throw new GitError(`cannot read the repository ${url}: ${error.message}`);
      throw error;
    }
  }
  const resolveSha = () => git(['rev-parse', '--verify', '--quiet', `${commit}^{commit}`], mirror);
  // A full sha never moves, so one already in the mirror needs no fetch; a branch may have moved.
  if (/^[0-9a-f]{40}$/.test(commit)) {
    try {
      return { mirror, sha: await resolveSha() };
    } catch {
      // not fetched yet
    }
  }
  await git(['fetch', '--quiet', '--prune', 'origin', '+refs/*:refs/*'], mirror).catch((error: Error) => {
    throw new GitError(`cannot fetch ${url}: ${error.message}`);
  });
  try {
    return { mirror, sha: await resolveSha() };
  } catch {
    throw new GitError(`the repository ${url} has no commit or branch "${commit}"`);
  }
}

/** A detached worktree of `sha` at `path` (kept when it is already there). */
export async function ensureWorktree(mirror: string, path: string, sha: string): Promise<void> {
  if (existsSync(join(path, '.git'))) return;
  rmSync(path, { recursive: true, force: true });
  const add = () => git(['worktree', 'add', '--detach', '--force', path, sha], mirror);
  try {
    await add();
  } catch {
    // A stale registration (a worktree folder removed without git knowing) is pruned, then tried again.
    rmSync(path, { recursive: true, force: true });
    await git(['worktree', 'prune'], mirror);
    await add();
  }
}

export async function pruneWorktrees(reposDir: string): Promise<void> {
  if (!existsSync(reposDir)) return;
  for (const entry of readdirSync(reposDir)) {
    if (entry.endsWith('.git')) await git(['worktree', 'prune'], join(reposDir, entry)).catch(() => undefined);
  }
}

/** A folder of the checkout, refusing paths that leave it. */
export function folderIn(checkout: string, folder: string | undefined): string | undefined {
  const full = resolve(checkout, folder ?? '.');
  const rel = relative(checkout, full);
  return rel.startsWith('..') || isAbsolute(rel) ? undefined : full;
}

export function writeMarker(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, new Date().toISOString());
}
