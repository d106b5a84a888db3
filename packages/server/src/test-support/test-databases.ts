import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseLocation } from '../store/open-database.ts';

export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  /** Why the database is not available here, when it is not. */
  skip?: string;
  create(): Promise<{ location: DatabaseLocation; dispose(): Promise<void> }>;
}

/**
 * The databases store tests run against: SQLite always; PostgreSQL when SLIPWAY_TEST_DATABASE_URL
 * names a server where a fresh database can be created per test (CI installs one).
 */
export function testDatabases(): TestDatabase[] {
  const adminUrl = process.env.SLIPWAY_TEST_DATABASE_URL;
  return [
    {
      name: 'sqlite',
      async create() {
        const dir = mkdtempSync(join(tmpdir(), 'slipway-store-'));
        return { location: { sqlitePath: join(dir, 'slipway.db') }, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
      },
    },
    {
      name: 'postgres',
      ...(adminUrl ? {} : { skip: 'SLIPWAY_TEST_DATABASE_URL is not set (CI sets it after installing PostgreSQL)' }),
      async create() {
        const { databaseUrl, dispose } = await createPostgresDatabase(adminUrl!);
        return { location: { databaseUrl }, dispose };
      },
    },
  ];
}

/** A fresh database on the PostgreSQL that `adminUrl` reaches (as a user who may create databases): its URL, and a dispose that drops it. */
export async function createPostgresDatabase(adminUrl: string, prefix = 'slipway_test'): Promise<{ databaseUrl: string; dispose(): Promise<void> }> {
  const database = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return {
    databaseUrl: url.toString(),
    dispose: async () => {
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      // A closed pool's connections end a moment after it says so: FORCE would kill those still
      // closing, and their clients would throw "terminating connection" into the next test.
      for (let tries = 0; tries < 40; tries++) {
        const open = await cleanup.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [database]);
        if (open.rows[0]?.n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await cleanup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
