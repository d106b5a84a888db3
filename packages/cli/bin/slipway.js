#!/usr/bin/env node
// Runs the CLI from its TypeScript source: tsx compiles each module as it is loaded, so a fresh
// clone needs no build step between `npm install` and `npx slipway`.
import { register } from 'tsx/esm/api';

register();
// A reader that closed early (`slipway envs list | head -1`) is not an error: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
