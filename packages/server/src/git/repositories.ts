import { execFile, spawn } from 'node:child_process';
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

/**
 * The branches of a repository on this machine, read with one `git for-each-ref` in its git folder
 * (a checkout's .git or a bare repository): what `git ls-remote` says of it, without the second
 * process (upload-pack) ls-remote starts. Undefined for a URL, or when git cannot read it so (then
 * ls-remote answers, with its errors).
 */
async function localHeads(url: string): Promise<RemoteHeads | undefined> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/]+@[^/]+:/.test(url)) return undefined;
  const gitDir = existsSync(join(url, '.git')) ? join(url, '.git') : existsSync(join(url, 'HEAD')) && existsSync(join(url, 'objects')) ? url : undefined;
  if (!gitDir) return undefined;
  let out: string;
  try {
    out = await git([`--git-dir=${gitDir}`, 'for-each-ref', '--format=%(objectname) %(refname) %(HEAD)', 'refs/heads/']);
  } catch {
    return undefined;
  }
  const branches = new Map<string, string>();
  let defaultBranch: string | undefined;
  for (const line of out.split('\n')) {
    const head = /^([0-9a-f]{40}) refs\/heads\/(\S+) ([* ])$/.exec(line);
    if (!head) continue;
    branches.set(head[2]!, head[1]!);
    if (head[3] === '*') defaultBranch = head[2];
  }
  return { branches, ...(defaultBranch ? { defaultBranch } : {}) };
}

export class Repositories {
  constructor(private readonly mirrorsDir: string) {}

  async heads(repository: string): Promise<RemoteHeads> {
    const url = normalizeRepository(repository);
    const local = await localHeads(url);
    if (local) return local;
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
    if (/[\r\n]/.test(sha) || /[\r\n]/.test(folder)) throw new InputError('a commit or folder name cannot hold a line break');
    const mirror = await this.mirror(repository);
    // One `git cat-file --batch` answers everything: the commit (fetched when the mirror lacks it),
    // the folder's tree, then every manifest in it.
    let reader = new ObjectReader(mirror);
    try {
      const [commit, atCommit] = await Promise.all([reader.read(`${sha}^{commit}`), reader.read(`${sha}:${folder}`)]);
      let tree = atCommit;
      if (!commit) {
        reader.close();
        await git(['fetch', '--quiet', '--prune', 'origin', '+refs/*:refs/*'], mirror);
        reader = new ObjectReader(mirror);
        tree = await reader.read(`${sha}:${folder}`);
      }
      if (tree?.type !== 'tree') return [];
      const files = treeEntries(tree.content, tree.oid.length / 2)
        .filter((e) => e.blob && /\.ya?ml$/.test(e.name))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const blobs = await Promise.all(files.map((e) => reader.read(e.oid)));
      return files.map((e, i) => {
        const blob = blobs[i];
        if (blob?.type !== 'blob') throw new InputError(`cannot read ${folder}/${e.name} at ${sha}`);
        return { file: `${folder}/${e.name}`, text: blob.content.toString('utf8') };
      });
    } finally {
      reader.close();
    }
  }

  private async mirror(repository: string): Promise<string> {
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
    return mirror;
  }
}

/** The entries of a raw git tree object (`<mode> <name>\0<hash>` each); `blob` for files and symlinks. */
function treeEntries(raw: Buffer, hashBytes: number): { name: string; oid: string; blob: boolean }[] {
  const entries: { name: string; oid: string; blob: boolean }[] = [];
  let at = 0;
  while (at < raw.length) {
    const space = raw.indexOf(0x20, at);
    const nul = raw.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 1 + hashBytes > raw.length) throw new Error('git returned a tree it could not have written');
    const mode = raw.toString('latin1', at, space);
    entries.push({ name: raw.toString('utf8', space + 1, nul), oid: raw.toString('hex', nul + 1, nul + 1 + hashBytes), blob: mode.startsWith('100') || mode === '120000' });
    at = nul + 1 + hashBytes;
  }
  return entries;
}

/** A `git cat-file --batch` process: objects asked by name, answered in order. */
class ObjectReader {
  private readonly child;
  private buffer: Buffer = Buffer.alloc(0);
  private failure?: Error;
  private ended = false;
  private stderr = '';
  private wake?: () => void;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(cwd: string) {
    this.child = spawn('git', ['cat-file', '--batch'], { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'echo' }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.timer = setTimeout(() => this.child.kill('SIGKILL'), GIT_TIMEOUT_MS);
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.wake?.();
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.child.stdin.on('error', () => undefined);
    this.child.once('error', (error: NodeJS.ErrnoException) => {
      this.failure = error.code === 'ENOENT' ? new Error('git is not installed or not on PATH') : error;
      this.wake?.();
    });
    this.child.once('close', () => {
      this.ended = true;
      clearTimeout(this.timer);
      this.wake?.();
    });
  }

  /** The object, or undefined when the repository has none of that name. */
  read(name: string): Promise<{ oid: string; type: string; content: Buffer } | undefined> {
    this.child.stdin.write(`${name}\n`);
    const answer = this.queue.then(async () => {
      const header = (await this.take((b) => (b.indexOf(0x0a) < 0 ? -1 : b.indexOf(0x0a) + 1))).toString('utf8').trimEnd();
      const found = /^([0-9a-f]+) (\S+) (\d+)$/.exec(header);
      if (!found) return undefined; // "<name> missing" or "<name> ambiguous"
      const size = Number(found[3]);
      const content = await this.take((b) => (b.length >= size + 1 ? size + 1 : -1));
      return { oid: found[1]!, type: found[2]!, content: content.subarray(0, size) };
    });
    this.queue = answer.catch(() => undefined);
    return answer;
  }

  close(): void {
    clearTimeout(this.timer);
    if (!this.ended) this.child.stdin.end();
  }

  /** The next bytes of output, as many as `length` says once enough has come (-1: not yet). */
  private async take(length: (buffer: Buffer) => number): Promise<Buffer> {
    for (;;) {
      const n = length(this.buffer);
      if (n >= 0) {
        const taken = this.buffer.subarray(0, n);
        this.buffer = this.buffer.subarray(n);
        return taken;
      }
      if (this.failure) throw this.failure;
      if (this.ended) throw new InputError((this.stderr.trim() || 'git cat-file ended early').split('\n').slice(-3).join(' '));
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
