import { createHash } from 'node:crypto';
import type { ApplicationSetManifest, Diagnostic, Manifest, RegisterReleaseManifestsRequest, ReleasePlanAdmissionManifest, ReleasePlanManifest, ReleaseTrackManifest } from '@slipway/contract';
import { applicationSetMembers, InputError, parentOf, validateManifestFiles, type ManifestFile } from '@slipway/core';
import { normalizeRepository, type Repositories } from '../git/repositories.ts';
import type { AuditHook } from '../store/audit-ledger.ts';
import type { ManagedReleaseStore, StoredAdmission, StoredReleasePlan } from '../store/managed-releases.ts';
import type { ReleaseCatalog, StoredApplicationSet, StoredReleaseTrack } from '../store/release-catalog.ts';

// Registers the ApplicationSets or ReleaseTracks of some manifests — files sent to the API, or a git
// repository's .slipway/ at a branch's head — the way applications are registered: every document
// is checked first (shape, references within the bundle, promotion windows), and nothing is stored
// unless all of them are valid.

type Source = RegisterReleaseManifestsRequest;

async function filesOf(source: Source, repositories: Repositories | undefined): Promise<{ files: ManifestFile[]; origin: string; where: string }> {
  if (source.files) return { files: source.files, origin: 'api', where: source.files.map((f) => f.file).join(', ') };
  if (!repositories) throw new InputError('this server cannot read git repositories');
  const url = normalizeRepository(source.repository!);
  const heads = await repositories.heads(url);
  const branch = source.branch ?? heads.defaultBranch;
  if (!branch) throw new InputError(`the repository ${url} has no default branch; give "branch"`);
  const sha = await repositories.resolveBranch(url, branch);
  const files = await repositories.slipwayFolder(url, sha);
  if (files.length === 0) throw new InputError(`${url} has no .slipway/*.yaml at ${branch} (${sha.slice(0, 12)})`);
  return { files, origin: sha, where: `.slipway/ of ${url} at ${branch}` };
}

function load(files: ManifestFile[], where: string): Manifest[] {
  const loaded = validateManifestFiles(files);
  const errors: Diagnostic[] = loaded.errors;
  if (errors.length) throw new InputError(`${where} does not hold valid manifests`, errors);
  return (loaded.value ?? []).map((l) => l.manifest);
}

function versionOf(manifest: unknown): string {
  return createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 16);
}

// Each registration stores its manifests in one transaction, with an audit entry for each (`audit`).

export async function registerApplicationSets(
  deps: { catalog: ReleaseCatalog; repositories?: Repositories },
  workspace: string,
  source: Source,
  audit?: AuditHook<StoredApplicationSet>,
): Promise<{ sets: StoredApplicationSet[]; created: boolean }> {
  const { files, origin, where } = await filesOf(source, deps.repositories);
  const manifests = load(files, where);
  const sets = manifests.filter((m): m is ApplicationSetManifest => m.kind === 'ApplicationSet');
  if (sets.length === 0) throw new InputError(`${where} holds no ApplicationSet (it holds ${describeKinds(manifests)})`);
  const stored: StoredApplicationSet[] = [];
  let created = false;
  await deps.catalog.transact(async (catalog, tx) => {
    for (const set of sets) {
      const track = set.spec.releaseTrack ?? parentOf(set);
      const result = await catalog.putSet({
        workspace,
        name: set.metadata.name,
        applications: applicationSetMembers(set, manifests),
        ...(track ? { releaseTrack: track } : {}),
        manifest: set,
        version: versionOf(set),
        source: origin,
      });
      created ||= result.created;
      stored.push(result.set);
      await audit?.(tx, result.set);
    }
  });
  return { sets: stored, created };
}

