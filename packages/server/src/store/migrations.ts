import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type SqlDialect = 'sqlite' | 'postgres';

/**
 * Schema migrations, written once for both SQLite and PostgreSQL: only types both understand (text,
 * integer), and every change as a new entry, never an edit of an applied one.
 */
export function migrationsFor(dialect: SqlDialect): Record<string, Migration> {
  return {
  '0001-initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema
        .createTable('applications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('repository_url', 'text')
        .addColumn('tracking_branch', 'text')
        .addColumn('current_version', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('applications_workspace_name', ['workspace', 'name'])
        .execute();
      await db.schema
        .createTable('template_versions')
        .addColumn('seq', 'integer', (c) => (dialect === 'postgres' ? c.generatedAlwaysAsIdentity().primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id').onDelete('cascade'))
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('manifest_json', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('template_versions_application_version', ['application_id', 'version'])
        .execute();
      await db.schema
        .createTable('secrets')
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('secrets_pk', ['workspace', 'name'])
        .execute();
      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['leases', 'secrets', 'template_versions', 'applications', 'api_tokens']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  },
  '0002-environments': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('environments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id').onDelete('cascade'))
        .addColumn('app', 'text', (c) => c.notNull())
        .addColumn('env_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('branch', 'text', (c) => c.notNull())
        .addColumn('commit_sha', 'text')
        .addColumn('template', 'text')
        .addColumn('template_version', 'text', (c) => c.notNull())
        .addColumn('variables_json', 'text', (c) => c.notNull())
        .addColumn('urls_json', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('ttl_ms', 'integer')
        .addColumn('expires_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('deleted_at', 'text')
        .execute();
      // An id names one live environment per workspace; deleted ones keep their rows for history.
      await db.schema
        .createIndex('environments_live_env_id')
        .on('environments')
        .columns(['workspace', 'env_id'])
        .unique()
        .where(sql.ref('deleted_at'), 'is', null)
        .execute();
      await db.schema
        .createTable('deploys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('workflow', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text')
        .addColumn('reason', 'text')
        .addColumn('commit_sha', 'text')
        .addColumn('rendered_json', 'text', (c) => c.notNull())
        .addColumn('source_json', 'text')
        .addColumn('requested_by', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addUniqueConstraint('deploys_environment_seq', ['environment_id', 'seq'])
        .execute();
      await db.schema.createIndex('deploys_state').on('deploys').columns(['state']).execute();
      await db.schema
        .createTable('deploy_tasks')
        .addColumn('deploy_id', 'text', (c) => c.notNull().references('deploys.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('step', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('log_tail', 'text')
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addPrimaryKeyConstraint('deploy_tasks_pk', ['deploy_id', 'key'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['deploy_tasks', 'deploys', 'environments']) await db.schema.dropTable(table).ifExists().execute();
    },
  },
  '0003-previews': {
    async up(db: Kysely<unknown>) {
      // Which pull request or branch each preview environment stands for, and its one PR comment.
      await db.schema
        .createTable('preview_links')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id').onDelete('cascade'))
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('app', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('repository', 'text', (c) => c.notNull())
        .addColumn('source_key', 'text', (c) => c.notNull())
        .addColumn('pull_request', 'integer')
        .addColumn('branch', 'text', (c) => c.notNull())
        .addColumn('env_id', 'text', (c) => c.notNull())
        .addColumn('environment_id', 'text')
        .addColumn('head_sha', 'text')
        .addColumn('comment_id', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('preview_links_source', ['application_id', 'provider', 'repository', 'source_key'])
        .execute();
      await db.schema.createIndex('preview_links_environment').on('preview_links').columns(['environment_id']).execute();
      // Webhook deliveries seen, so a redelivery changes nothing; the event waits here until handled.
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('delivery_id', 'text', (c) => c.notNull())
        .addColumn('event_json', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addPrimaryKeyConstraint('webhook_deliveries_pk', ['provider', 'delivery_id'])
        .execute();
      // Branch heads a polled repository had at the last look, so a restart neither repeats nor misses a change.
      await db.schema
        .createTable('source_heads')
        .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id').onDelete('cascade'))
        .addColumn('branch', 'text', (c) => c.notNull())
        .addColumn('sha', 'text', (c) => c.notNull())
        .addColumn('seen_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('source_heads_pk', ['application_id', 'branch'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['source_heads', 'webhook_deliveries', 'preview_links']) await db.schema.dropTable(table).ifExists().execute();
    },
  },
  '0004-environment-activity': {
    async up(db: Kysely<unknown>) {
      // Last deploy or routed request, for idle teardown and least-recently-used eviction.
      await db.schema.alterTable('environments').addColumn('last_activity_at', 'text').execute();
      await db.schema.alterTable('environments').addColumn('idle_timeout_ms', 'integer').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('environments').dropColumn('idle_timeout_ms').execute();
      await db.schema.alterTable('environments').dropColumn('last_activity_at').execute();
    },
  },
  '0006-releases': {
    async up(db: Kysely<unknown>) {
      // Registered ApplicationSets and ReleaseTracks (docs/releases.md); the manifest as read, and its members.
      await db.schema
        .createTable('application_sets')
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('applications_json', 'text', (c) => c.notNull())
        .addColumn('release_track', 'text')
        .addColumn('manifest_json', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('application_sets_pk', ['workspace', 'name'])
        .execute();
      await db.schema
        .createTable('release_tracks')
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('application_set', 'text')
        .addColumn('spec_json', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('release_tracks_pk', ['workspace', 'name'])
        .execute();
      // Immutable: a snapshot's id is the hash of its content, so a row is never updated.
      await db.schema
        .createTable('snapshots')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('set_name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('components_json', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('snapshots_workspace_alias', ['workspace', 'alias'])
        .execute();
      await db.schema
        .createTable('releases')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('track', 'text', (c) => c.notNull())
        .addColumn('set_name', 'text', (c) => c.notNull())
        .addColumn('snapshot_id', 'text', (c) => c.notNull().references('snapshots.id'))
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('current_stage', 'integer')
        .addColumn('stages_json', 'text', (c) => c.notNull())
        .addColumn('rollback_of', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addUniqueConstraint('releases_workspace_number', ['workspace', 'number'])
        .execute();
      await db.schema.createIndex('releases_state').on('releases').columns(['state']).execute();
      await db.schema
        .createTable('release_stages')
        .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id').onDelete('cascade'))
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('environments_json', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('queued_at', 'text', (c) => c.notNull())
        .addColumn('entered_at', 'text')
        .addColumn('deployed_at', 'text')
        .addColumn('finished_at', 'text')
        .addColumn('targets_json', 'text', (c) => c.notNull())
        .addColumn('tests_json', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('release_stages_pk', ['release_id', 'idx'])
        .execute();
      await db.schema.createIndex('release_stages_state').on('release_stages').columns(['state']).execute();
      // Approvals and rejections, as given: who, with which approver roles, when.
      await db.schema
        .createTable('release_decisions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id').onDelete('cascade'))
        .addColumn('stage_idx', 'integer', (c) => c.notNull())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('roles_json', 'text', (c) => c.notNull())
        .addColumn('comment', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('release_decisions_release').on('release_decisions').columns(['release_id', 'stage_idx']).execute();
      // Every move of a release or one of its stages: from, to, who, why, when. Append-only.
      await db.schema
        .createTable('release_transitions')
        .addColumn('seq', 'integer', (c) => (dialect === 'postgres' ? c.generatedAlwaysAsIdentity().primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('release_id', 'text', (c) => c.notNull().references('releases.id').onDelete('cascade'))
        .addColumn('stage_idx', 'integer')
        .addColumn('from_state', 'text')
        .addColumn('to_state', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('release_transitions_release').on('release_transitions').columns(['release_id']).execute();
      // After a rollback, a stage's environments take no automatic promotion until someone promotes deliberately.
      await db.schema
        .createTable('release_holds')
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('set_name', 'text', (c) => c.notNull())
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('release_id', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('release_holds_pk', ['workspace', 'set_name', 'environment'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['release_holds', 'release_transitions', 'release_decisions', 'release_stages', 'releases', 'snapshots', 'release_tracks', 'application_sets']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  },
  '0008-managed-releases': {
    async up(db: Kysely<unknown>) {
      // ReleasePlans (development workspace) and ReleasePlanAdmissions (managed workspace) as registered.
      for (const table of ['release_plans', 'release_plan_admissions']) {
        await db.schema
          .createTable(table)
          .addColumn('workspace', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('spec_json', 'text', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${table}_pk`, ['workspace', 'name'])
          .execute();
      }
      // A release of a snapshot into a managed workspace: the admission it matched, the merged data,
      // the policy verdicts and each workflow step, as the runner writes them before and after acting.
      await db.schema
        .createTable('managed_releases')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('origin_workspace', 'text', (c) => c.notNull())
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('plan', 'text', (c) => c.notNull())
        .addColumn('target_workspace', 'text', (c) => c.notNull())
        .addColumn('admission', 'text', (c) => c.notNull())
        .addColumn('admission_json', 'text', (c) => c.notNull())
        .addColumn('snapshot_id', 'text', (c) => c.notNull().references('snapshots.id'))
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('data_json', 'text', (c) => c.notNull())
        .addColumn('policy_json', 'text', (c) => c.notNull())
        .addColumn('steps_json', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addUniqueConstraint('managed_releases_origin_number', ['origin_workspace', 'number'])
        .execute();
      await db.schema.createIndex('managed_releases_target').on('managed_releases').columns(['target_workspace']).execute();
      await db.schema
        .createTable('managed_release_transitions')
        .addColumn('seq', 'integer', (c) => (dialect === 'postgres' ? c.generatedAlwaysAsIdentity().primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('managed_release_id', 'text', (c) => c.notNull().references('managed_releases.id').onDelete('cascade'))
        .addColumn('from_state', 'text')
        .addColumn('to_state', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['managed_release_transitions', 'managed_releases', 'release_plan_admissions', 'release_plans']) await db.schema.dropTable(table).ifExists().execute();
    },
  },
  '0005-identity-and-audit': {
    async up(db: Kysely<unknown>) {
      const now = new Date().toISOString();
      await db.schema
        .createTable('workspaces')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .execute();
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .execute();
      // A user's built-in role in a workspace: being a member at all is holding one.
      await db.schema
        .createTable('memberships')
        .addColumn('workspace', 'text', (c) => c.notNull().references('workspaces.name'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('memberships_pk', ['workspace', 'user_id'])
        .execute();
      await db.schema
        .createTable('approver_roles')
        .addColumn('workspace', 'text', (c) => c.notNull().references('workspaces.name'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('approver_roles_pk', ['workspace', 'user_id', 'role'])
        .execute();
      await db.schema.alterTable('api_tokens').addColumn('user_id', 'text', (c) => c.references('users.id')).execute();
      // Every workspace that data already names exists as a row.
      await sql`INSERT INTO workspaces (name, created_at) SELECT DISTINCT w.workspace, ${now} FROM (
        SELECT 'default' AS workspace UNION SELECT workspace FROM api_tokens UNION SELECT workspace FROM applications
        UNION SELECT workspace FROM environments UNION SELECT workspace FROM secrets) w`.execute(db);
      // Tokens made before users existed keep working: they become the admin user's, each keeping its
      // role as its ceiling, and the admin user holds the admin role where they act.
      const tokens = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM api_tokens`.execute(db);
      if (Number(tokens.rows[0]?.n ?? 0) > 0) {
        const adminId = randomUUID();
        await sql`INSERT INTO users (id, name, created_at) VALUES (${adminId}, 'admin', ${now})`.execute(db);
        await sql`UPDATE api_tokens SET user_id = ${adminId}`.execute(db);
        await sql`INSERT INTO memberships (workspace, user_id, role, created_at, updated_at) SELECT DISTINCT workspace, ${adminId}, 'admin', ${now}, ${now} FROM api_tokens`.execute(db);
      }
      // The audit ledger: entries chained by hash, and its head, the one row appends lock.
      await db.schema
        .createTable('audit_entries')
        .addColumn('seq', 'integer', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('details_json', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_entries_workspace_seq').on('audit_entries').columns(['workspace', 'seq']).execute();
      await db.schema.createIndex('audit_entries_workspace_kind_seq').on('audit_entries').columns(['workspace', 'kind', 'seq']).execute();
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('last_seq', 'integer', (c) => c.notNull())
        .addColumn('last_hash', 'text', (c) => c.notNull())
        .execute();
      await sql`INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, ${'0'.repeat(64)})`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['audit_head', 'audit_entries']) await db.schema.dropTable(table).ifExists().execute();
      await db.schema.alterTable('api_tokens').dropColumn('user_id').execute();
      for (const table of ['approver_roles', 'memberships', 'users', 'workspaces']) await db.schema.dropTable(table).ifExists().execute();
    },
  },
  '0007-app-imports': {
    async up(db: Kysely<unknown>) {
      // An environment brought up for another's App Imports: whose, and whether it was made for it
      // (then it goes when its parent goes) or existed before (then it stays).
      await db.schema.alterTable('environments').addColumn('parent_id', 'text').execute();
      await db.schema.alterTable('environments').addColumn('owned_by_parent', 'integer').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('environments').dropColumn('owned_by_parent').execute();
      await db.schema.alterTable('environments').dropColumn('parent_id').execute();
    },
  },
  '0009-release-commit-status': {
    async up(db: Kysely<unknown>) {
      // A pre-release's result as a commit status: what was sent to the source provider, or why nothing was.
      await db.schema.alterTable('releases').addColumn('commit_status_json', 'text').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('releases').dropColumn('commit_status_json').execute();
    },
  },
  '0010-app-import-renders': {
    async up(db: Kysely<unknown>) {
      // An App Import's excludeServices, kept with the imported environment so its patches honour them
      // (JSON array); and what each deploy was rendered from, so it renders again once its imports'
      // direct addresses are known (JSON: template version and variables).
      await db.schema.alterTable('environments').addColumn('excluded_services_json', 'text').execute();
      await db.schema.alterTable('deploys').addColumn('render_inputs_json', 'text').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('deploys').dropColumn('render_inputs_json').execute();
      await db.schema.alterTable('environments').dropColumn('excluded_services_json').execute();
    },
  },
  '0011-pull-request-comments': {
    async up(db: Kysely<unknown>) {
      // The one comment of a pull request per application, which previews and pre-releases share:
      // its id, and the latest text of each part, so either can edit it without erasing the other.
      await db.schema
        .createTable('pull_request_comments')
        .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id').onDelete('cascade'))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('repository', 'text', (c) => c.notNull())
        .addColumn('pull_request', 'integer', (c) => c.notNull())
        .addColumn('comment_id', 'text')
        .addColumn('preview_body', 'text')
        .addColumn('pre_release_body', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('pull_request_comments_pk', ['application_id', 'provider', 'repository', 'pull_request'])
        .execute();
      // Comments posted before: their ids move here, so the next edit keeps them.
      await sql`INSERT INTO pull_request_comments (application_id, provider, repository, pull_request, comment_id, updated_at)
        SELECT application_id, provider, repository, pull_request, comment_id, updated_at FROM preview_links
        WHERE pull_request IS NOT NULL AND comment_id IS NOT NULL`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('pull_request_comments').ifExists().execute();
    },
  },
  '0012-environment-protections': {
    async up(db: Kysely<unknown>) {
      // Environments an admin marked protected by id: the mark outlives the environment, so one
      // deleted by break-glass and created again is still protected.
      await db.schema
        .createTable('environment_protections')
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('env_id', 'text', (c) => c.notNull())
        .addColumn('marked_by', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('marked_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('environment_protections_pk', ['workspace', 'env_id'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('environment_protections').ifExists().execute();
    },
  },
  '0013-list-page-indexes': {
    async up(db: Kysely<unknown>) {
      // Every list is read a page at a time in one order (store/keyset-page.ts): an index per order
      // makes a page an index range scan, whatever its depth. Orders that a primary key or unique
      // constraint covers already (applications, releases, deploys, secrets, sets, tracks) need none.
      await db.schema
        .createIndex('environments_live_order')
        .on('environments')
        .columns(['workspace', 'app', 'env_id'])
        .where(sql.ref('deleted_at'), 'is', null)
        .execute();
      await db.schema.createIndex('preview_links_order').on('preview_links').columns(['workspace', 'app', 'env_id', 'id']).execute();
      await db.schema.createIndex('snapshots_order').on('snapshots').columns(['workspace', 'created_at', 'alias']).execute();
      await db.schema.createIndex('api_tokens_order').on('api_tokens').columns(['workspace', 'created_at', 'id']).execute();
      await db.schema.createIndex('managed_releases_origin_order').on('managed_releases').columns(['origin_workspace', 'created_at', 'id']).execute();
      await db.schema.createIndex('managed_releases_target_order').on('managed_releases').columns(['target_workspace', 'created_at', 'id']).execute();
    },
    async down(db: Kysely<unknown>) {
      for (const index of ['environments_live_order', 'preview_links_order', 'snapshots_order', 'api_tokens_order', 'managed_releases_origin_order', 'managed_releases_target_order']) {
        await db.schema.dropIndex(index).ifExists().execute();
      }
    },
  },
  '0014-lease-epochs': {
    async up(db: Kysely<unknown>) {
      // A lease's epoch grows each time it changes hands: the fencing token a holder shows with
      // each write (worker/keyed-worker.ts), so one that lost the lease cannot write any more.
      await db.schema.alterTable('leases').addColumn('epoch', 'integer', (c) => c.notNull().defaultTo(1)).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('leases').dropColumn('epoch').execute();
    },
  },
  '0015-dataset-pools': {
    async up(db: Kysely<unknown>) {
      // A dataset's pool (datasets/): its golden copy's generation and state, and its clones, each a
      // database and a role on the dataset server. A clone's row is written before its database is
      // made and removed after it is dropped, so the sweep can always find what a crash left.
      await db.schema
        .createTable('datasets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('app', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('definition_json', 'text', (c) => c.notNull())
        .addColumn('definition_hash', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('golden_database', 'text')
        .addColumn('golden_hash', 'text')
        .addColumn('golden_at', 'text')
        .addColumn('refresh_requested_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('datasets_workspace_app_name', ['workspace', 'app', 'name'])
        .execute();
      await db.schema
        .createTable('dataset_clones')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('dataset_id', 'text', (c) => c.notNull())
        .addColumn('database_name', 'text', (c) => c.notNull().unique())
        .addColumn('role_name', 'text', (c) => c.notNull())
        .addColumn('sealed_password', 'text', (c) => c.notNull())
        .addColumn('generation', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('environment_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('attached_at', 'text')
        .execute();
      await db.schema.createIndex('dataset_clones_pool').on('dataset_clones').columns(['dataset_id', 'state', 'generation']).execute();
      await db.schema.createIndex('dataset_clones_environment').on('dataset_clones').columns(['environment_id']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('dataset_clones').ifExists().execute();
      await db.schema.dropTable('datasets').ifExists().execute();
    },
  },
  '0016-environment-wake-on-request': {
    async up(db: Kysely<unknown>) {
      // Whether a paused environment's first request wakes it (environments/pause.ts).
      await db.schema.alterTable('environments').addColumn('wake_on_request', 'integer').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('environments').dropColumn('wake_on_request').execute();
    },
  },
  };
}

export function migrationProvider(dialect: SqlDialect): MigrationProvider {
  return { getMigrations: async () => migrationsFor(dialect) };
}
