import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type LogEvent } from 'kysely';
import pg from 'pg';
import type { Database } from './database-schema.ts';
import { migrationProvider, type SqlDialect } from './migrations.ts';

export interface StoreDatabase {
  db: Kysely<Database>;
  dialect: SqlDialect;
  /** Queries the database refused or failed since the store opened, by statement (select, insert, …): the server's /metrics. */
  queryErrors(): ReadonlyMap<QueryOperation, number>;
  close(): Promise<void>;
}

export type QueryOperation = 'select' | 'insert' | 'update' | 'delete' | 'transaction' | 'other';

const operations = new Set<QueryOperation>(['select', 'insert', 'update', 'delete']);

/** What a statement does, from its first word: a bounded label, never the SQL itself (which may hold values). */
export function queryOperation(sqlText: string): QueryOperation {
  const word = /^\s*\(?\s*([a-z]+)/i.exec(sqlText)?.[1]?.toLowerCase() ?? '';
  if (operations.has(word as QueryOperation)) return word as QueryOperation;
  if (word === 'with') return /\b(insert|update|delete)\b/i.exec(sqlText)?.[1]?.toLowerCase() as QueryOperation | undefined ?? 'select';
  if (['begin', 'commit', 'rollback', 'savepoint', 'release', 'start'].includes(word)) return 'transaction';
  return 'other';
}

export type DatabaseLocation = { sqlitePath: string } | { databaseUrl: string };

/**
 * Opens the store — SQLite at a path (the embedded default) or PostgreSQL at a URL — and brings its
 * schema up to date. Several servers may share one PostgreSQL; migrations then run under its lock.
 */
export async function openDatabase(location: DatabaseLocation): Promise<StoreDatabase> {
  let db: Kysely<Database>;
  let dialect: SqlDialect;
  const errors = new Map<QueryOperation, number>();
  // Kysely calls this for every query; only failures are counted (a map update), nothing is logged here.
  const log = (event: LogEvent): void => {
    if (event.level !== 'error') return;
    const operation = queryOperation(event.query.sql);
    errors.set(operation, (errors.get(operation) ?? 0) + 1);
  };
  if ('databaseUrl' in location) {
    dialect = 'postgres';
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: location.databaseUrl, max: 10 }) }), log });
  } else {
    dialect = 'sqlite';
    if (location.sqlitePath !== ':memory:') mkdirSync(dirname(location.sqlitePath), { recursive: true });
    const sqlite = new BetterSqlite3(location.sqlitePath);
    // WAL lets readers proceed during a write; a busy timeout rides out another process's write.
    sqlite.pragma('journal_mode = WAL');
    // With WAL, NORMAL syncs at checkpoints rather than at every commit: a commit survives the
    // server's own death (SIGKILL included: it is in the WAL file, which the next open replays);
    // only a power cut or kernel crash may take back the last commits, never corrupting the
    // database — the durability the local runtime's own state files have. FULL's fsync per commit
    // blocked the event loop for every task's state (about 0.2 ms each, much more on a busy disk).
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), log });
  }
  // Unordered: migrations written on parallel branches may land in any order; each runs once.
  const migrator = new Migrator({ db, provider: migrationProvider(dialect), allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`cannot bring the ${dialect} store up to date${failed ? ` (migration ${failed})` : ''}: ${(error as Error).message}`);
  }
  return { db, dialect, queryErrors: () => errors, close: () => db.destroy() };
}

/** Whether the store answers a query (the server's readiness check): throws its error when not. */
export async function checkDatabase(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}
