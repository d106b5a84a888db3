import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { hashText, InputError } from '@slipway/core';

// What the control plane reads from git: a repository's branches (git ls-remote, which works the
// same for a local path and any URL) and the .slipway/ manifests at a commit (from a bare mirror kept
// under the server's home, so the user's own clone is never touched).

const execFileAsync = promisify(execFile);
const GIT_TIMEOUT_MS = 120_000;

async function git(args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', args, {
      ...(cwd ? { cwd } : {}),
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'echo' },
      maxBuffer: 32 * 1024 * 1024,
      timeout: GIT_TIMEOUT_MS,
    });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string; code?: string };
    if (e.code === 'ENOENT') throw new Error('git is not installed or not on PATH');
    throw new InputError(((e.stderr ?? '').trim() || e.message).split('\n').slice(-3).join(' '));
  }
}

/** Absolute path for a local repository, the URL as is otherwise. */
export function normalizeRepository(repository: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repository) || /^[^/]+@[^/]+:/.test(repository) ? repository : resolve(repository);
}

export interface RemoteHeads {
  /** Branch name → commit sha. */
  branches: Map<string, string>;
  /** The branch HEAD points at, when the remote says. */
  defaultBranch?: string;
}

export class Repositories {
  constructor(private readonly mirrorsDir: string) {}

  async heads(repository: string): Promise<RemoteHeads> {
    const url = normalizeRepository(repository);
    let out: string;
    try {
      out = await git(['ls-remote', '--symref', url, 'HEAD', 'refs/heads/*']);
    } catch (error) {
      if (error instanceof InputError) throw new InputError(`cannot read the git repository ${url}: ${error.message}`);
      throw error;
    }
    const branches = new Map<string, string>();
    let defaultBranch: string | undefined;
    for (const line of out.split('\n')) {
      const symref = /^ref: refs\/heads\/(\S+)\s+HEAD$/.exec(line);
      if (symref) defaultBranch = symref[1];
      const head = /^([0-9a-f]{40})\s+refs\/heads\/(\S+)$/.exec(line);
      if (head) branches.set(head[2]!, head[1]!);
    }
    return { branches, ...(defaultBranch ? { defaultBranch } : {}) };
  }

  /** The commit a branch points at, or a clear error naming the branches there are. */
  async resolveBranch(repository: string, branch: string): Promise<string> {
    const { branches } = await this.heads(repository);
    const sha = branches.get(branch);
    if (sha) return sha;
    const names = [...branches.keys()].sort();
    throw new InputError(`branch "${branch}" does not exist in ${normalizeRepository(repository)}; it has ${names.length ? names.slice(0, 20).join(', ') : 'no branches'}`);
  }

  /** The commit a full ref points at (refs/pull/42/head), or undefined when the repository has no such ref. */
  async resolveRef(repository: string, ref: string): Promise<string | undefined> {
    const url = normalizeRepository(repository);
    const out = await git(['ls-remote', url, ref]);
    return /^([0-9a-f]{40})\s/m.exec(out)?.[1];
  }

  /** Files of the `.slipway/` folder (or another folder of manifests) at a commit: name and text. */
  async slipwayFolder(repository: string, sha: string, folder = '.slipway'): Promise<{ file: string; text: string }[]> {
    const mirror = await this.mirrorWith(repository, sha);
    const listing = await git(['ls-tree', '--name-only', `${sha}:${folder}`], mirror).catch(() => '');
    const files = listing.split('\n').filter((f) => /\.ya?ml$/.test(f)).sort();
    const result: { file: string; text: string }[] = [];
    for (const file of files) result.push({ file: `${folder}/${file}`, text: await git(['show', `${sha}:${folder}/${file}`], mirror) });
    return result;
  }

  private async mirrorWith(repository: string, sha: string): Promise<string> {
    const url = normalizeRepository(repository);
    const mirror = join(this.mirrorsDir, `${hashText(url)}.git`);
    if (!existsSync(mirror)) {
      mkdirSync(this.mirrorsDir, { recursive: true });
      const temporary = `${mirror}.tmp-${process.pid}-${Date.now()}`;
      try {
        await git(['clone', '--mirror', '--quiet', url, temporary]);
        renameSync(temporary, mirror);
      } catch (error) {
        rmSync(temporary, { recursive: true, force: true });
        throw error;
      }
    }
    const has = await git(['cat-file', '-e', `${sha}^{commit}`], mirror).then(() => true, () => false);
    if (!has) await git(['fetch', '--quiet', '--prune', 'origin', '+refs/*:refs/*'], mirror);
    return mirror;
  }
}
