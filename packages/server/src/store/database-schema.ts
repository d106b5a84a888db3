import type { Generated, Kysely } from 'kysely';

/**
 * The tables of the control plane's store, the same on SQLite and PostgreSQL. Times are ISO-8601
 * text (sortable, and read back the same by both drivers); JSON documents are text.
 */
/**
 * The store's database handle (a Kysely over the schema below), or a transaction of it. Code outside
 * store/ holds and passes it by this name; only store/ imports kysely and runs SQL (architecture.test.ts).
 */
export type Db = Kysely<Database>;

export interface Database {
  api_tokens: ApiTokensTable;
  applications: ApplicationsTable;
  datasets: DatasetsTable;
  dataset_clones: DatasetClonesTable;
  template_versions: TemplateVersionsTable;
  secrets: SecretsTable;
  leases: LeasesTable;
  environments: EnvironmentsTable;
  environment_protections: EnvironmentProtectionsTable;
  deploys: DeploysTable;
  deploy_tasks: DeployTasksTable;
  preview_links: PreviewLinksTable;
  pull_request_comments: PullRequestCommentsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  source_heads: SourceHeadsTable;
  workspaces: WorkspacesTable;
  users: UsersTable;
  memberships: MembershipsTable;
  approver_roles: ApproverRolesTable;
  audit_entries: AuditEntriesTable;
  audit_head: AuditHeadTable;
  application_sets: ApplicationSetsTable;
  release_tracks: ReleaseTracksTable;
  snapshots: SnapshotsTable;
  releases: ReleasesTable;
  release_stages: ReleaseStagesTable;
  release_decisions: ReleaseDecisionsTable;
  release_transitions: ReleaseTransitionsTable;
  release_holds: ReleaseHoldsTable;
  release_plans: ReleasePlansTable;
  release_plan_admissions: ReleasePlanAdmissionsTable;
  managed_releases: ManagedReleasesTable;
  managed_release_transitions: ManagedReleaseTransitionsTable;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  /** SHA-256 of the token: the token itself is shown once and never stored. */
  token_hash: string;
  workspace: string;
  /** The most the token may do; it acts with the lower of this and its user's role in the workspace. */
  role: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** Whose token it is (set for every token since migration 0005). */
  user_id: string | null;
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
  /** Grows each time the lease changes hands, or is taken again after it ran out: the fencing token (migration 0013). */
  epoch: Generated<number>;
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
  /** Last deploy or request routed to it. */
  last_activity_at: string | null;
  idle_timeout_ms: number | null;
  /** 1 when its pause lets the first request wake it (environments/pause.ts); null or 0 otherwise. */
  wake_on_request: number | null;
  /** Environment (row id) whose App Imports brought this one up. */
  parent_id: string | null;
  /** 1 when made for the parent (torn down with it); 0 when it existed before. */
  owned_by_parent: number | null;
  /** Services left out of it by the App Import that made it (excludeServices), JSON array; null for none. */
  excluded_services_json: string | null;
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
  /** What `rendered_json` was rendered from (template version, variables), JSON; null for deploys before 0010. */
  render_inputs_json: string | null;
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

/** The one comment of a pull request per application: previews' part and pre-releases' part. */
/** An environment id an admin marked protected by hand: it changes only through releases (or break-glass). */
export interface EnvironmentProtectionsTable {
  workspace: string;
  env_id: string;
  marked_by: string;
  reason: string;
  marked_at: string;
}

export interface PullRequestCommentsTable {
  application_id: string;
  provider: string;
  repository: string;
  pull_request: number;
  comment_id: string | null;
  preview_body: string | null;
  pre_release_body: string | null;
  updated_at: string;
}

export interface PreviewLinksTable {
  id: string;
  application_id: string;
  workspace: string;
  app: string;
  /** github | git (polling). */
  provider: string;
  /** GitHub's owner/name (lowercase), or the polled repository's URL. */
  repository: string;
  /** pr:<number> or branch:<name>: what the environment stands for. */
  source_key: string;
  pull_request: number | null;
  /** The pull request's head branch, or the branch itself. */
  branch: string;
  env_id: string;
  /** The environments row of the current environment (ids are reused after a teardown). */
  environment_id: string | null;
  head_sha: string | null;
  /** The one pull request comment listing the environment's URLs, edited in place. */
  comment_id: string | null;
  /** open while the pull request or branch lives; closed after its teardown. */
  state: 'open' | 'closed';
  created_at: string;
  updated_at: string;
}

export interface WebhookDeliveriesTable {
  provider: string;
  delivery_id: string;
  /** The provider-neutral SourceEvent the payload became. */
  event_json: string;
  /** received (not handled yet) | done | failed */
  state: string;
  result: string | null;
  received_at: string;
  finished_at: string | null;
}

export interface SourceHeadsTable {
  application_id: string;
  branch: string;
  sha: string;
  seen_at: string;
}

export interface WorkspacesTable {
  name: string;
  created_at: string;
  created_by: string | null;
}

export interface UsersTable {
  id: string;
  name: string;
  created_at: string;
  created_by: string | null;
}

/** A user's built-in role in one workspace; without a row the user has no access there. */
export interface MembershipsTable {
  workspace: string;
  user_id: string;
  /** viewer | developer | release-manager | admin */
  role: string;
  created_at: string;
  updated_at: string;
}

/** Approver roles a release track names (qa, security), held per workspace. */
export interface ApproverRolesTable {
  workspace: string;
  user_id: string;
  role: string;
  created_at: string;
}

/** Append-only; each entry's hash covers its fields and the hash of the entry before (store/audit-ledger.ts). */
export interface AuditEntriesTable {
  seq: number;
  at: string;
  workspace: string;
  actor: string;
  kind: string;
  subject: string;
  /** Canonical JSON (sorted keys), hashed exactly as stored. */
  details_json: string;
  prev_hash: string;
  hash: string;
}

/** One row (id 1): the last seq and hash. Appends lock it, so they form one chain in order. */
export interface AuditHeadTable {
  id: number;
  last_seq: number;
  last_hash: string;
}

// Releases (migration 0006-releases; docs/releases.md).

export interface ApplicationSetsTable {
  workspace: string;
  name: string;
  /** Members: the applications it lists, and those of its bundle naming it as parent (JSON array). */
  applications_json: string;
  release_track: string | null;
  manifest_json: string;
  /** Content hash of the manifest. */
  version: string;
  /** The commit it was read at, or "api". */
  source: string;
  created_at: string;
  updated_at: string;
}

export interface ReleaseTracksTable {
  workspace: string;
  name: string;
  application_set: string | null;
  /** The ReleaseTrack's spec (JSON): stages and gates. A release keeps its own copy of the stages it follows. */
  spec_json: string;
  version: string;
  source: string;
  created_at: string;
  updated_at: string;
}

export interface SnapshotsTable {
  /** Content hash of workspace, set, kind and components: the same versions are the same snapshot. */
  id: string;
  workspace: string;
  /** 2026.11.23-1: unique in the workspace. */
  alias: string;
  set_name: string;
  kind: 'release' | 'pre-release';
  /** SnapshotComponent[] (JSON). */
  components_json: string;
  created_by: string;
  created_at: string;
}

export interface ReleasesTable {
  id: string;
  workspace: string;
  /** Release #n of the workspace. */
  number: number;
  kind: 'release' | 'hotfix' | 'pre-release' | 'rollback';
  track: string;
  set_name: string;
  snapshot_id: string;
  /** Who created it: never an approver of it, unless the track allows. */
  author: string;
  /** A ReleaseState: of the current stage while it moves, then how it ended. */
  state: string;
  reason: string | null;
  current_stage: number | null;
  /** The ReleaseStage[] it follows, fixed when it was created (JSON). */
  stages_json: string;
  /** A rollback: the release it rolled back. */
  rollback_of: string | null;
  /** A pre-release: the commit status last reported for it, or recorded when no provider applies (JSON; migration 0009). */
  commit_status_json: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface ReleaseStagesTable {
  release_id: string;
  idx: number;
  name: string;
  environments_json: string;
  state: string;
  /** Why it ended, or what it waits for. */
  reason: string | null;
  /** When the release asked to enter it: the order of the environments' queue. */
  queued_at: string;
  entered_at: string | null;
  /** When every deploy of the stage had succeeded (soak counts from here). */
  deployed_at: string | null;
  finished_at: string | null;
  /** ReleaseTarget[]: application × environment, with the deploy (JSON). */
  targets_json: string;
  /** ReleaseTestRun[]: the gate's test jobs (JSON). */
  tests_json: string;
  updated_at: string;
}

export interface ReleaseDecisionsTable {
  id: string;
  release_id: string;
  stage_idx: number;
  user_name: string;
  decision: 'approve' | 'reject' | 'promote';
  /** The approver roles the user held when deciding (JSON array). */
  roles_json: string;
  comment: string | null;
  created_at: string;
}

export interface ReleaseTransitionsTable {
  seq: Generated<number>;
  release_id: string;
  /** null: the release as a whole. */
  stage_idx: number | null;
  from_state: string | null;
  to_state: string;
  actor: string;
  reason: string;
  at: string;
}

export interface ReleaseHoldsTable {
  workspace: string;
  set_name: string;
  environment: string;
  /** The rollback release that set it. */
  release_id: string | null;
  actor: string;
  reason: string;
  created_at: string;
}

// Managed releases (migration 0008-managed-releases; docs/releases.md#managed-workspaces).

/** A ReleasePlan of a development workspace: what it releases, into which managed workspace. */
export interface ReleasePlansTable {
  workspace: string;
  name: string;
  spec_json: string;
  version: string;
  source: string;
  created_at: string;
  updated_at: string;
}

/** A ReleasePlanAdmission of a managed workspace: the origins it accepts, its workflow, secrets and policy. */
export interface ReleasePlanAdmissionsTable {
  workspace: string;
  name: string;
  spec_json: string;
  version: string;
  source: string;
  created_at: string;
  updated_at: string;
}

export interface ManagedReleasesTable {
  id: string;
  origin_workspace: string;
  /** Managed release #n of the origin workspace. */
  number: number;
  plan: string;
  target_workspace: string;
  admission: string;
  /** The admission's spec as matched: later edits of it do not change a release under way. */
  admission_json: string;
  snapshot_id: string;
  /** Who released it; never changed. */
  author: string;
  state: string;
  reason: string | null;
  /** Admission over plan over release (JSON). */
  data_json: string;
  /** [{ rule, passed, message }] */
  policy_json: string;
  /** [{ name, state, reason, logTail, startedAt, finishedAt }] */
  steps_json: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface ManagedReleaseTransitionsTable {
  seq: Generated<number>;
  managed_release_id: string;
  from_state: string | null;
  to_state: string;
  actor: string;
  reason: string;
  at: string;
}

export interface DatasetsTable {
  id: string;
  workspace: string;
  app: string;
  name: string;
  /** The dataset as the application's current manifest defines it (JSON). */
  definition_json: string;
  /** Hash of what makes the golden copy: source and transform. */
  definition_hash: string;
  /** pending | building | ready | failed */
  state: string;
  reason: string | null;
  /** Grows with each golden copy; clones of an older one are replaced when unattached. */
  generation: number;
  golden_database: string | null;
  /** The definition_hash the golden copy was made from. */
  golden_hash: string | null;
  golden_at: string | null;
  refresh_requested_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface DatasetClonesTable {
  id: string;
  dataset_id: string;
  database_name: string;
  role_name: string;
  /** The role's password, sealed with the server's secret key. */
  sealed_password: string;
  generation: number;
  /** creating | ready | attached */
  state: string;
  environment_id: string | null;
  created_at: string;
  attached_at: string | null;
}
