// Standalone router benchmark (not part of `npm test`):
//   npm run bench:router:standalone [-- --hosts 100000 --rounds 3] [--json]
//
// A real control plane (startServer: SQLite store, API, embedded router) whose route hub holds
// --hosts environments of one host each — seeded with RouteHub.upsertEnvironment, the call the
// workflow engine makes when an environment's instances are ready (deploying 100k real
// environments would measure the local driver, not the stream) — and real `slipway router`
// processes following its route stream through a TCP relay the benchmark can cut. Each round:
//
//   load        a fresh router process: from its stream connection reaching the relay to its
//               /healthz showing the whole table (target < 2 s); the router's own figure (first
//               event to snapshot applied) beside it. Baseline: the same stream read raw by the
//               benchmark through the same relay, to the end of the snapshot, nothing parsed.
//   new route   an environment published in the hub → its first 200 through the standalone router
//               (target < 50 ms); baseline: the embedded router of the same server, same moment.
//   reconnect   the relay cuts the router's connection; changes are made while it is away; it
//               comes back with its version and must get only the changes: tables compared in
//               full (the router's cache file against the hub), snapshots counted.
//   late router a second router process starts now and must converge to the same table.
//   restart     the control plane stops and starts again on the same port with the table plus
//               some changes (a new hub: history gone, so a snapshot is due); both routers must
//               converge, rewriting only the environments that changed.
//
// Reloads = snapshots a router applied beyond its first while the server kept its history
// (target 0): every new route, every reconnection arrives as a change. Figures on a shared
// 2-core machine are noisy; the ratios matter more than the absolute numbers.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { Agent, createServer as createHttpServer, get } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import type { RouteTableEntry } from '@slipway/contract';
import { createApiToken, startServer, type RunningServer } from '@slipway/server';

const LOAD_TARGET_MS = 2_000;
const FIRST_200_TARGET_MS = 50;
const root = resolve(fileURLToPath(import.meta.url), '../..');

const { values: args } = parseArgs({ options: { hosts: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } } });
const hosts = Number(args.hosts);
const rounds = Number(args.rounds);
if (!Number.isInteger(hosts) || hosts < 10) throw new Error('--hosts: expected a whole number from 10');
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds: expected a whole number from 1');
const say = (line: string): void => {
  if (!args.json) console.log(line);
};

