// npm run image [-- --tag slipway:dev --base node:20-bookworm-slim --engine podman]: builds Slipway's
// container image (deploy/Containerfile) from this checkout with Podman or Docker.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, stageImage } from './stage-image.ts';

const HELP = `Usage: npm run image -- [options]

Builds Slipway's container image from this checkout (after npm install): the compiled CLI, the
built portal and the production node_modules, on top of a Node.js 20 base image.

Options:
  --tag <name>        image name (default slipway:<version>)
  --base <image>      base image with Node.js 20 and Debian 12's glibc (default node:20-bookworm-slim)
  --packages <list>   Debian packages to add (default "git ca-certificates"; "" for none)
  --engine <command>  podman or docker (default: podman when installed, else docker)
  --keep-context      keep the staged build context and print its folder
  -h, --help          this text
`;

/** The container CLI to build with: podman when installed, else docker. */
export function imageEngine(preferred?: string): string {
  if (preferred) return preferred;
  return spawnSync('podman', ['--version'], { stdio: 'ignore' }).status === 0 ? 'podman' : 'docker';
}

/** Builds the image and returns its name. */
export async function buildImage(options: { tag?: string; base?: string; packages?: string; engine?: string; keepContext?: boolean; quiet?: boolean } = {}): Promise<string> {
  const version = (JSON.parse(readFileSync(join(repoRoot, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }).version;
  const tag = options.tag ?? `slipway:${version}`;
  const staged = await stageImage();
  try {
    const args = ['build', '-f', join(staged.dir, 'Containerfile'), '-t', tag];
    if (options.base) args.push('--build-arg', `BASE=${options.base}`);
    if (options.packages !== undefined) args.push('--build-arg', `PACKAGES=${options.packages}`);
    execFileSync(imageEngine(options.engine), [...args, staged.dir], { stdio: options.quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit' });
    return tag;
  } finally {
    if (options.keepContext) console.log(`build context kept in ${staged.dir}`);
    else rmSync(staged.dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      tag: { type: 'string' },
      base: { type: 'string' },
      packages: { type: 'string' },
      engine: { type: 'string' },
      'keep-context': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
  } else {
    try {
      const tag = await buildImage({ ...values, keepContext: values['keep-context'] ?? false });
      console.log(`built ${tag}: run the server with \`${imageEngine(values.engine)} run -p 4400:4400 ${tag}\`, a router with \`… ${tag} router --control-plane <url>\``);
    } catch (error) {
      console.error(`cannot build the image: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  }
}
