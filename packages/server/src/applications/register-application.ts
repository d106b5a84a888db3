import type { ApplicationManifest } from '@slipway/contract';
import { InputError, validateManifestFiles, type ManifestFile } from '@slipway/core';
import { normalizeRepository, type Repositories } from '../git/repositories.ts';
import { putApplication, type RegisteredApplication } from '../store/applications.ts';
import type { AuditHook } from '../store/audit-ledger.ts';
import type { Db } from '../store/database-schema.ts';

export type RegistrationSource = { manifest: string; file?: string } | { repository: string; branch?: string; path?: string };

const DEFAULT_FOLDER = '.slipway';

/** The folder of manifests a registration names, as git names it; `.slipway` when none is named. */
export function manifestsFolder(path: string | undefined): string {
  if (path === undefined) return DEFAULT_FOLDER;
  const parts = path.replace(/\\/g, '/').split('/').filter((part) => part !== '' && part !== '.');
  if (path.startsWith('/') || parts.length === 0 || parts.includes('..')) {
    throw new InputError(`path "${path}" must name a folder inside the repository, relative to its root (such as .slipway-docker)`);
  }
  return parts.join('/');
}

/**
 * Registers an application (or adds a template version to it) from a manifest, or from a git
 * repository whose `.slipway/` folder (or the folder `path` names) holds it at a branch's head (the
 * default branch when absent). Nothing is stored unless every manifest is valid.
 *
 * Deploys of later commits take the application's manifest from their `.slipway/` when it is there,
 * and run the registered version otherwise; so an application registered from another folder (an
 * alternative manifest, such as one for another runtime) must not share its name with one in
 * `.slipway/`, and is registered again to take a change of its manifest.
 */
export async function registerApplication(
  deps: { db: Db; repositories?: Repositories },
  workspace: string,
  from: RegistrationSource,
  audit?: AuditHook<RegisteredApplication>,
): Promise<RegisteredApplication> {
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
    const folder = manifestsFolder(from.path);
    files = await deps.repositories.slipwayFolder(repositoryUrl, sha, folder);
    if (files.length === 0) throw new InputError(`${repositoryUrl} has no ${folder}/*.yaml at ${branch} (${sha.slice(0, 12)}); add the application's manifest there`);
    source = sha;
    where = `${folder}/ of ${repositoryUrl} at ${branch}`;
    if (folder !== DEFAULT_FOLDER) {
      const name = (validateManifestFiles(files).value ?? []).find((l) => l.manifest.kind === 'Application')?.manifest.metadata.name;
      const inDefault = validateManifestFiles(await deps.repositories.slipwayFolder(repositoryUrl, sha)).value ?? [];
      if (name !== undefined && inDefault.some((l) => l.manifest.kind === 'Application' && l.manifest.metadata.name === name)) {
        throw new InputError(`${DEFAULT_FOLDER}/ of ${repositoryUrl} at ${branch} also holds an Application named "${name}", which deploys of new commits would read instead; give the one in ${folder}/ another name`);
      }
    }
  } else {
    files = [{ file: from.file ?? 'manifest.yaml', text: from.manifest }];
    where = files[0]!.file;
  }
  const loaded = validateManifestFiles(files);
  if (loaded.errors.length) throw new InputError('repository' in from ? `${where} does not hold valid manifests` : `${where} is not a valid manifest`, loaded.errors);
  const apps = (loaded.value ?? []).filter((l) => l.manifest.kind === 'Application');
  if (apps.length !== 1) throw new InputError(`${where} must hold exactly one Application, it holds ${apps.length}`);
  return putApplication(deps.db, { workspace, manifest: apps[0]!.manifest as ApplicationManifest, source, ...(repositoryUrl ? { repositoryUrl } : {}), ...(audit ? { audit } : {}) });
}
