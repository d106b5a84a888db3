// Idle CPU benchmark (not part of `npm test`): `npm run bench:idle [-- --environments 10000]
// [--rounds 5] [--window 10] [--settle 20] [--json]`.
//
// What a control plane costs while nothing happens (issue 14, target 3: idle CPU < 2% at 10k
// environments). The store is seeded with `--environments` ready environments (two routed services
// each, on the local runtime, stored as after a successful deploy: test-support/seed-environments.ts),
// then a real server process starts on it with its production timings (bench/idle-cpu-server.ts),
// beside a baseline process: a bare node HTTP server that does nothing. Once the server has been up
// for `--settle` seconds, each round reads both processes' CPU time (utime + stime from
// /proc/<pid>/stat) over the same `--window` seconds and prints it as a percentage of one core.
// The figure is the median server percentage; the exit code is non-zero when it is 2% or more.
// On a shared machine the figures are noisy: the baseline shows what the machine adds.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDatabase } from '@slipway/server';
import { seedEnvironments } from '../packages/server/src/test-support/seed-environments.ts';

const TARGET_PERCENT = 2;
/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux on every common architecture). */
const TICKS_PER_SECOND = 100;

const { values: args } = parseArgs({
  options: {
    environments: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '5' },
    window: { type: 'string', default: '10' },
    settle: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});
const wholeNumber = (name: string, text: string, min: number): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected a whole number from ${min}, got "${text}"`);
  return n;
};
const count = wholeNumber('environments', args.environments, 1);
const rounds = wholeNumber('rounds', args.rounds, 1);
const windowS = wholeNumber('window', args.window, 1);
const settleS = wholeNumber('settle', args.settle, 0);
const log = (line: string) => {
  if (!args.json) console.log(line);
};

/** CPU seconds the process has used so far (user + system), from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Starts `argv` with node; resolves with the process and the first line it prints. */
function startNode(argv: string[], env: NodeJS.ProcessEnv, what: string): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + String(chunk)).slice(-4_000)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += String(chunk);
      const end = out.indexOf('\n');
      if (end >= 0) resolve({ child, line: out.slice(0, end) });
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${what} exited with code ${code} before it was ready: ${stderr}`)));
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'slipway-idle-bench-'));
const home = join(dir, 'home');
let server: ChildProcess | undefined;
let baseline: ChildProcess | undefined;
try {
  const seedStart = Date.now();
  const store = await openDatabase({ sqlitePath: join(home, 'slipway.db') });
  try {
    await seedEnvironments(store.db, { count });
  } finally {
    await store.close();
  }
  log(`seeded ${count} environments in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

  const serverScript = fileURLToPath(new URL('./idle-cpu-server.ts', import.meta.url));
  const startedAt = Date.now();
  const started = await startNode(['--import', 'tsx', serverScript], { ...process.env, SLIPWAY_HOME: home, NODE_ENV: 'production' }, 'the server');
  server = started.child;
  const ready = JSON.parse(started.line) as { apiUrl: string; environments: number; routes: number };
  if (ready.environments !== count) throw new Error(`the server sees ${ready.environments} live environments, not the ${count} seeded`);
  log(`server up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s at ${ready.apiUrl}: ${ready.environments} environments, ${ready.routes} routes`);
  baseline = (await startNode(['-e', "require('node:http').createServer((q, s) => s.end()).listen(0, '127.0.0.1', () => console.log('ready'))"], process.env, 'the baseline')).child;

  log(`settling for ${settleS} s…`);
  await sleep(settleS * 1_000);
  const results: { round: number; serverPercent: number; baselinePercent: number; aboveBaseline: number }[] = [];
  for (let round = 1; round <= rounds; round++) {
    const from = { server: cpuSeconds(server.pid!), baseline: cpuSeconds(baseline.pid!), at: process.hrtime.bigint() };
    await sleep(windowS * 1_000);
    const to = { server: cpuSeconds(server.pid!), baseline: cpuSeconds(baseline.pid!), at: process.hrtime.bigint() };
    const seconds = Number(to.at - from.at) / 1e9;
    const serverPercent = ((to.server - from.server) / seconds) * 100;
    const baselinePercent = ((to.baseline - from.baseline) / seconds) * 100;
    const r = { round, serverPercent, baselinePercent, aboveBaseline: serverPercent - baselinePercent };
    results.push(r);
    log(`round ${round}: server ${serverPercent.toFixed(2)}% of a core, bare node server ${baselinePercent.toFixed(2)}%, difference ${r.aboveBaseline.toFixed(2)} points (${seconds.toFixed(1)} s window)`);
  }
  const serverPercent = median(results.map((r) => r.serverPercent));
  const baselinePercent = median(results.map((r) => r.baselinePercent));
  // The mean counts a round that caught a rare burst (a resync, a garbage collection) at its weight.
  const meanPercent = results.reduce((sum, r) => sum + r.serverPercent, 0) / results.length;
  const met = serverPercent < TARGET_PERCENT;
  const summary = { environments: count, routes: ready.routes, cpus: cpus().length, rounds, windowSeconds: windowS, settleSeconds: settleS, serverPercent, meanPercent, baselinePercent, targetPercent: TARGET_PERCENT, met, results };
  if (args.json) console.log(JSON.stringify(summary, null, 2));
  else console.log(`\nmedian of ${rounds} rounds at ${count} environments: idle server ${serverPercent.toFixed(2)}% of a core (target < ${TARGET_PERCENT}%; mean ${meanPercent.toFixed(2)}%), bare node server ${baselinePercent.toFixed(2)}%: ${met ? 'met' : 'NOT met'}`);
  process.exitCode = met ? 0 : 1;
} finally {
  await Promise.all([stop(server), stop(baseline)]);
  rmSync(dir, { recursive: true, force: true });
}
