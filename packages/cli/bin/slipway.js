#!/usr/bin/env node
// Runs the CLI from its TypeScript source: tsx compiles each module as it is loaded, so a fresh
// clone needs no build step between `npm install` and `npx slipway`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
