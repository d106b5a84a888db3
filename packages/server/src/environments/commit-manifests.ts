import type { Diagnostic, Manifest } from '@slipway/contract';
import { validateManifestFiles } from '@slipway/core';
import type { Repositories } from '../git/repositories.ts';

// The .slipway/ manifests of a commit, read and validated once: a commit never changes, so creating
// a second environment of the same commit (another preview of a branch head, a config change, a
// rollback) neither starts git nor parses and validates the YAML again. Only full shas are kept;
// anything else (a branch, a short sha) is read every time.

const FULL_SHA = /^[0-9a-f]{40}$/;

export interface CommitManifestFiles {
  /** How many manifest files the folder holds (0: the commit has no such folder). */
  files: number;
  /** Every error of the folder's manifests, located; none when they are valid. */
  errors: Diagnostic[];
  /** The valid manifests. */
  manifests: Manifest[];
}

export class CommitManifests {
  private readonly known = new Map<string, Promise<CommitManifestFiles>>();

  constructor(
    private readonly repositories: Pick<Repositories, 'slipwayFolder'>,
    private readonly capacity = 64,
  ) {}

  /** The validated manifests of the folder at the commit; each caller gets its own copy. */
  async at(repository: string, commit: string, folder = '.slipway'): Promise<CommitManifestFiles> {
    const read = async (): Promise<CommitManifestFiles> => {
      const files = await this.repositories.slipwayFolder(repository, commit, folder);
      const loaded = validateManifestFiles(files);
      return { files: files.length, errors: loaded.errors, manifests: (loaded.value ?? []).map((l) => l.manifest) };
    };
    if (!FULL_SHA.test(commit)) return read();
    const key = `${repository}\0${commit}\0${folder}`;
    let entry = this.known.get(key);
    if (entry) {
      // Most recently used last: the first key is the one to drop.
      this.known.delete(key);
      this.known.set(key, entry);
    } else {
      entry = read();
      this.known.set(key, entry);
      // A failed read (git unreachable) is not remembered.
      entry.catch(() => this.known.delete(key));
      while (this.known.size > this.capacity) this.known.delete(this.known.keys().next().value!);
    }
    return structuredClone(await entry);
  }
}
