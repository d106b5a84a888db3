#!/usr/bin/env node
// Runs the CLI. `npm install` compiles it to packages/cli/dist (scripts/build-cli.mjs), and that
// JavaScript starts fast; while any source file it was built from has changed since (an edited
// checkout), or when there is no build, the TypeScript sources run through tsx instead, so nothing
// stale ever runs. SLIPWAY_FROM_SOURCE=1 forces the sources.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Whether packages/cli/dist was built after every file it was built from last changed. An install
 * without the sources (the container image) has only the bundle to run.
 */
function compiledIsFresh() {
  if (process.env.SLIPWAY_FROM_SOURCE === '1') return false;
  if (!existsSync(new URL('../src', import.meta.url))) return true;
  try {
    const { builtAt, inputs } = JSON.parse(readFileSync(new URL('../dist/build.json', import.meta.url), 'utf8'));
    return inputs.every((file) => statSync(root + file).mtimeMs <= builtAt);
  } catch {
    return false;
  }
}

// A reader that closed early (`slipway envs list | head -1`) is not an error: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
let main;
if (compiledIsFresh()) {
  ({ main } = await import('../dist/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/main.ts'));
}
process.exitCode = await main(process.argv);
// The command is done: leave now rather than when fetch's idle keep-alive connection times out
// (about 100 ms later), once what was written has reached stdout and stderr.
process.stdout.write('', () => process.stderr.write('', () => process.exit()));