const ingress = { public: true, timeoutMs: 30_000, connectTimeoutMs: 5_000, maxBodyBytes: 1024 * 1024 };
function routeOf(envId: string, port: number, service = 'web'): RouteTableEntry {
  return { host: `${envId}.bench.test`, pathPrefix: '/', app: 'bench', envId, service, target: { kind: 'upstream', addresses: [{ host: '127.0.0.1', port }], stripPrefix: false }, ingress };
}
const byHost = (a: RouteTableEntry, b: RouteTableEntry): number => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, everyMs = 10): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A TCP relay between routers and the API that the benchmark can cut, or hold shut while the server restarts. */
class Relay {
  readonly pairs = new Set<[Socket, Socket]>();
  /** When each connection arrived, newest last. */
  readonly arrivals: number[] = [];
  private held: Socket[] | undefined;
  private server: Server | undefined;
  port = 0;
  constructor(private target: number) {}
  async start(): Promise<void> {
    this.server = createServer((client) => {
      this.arrivals.push(performance.now());
      client.on('error', () => undefined);
      if (this.held) this.held.push(client);
      else this.pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }
  private pipe(client: Socket): void {
    const upstream = connect(this.target, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', end);
    upstream.once('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
  cutAll(): void {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
  }
  hold(): void {
    this.held ??= [];
  }
  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const client of waiting) if (!client.destroyed) this.pipe(client);
  }
  async close(): Promise<void> {
    this.cutAll();
    for (const client of this.held ?? []) client.destroy();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}

interface RouterProcess {
  child: ChildProcess;
  port: number;
  metricsPort: number;
  cacheFile: string;
  spawnedAt: number;
  /** Log lines "route table snapshot applied", as key=value details. */
  snapshots: Record<string, string>[];
  closings: string[];
  stop(): Promise<void>;
}

function details(line: string): Record<string, string> {
  const inside = /\((.*)\)\s*$/.exec(line)?.[1] ?? '';
  return Object.fromEntries(inside.split(', ').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

async function startRouterProcess(dir: string, name: string, controlPlane: string, token: string): Promise<RouterProcess> {
  const cacheFile = join(dir, `${name}-cache.json`);
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [join(root, 'packages/cli/bin/slipway.js'), 'router', '--control-plane', controlPlane, '--port', '0', '--metrics-port', '0', '--cache-file', cacheFile], {
    cwd: root,
    env: { ...process.env, SLIPWAY_TOKEN: token, SLIPWAY_HOME: join(dir, name), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const snapshots: Record<string, string>[] = [];
  const closings: string[] = [];
  let port = 0;
  let metricsPort = 0;
  const errors: string[] = [];
  const onLine = (line: string) => {
    const listening = /Slipway router at http:\/\/[^:]+:(\d+)/.exec(line);
    if (listening) port = Number(listening[1]);
    const metrics = /Metrics at http:\/\/[^:]+:(\d+)\/metrics/.exec(line);
    if (metrics) metricsPort = Number(metrics[1]);
    if (line.includes('route table snapshot applied')) snapshots.push(details(line));
    if (line.includes('the control plane closed the route stream')) closings.push(details(line).reason ?? line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', (line) => {
    errors.push(line);
    onLine(line);
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  await until(`router ${name} to listen`, () => {
    if (exited) throw new Error(`router ${name} exited: ${errors.join('\n')}`);
    return port && metricsPort ? true : undefined;
  });
  return {
    child,
    port,
    metricsPort,
    cacheFile,
    spawnedAt,
    snapshots,
    closings,
    stop: async () => {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });
function status(port: number, host: string, path = '/'): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    get({ host: '127.0.0.1', port, path, headers: { host }, agent }, (res) => {
      res.resume();
      res.once('end', () => resolvePromise(res.statusCode ?? 0));
    }).on('error', reject);
  });
}
async function health(router: RouterProcess): Promise<{ routeTableVersion: number; routes: number }> {
  const response = await request(`http://127.0.0.1:${router.metricsPort}/healthz`);
  return (await response.body.json()) as { routeTableVersion: number; routes: number };
}

/** Polls until the host answers 200; the time from `t0`. */
async function first200(port: number, host: string, t0: number): Promise<number> {
  for (;;) {
    if ((await status(port, host)) === 200) return performance.now() - t0;
    if (performance.now() - t0 > 10_000) throw new Error(`${host} never answered 200 on port ${port}`);
  }
}

/** Whether the router's table (its cache file, once written at the hub's version) equals the hub's. */
async function compareTables(router: RouterProcess, server: RunningServer): Promise<{ equal: boolean; missing: number; extra: number; differing: number }> {
  const version = server.routes.version;
  const cached = await until(`${router.cacheFile} at version ${version}`, () => {
    if (!existsSync(router.cacheFile)) return undefined;
    try {
      const parsed = JSON.parse(readFileSync(router.cacheFile, 'utf8')) as { version: number; routes: RouteTableEntry[] };
      return parsed.version === version ? parsed : undefined;
    } catch {
      return undefined; // being replaced right now
    }
  }, 30_000, 50);
  const want = new Map(server.routes.snapshot().routes.map((r) => [r.host, JSON.stringify(r)]));
  const have = new Map(cached.routes.sort(byHost).map((r) => [r.host, JSON.stringify(r)]));
  let missing = 0;
  let differing = 0;
  for (const [host, text] of want) {
    const mine = have.get(host);
    if (mine === undefined) missing++;
    else if (mine !== text) differing++;
  }
  const extra = [...have.keys()].filter((host) => !want.has(host)).length;
  return { equal: missing === 0 && extra === 0 && differing === 0, missing, extra, differing };
}

/** The baseline: the same stream read raw to the end of its snapshot — bytes moved, nothing parsed. */
async function rawTransfer(relayPort: number, token: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const response = await request(`http://127.0.0.1:${relayPort}/api/v1/routes/stream`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
  let bytes = 0;
  let tail = '';
  for await (const chunk of response.body) {
    bytes += (chunk as Buffer).length;
    tail = (tail + (chunk as Buffer).toString('latin1')).slice(-4096);
    if (tail.includes('event: snapshot-end\n')) break;
  }
  const ms = performance.now() - t0;
  response.body.destroy();
  return { ms, bytes };
}

interface Round {
  loadMs: number;
  routerOwnLoadMs: number;
  spawnToLoadedMs: number;
  rawTransferMs: number;
  streamBytes: number;
  first200Ms: number[];
  embeddedFirst200Ms: number[];
  reconnect: { convergedMs: number; equal: boolean; snapshotsDuring: number; changes: number };
  late: { convergedMs: number; equal: boolean };
  restart: { convergedMs: number; equal: boolean; lateEqual: boolean; rewritten: number[] };
  reloads: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-standalone-router-bench-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const web = createHttpServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise((r) => {
          web.closeAllConnections();
          web.close(r);
        }),
    );
    const upstreamPort = (web.address() as { port: number }).port;

    const serverConfig = (apiPort: number) => ({ home: join(dir, 'home'), apiPort, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(dir, 'cli.yaml') });
    let server = await startServer(serverConfig(0), { docker: false });
    cleanups.push(() => server.close());
    const apiPort = Number(new URL(server.apiUrl).port);
    const t0 = performance.now();
    for (let i = 0; i < hosts; i++) server.routes.upsertEnvironment('bench', `e${i}`, [routeOf(`e${i}`, upstreamPort)]);
    say(`Standalone router at ${fmt(hosts)} hosts (one environment each), ${rounds} round(s); noisy shared machine\n`);
    say(`  seeded the control plane's hub with ${fmt(hosts)} routes in ${fmt(performance.now() - t0)} ms`);
    const token = (await createApiToken(server.store.db, { name: 'bench-router', workspace: 'default', role: 'admin' })).secret;
    const relay = new Relay(apiPort);
    await relay.start();
    cleanups.push(() => relay.close());
    const controlPlane = `http://127.0.0.1:${relay.port}`;

    const results: Round[] = [];
    let extra = 0;
    for (let round = 1; round <= rounds; round++) {
      const routers: RouterProcess[] = [];
      try {
        // Baseline first, so the router's load does not share the CPU with it.
        const raw = await rawTransfer(relay.port, token);
        const arrivalsBefore = relay.arrivals.length;
        const a = await startRouterProcess(dir, `r${round}a`, controlPlane, token);
        routers.push(a);
        const version = server.routes.version;
        await until('router A to load the table', async () => ((await health(a)).routeTableVersion === version ? true : undefined), 60_000, 5);
        const loadedAt = performance.now();
        const connectedAt = relay.arrivals[arrivalsBefore] ?? a.spawnedAt;
        const loadMs = loadedAt - connectedAt;
        const routerOwnLoadMs = Number(a.snapshots[0]?.ms ?? Number.NaN);

        // New routes: published in the hub, then polled through both routers.
        const first200Ms: number[] = [];
        const embeddedFirst200Ms: number[] = [];
        for (let i = 0; i < 5; i++) {
          const envId = `new-${round}-${i}`;
          const start = performance.now();
          server.routes.upsertEnvironment('bench', envId, [routeOf(envId, upstreamPort)]);
          const [standalone, embedded] = await Promise.all([first200(a.port, `${envId}.bench.test`, start), first200(server.routerPort, `${envId}.bench.test`, start)]);
          first200Ms.push(standalone);
          embeddedFirst200Ms.push(embedded);
          await sleep(20);
        }

        // Reconnect: cut the connection, change things while it is away.
        const snapshotsBefore = a.snapshots.length;
        relay.hold();
        relay.cutAll();
        let changes = 0;
        for (let i = 0; i < 50; i++) {
          const n = (round * 997 + i * 131) % hosts;
          server.routes.upsertEnvironment('bench', `e${n}`, [routeOf(`e${n}`, upstreamPort, `changed-${round}`)]);
          server.routes.removeEnvironment('bench', `new-${round}-${i % 5}`);
          server.routes.upsertEnvironment('bench', `extra-${extra}`, [routeOf(`extra-${extra++}`, upstreamPort)]);
          changes += 3;
        }
        const cutAt = performance.now();
        relay.release();
        const target = server.routes.version;
        await until('router A to resume', async () => ((await health(a)).routeTableVersion === target ? true : undefined), 60_000, 5);
        const reconnect = { convergedMs: performance.now() - cutAt, equal: (await compareTables(a, server)).equal, snapshotsDuring: a.snapshots.length - snapshotsBefore, changes };

        // A second router, started late.
        const b = await startRouterProcess(dir, `r${round}b`, controlPlane, token);
        routers.push(b);
        await until('router B to load', async () => ((await health(b)).routeTableVersion === server.routes.version ? true : undefined), 60_000, 5);
        const late = { convergedMs: performance.now() - b.spawnedAt, equal: (await compareTables(b, server)).equal };

        // Restart the control plane with the table and some changes; routers wait at the relay meanwhile.
        relay.hold();
        const snapshotTable = server.routes.snapshot().routes;
        await server.close();
        relay.cutAll();
        const restartedAt = performance.now();
        server = await startServer(serverConfig(apiPort), { docker: false });
        // The same table (as the engine republishes it at start), with 100 environments moved meanwhile.
        const moved = new Set(Array.from({ length: 100 }, (_, i) => `e${(round * 7919 + i * 613) % hosts}`));
        for (const route of snapshotTable) server.routes.upsertEnvironment('bench', route.envId, [moved.has(route.envId) ? { ...route, service: `moved-${round}` } : route]);
        const aBefore = a.snapshots.length;
        const bBefore = b.snapshots.length;
        relay.release();
        const restarted = server.routes.version;
        await until('both routers after the restart', async () => ((await health(a)).routeTableVersion === restarted && (await health(b)).routeTableVersion === restarted ? true : undefined), 60_000, 10);
        const restart = {
          convergedMs: performance.now() - restartedAt,
          equal: (await compareTables(a, server)).equal,
          lateEqual: (await compareTables(b, server)).equal,
          rewritten: [...a.snapshots.slice(aBefore), ...b.snapshots.slice(bBefore)].map((s) => Number(s.changed)),
        };
        const reloads = aBefore - 1 + (bBefore - 1);
        const result: Round = { loadMs, routerOwnLoadMs, spawnToLoadedMs: loadedAt - a.spawnedAt, rawTransferMs: raw.ms, streamBytes: raw.bytes, first200Ms, embeddedFirst200Ms, reconnect, late, restart, reloads };
        results.push(result);
        say(`\n  round ${round}`);
        say(`    load:        ${fmt(loadMs)} ms from the stream connection to the whole table served (router's own count ${fmt(routerOwnLoadMs)} ms; spawn → loaded ${fmt(result.spawnToLoadedMs)} ms)`);
        say(`                 baseline raw transfer of the same ${fmt(raw.bytes / 1024 / 1024, 1)} MiB: ${fmt(raw.ms)} ms → load / raw = ${fmt(loadMs / raw.ms, 2)}`);
        say(`    new route:   first 200 through the standalone router ${first200Ms.map((ms) => fmt(ms, 1)).join(', ')} ms; embedded router ${embeddedFirst200Ms.map((ms) => fmt(ms, 1)).join(', ')} ms`);
        say(`    reconnect:   cut, ${changes} changes while away, converged in ${fmt(reconnect.convergedMs)} ms with ${reconnect.snapshotsDuring} snapshot(s); tables equal: ${reconnect.equal}`);
        say(`    late router: converged ${fmt(late.convergedMs)} ms after its spawn; tables equal: ${late.equal}`);
        say(`    restart:     both routers converged ${fmt(restart.convergedMs)} ms after the server stopped (snapshot: history gone), environments rewritten ${restart.rewritten.join(' and ')} of ${fmt(hosts)}; tables equal: ${restart.equal && restart.lateEqual}`);
        say(`    reloads:     ${reloads} (snapshots beyond each router's first while the server kept its history)`);
      } finally {
        for (const router of routers) await router.stop();
        for (const router of routers) rmSync(router.cacheFile, { force: true });
      }
    }

    const loadMedian = median(results.map((r) => r.loadMs));
    const rawMedian = median(results.map((r) => r.rawTransferMs));
    const first200Median = median(results.flatMap((r) => r.first200Ms));
    const first200Max = Math.max(...results.flatMap((r) => r.first200Ms));
    const embeddedMedian = median(results.flatMap((r) => r.embeddedFirst200Ms));
    const reloads = results.reduce((sum, r) => sum + r.reloads, 0);
    const converged = results.every((r) => r.reconnect.equal && r.late.equal && r.restart.equal && r.restart.lateEqual);
    const targets = { loadMs: LOAD_TARGET_MS, first200Ms: FIRST_200_TARGET_MS, reloads: 0 };
    const met = { load: loadMedian < LOAD_TARGET_MS, first200: first200Max < FIRST_200_TARGET_MS, reloads: reloads === 0, converged };
    const report = { hosts, rounds, targets, met, loadMedianMs: loadMedian, rawTransferMedianMs: rawMedian, first200MedianMs: first200Median, first200MaxMs: first200Max, embeddedFirst200MedianMs: embeddedMedian, reloads, converged, results };
    if (args.json) {
      console.log(JSON.stringify(report));
    } else {
      say(`\n  summary (medians over ${rounds} round(s))`);
      say(`    full table load ${fmt(loadMedian)} ms (target < ${fmt(LOAD_TARGET_MS)} ms: ${verdict(met.load)}); raw transfer ${fmt(rawMedian)} ms; ratio ${fmt(loadMedian / rawMedian, 2)}`);
      say(`    new route → first 200 ${fmt(first200Median, 1)} ms, worst ${fmt(first200Max, 1)} ms (target < ${FIRST_200_TARGET_MS} ms: ${verdict(met.first200)}); embedded router ${fmt(embeddedMedian, 1)} ms; ratio ${fmt(first200Median / embeddedMedian, 1)}`);
      say(`    reloads ${reloads} (target 0: ${verdict(met.reloads)})`);
      say(`    convergence after a cut, a late start and a server restart, tables compared in full: ${converged ? 'every time' : 'NOT every time'}`);
    }
    process.exitCode = Object.values(met).every(Boolean) ? 0 : 1;
  } finally {
    agent.destroy();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
