// The dependency rules of ARCHITECTURE.md, checked on every test run so a violation fails the build.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';

type PackageName = 'contract' | 'core' | 'drivers' | 'router' | 'server' | 'cli' | 'web';

/** Which of our packages each package may import. */
const allowedPackages: Record<PackageName, PackageName[]> = {
  contract: [],
  core: ['contract'],
  drivers: ['core', 'contract'],
  router: ['core', 'contract'],
  server: ['contract', 'core', 'drivers', 'router'],
  // The CLI reaches the system over HTTP; its offline commands (validate, import, render) use core,
  // and `slipway server` / `slipway router` start those through their public entry points — only
  // those two files (cliStarters below).
  cli: ['contract', 'core', 'server', 'router'],
  web: ['contract'],
};

/** Packages that must not touch Node's I/O: contract is browser-safe, core is pure domain logic. */
const noNodeBuiltins: PackageName[] = ['contract', 'core', 'web'];

export interface SourceFile {
  pkg: PackageName;
  path: string;
  text: string;
}

const importPattern = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

export function importsOf(text: string): string[] {
  return [...text.matchAll(importPattern)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]!);
}

/** The only CLI files that may import server or router: the commands that start them. */
const cliStarters: Partial<Record<PackageName, string>> = { server: 'packages/cli/src/commands/server.ts', router: 'packages/cli/src/commands/router.ts' };

/** Every import that breaks the rules, as "file: reason". */
export function dependencyViolations(files: SourceFile[], root: string): string[] {
  const violations: string[] = [];
  for (const file of files) {
    for (const spec of importsOf(file.text)) {
      const where = `${relative(root, file.path)} imports "${spec}"`;
      const ours = /^@slipway\/([^/]+)(\/.*)?$/.exec(spec);
      if (ours) {
        const target = ours[1] as PackageName;
        if (ours[2]) violations.push(`${where}: import the package's public entry point @slipway/${target}, not a file inside it`);
        else if (target !== file.pkg && !allowedPackages[file.pkg].includes(target)) {
          violations.push(`${where}: ${file.pkg} may import only ${allowedPackages[file.pkg].join(', ') || 'no package of ours'}`);
        } else if (file.pkg === 'cli' && cliStarters[target] && relative(root, file.path) !== cliStarters[target]) {
          violations.push(`${where}: the CLI talks to the ${target} over HTTP; only ${cliStarters[target]} (which starts it) imports it — move what you need into the CLI or the contract`);
        }
      } else if (spec.startsWith('.')) {
        const target = resolve(dirname(file.path), spec);
        const packageRoot = join(root, 'packages', file.pkg);
        if (!target.startsWith(packageRoot)) violations.push(`${where}: a relative import leaves the ${file.pkg} package; import the other package by name`);
      } else if (noNodeBuiltins.includes(file.pkg) && (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!))) {
        violations.push(`${where}: ${file.pkg} must not use Node's I/O modules; declare a port and implement it in server or drivers`);
      }
    }
  }
  return violations;
}

function sourceFiles(root: string): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (pkg: PackageName, dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        // test-support/ holds test code (e.g. the portal's end-to-end harness starts a real server): like *.test.ts, it is not the package's code.
        if (entry.name !== 'node_modules' && entry.name !== 'dist' && entry.name !== 'test-support') walk(pkg, full);
      } else if (/\.(ts|tsx|js|mjs)$/.test(entry.name) && !/\.test\.(ts|tsx)$/.test(entry.name)) {
        files.push({ pkg, path: full, text: readFileSync(full, 'utf8') });
      }
    }
  };
  for (const pkg of Object.keys(allowedPackages) as PackageName[]) walk(pkg, join(root, 'packages', pkg, 'src'));
  return files;
}

