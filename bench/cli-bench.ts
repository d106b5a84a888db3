// CLI start-up benchmark (not part of `npm test`): `npm run bench:cli [-- --rounds 7] [--runs 10] [--json]`.
//
// How long `slipway envs list` takes, as a user runs it, against a running server (SQLite, local
// runtime, three environments), next to a bare `node -e 0` in the same round. Targets (issue 14):
// under 150 ms, and at most 2.5× the bare node start. Each round runs each command `--runs` times,
// alternating, and keeps the median; the rounds are printed one by one, then their median.
// The compiled CLI (packages/cli/dist, built by `npm install` or `node scripts/build-cli.mjs`) is
// what `slipway` runs while it is fresh; with --source the TypeScript sources through tsx are timed
// instead, for comparison.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createApiToken, startServer } from '@slipway/server';
import { guestbookRepository } from '../packages/server/src/test-support/example-repository.ts';
import { apiOk, closeServer } from '../packages/server/src/test-support/test-server.ts';

const TARGET_MS = 150;
const TARGET_RATIO = 2.5;

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, runs: { type: 'string', default: '10' }, json: { type: 'boolean', default: false }, source: { type: 'boolean', default: false } } });
const rounds = Number(args.rounds);
const runs = Number(args.runs);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(runs) || runs < 1) throw new Error('--rounds and --runs: expected whole numbers from 1');

const bin = fileURLToPath(new URL('../packages/cli/bin/slipway.js', import.meta.url));
if (!args.source && !existsSync(fileURLToPath(new URL('../packages/cli/dist/build.json', import.meta.url)))) {
  throw new Error('no compiled CLI: run `node scripts/build-cli.mjs` (npm install does) first, or pass --source');
}

/** Runs node with `argv` to its end; the wall time in ms. The server lives in this process, so the wait is asynchronous. */
function timed(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr}`));
    }),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'slipway-cli-bench-'));
const server = await startServer({ home: join(dir, 'home'), apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(dir, 'cli.yaml') }, { graceMs: 1_000, docker: false });
try {
  const token = (await createApiToken(server.store.db, { name: 'bench', workspace: 'default', role: 'admin', user: 'bench' })).secret;
  await apiOk(server.apiUrl, token, 'POST', '/api/v1/applications', { repository: guestbookRepository() });
  for (const id of ['one', 'two', 'three']) await apiOk(server.apiUrl, token, 'POST', '/api/v1/environments', { app: 'guestbook', id, kind: 'permanent' });
  const env = { ...process.env, SLIPWAY_URL: server.apiUrl, SLIPWAY_TOKEN: token, NO_COLOR: '1', ...(args.source ? { SLIPWAY_FROM_SOURCE: '1' } : {}) };
  // Warm the file cache and the server once.
  await timed([bin, 'envs', 'list'], env);
  const results: { round: number; nodeMs: number; cliMs: number; ratio: number }[] = [];
  for (let round = 1; round <= rounds; round++) {
    const node: number[] = [];
    const cli: number[] = [];
    for (let i = 0; i < runs; i++) {
      node.push(await timed(['-e', '0'], env));
      cli.push(await timed([bin, 'envs', 'list'], env));
    }
    const r = { round, nodeMs: median(node), cliMs: median(cli), ratio: median(cli) / median(node) };
    results.push(r);
    if (!args.json) console.log(`round ${round}: node -e 0 ${r.nodeMs.toFixed(1)} ms, slipway envs list ${r.cliMs.toFixed(1)} ms, ratio ${r.ratio.toFixed(2)}×`);
  }
  const cliMs = median(results.map((r) => r.cliMs));
  const ratio = median(results.map((r) => r.ratio));
  const met = cliMs < TARGET_MS && ratio <= TARGET_RATIO;
  const summary = { what: args.source ? 'sources through tsx' : 'compiled CLI', cpus: cpus().length, rounds, runs, nodeMs: median(results.map((r) => r.nodeMs)), cliMs, ratio, targetMs: TARGET_MS, targetRatio: TARGET_RATIO, met, results };
  if (args.json) console.log(JSON.stringify(summary, null, 2));
  else console.log(`\n${summary.what}, median of ${rounds} rounds: slipway envs list ${cliMs.toFixed(1)} ms (target < ${TARGET_MS} ms), ${ratio.toFixed(2)}× node -e 0 (target ≤ ${TARGET_RATIO}×): ${met ? 'met' : 'NOT met'}`);
  process.exitCode = met ? 0 : 1;
} finally {
  // Sweeps the environments' processes too, and removes the folder.
  await closeServer(server, dir);
}
