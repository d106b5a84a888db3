// Spin-up benchmark (not part of `npm test`): `npm run bench:spin-up [-- --rounds 5] [--json]`.
//
// From `envs create` to every service of the guestbook ready, against starting the same processes
// by hand the way a careful script would and polling their readiness. Target: Slipway's overhead
// ≤ 5 %. One server (API, workflow engine, local driver, embedded router; default timings) runs for
// the whole benchmark; each round runs, in rotating order:
//   by hand   a worktree of main from a bare mirror (what the local driver does; the first round
//             clones the mirror, as the driver's first environment does), `node build.mjs` in web/,
//             `node migrate.mjs` in api/, `node server.mjs` on a free PORT polled on /api/health
//             every 50 ms until 200, `node worker.mjs`; then everything stopped and removed;
//   slipway   POST /api/v1/environments, then GET /api/v1/deploys/:id?wait= (answered as the deploy
//             ends) until succeeded and, side by side, GET /api/health through the router every 50 ms
//             until 200; then DELETE and wait for the teardown. A new environment id every round, so every round
//             is a cold environment; the git mirror is warm after round 1, hence round 1 is shown
//             apart from the others on both sides;
//   slipway with the api's readiness `period: 50ms` instead of the manifest's 2s (the guestbook
//             registered in a second workspace from a copy of the repository with that one line
//             changed):
//             Slipway probing as often as the script polls, to show what the probe period costs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createApiToken, startServer, type RunningServer } from '@slipway/server';
import {
  fmt,
  guestbookRepository,
  handRound,
  http,
  PHASE_LABELS,
  replaceIn,
  slipwayRound,
  summarize,
  type HandRound,
  type SlipwayApi,
  type SlipwayPhases,
  type SlipwayRound,
  type Summary,
  type TimelineEntry,
} from './spin-up-bench-support.ts';

const example = resolve(fileURLToPath(import.meta.url), '../../examples/guestbook');
const TARGET = 0.05;
const POLL_MS = 50;
const READY_TIMEOUT_MS = 120_000;

interface Arm {
  key: 'hand' | 'slipway' | 'fastProbe';
  label: string;
}

const arms: Arm[] = [
  { key: 'hand', label: 'by hand' },
  { key: 'slipway', label: 'slipway' },
  { key: 'fastProbe', label: 'slipway, probe 50 ms' },
];

interface Results {
  hand: HandRound[];
  slipway: SlipwayRound[];
  fastProbe: SlipwayRound[];
}

