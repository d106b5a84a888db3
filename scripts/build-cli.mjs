// Compiles the CLI (and with it the server, router, drivers and core it loads) to JavaScript in
// packages/cli/dist, so that `slipway` starts without transpiling TypeScript: npm install runs it
// (the root package's prepare script). Libraries from node_modules stay outside the bundle; only
// Slipway's own packages are compiled in. bin/slipway.js runs the bundle while it is newer than
// every source file it was built from (the metafile lists them), and the TypeScript sources
// through tsx otherwise, so an edited checkout never runs stale code.
import { existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// --outdir <dir> builds elsewhere (the tests do, so as not to pull the CLI from under a running one).
const outFlag = process.argv.indexOf('--outdir');
const outdir = outFlag > 0 ? process.argv[outFlag + 1] : join(root, 'packages/cli/dist');
// Taken before esbuild reads the sources: a file saved during the build counts as newer than it.
const started = Date.now();

/**
 * Small pure-JavaScript libraries every command loads: compiled in, they cost one parse instead of
 * resolving and loading dozens of module files at each start (zod alone is ~70 of them).
 */
const compiledIn = new Set(['zod', 'commander', 'picocolors', 'yaml']);

/** The folder of package `name` that Node finds from `dir`: the nearest node_modules/<name> above it. */
function packageFolder(name, dir) {
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, 'node_modules', name);
    if (existsSync(candidate)) return realpathSync(candidate);
    if (dirname(at) === at) return undefined;
  }
}

/**
 * Everything but relative paths and @slipway/* is loaded from node_modules at run time. The bundle
 * runs from packages/cli/dist, so a library a package has in its own node_modules (another version
 * than the hoisted one) would be the wrong one there: that fails the build instead.
 */
const externalLibraries = {
  name: 'external-libraries',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      const name = args.path.split('/').slice(0, args.path.startsWith('@') ? 2 : 1).join('/');
      if (args.path.startsWith('@slipway/') || compiledIn.has(name)) return undefined;
      const mine = packageFolder(name, args.resolveDir);
      if (mine && mine !== packageFolder(name, outdir)) {
        return { errors: [{ text: `${name} resolves to ${mine} from ${args.importer}, but to another copy from packages/cli/dist: hoist one version (npm dedupe) or bundle it` }] };
      }
      return { path: args.path, external: true };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'packages/cli/src/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  metafile: true,
  // commander is CommonJS: its require() of Node's own modules needs a require in ES modules.
  banner: { js: "import { createRequire as __slipwayRequire } from 'node:module'; const require = __slipwayRequire(import.meta.url);" },
  logLevel: 'warning',
  plugins: [externalLibraries],
});
// Slipway's own sources decide freshness; the libraries compiled in change only by npm install, which builds again.
const inputs = Object.keys(result.metafile.inputs)
  .map((file) => relative(root, join(root, file)))
  .filter((file) => file.startsWith('packages/'));
writeFileSync(join(outdir, 'build.json'), `${JSON.stringify({ builtAt: started, inputs }, null, 1)}\n`);
console.log(`slipway: compiled the CLI from ${inputs.length} source files into ${relative(root, outdir) || outdir} in ${Date.now() - started} ms`);
