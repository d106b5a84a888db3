import type { Kysely } from 'kysely';
import type { ApplicationManifest } from '@slipway/contract';
import { InputError, validateManifestFiles, type ManifestFile } from '@slipway/core';
import { normalizeRepository, type Repositories } from '../git/repositories.ts';
import { putApplication, type StoredApplication } from '../store/applications.ts';
import type { Database } from '../store/database-schema.ts';

export type RegistrationSource = { manifest: string; file?: string } | { repository: string; branch?: string };

/**
 * Registers an application (or adds a template version to it) from a manifest, or from a git
 * repository whose `.slipway/` folder holds it at a branch's head (the default branch when absent).
 * Nothing is stored unless every manifest is valid.
 */
export async function registerApplication(
  deps: { db: Kysely<Database>; repositories?: Repositories },
  workspace: string,
  from: RegistrationSource,
): Promise<{ application: StoredApplication; version: string; created: boolean; changed: boolean }> {
  let files: ManifestFile[];
  let source = 'api';
  let repositoryUrl: string | undefined;
  let where: string;
  if ('repository' in from) {
    if (!deps.repositories) throw new InputError('this server cannot read git repositories');
    repositoryUrl = normalizeRepository(from.repository);
    const heads = await deps.repositories.heads(repositoryUrl);
    const branch = from.branch ?? heads.defaultBranch;
    if (!branch) throw new InputError(`the repository ${repositoryUrl} has no default branch; give "branch"`);
    const sha = await deps.repositories.resolveBranch(repositoryUrl, branch);
    files = await deps.repositories.slipwayFolder(repositoryUrl, sha);
    if (files.length === 0) throw new InputError(`${repositoryUrl} has no .slipway/*.yaml at ${branch} (${sha.slice(0, 12)}); add the application's manifest there`);
    source = sha;
    where = `.slipway/ of ${repositoryUrl} at ${branch}`;
  } else {
    files = [{ file: from.file ?? 'manifest.yaml', text: from.manifest }];
    where = files[0]!.file;
  }
  const loaded = validateManifestFiles(files);
  if (loaded.errors.length) throw new InputError('repository' in from ? `${where} does not hold valid manifests` : `${where} is not a valid manifest`, loaded.errors);
  const apps = (loaded.value ?? []).filter((l) => l.manifest.kind === 'Application');
  if (apps.length !== 1) throw new InputError(`${where} must hold exactly one Application, it holds ${apps.length}`);
  return putApplication(deps.db, { workspace, manifest: apps[0]!.manifest as ApplicationManifest, source, ...(repositoryUrl ? { repositoryUrl } : {}) });
}
