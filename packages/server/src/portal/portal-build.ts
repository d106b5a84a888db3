import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The checkout's packages/ folder: the nearest one above this module that holds packages/web. Found
 * by walking up, because this module runs from its source (packages/server/src/portal) and from the
 * CLI's compiled bundle (packages/cli/dist) alike.
 */
function packagesDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'packages', 'web', 'package.json'))) return join(dir, 'packages');
    if (dirname(dir) === dir) throw new Error(`cannot find packages/web above ${fileURLToPath(import.meta.url)}: the portal is built from the checkout's sources`);
  }
}

/** packages/web: the portal's sources. The server reads them as files; it imports none of their code. */
export function webPackageDir(): string {
  return `${join(packagesDir(), 'web')}/`;
}
const contractSourceDir = () => `${join(packagesDir(), 'contract', 'src')}/`;

export interface PortalBuild {
  /** Folder holding index.html and assets/. */
  dir: string;
  /** Whether this call built it (false: an earlier build of the same sources was there). */
  built: boolean;
  ms: number;
}

/**
 * The portal's built files for the current sources. Builds live in packages/web/dist/<hash of the
 * sources>, so a fresh clone builds on its first start, an edit builds again, and every other start
 * (and every test server) reuses the build. A build goes to a temporary folder first and is renamed
 * into place, so servers starting side by side never see half a build.
 */
export async function ensurePortalBuild(options: { webDir?: string } = {}): Promise<PortalBuild> {
  const webDir = options.webDir ?? webPackageDir();
  const started = Date.now();
  const hash = sourceHash(webDir);
  const distDir = join(webDir, 'dist');
  const dir = join(distDir, hash);
  if (existsSync(join(dir, 'index.html'))) return { dir, built: false, ms: Date.now() - started };
  let pending = inProcess.get(dir);
  if (!pending) {
    pending = buildInto(webDir, distDir, dir);
    inProcess.set(dir, pending);
  }
  try {
    await pending;
  } finally {
    inProcess.delete(dir);
  }
  return { dir, built: true, ms: Date.now() - started };
}

const inProcess = new Map<string, Promise<void>>();

async function buildInto(webDir: string, distDir: string, dir: string): Promise<void> {
  mkdirSync(distDir, { recursive: true });
  const temporary = join(distDir, `.building-${process.pid}-${Date.now()}`);
  try {
    await viteBuild(webDir, temporary);
    try {
      renameSync(temporary, dir);
    } catch (error) {
      // Another server finished the same build first: theirs is identical.
      if (!existsSync(join(dir, 'index.html'))) throw error;
    }
  } catch (error) {
    const output = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`cannot build the portal from ${webDir}: ${output || (error as Error).message}`, { cause: error });
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
  pruneOldBuilds(distDir, dir);
}

/**
 * Vite's build in a process of its own, with NODE_ENV=production: in the server's process NODE_ENV may
 * be "test" (under Vitest), which would make Vite emit React's development build.
 */
async function viteBuild(webDir: string, outDir: string): Promise<void> {
  const require = createRequire(join(webDir, 'package.json'));
  const vitePackage = require.resolve('vite/package.json');
  const bin = (JSON.parse(readFileSync(vitePackage, 'utf8')) as { bin: { vite: string } }).bin.vite;
  await promisify(execFile)(process.execPath, [join(dirname(vitePackage), bin), 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: webDir,
    env: { ...process.env, NODE_ENV: 'production' },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 5 * 60_000,
  });
}

/** Removes builds of earlier sources, once they are an hour old (a server started before may still serve one). */
function pruneOldBuilds(distDir: string, keep: string): void {
  const hourAgo = Date.now() - 3_600_000;
  for (const entry of readdirSync(distDir, { withFileTypes: true })) {
    const path = join(distDir, entry.name);
    if (path === keep || !entry.isDirectory()) continue;
    if (statSync(path).mtimeMs < hourAgo) rmSync(path, { recursive: true, force: true });
  }
}

/** A hash of everything that goes into the bundle: the web package's sources and config, and the contract it imports. */
export function sourceHash(webDir: string): string {
  const hash = createHash('sha256');
  // How the build is made: a change here must not reuse builds made the old way.
  hash.update('vite build, production, own process\0');
  const add = (root: string, path: string) => {
    hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
  };
  for (const name of ['index.html', 'vite.config.ts', 'package.json']) add(webDir, join(webDir, name));
  const walk = (root: string, dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      // Test code is not part of the bundle; a change to it needs no new build.
      if (entry.isDirectory()) {
        if (entry.name !== 'test-support' && entry.name !== 'e2e') walk(root, path);
      }
      else if (!/\.test\.tsx?$/.test(entry.name)) add(root, path);
    }
  };
  walk(webDir, join(webDir, 'src'));
  const contract = contractSourceDir();
  walk(contract, contract);
  return hash.digest('hex').slice(0, 16);
}
