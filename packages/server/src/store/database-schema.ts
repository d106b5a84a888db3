import type { Generated } from 'kysely';

/**
 * The tables of the control plane's store, the same on SQLite and PostgreSQL. Times are ISO-8601
 * text (sortable, and read back the same by both drivers); JSON documents are text.
 */
export interface Database {
  api_tokens: ApiTokensTable;
  applications: ApplicationsTable;
  template_versions: TemplateVersionsTable;
  secrets: SecretsTable;
  leases: LeasesTable;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  /** SHA-256 of the token: the token itself is shown once and never stored. */
  token_hash: string;
  workspace: string;
  role: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ApplicationsTable {
  id: string;
  workspace: string;
  name: string;
  repository_url: string | null;
  tracking_branch: string | null;
  current_version: string;
  created_at: string;
  updated_at: string;
}

export interface TemplateVersionsTable {
  seq: Generated<number>;
  application_id: string;
  /** Content hash of the manifest: the same manifest registered twice is one version. */
  version: string;
  manifest_json: string;
  /** Where it came from: a commit sha, or "api" for a manifest posted to the API. */
  source: string;
  created_at: string;
}

export interface SecretsTable {
  workspace: string;
  name: string;
  /** AES-256-GCM sealed value; see secrets/secret-box.ts. */
  sealed: string;
  created_at: string;
  updated_at: string;
}

export interface LeasesTable {
  name: string;
  owner: string;
  expires_at: string;
}