function machine(): Record<string, string | number> {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${process.platform} ${release()}`,
    node: process.version,
    git: spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^git version /, ''),
  };
}

/** Round 1 alone (cold git mirrors) and rounds 2… (warm). */
function split(values: number[]): { first: number; warm: Summary } {
  return { first: values[0] ?? Number.NaN, warm: summarize(values.slice(1)) };
}

function figures(results: Results) {
  const hand = split(results.hand.map((r) => r.readyMs));
  const rows = {
    handReady: hand,
    slipwayReady: split(results.slipway.map((r) => r.readyMs)),
    slipwayFinished: split(results.slipway.map((r) => r.finishedMs)),
    slipwayRouted: split(results.slipway.map((r) => r.routedMs)),
    fastReady: split(results.fastProbe.map((r) => r.readyMs)),
    fastFinished: split(results.fastProbe.map((r) => r.finishedMs)),
    fastRouted: split(results.fastProbe.map((r) => r.routedMs)),
  };
  const ratio = (row: { first: number; warm: Summary }) => ({
    first: row.first / hand.first,
    warm: row.warm.median / hand.warm.median,
  });
  return {
    rows,
    ratios: {
      slipwayReady: ratio(rows.slipwayReady),
      slipwayFinished: ratio(rows.slipwayFinished),
      slipwayRouted: ratio(rows.slipwayRouted),
      fastReady: ratio(rows.fastReady),
      fastFinished: ratio(rows.fastFinished),
      fastRouted: ratio(rows.fastRouted),
    },
  };
}

/** `ratio×  +overhead %  PASS|MISS`, in fixed-width columns. */
function verdict(ratio: number): string {
  if (!Number.isFinite(ratio)) return `${'–'.padStart(7)}  ${''.padStart(9)}  ${''.padEnd(4)}`;
  const overhead = (ratio - 1) * 100;
  const percent = `${overhead >= 0 ? '+' : ''}${fmt(overhead, Math.abs(overhead) < 100 ? 1 : 0)} %`;
  return `${`${fmt(ratio, 2)}×`.padStart(7)}  ${percent.padStart(9)}  ${overhead <= TARGET * 100 ? 'PASS' : 'MISS'}`;
}

/** Median over rounds of each entry of the timelines (entries matched by name). */
function medianTimeline(rounds: { timeline: TimelineEntry[] }[]): TimelineEntry[] {
  const first = rounds[0]?.timeline ?? [];
  return first.map((entry) => {
    const same = rounds.map((r) => r.timeline.find((e) => e.what === entry.what)).filter((e) => e !== undefined);
    const end = summarize(same.map((e) => e.endMs ?? Number.NaN)).median;
    return { what: entry.what, startMs: summarize(same.map((e) => e.startMs)).median, ...(entry.endMs !== undefined ? { endMs: end } : {}) };
  });
}

function printTimeline(title: string, entries: TimelineEntry[]): void {
  console.log(`\n  ${title}`);
  for (const e of entries) {
    const span = e.endMs !== undefined ? `${fmt(e.startMs).padStart(7)} → ${fmt(e.endMs).padStart(7)}   (${fmt(e.endMs - e.startMs)} ms)` : `${fmt(e.startMs).padStart(7)}`;
    console.log(`    ${e.what.padEnd(34)} ${span}`);
  }
}

function handTimeline(rounds: HandRound[]): TimelineEntry[] {
  const m = (pick: (r: HandRound) => number) => summarize(rounds.map(pick)).median;
  const checkout = m((r) => r.checkoutMs);
  const build = m((r) => r.checkoutMs + r.buildMs);
  const migrate = m((r) => r.checkoutMs + r.buildMs + r.migrateMs);
  const api = m((r) => r.checkoutMs + r.buildMs + r.migrateMs + r.apiReadyMs);
  return [
    { what: 'checkout (worktree add)', startMs: 0, endMs: checkout },
    { what: 'web: node build.mjs', startMs: checkout, endMs: build },
    { what: 'job migrate', startMs: build, endMs: migrate },
    { what: 'api: spawn → /api/health 200', startMs: migrate, endMs: api },
    { what: 'worker: spawn', startMs: api, endMs: m((r) => r.readyMs) },
  ];
}

/**
 * The spin-up cut into phases, medians over rounds, Slipway beside the script: what the script does
 * too (checkout; builds, job, services) and what only Slipway does (before the checkout, after the
 * last task), with the difference, so the overhead has a place.
 */
function printPhases(hand: HandRound[], slipway: SlipwayRound[], fast: SlipwayRound[]): void {
  const m = (values: number[]) => summarize(values).median;
  const byHand: Record<keyof SlipwayPhases, number> = {
    request: 0,
    queue: 0,
    start: 0,
    checkout: m(hand.map((r) => r.checkoutMs)),
    tasks: m(hand.map((r) => r.readyMs - r.checkoutMs)),
    finish: 0,
    answer: 0,
  };
  console.log(`\n  Phases (medians; the script has only a checkout and its tasks, so the rest is Slipway's alone):`);
  console.log(`    ${'phase'.padEnd(40)} ${'by hand'.padStart(8)} ${'slipway'.padStart(8)} ${'Δ'.padStart(7)}   ${'probe 50'.padStart(8)} ${'Δ'.padStart(7)}`);
  const keys = Object.keys(PHASE_LABELS) as (keyof SlipwayPhases)[];
  const total = { hand: 0, slipway: 0, fast: 0 };
  for (const key of keys) {
    const s = m(slipway.map((r) => r.phases[key]));
    const f = m(fast.map((r) => r.phases[key]));
    const h = byHand[key];
    total.hand += h;
    total.slipway += s;
    total.fast += f;
    const delta = (x: number) => `${x - h >= 0 ? '+' : ''}${fmt(x - h)}`.padStart(7);
    console.log(`    ${PHASE_LABELS[key].padEnd(40)} ${fmt(h).padStart(8)} ${fmt(s).padStart(8)} ${delta(s)}   ${fmt(f).padStart(8)} ${delta(f)}`);
  }
  console.log(`    ${'sum of the medians'.padEnd(40)} ${fmt(total.hand).padStart(8)} ${fmt(total.slipway).padStart(8)} ${`+${fmt(total.slipway - total.hand)}`.padStart(7)}   ${fmt(total.fast).padStart(8)} ${`+${fmt(total.fast - total.hand)}`.padStart(7)}`);
}

function print(results: Results, rounds: number): void {
  const facts = machine();
  const { rows, ratios } = figures(results);
  console.log(`\nSpin-up of examples/guestbook: \`envs create\` to every service ready, against the same processes started by hand`);
  console.log(`machine: ${facts.cpus} × ${facts.cpuModel}, ${facts.memoryGiB} GiB, ${facts.os}; node ${facts.node}; git ${facts.git}`);
  console.log(`${rounds} round${rounds === 1 ? '' : 's'}, the three runs of a round in rotating order; readiness polled every ${POLL_MS} ms on both sides, the deploy long-polled (?wait=); ms from the start\n`);

  const warmLabel = rounds > 1 ? `rounds 2–${rounds} (warm mirror)` : 'rounds 2… (none run)';
  console.log(`  ${'ms'.padEnd(52)} ${'round 1 (cold)'.padStart(14)}   ${warmLabel.padStart(28)}`);
  console.log(`  ${''.padEnd(52)} ${''.padStart(14)}   ${'median'.padStart(8)} ${'min'.padStart(9)} ${'max'.padStart(9)}`);
  const line = (label: string, row: { first: number; warm: Summary }) =>
    console.log(`  ${label.padEnd(52)} ${fmt(row.first).padStart(14)}   ${fmt(row.warm.median).padStart(8)} ${fmt(row.warm.min).padStart(9)} ${fmt(row.warm.max).padStart(9)}`);
  line('by hand: every service ready', rows.handReady);
  line('slipway: deploy seen succeeded', rows.slipwayReady);
  line('  (its finishedAt, as the server stored it)', rows.slipwayFinished);
  line('slipway: api answers via the router', rows.slipwayRouted);
  line('slipway, probe period 50 ms: deploy seen succeeded', rows.fastReady);
  line('  (its finishedAt, as the server stored it)', rows.fastFinished);
  line('slipway, probe period 50 ms: via the router', rows.fastRouted);

  console.log(`\n  ${`slipway / by hand, overhead (target ≤ ${TARGET * 100} %)`.padEnd(58)} ${'round 1'.padEnd(24)}   warm medians`);
  const ratioLine = (label: string, r: { first: number; warm: number }) => console.log(`  ${label.padEnd(58)} ${verdict(r.first)}   ${verdict(r.warm)}`);
  ratioLine('deploy seen succeeded, as the manifest says (period 2s)', ratios.slipwayReady);
  ratioLine('  deploy finishedAt', ratios.slipwayFinished);
  ratioLine('  api via the router', ratios.slipwayRouted);
  ratioLine('deploy seen succeeded, probe period 50 ms (= the script)', ratios.fastReady);
  ratioLine('  deploy finishedAt', ratios.fastFinished);
  ratioLine('  api via the router', ratios.fastRouted);

  const warm = <T,>(list: T[]) => (list.length > 1 ? list.slice(1) : list);
  const which = rounds > 1 ? 'median of the warm rounds' : 'round 1';
  console.log(`\n  Where the time goes (${which}; ms from the start, server-side timestamps from GET /api/v1/deploys/:id):`);
  printTimeline('by hand', handTimeline(warm(results.hand)));
  printTimeline('slipway, as the manifest says', medianTimeline(warm(results.slipway)));
  printTimeline('slipway, probe period 50 ms', medianTimeline(warm(results.fastProbe)));
  printPhases(warm(results.hand), warm(results.slipway), warm(results.fastProbe));
  const teardown = summarize(warm(results.slipway).map((r) => r.teardownMs)).median;
  const stop = summarize(warm(results.hand).map((r) => r.stopMs)).median;
  console.log(`\n  stopping: by hand ${fmt(stop)} ms (SIGTERM, exit, worktree remove); slipway teardown ${fmt(teardown)} ms (DELETE → teardown deploy seen succeeded)`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, json: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } } });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error(`--rounds: expected a whole number of at least 1, got ${values.rounds}`);
    return 2;
  }
  const log = values.json ? () => undefined : (text: string) => console.log(text);
  const work = mkdtempSync(join(tmpdir(), 'slipway-spin-up-bench-'));
  let server: RunningServer | undefined;
  try {
    mkdirSync(join(work, 'repos'));
    const repository = guestbookRepository(example, join(work, 'repos', 'guestbook'));
    const fastRepository = guestbookRepository(example, join(work, 'repos', 'guestbook-fast-probe'), (root) => {
      const manifest = join(root, '.slipway', 'guestbook.yaml');
      replaceIn(manifest, 'path: /api/health\n        period: 2s', 'path: /api/health\n        period: 50ms');
    });

    server = await startServer({ home: join(work, 'home'), apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(work, 'cli.yaml') });
    // The same application name in two workspaces: each side registers its own repository.
    const connect = async (workspace: string, repo: string): Promise<SlipwayApi> => {
      const api: SlipwayApi = {
        apiPort: Number(new URL(server!.apiUrl).port),
        routerPort: server!.routerPort,
        token: (await createApiToken(server!.store.db, { name: 'spin-up-bench', workspace, role: 'admin' })).secret,
      };
      const registered = await http(api.apiPort, 'POST', '/api/v1/applications', { token: api.token, body: { repository: repo } });
      if (registered.status !== 201) throw new Error(`registering ${repo}: ${registered.status} ${registered.text}`);
      return api;
    };
    const apis = { slipway: await connect('default', repository), fastProbe: await connect('probe-50ms', fastRepository) };
    log(`server: API ${server.apiUrl}, router ${server.routerUrl}, SLIPWAY_HOME ${join(work, 'home')}`);

    const results: Results = { hand: [], slipway: [], fastProbe: [] };
    for (let round = 1; round <= rounds; round++) {
      const order = arms.map((_, i) => arms[(i + round - 1) % arms.length]!);
      const done: string[] = [];
      for (const arm of order) {
        if (arm.key === 'hand') {
          const r = await handRound({
            repository,
            mirror: join(work, 'hand', 'mirror.git'),
            checkout: join(work, 'hand', `r${round}`),
            logs: join(work, 'hand', 'logs', `r${round}`),
            pollMs: POLL_MS,
            readyTimeoutMs: READY_TIMEOUT_MS,
          });
          results.hand.push(r);
          done.push(`${arm.label} ${fmt(r.readyMs)} ms`);
        } else {
          const fast = arm.key === 'fastProbe';
          const r = await slipwayRound(apis[arm.key], { app: 'guestbook', envId: fast ? `r${round}-p50` : `r${round}`, pollMs: POLL_MS, readyTimeoutMs: READY_TIMEOUT_MS });
          results[arm.key].push(r);
          done.push(`${arm.label} ${fmt(r.readyMs)} ms (router ${fmt(r.routedMs)})`);
        }
      }
      log(`round ${round}/${rounds}: ${done.join(', ')}`);
    }

    if (values.json) console.log(JSON.stringify({ machine: machine(), rounds, pollMs: POLL_MS, target: TARGET, ...figures(results), samples: results }, null, 2));
    else print(results, rounds);
    return 0;
  } finally {
    if (server) {
      for (const driver of Object.values(server.drivers)) await driver.sweep([]).catch(() => undefined);
      await server.close();
    }
    if (values.keep) console.error(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
