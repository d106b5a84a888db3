// Rules inside the server package (the rules between packages are the root architecture.test.ts's),
// checked on every test run so a violation fails the build.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Files outside store/ that still import kysely or build SQL. Branch `worker-rest` moves their SQL
 * into store/; each is removed from this list as it goes, and nothing may be added to it.
 */
const NOT_YET_IN_STORE = new Set([
  'applications/register-application.ts',
  'bootstrap-admin-token.ts',
  'environments/environment-service.ts',
  'environments/governance.ts',
  'http/api-context.ts',
  'http/audit-trail.ts',
  'http/authenticate.ts',
  'http/routes/audit.ts',
  'identity/identity-service.ts',
  'releases/managed-releases.ts',
  'releases/pre-release-status.ts',
  'releases/release-audit.ts',
  'releases/release-controller.ts',
  'releases/release-signals.ts',
  'releases/snapshot-images.ts',
  'releases/snapshot-service.ts',
  'releases/start-releases.ts',
  'sources/start-previews.ts',
  // Hands the store's transaction to Leases.check for fencing; no SQL of its own.
  'worker/keyed-worker.ts',
]);

const kyselyImport = /(?:import|export)\s[^'"]*?from\s*['"]kysely['"]|import\(\s*['"]kysely['"]\s*\)/;
const sqlBuilding = /\.(selectFrom|insertInto|updateTable|deleteFrom|replaceInto)\(|\bsql`/;

/** Why a file of the server package breaks "only store/ talks SQL", or undefined when it does not. */
export function sqlOutsideStore(path: string, text: string): string | undefined {
  if (path.startsWith('store/')) return undefined;
  if (kyselyImport.test(text)) return `${path} imports kysely: only store/ may; give the store a function for what it needs`;
  if (sqlBuilding.test(text)) return `${path} builds SQL: only store/ may; give the store a function for what it needs`;
  return undefined;
}

function serverSources(): { path: string; text: string }[] {
  const files: { path: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      // test-support/ is test code (it seeds stores in bulk), like *.test.ts.
      if (entry.isDirectory()) {
        if (entry.name !== 'test-support' && entry.name !== 'node_modules') walk(full);
      } else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) {
        files.push({ path: relative(root, full), text: readFileSync(full, 'utf8') });
      }
    }
  };
  walk(root);
  return files;
}

describe('inside the server package', () => {
  it('only store/ imports kysely or builds SQL', () => {
    const files = serverSources();
    expect(files.length).toBeGreaterThan(50);
    const violations = files.filter((f) => !NOT_YET_IN_STORE.has(f.path)).flatMap((f) => sqlOutsideStore(f.path, f.text) ?? []);
    expect(violations).toEqual([]);
  });

  it('lists no file as not yet in the store once it is (the list only shrinks)', () => {
    const stillOffending = new Set(serverSources().flatMap((f) => (sqlOutsideStore(f.path, f.text) ? [f.path] : [])));
    expect([...NOT_YET_IN_STORE].filter((path) => !stillOffending.has(path))).toEqual([]);
  });

  it('catches each kind of violation', () => {
    expect(sqlOutsideStore('workflows/x.ts', "import type { Kysely } from 'kysely';")).toMatch(/imports kysely/);
    expect(sqlOutsideStore('workflows/x.ts', "const { sql } = await import('kysely');")).toMatch(/imports kysely/);
    expect(sqlOutsideStore('workflows/x.ts', "await db.selectFrom('applications').selectAll().execute();")).toMatch(/builds SQL/);
    expect(sqlOutsideStore('workflows/x.ts', 'await sql`SELECT 1`.execute(db);')).toMatch(/builds SQL/);
    expect(sqlOutsideStore('store/x.ts', "import type { Kysely } from 'kysely'; db.selectFrom('x');")).toBeUndefined();
    expect(sqlOutsideStore('workflows/x.ts', "import { planWorkflow } from '@slipway/core';")).toBeUndefined();
  });
});