const kyselyImport = /(?:from\s*|import\(\s*|import\s+)['"]kysely['"]/;
const sqlBuilder = /\.(?:selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\(|\bsql`|\.schema\.(?:createTable|alterTable|dropTable)/;
const leaseVerb = /\bleases\??\.(?:take|renew|release|fenced|acquire)\(|\bLeases\.check\(/i;

/**
 * Files that break a rule inside a package for now, each with who removes it (none left: the engine
 * split moved the workflow engine's last SQL into store/).
 */
const temporaryExceptions: Record<string, string[]> = {};

/**
 * Rules inside packages: only the server's store/ imports kysely or runs SQL (everything else holds
 * the store's `Db` handle and calls store modules); only the server's worker/ (and store/leases.ts,
 * which implements them) takes, renews, releases or checks leases.
 */
export function layerViolations(files: SourceFile[], root: string): string[] {
  const violations: string[] = [];
  for (const file of files) {
    if (file.pkg !== 'server') continue;
    const path = relative(root, file.path);
    const allowed = temporaryExceptions[path] ?? [];
    const inStore = path.startsWith('packages/server/src/store/');
    if (!inStore && !allowed.includes('kysely') && kyselyImport.test(file.text)) {
      violations.push(`${path} imports kysely: only packages/server/src/store/ does; hold the store's handle as \`Db\` (store/database-schema.ts) and call a store module`);
    }
    if (!inStore && !allowed.includes('sql') && sqlBuilder.test(file.text)) {
      violations.push(`${path} runs SQL (${sqlBuilder.exec(file.text)![0]}): move the query into a module of packages/server/src/store/`);
    }
    if (!inStore && !path.startsWith('packages/server/src/worker/') && leaseVerb.test(file.text)) {
      violations.push(`${path} handles a lease itself (${leaseVerb.exec(file.text)![0]}): only the keyed worker (packages/server/src/worker/) takes leases; run the work as a reconcile on it and write through context.fenced or worker.fence`);
    }
  }
  return violations;
}

describe('dependency rules of ARCHITECTURE.md', () => {
  const root = dirname(new URL(import.meta.url).pathname);

  it('hold for every source file', () => {
    const files = sourceFiles(root);
    expect(files.length).toBeGreaterThan(10);
    expect(dependencyViolations(files, root)).toEqual([]);
  });

  it('keep SQL in the server\'s store and leases in its worker', () => {
    expect(layerViolations(sourceFiles(root), root)).toEqual([]);
  });

  it('catch SQL, kysely and leases outside their modules', () => {
    const file = (path: string, text: string): SourceFile => ({ pkg: 'server', path: join(root, 'packages/server/src', path), text });
    expect(
      layerViolations(
        [
          file('releases/x.ts', "import type { Kysely } from 'kysely';"),
          file('releases/y.ts', "const rows = await db\n  .selectFrom('deploys').selectAll().execute();"),
          file('sources/z.ts', 'const token = await this.options.leases.take(name, 30_000);'),
          file('store/fine.ts', "import { sql } from 'kysely'; await sql`SELECT 1`.execute(db); await db.selectFrom('leases');"),
          file('worker/fine.ts', 'await lease.leases.renew(token, ttl); await Leases.check(tx, token);'),
        ],
        root,
      ),
    ).toEqual([
      "packages/server/src/releases/x.ts imports kysely: only packages/server/src/store/ does; hold the store's handle as `Db` (store/database-schema.ts) and call a store module",
      'packages/server/src/releases/y.ts runs SQL (.selectFrom(): move the query into a module of packages/server/src/store/',
      'packages/server/src/sources/z.ts handles a lease itself (leases.take(): only the keyed worker (packages/server/src/worker/) takes leases; run the work as a reconcile on it and write through context.fenced or worker.fence',
    ]);
  });

  it('catch each kind of violation', () => {
    const file = (pkg: PackageName, text: string): SourceFile => ({ pkg, path: join(root, 'packages', pkg, 'src', 'x.ts'), text });
    expect(
      dependencyViolations(
        [
          file('core', "import { readFileSync } from 'node:fs';"),
          file('core', "import { spawn } from 'child_process';"),
          file('core', "import { x } from '@slipway/server';"),
          file('contract', "export * from '@slipway/core';"),
          file('web', "const m = await import('@slipway/core');"),
          file('cli', "import { x } from '@slipway/core/src/render/render-environment.ts';"),
          file('cli', "import { x } from '../../server/src/index.ts';"),
          file('cli', "const { writeCliConfig } = await import('@slipway/server');"),
          file('server', "import { x } from '@slipway/drivers'; import fs from 'node:fs';"),
        ],
        root,
      ),
    ).toEqual([
      "packages/core/src/x.ts imports \"node:fs\": core must not use Node's I/O modules; declare a port and implement it in server or drivers",
      "packages/core/src/x.ts imports \"child_process\": core must not use Node's I/O modules; declare a port and implement it in server or drivers",
      'packages/core/src/x.ts imports "@slipway/server": core may import only contract',
      'packages/contract/src/x.ts imports "@slipway/core": contract may import only no package of ours',
      'packages/web/src/x.ts imports "@slipway/core": web may import only contract',
      'packages/cli/src/x.ts imports "@slipway/core/src/render/render-environment.ts": import the package\'s public entry point @slipway/core, not a file inside it',
      'packages/cli/src/x.ts imports "../../server/src/index.ts": a relative import leaves the cli package; import the other package by name',
      'packages/cli/src/x.ts imports "@slipway/server": the CLI talks to the server over HTTP; only packages/cli/src/commands/server.ts (which starts it) imports it — move what you need into the CLI or the contract',
    ]);
  });
});
