// Docker spin-up benchmark (not part of `npm test`): `npm run bench:spin-up:docker [-- --rounds 5] [--json]`.
//
// The guestbook on the docker runtime, from `POST /api/v1/environments` to every service ready,
// against `podman-compose up -d` of examples/guestbook/compose.yaml with the same images. Target:
// Slipway reaches all-ready no later than compose does. Both sides start cold containers from
// images already built (an untimed warm-up environment builds them through Slipway; the compose file
// names those same images in place of its build sections), then poll every 50 ms, side by side, until
// the api's /api/health answers 200, the page answers 200 and the worker's container runs:
//   compose   `podman-compose -p <project> up -d --no-build`, then the polling (on the published
//             ports, moved to free loopback ports), then `podman-compose down -v`;
//   slipway   POST, then the polling through the router (the environment's hostnames) and the
//             deploy (GET every 50 ms) side by side, then DELETE and the teardown.
// One Slipway server (SQLite, the docker runtime it finds by itself, default timings) runs for the
// whole benchmark; a new environment id and a new compose project every round; the two sides of a
// round in alternating order. Needs a Docker-compatible engine (scripts/setup-podman.sh) and
// podman-compose (apt-get install -y podman-compose).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type Dockerode from 'dockerode';
import { detectDockerEngine } from '@slipway/drivers';
import { ensureBaseImages, ensureNodeStandIn } from '@slipway/drivers/docker-test-images';
import { createApiToken, startServer, type RunningServer } from '@slipway/server';
import { composeFile, composeRound, slipwayRound, type ComposeRound, type SlipwayApi, type SlipwayRound } from './docker-spin-up-bench-support.ts';
import { freePort } from './router-bench-support.ts';
import { fmt, guestbookRepository, http, summarize, type Summary, type TimelineEntry } from './spin-up-bench-support.ts';

const example = resolve(fileURLToPath(import.meta.url), '../../examples/guestbook');
const APP = 'guestbook-docker';
const DOMAIN = 'slipway.localhost';
const POLL_MS = 50;
const READY_TIMEOUT_MS = 120_000;

interface Results {
  compose: ComposeRound[];
  slipway: SlipwayRound[];
}

