import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ApplicationManifest } from '@slipway/contract';
import type { Database } from './database-schema.ts';
import type { AuditHook } from './audit-ledger.ts';
import { transact } from './transact.ts';
import { keysetPage, type KeysetPage, type PageRequest } from './keyset-page.ts';

export interface StoredApplication {
  id: string;
  workspace: string;
  name: string;
  repositoryUrl?: string;
  trackingBranch?: string;
  currentVersion: string;
}

/** The content hash of a manifest: keys sorted, so formatting and key order do not matter. */
export function templateVersionOf(manifest: ApplicationManifest): string {
  return createHash('sha256').update(canonicalJson(manifest)).digest('hex').slice(0, 16);
}

/**
 * Registers an application's manifest: creates the application, or adds a template version to it.
 * Versions are immutable and content-addressed, so registering the same manifest again adds nothing.
 */
export async function putApplication(
  db: Kysely<Database>,
  input: { workspace: string; manifest: ApplicationManifest; source: string; repositoryUrl?: string; now?: Date; audit?: AuditHook<RegisteredApplication> },
): Promise<RegisteredApplication> {
  const now = (input.now ?? new Date()).toISOString();
  const version = templateVersionOf(input.manifest);
  const name = input.manifest.metadata.name;
  return transact(db, async (tx) => {
    const existing = await tx.selectFrom('applications').selectAll().where('workspace', '=', input.workspace).where('name', '=', name).executeTakeFirst();
    const id = existing?.id ?? randomUUID();
    const trackingBranch = input.manifest.spec.repository?.trackingBranch ?? null;
    const repositoryUrl = input.repositoryUrl ?? input.manifest.spec.repository?.url ?? null;
    if (existing) {
      await tx.updateTable('applications').set({ current_version: version, tracking_branch: trackingBranch, repository_url: repositoryUrl, updated_at: now }).where('id', '=', id).execute();
    } else {
      await tx
        .insertInto('applications')
        .values({ id, workspace: input.workspace, name, repository_url: repositoryUrl, tracking_branch: trackingBranch, current_version: version, created_at: now, updated_at: now })
        .execute();
    }
    const known = await tx.selectFrom('template_versions').select('version').where('application_id', '=', id).where('version', '=', version).executeTakeFirst();
    if (!known) {
      await tx.insertInto('template_versions').values({ application_id: id, version, manifest_json: JSON.stringify(input.manifest), source: input.source, created_at: now }).execute();
    }
    const registered = {
      application: { id, workspace: input.workspace, name, currentVersion: version, ...(repositoryUrl ? { repositoryUrl } : {}), ...(trackingBranch ? { trackingBranch } : {}) },
      version,
      created: !existing,
      // Something changed: a new application, or another current version.
      changed: !existing || existing.current_version !== version,
    };
    // A registration that changes nothing is no event for the ledger.
    if (registered.changed) await input.audit?.(tx, registered);
    return registered;
  });
}

export interface RegisteredApplication {
  application: StoredApplication;
  version: string;
  created: boolean;
  changed: boolean;
}

export async function listApplications(db: Kysely<Database>, workspace: string): Promise<StoredApplication[]> {
  const rows = await db.selectFrom('applications').selectAll().where('workspace', '=', workspace).orderBy('name').execute();
  return rows.map(toApplication);
}

/** One page of the workspace's applications, by name. */
export async function pageApplications(db: Kysely<Database>, workspace: string, page: PageRequest): Promise<KeysetPage<StoredApplication>> {
  const found = await keysetPage(db.selectFrom('applications').selectAll().where('workspace', '=', workspace), { columns: ['name'], direction: 'asc', keyOf: (row) => [row.name] }, page);
  return { ...found, items: found.items.map(toApplication) };
}

export async function getApplication(db: Kysely<Database>, workspace: string, name: string): Promise<StoredApplication | undefined> {
  const row = await db.selectFrom('applications').selectAll().where('workspace', '=', workspace).where('name', '=', name).executeTakeFirst();
  return row ? toApplication(row) : undefined;
}

/** The git repository an application is registered from, undefined when it has none. */
export async function repositoryUrlOf(db: Kysely<Database>, applicationId: string): Promise<string | undefined> {
  const row = await db.selectFrom('applications').select('repository_url').where('id', '=', applicationId).executeTakeFirst();
  return row?.repository_url ?? undefined;
}

/** One template version's manifest, exactly as registered. */
export async function getTemplateVersion(db: Kysely<Database>, applicationId: string, version: string): Promise<ApplicationManifest | undefined> {
  const row = await db.selectFrom('template_versions').select('manifest_json').where('application_id', '=', applicationId).where('version', '=', version).executeTakeFirst();
  return row ? (JSON.parse(row.manifest_json) as ApplicationManifest) : undefined;
}

/** Versions of an application, oldest first. */
export async function listTemplateVersions(db: Kysely<Database>, applicationId: string): Promise<{ version: string; source: string; createdAt: string }[]> {
  const rows = await db.selectFrom('template_versions').select(['version', 'source', 'created_at']).where('application_id', '=', applicationId).orderBy('seq').execute();
  return rows.map((r) => ({ version: r.version, source: r.source, createdAt: r.created_at }));
}

function toApplication(row: Database['applications'] extends infer T ? { [K in keyof T]: T[K] } : never): StoredApplication {
  return {
    id: row.id,
    workspace: row.workspace,
    name: row.name,
    currentVersion: row.current_version,
    ...(row.repository_url ? { repositoryUrl: row.repository_url } : {}),
    ...(row.tracking_branch ? { trackingBranch: row.tracking_branch } : {}),
  };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Stores a manifest as a template version of an existing application without making it current:
 * the manifest a branch carries, which its environments run.
 */
export async function addTemplateVersion(db: Kysely<Database>, applicationId: string, manifest: ApplicationManifest, source: string, now = new Date()): Promise<string> {
  const version = templateVersionOf(manifest);
  await db
    .insertInto('template_versions')
    .values({ application_id: applicationId, version, manifest_json: JSON.stringify(manifest), source, created_at: now.toISOString() })
    .onConflict((oc) => oc.columns(['application_id', 'version']).doNothing())
    .execute();
  return version;
}
