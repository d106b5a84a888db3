import type { Kysely, Migration, MigrationProvider } from 'kysely';

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
  };
}

export function migrationProvider(dialect: SqlDialect): MigrationProvider {
  return { getMigrations: async () => migrationsFor(dialect) };
}
