import { describe, expect, it } from 'vitest';
import { CommitManifests } from './commit-manifests.ts';

const SHA = 'a'.repeat(40);
const manifest = (name: string) => `apiVersion: slipway.dev/v1\nkind: Application\nmetadata:\n  name: ${name}\nspec:\n  services:\n    - name: web\n      image: nginx\n`;

function counting(files: { file: string; text: string }[]) {
  const calls: string[] = [];
  return {
    calls,
    repositories: {
      slipwayFolder: async (repository: string, sha: string, folder = '.slipway') => {
        calls.push(`${repository} ${sha} ${folder}`);
        return files;
      },
    },
  };
}

describe('CommitManifests', () => {
  it('reads and validates a commit once, and gives each caller its own copy', async () => {
    const git = counting([{ file: '.slipway/app.yaml', text: manifest('shop') }]);
    const manifests = new CommitManifests(git.repositories);
    const first = await manifests.at('/repo', SHA);
    expect(first.files).toBe(1);
    expect(first.errors).toEqual([]);
    expect(first.manifests.map((m) => m.metadata.name)).toEqual(['shop']);
    first.manifests[0]!.metadata.name = 'changed by a caller';
    const second = await manifests.at('/repo', SHA);
    expect(second.manifests[0]!.metadata.name).toBe('shop');
    expect(git.calls).toEqual([`/repo ${SHA} .slipway`]);
  });

  it('keeps the errors of invalid manifests with their locations', async () => {
    const git = counting([{ file: '.slipway/app.yaml', text: manifest('shop').replace('image: nginx', 'image: nginx\n      ports:\n        - port: http') }]);
    const manifests = new CommitManifests(git.repositories);
    const { errors } = await manifests.at('/repo', SHA);
    expect(errors[0]).toMatchObject({ file: '.slipway/app.yaml', path: expect.stringContaining('ports[0].port') });
    expect((await manifests.at('/repo', SHA)).errors).toEqual(errors);
    expect(git.calls).toHaveLength(1);
  });

  it('reads a branch name or a short sha every time, and forgets the least recently used commit', async () => {
    const git = counting([]);
    const manifests = new CommitManifests(git.repositories, 2);
    await manifests.at('/repo', 'main');
    await manifests.at('/repo', 'main');
    await manifests.at('/repo', 'abc1234');
    expect(git.calls).toHaveLength(3);
    const b = 'b'.repeat(40);
    const c = 'c'.repeat(40);
    await manifests.at('/repo', SHA);
    await manifests.at('/repo', b);
    await manifests.at('/repo', SHA);
    await manifests.at('/repo', c);
    await manifests.at('/repo', SHA);
    expect(git.calls.slice(3)).toEqual([`/repo ${SHA} .slipway`, `/repo ${b} .slipway`, `/repo ${c} .slipway`]);
    await manifests.at('/repo', b);
    expect(git.calls).toHaveLength(7);
  });

  it('does not remember a read that failed', async () => {
    let fail = true;
    const manifests = new CommitManifests({
      slipwayFolder: async () => {
        if (fail) throw new Error('git is not installed or not on PATH');
        return [];
      },
    });
    await expect(manifests.at('/repo', SHA)).rejects.toThrow(/git is not installed/);
    fail = false;
    expect((await manifests.at('/repo', SHA)).files).toBe(0);
  });
});
