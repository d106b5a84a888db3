// The build context of Slipway's container image (deploy/Containerfile): the compiled CLI (which
// holds the server, router and drivers), the built portal, and the production node_modules of this
// checkout after `npm install`. Nothing is downloaded: what runs in the image is what runs here.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePortalBuild } from '../../packages/server/src/portal/portal-build.ts';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The workspaces whose production dependencies the compiled CLI loads at run time. */
const RUNTIME_WORKSPACES = ['packages/contract', 'packages/core', 'packages/drivers', 'packages/router', 'packages/server', 'packages/cli'];

/**
 * Libraries only the source mode needs (bin/slipway.js runs TypeScript through tsx when there is no
 * bundle); the image always has the bundle.
 */
const SOURCE_MODE_ONLY = new Set(['tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps']);

export interface StagedImage {
  dir: string;
  /** node_modules folders copied, relative to the checkout. */
  libraries: string[];
}

/** The production libraries' folders (relative to the checkout), as npm resolved them here. */
export function runtimeLibraries(root = repoRoot): string[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable', ...RUNTIME_WORKSPACES.flatMap((w) => ['-w', w])], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const folders = new Set<string>();
  for (const line of out.split('\n')) {
    const path = relative(root, line.trim());
    if (!path.startsWith(`node_modules${sep}`)) continue; // the checkout and its workspaces
    const name = path.split(`node_modules${sep}`).at(-1)!;
    if (name.startsWith(`@slipway${sep}`) || SOURCE_MODE_ONLY.has(name) || name.startsWith(`@esbuild${sep}`)) continue;
    folders.add(path);
  }
  // A folder inside one already copied comes with it.
  return [...folders].sort().filter((path, _i, all) => !all.some((other) => other !== path && path.startsWith(`${other}${sep}`)));
}

/**
 * Copies the image's context into a new folder: packages/cli/{bin,dist,package.json}, portal/,
 * node_modules/, an empty home/ for the server's data, and the Containerfile. Builds the CLI and
 * the portal first when they are stale.
 */
export async function stageImage(options: { root?: string; into?: string } = {}): Promise<StagedImage> {
  const root = options.root ?? repoRoot;
  execFileSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const portal = await ensurePortalBuild();
  const dir = options.into ?? mkdtempSync(join(tmpdir(), 'slipway-image-'));
  const cli = join(dir, 'packages', 'cli');
  mkdirSync(cli, { recursive: true });
  cpSync(join(root, 'packages', 'cli', 'bin'), join(cli, 'bin'), { recursive: true });
  cpSync(join(root, 'packages', 'cli', 'dist'), join(cli, 'dist'), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string };
  writeFileSync(join(cli, 'package.json'), `${JSON.stringify({ name: '@slipway/cli', version: manifest.version, private: true, type: 'module', bin: { slipway: './bin/slipway.js' } }, null, 2)}\n`);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'slipway-image', version: manifest.version, private: true, type: 'module' }, null, 2)}\n`);
  cpSync(portal.dir, join(dir, 'portal'), { recursive: true });
  const libraries = runtimeLibraries(root);
  for (const library of libraries) {
    // Symlinks inside a library (its own .bin) stay links; a library that is itself a link is copied as the folder it points to.
    cpSync(join(root, library), join(dir, library), { recursive: true, dereference: true });
  }
  mkdirSync(join(dir, 'home'), { recursive: true });
  cpSync(join(root, 'deploy', 'Containerfile'), join(dir, 'Containerfile'));
  if (!existsSync(join(dir, 'node_modules', 'fastify'))) throw new Error(`the staged image in ${dir} has no fastify: run npm install in ${root} first`);
  return { dir, libraries };
}
