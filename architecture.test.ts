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

describe('dependency rules of ARCHITECTURE.md', () => {
  const root = dirname(new URL(import.meta.url).pathname);

  it('hold for every source file', () => {
    const files = sourceFiles(root);
    expect(files.length).toBeGreaterThan(10);
    expect(dependencyViolations(files, root)).toEqual([]);
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
