import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAll, git } from '../test-support/example-repository.ts';
import { Repositories } from './repositories.ts';

// A repository on this machine has its branches read in its own git folder (one git process); a
// URL (file:// here) through ls-remote. Both must say the same.

let root: string;
let checkout: string;
let bare: string;
let main: string;
let feature: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'slipway-repositories-'));
  checkout = join(root, 'checkout');
  mkdirSync(checkout);
  git(checkout, 'init', '-q', '-b', 'main');
  writeFileSync(join(checkout, 'a.txt'), 'a\n');
  main = commitAll(checkout, 'first');
  git(checkout, 'checkout', '-q', '-b', 'feature/x');
  feature = commitAll(checkout, 'second');
  git(checkout, 'checkout', '-q', 'main');
  bare = join(root, 'bare.git');
  git(root, 'clone', '-q', '--bare', checkout, bare);
  // Packed and loose refs both: the clone packs its refs, a new branch is loose.
  git(bare, 'branch', 'loose', main);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Repositories.heads', () => {
  it('reads a checkout, a bare repository and a file:// URL alike', async () => {
    const repositories = new Repositories(join(root, 'mirrors'));
    const ofCheckout = await repositories.heads(checkout);
    expect(Object.fromEntries(ofCheckout.branches)).toEqual({ main, 'feature/x': feature });
    expect(ofCheckout.defaultBranch).toBe('main');
    const ofBare = await repositories.heads(bare);
    expect(Object.fromEntries(ofBare.branches)).toEqual({ main, 'feature/x': feature, loose: main });
    expect(ofBare.defaultBranch).toBe('main');
    const ofUrl = await repositories.heads(`file://${bare}`);
    expect(ofUrl).toEqual(ofBare);
  });

  it('follows the branch a checkout is on, and a new commit at once', async () => {
    const repositories = new Repositories(join(root, 'mirrors'));
    git(checkout, 'checkout', '-q', 'feature/x');
    try {
      expect((await repositories.heads(checkout)).defaultBranch).toBe('feature/x');
      const next = commitAll(checkout, 'third');
      expect(await repositories.resolveBranch(checkout, 'feature/x')).toBe(next);
    } finally {
      git(checkout, 'checkout', '-q', 'main');
    }
  });

  it('names the folder when it is not a repository', async () => {
    const repositories = new Repositories(join(root, 'mirrors'));
    const nothing = join(root, 'nothing');
    mkdirSync(nothing);
    await expect(repositories.heads(nothing)).rejects.toThrow(new RegExp(`cannot read the git repository ${nothing}`));
    await expect(repositories.resolveBranch(checkout, 'nope')).rejects.toThrow(/branch "nope" does not exist .* it has feature\/x, main/);
  });
});
