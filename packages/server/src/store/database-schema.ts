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
  environments: EnvironmentsTable;
  deploys: DeploysTable;
  deploy_tasks: DeployTasksTable;
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

export interface EnvironmentsTable {
  id: string;
  workspace: string;
  application_id: string;
  /** Application name, kept beside its id for routes and ownership labels. */
  app: string;
  /** Id used in hostnames (pr-42, main); unique among a workspace's live environments. */
  env_id: string;
  kind: 'ephemeral' | 'permanent';
  branch: string;
  /** Commit the environment runs (or is being deployed to). */
  commit_sha: string | null;
  template: string | null;
  /** The template version this environment was created with: its fork of the application. */
  template_version: string;
  /** Variables of this environment only (`envs config-set`), JSON object. */
  variables_json: string;
  urls_json: string;
  status: string;
  reason: string | null;
  ttl_ms: number | null;
  expires_at: string | null;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface DeploysTable {
  id: string;
  environment_id: string;
  /** Order within the environment: one deploy runs at a time, lowest seq first. */
  seq: number;
  workflow: 'setup' | 'patch' | 'teardown';
  state: string;
  outcome: string | null;
  reason: string | null;
  commit_sha: string | null;
  /** The RenderedEnvironment this deploy acts on, fixed when it was queued. */
  rendered_json: string;
  /** What prepareSource returned (resolved commit, static roots), once it ran. */
  source_json: string | null;
  requested_by: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface DeployTasksTable {
  deploy_id: string;
  /** taskKey() of core's workflow planner, or "source". */
  key: string;
  step: number;
  state: string;
  reason: string | null;
  log_tail: string | null;
  started_at: string | null;
  finished_at: string | null;
}