function machine(engine: string): Record<string, string | number> {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${process.platform} ${release()}`,
    node: process.version,
    engine,
    podmanCompose: /podman-compose\w* version:?\s*(\S+)/.exec(spawnSync('podman-compose', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 'unknown',
  };
}

function figures(results: Results) {
  const s = (values: number[]) => summarize(values);
  const rows = {
    composeUp: s(results.compose.map((r) => r.upMs)),
    composeReady: s(results.compose.map((r) => r.readyMs)),
    slipwayReady: s(results.slipway.map((r) => r.readyMs)),
    slipwayDeploy: s(results.slipway.map((r) => r.deployMs)),
    slipwayFinished: s(results.slipway.map((r) => r.finishedMs)),
  };
  return {
    rows,
    ratios: {
      ready: rows.slipwayReady.median / rows.composeReady.median,
      deploy: rows.slipwayDeploy.median / rows.composeReady.median,
    },
  };
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

function print(results: Results, rounds: number, facts: Record<string, string | number>): void {
  const { rows, ratios } = figures(results);
  console.log(`\nSpin-up of examples/guestbook on the docker runtime: Slipway (POST → all ready) against podman-compose up -d, same images, cold containers`);
  console.log(`machine: ${facts.cpus} × ${facts.cpuModel}, ${facts.memoryGiB} GiB, ${facts.os}; node ${facts.node}; ${facts.engine}; podman-compose ${facts.podmanCompose}`);
  console.log(`${rounds} round${rounds === 1 ? '' : 's'}, the two sides in alternating order; readiness polled every ${POLL_MS} ms (api /api/health 200, page 200, worker container running); ms from the start\n`);
  console.log(`  ${'ms'.padEnd(56)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}`);
  const line = (label: string, row: Summary) => console.log(`  ${label.padEnd(56)} ${fmt(row.median).padStart(8)} ${fmt(row.min).padStart(8)} ${fmt(row.max).padStart(8)}`);
  line('compose: podman-compose up -d returned', rows.composeUp);
  line('compose: all ready', rows.composeReady);
  line('slipway: all ready (the same polling, through the router)', rows.slipwayReady);
  line('slipway: deploy seen succeeded', rows.slipwayDeploy);
  line('  (its finishedAt, before the client polls)', rows.slipwayFinished);
  const verdict = (ratio: number) => `${`${fmt(ratio, 2)}×`.padStart(7)}  ${ratio <= 1 ? 'PASS' : 'MISS'}`;
  console.log(`\n  ${'slipway / compose, medians (target: ≤ 1.00×, no later than compose)'.padEnd(72)}`);
  console.log(`  ${'all ready'.padEnd(56)} ${verdict(ratios.ready)}`);
  console.log(`  ${'deploy seen succeeded'.padEnd(56)} ${verdict(ratios.deploy)}`);

  console.log(`\n  Where the time goes (medians; ms from the start; Slipway's from the deploy's task timestamps):`);
  const m = (pick: (r: ComposeRound) => number) => summarize(results.compose.map(pick)).median;
  printTimeline('compose', [
    { what: 'podman-compose up -d', startMs: 0, endMs: m((r) => r.upMs) },
    { what: 'api /api/health 200', startMs: m((r) => r.apiMs) },
    { what: 'page 200', startMs: m((r) => r.webMs) },
    { what: 'worker container running', startMs: m((r) => r.workerMs) },
  ]);
  printTimeline('slipway', medianTimeline(results.slipway));
  const down = summarize(results.compose.map((r) => r.downMs)).median;
  const teardown = summarize(results.slipway.map((r) => r.teardownMs)).median;
  console.log(`\n  stopping: podman-compose down -v ${fmt(down)} ms; slipway teardown ${fmt(teardown)} ms (DELETE → teardown deploy seen succeeded)`);
}

/** The images the warm-up environment built, by the labels Slipway puts on them. */
async function builtImages(docker: Dockerode, commit: string): Promise<{ api: string; web: string }> {
  const images = await docker.listImages({ filters: { label: [`dev.slipway.app=${APP}`] } });
  const tagOf = (service: string) => {
    const tag = images.filter((i) => i.Labels?.['dev.slipway.service'] === service).flatMap((i) => i.RepoTags ?? []).find((t) => t.includes(`:${commit.slice(0, 12)}-`));
    if (!tag) throw new Error(`no image of ${service} built for ${commit}`);
    return tag;
  };
  return { api: tagOf('api'), web: tagOf('web') };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, json: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } } });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error(`--rounds: expected a whole number of at least 1, got ${values.rounds}`);
    return 2;
  }
  const detected = await detectDockerEngine();
  if (!detected.found) {
    console.error(`${detected.message}\n(scripts/setup-podman.sh sets Podman up)`);
    return 2;
  }
  if (spawnSync('podman-compose', ['--version']).error) {
    console.error('podman-compose is not installed: apt-get install -y podman-compose');
    return 2;
  }
  const docker = detected.docker;
  const log = values.json ? () => undefined : (text: string) => console.log(text);
  const work = mkdtempSync(join(tmpdir(), 'slipway-docker-spin-up-bench-'));
  let server: RunningServer | undefined;
  let commit = '';
  try {
    // The Dockerfiles start FROM node:20-alpine: made locally when the engine has no such image.
    await ensureBaseImages(docker);
    await ensureNodeStandIn(docker);
    mkdirSync(join(work, 'repos'));
    const repository = guestbookRepository(example, join(work, 'repos', 'guestbook'));
    commit = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: repository, encoding: 'utf8' }).stdout.trim();

    server = await startServer({ home: join(work, 'home'), apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: DOMAIN, cliConfigPath: join(work, 'cli.yaml') });
    if (!server.drivers.docker) throw new Error(`the server offers no docker runtime: ${server.dockerEngine}`);
    const api: SlipwayApi = {
      apiPort: Number(new URL(server.apiUrl).port),
      routerPort: server.routerPort,
      token: (await createApiToken(server.store.db, { name: 'docker-spin-up-bench', workspace: 'default', role: 'admin' })).secret,
    };
    const registered = await http(api.apiPort, 'POST', '/api/v1/applications', { token: api.token, body: { repository, path: '.slipway-docker' } });
    if (registered.status !== 201) throw new Error(`registering ${repository}: ${registered.status} ${registered.text}`);
    log(`server: API ${server.apiUrl}, router ${server.routerUrl}, docker runtime on ${server.dockerEngine}`);

    // Untimed warm-up on both sides: Slipway builds the images (and clones its mirror), compose runs once.
    const slipwayOptions = { docker, app: APP, domain: DOMAIN, pollMs: POLL_MS, readyTimeoutMs: READY_TIMEOUT_MS };
    const warmStart = performance.now();
    await slipwayRound(api, { ...slipwayOptions, envId: 'warm-up' });
    const images = await builtImages(docker, commit);
    log(`warm-up: images built and an environment up and down in ${fmt(performance.now() - warmStart)} ms: ${images.api}, ${images.web}`);
    const composeDir = join(work, 'compose');
    mkdirSync(composeDir);
    const ports = { api: await freePort(), web: await freePort() };
    const file = join(composeDir, 'compose.yaml');
    composeFile(join(example, 'compose.yaml'), file, images, ports);
    const composeOptions = { docker, dir: composeDir, file, ports, pollMs: POLL_MS, readyTimeoutMs: READY_TIMEOUT_MS };
    const project = (round: number | string) => `slipwaybench${process.pid}r${round}`;
    await composeRound({ ...composeOptions, project: project('w') });

    const results: Results = { compose: [], slipway: [] };
    for (let round = 1; round <= rounds; round++) {
      const order: ('compose' | 'slipway')[] = round % 2 === 1 ? ['compose', 'slipway'] : ['slipway', 'compose'];
      const done: string[] = [];
      for (const side of order) {
        if (side === 'compose') {
          const r = await composeRound({ ...composeOptions, project: project(round) });
          results.compose.push(r);
          done.push(`compose ${fmt(r.readyMs)} ms (up -d ${fmt(r.upMs)})`);
        } else {
          const r = await slipwayRound(api, { ...slipwayOptions, envId: `r${round}` });
          results.slipway.push(r);
          done.push(`slipway ${fmt(r.readyMs)} ms (deploy ${fmt(r.deployMs)})`);
        }
      }
      log(`round ${round}/${rounds}: ${done.join(', ')}`);
    }

    const facts = machine(server.dockerEngine);
    if (values.json) console.log(JSON.stringify({ machine: facts, rounds, pollMs: POLL_MS, ...figures(results), samples: results }, null, 2));
    else print(results, rounds, facts);
    return 0;
  } finally {
    if (server) {
      for (const driver of Object.values(server.drivers)) await driver.sweep([]).catch(() => undefined);
      await server.close();
    }
    // The images stay on the engine as a build cache; only the tags for this run's commit go.
    if (commit) {
      for (const image of await docker.listImages({ filters: { label: [`dev.slipway.app=${APP}`] } }).catch(() => [])) {
        for (const tag of image.RepoTags ?? []) if (tag.includes(`:${commit.slice(0, 12)}-`)) await docker.getImage(tag).remove().catch(() => undefined);
      }
    }
    if (values.keep) console.error(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