export async function registerReleaseTracks(
  deps: { catalog: ReleaseCatalog; repositories?: Repositories },
  workspace: string,
  source: Source,
  audit?: AuditHook<StoredReleaseTrack>,
): Promise<{ tracks: StoredReleaseTrack[]; created: boolean }> {
  const { files, origin, where } = await filesOf(source, deps.repositories);
  const manifests = load(files, where);
  const tracks = manifests.filter((m): m is ReleaseTrackManifest => m.kind === 'ReleaseTrack');
  if (tracks.length === 0) throw new InputError(`${where} holds no ReleaseTrack (it holds ${describeKinds(manifests)})`);
  const stored: StoredReleaseTrack[] = [];
  let created = false;
  await deps.catalog.transact(async (catalog, tx) => {
    for (const track of tracks) {
      // The set it serves: named by the track, or a set of the bundle naming the track.
      const set =
        track.spec.applicationSet ??
        manifests.find((m): m is ApplicationSetManifest => m.kind === 'ApplicationSet' && (m.spec.releaseTrack ?? parentOf(m)) === track.metadata.name)?.metadata.name;
      const result = await catalog.putTrack({
        workspace,
        name: track.metadata.name,
        ...(set ? { applicationSet: set } : {}),
        spec: track.spec,
        version: versionOf(track),
        source: origin,
      });
      created ||= result.created;
      stored.push(result.track);
      await audit?.(tx, result.track);
    }
  });
  return { tracks: stored, created };
}

/** ReleasePlans of the development workspace: what it releases and into which managed workspace. */
export async function registerReleasePlans(
  deps: { managed: ManagedReleaseStore; repositories?: Repositories },
  workspace: string,
  source: Source,
  audit?: AuditHook<StoredReleasePlan>,
): Promise<{ items: StoredReleasePlan[]; created: boolean }> {
  const { files, origin, where } = await filesOf(source, deps.repositories);
  const manifests = load(files, where);
  const plans = manifests.filter((m): m is ReleasePlanManifest => m.kind === 'ReleasePlan');
  if (plans.length === 0) throw new InputError(`${where} holds no ReleasePlan (it holds ${describeKinds(manifests)})`);
  const items: StoredReleasePlan[] = [];
  let created = false;
  for (const plan of plans) {
    if (plan.spec.target === workspace) throw new InputError(`ReleasePlan ${plan.metadata.name} targets workspace ${workspace} itself; a plan releases into another (managed) workspace`);
  }
  await deps.managed.transact(async (managed, tx) => {
    for (const plan of plans) {
      const result = await managed.putPlan({ workspace, name: plan.metadata.name, spec: plan.spec, version: versionOf(plan), source: origin });
      created ||= result.created;
      items.push(result.item);
      await audit?.(tx, result.item);
    }
  });
  return { items, created };
}

/** ReleasePlanAdmissions of the managed workspace: which origins it accepts, and what runs for them. */
export async function registerAdmissions(
  deps: { managed: ManagedReleaseStore; repositories?: Repositories },
  workspace: string,
  source: Source,
  audit?: AuditHook<StoredAdmission>,
): Promise<{ items: StoredAdmission[]; created: boolean }> {
  const { files, origin, where } = await filesOf(source, deps.repositories);
  const manifests = load(files, where);
  const admissions = manifests.filter((m): m is ReleasePlanAdmissionManifest => m.kind === 'ReleasePlanAdmission');
  if (admissions.length === 0) throw new InputError(`${where} holds no ReleasePlanAdmission (it holds ${describeKinds(manifests)})`);
  const items: StoredAdmission[] = [];
  let created = false;
  await deps.managed.transact(async (managed, tx) => {
    for (const admission of admissions) {
      const result = await managed.putAdmission({ workspace, name: admission.metadata.name, spec: admission.spec, version: versionOf(admission), source: origin });
      created ||= result.created;
      items.push(result.item);
      await audit?.(tx, result.item);
    }
  });
  return { items, created };
}

function describeKinds(manifests: Manifest[]): string {
  if (manifests.length === 0) return 'no manifest';
  const counts = new Map<string, number>();
  for (const m of manifests) counts.set(m.kind, (counts.get(m.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${n} ${kind}`).join(', ');
}
