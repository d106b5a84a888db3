// Router benchmarks (not part of `npm test`): run with `npm run bench:router`.
//
// (a) Throughput against nginx (one worker, proxy_pass by Host, keep-alive 64 to the upstream), same
//     Node upstream, same load, in one run: wrk at 64, 256 and 1,024 connections, keep-alive and
//     `Connection: close`, a 12-byte and a 1 MiB response body, plus WebSocket echo at 64 and 256
//     connections. Each case runs SLIPWAY_BENCH_ROUNDS rounds (default 3), nginx and the router
//     alternating, and prints every round. Target (issue 14): the router ≥ 0.8× nginx's requests per
//     second and p99 ≤ 1.5× nginx's, in every case; the bench exits 1 when a case misses it.
//     SLIPWAY_BENCH_SECONDS (default 5) sets each run's length; SLIPWAY_BENCH_CASES a comma-separated
//     filter on case names (for example `c64-ka-small,ws-c64`).
// (b) The route table at 10,000 environments: heap, lookup cost, the cost of one environment's
//     change, and the time from a new environment's upsert to its first proxied response (target
//     < 100 ms), all without a full reload.
import { Agent, get } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ChildProcess } from 'node:child_process';
import type { RouteTableEntry } from '@slipway/contract';
import { RouteTable, startRouter, type RunningRouter } from '@slipway/router';
import { freePort, runWebSocketEcho, runWrk, startNginx, startUpstream, stop, toolMissing, type WrkResult } from './router-bench-support.ts';

const host = 'bench.slipway.localhost';
const seconds = Number(process.env.SLIPWAY_BENCH_SECONDS ?? 5);
const rounds = Number(process.env.SLIPWAY_BENCH_ROUNDS ?? 3);
const caseFilter = process.env.SLIPWAY_BENCH_CASES?.split(',').map((name) => name.trim()).filter(Boolean);
const targetRatio = 0.8;
const targetP99Ratio = 1.5;
const environments = 10_000;
const ingress = { public: true, timeoutMs: 60_000, connectTimeoutMs: 5_000, maxBodyBytes: 1024 * 1024 };

function routesOf(envId: string, port: number): RouteTableEntry[] {
  const target = { kind: 'upstream' as const, addresses: [{ host: '127.0.0.1', port }], stripPrefix: false };
  return [
    { host: `web-${envId}.slipway.localhost`, pathPrefix: '/', app: 'shop', envId, service: 'web', target, ingress },
    { host: `web-${envId}.slipway.localhost`, pathPrefix: '/api', app: 'shop', envId, service: 'api', target: { ...target, stripPrefix: true }, ingress },
  ];
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function getStatus(agent: Agent, port: number, hostHeader: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/', headers: { host: hostHeader }, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

interface LoadCase {
  name: string;
  describe: string;
  run(url: string): Promise<WrkResult>;
}

function loadCases(): LoadCase[] {
  const cases: LoadCase[] = [];
  for (const connections of [64, 256, 1024]) {
    for (const close of [false, true]) {
      for (const big of [false, true]) {
        const name = `c${connections}-${close ? 'close' : 'ka'}-${big ? '1m' : 'small'}`;
        const describe = `${connections} conns, ${close ? 'Connection: close' : 'keep-alive'}, ${big ? '1 MiB' : '12 B'} body`;
        cases.push({ name, describe, run: (url) => runWrk(big ? `${url}1m` : url, host, { seconds, connections, close }) });
      }
    }
  }
  for (const connections of [64, 256]) {
    cases.push({
      name: `ws-c${connections}`,
      describe: `WebSocket echo, ${connections} conns (messages/s)`,
      run: (url) => runWebSocketEcho(url.replace(/^http/, 'ws'), host, { seconds, connections }),
    });
  }
  return caseFilter ? cases.filter((c) => caseFilter.includes(c.name)) : cases;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Returns whether every case met the target. */
async function throughput(upstreamPort: number, work: string): Promise<boolean> {
  const cases = loadCases();
  console.log(`\n(a) router vs nginx: ${cases.length} cases × ${rounds} rounds × ${seconds} s, Host: ${host}, one Node upstream (wrk -t2)`);
  console.log(`    target: router ≥ ${targetRatio}× nginx's req/s and p99 ≤ ${targetP99Ratio}× nginx's in every case\n`);
  let nginx: ChildProcess | undefined;
  let router: RunningRouter | undefined;
  let allMet = true;
  const summary: string[] = [];
  try {
    const nginxPort = await freePort();
    nginx = await startNginx(join(work, 'nginx'), nginxPort, upstreamPort, host);
    const table = new RouteTable();
    table.upsertEnvironment('bench', 'main', [{ host, pathPrefix: '/', app: 'bench', envId: 'main', target: { kind: 'upstream', addresses: [{ host: '127.0.0.1', port: upstreamPort }], stripPrefix: false }, ingress }]);
    router = await startRouter({ table, port: 0, host: '127.0.0.1' });
    const targets: [string, string][] = [
      ['nginx', `http://127.0.0.1:${nginxPort}/`],
      ['router', `${router.url}/`],
    ];
    for (const loadCase of cases) {
      console.log(`  ${loadCase.name}: ${loadCase.describe}`);
      const ratios: number[] = [];
      const p99Ratios: number[] = [];
      for (let round = 1; round <= rounds; round++) {
        const results = new Map<string, WrkResult>();
        for (const [name, url] of targets) {
          if (round === 1) await loadCase.run(url).catch(() => undefined); // warm-up: JIT, connection pools
          results.set(name, await loadCase.run(url));
        }
        const n = results.get('nginx')!;
        const r = results.get('router')!;
        const ratio = r.requestsPerSecond / n.requestsPerSecond;
        const p99Ratio = r.p99Ms / Math.max(n.p99Ms, 0.001);
        ratios.push(ratio);
        p99Ratios.push(p99Ratio);
        const errors = [n.errors && `nginx: ${n.errors}`, r.errors && `router: ${r.errors}`].filter(Boolean).join('; ');
        console.log(
          `    round ${round}: nginx ${fmt(n.requestsPerSecond).padStart(7)}/s p99 ${fmt(n.p99Ms, 2).padStart(7)} ms | router ${fmt(r.requestsPerSecond).padStart(7)}/s p99 ${fmt(r.p99Ms, 2).padStart(7)} ms | ${fmt(ratio, 2)}× req/s, ${fmt(p99Ratio, 2)}× p99${errors ? `   (${errors})` : ''}`,
        );
      }
      const ratio = median(ratios);
      const p99Ratio = median(p99Ratios);
      const met = ratio >= targetRatio && p99Ratio <= targetP99Ratio;
      if (!met) allMet = false;
      summary.push(`  ${loadCase.name.padEnd(16)} ${fmt(ratio, 2).padStart(5)}× req/s  ${fmt(p99Ratio, 2).padStart(5)}× p99  ${met ? 'met' : 'NOT met'}`);
    }
  } finally {
    await router?.close();
    await stop(nginx);
  }
  console.log(`\n  medians over ${rounds} rounds (router / nginx):`);
  for (const line of summary) console.log(line);
  console.log(`\n  target (≥ ${targetRatio}× req/s, p99 ≤ ${targetP99Ratio}×) ${allMet ? 'met in every case' : 'NOT met'}`);
  return allMet;
}

async function routeTable(freshPorts: number[]): Promise<void> {
  console.log(`\n(b) route table at ${fmt(environments)} environments (2 routes each)\n`);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const events = Array.from({ length: environments }, (_, i) => ({
    type: 'upsert-environment' as const,
    version: i + 1,
    app: 'shop',
    envId: `pr-${i}`,
    routes: routesOf(`pr-${i}`, 20_000 + (i % 5_000)),
  }));
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const table = new RouteTable();
  let started = performance.now();
  for (const event of events) table.apply(event);
  const loadMs = performance.now() - started;
  events.length = 0;
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(`  load: ${fmt(loadMs, 1)} ms for ${fmt(environments)} upserts; heap used by the table ≈ ${fmt((heapAfter - heapBefore) / 1024 / 1024, 1)} MiB (${fmt((heapAfter - heapBefore) / environments)} B per environment)`);

  const hosts = Array.from({ length: 4096 }, (_, i) => `web-pr-${(i * 7919) % environments}.slipway.localhost:8080`);
  const paths = ['/', '/api/users?page=2', '/assets/app.js'];
  const lookups = 2_000_000;
  let found = 0;
  for (let i = 0; i < 200_000; i++) if (table.lookup(hosts[i & 4095]!, paths[i % 3]!)) found++;
  started = performance.now();
  for (let i = 0; i < lookups; i++) if (table.lookup(hosts[i & 4095]!, paths[i % 3]!)) found++;
  const lookupNs = ((performance.now() - started) * 1e6) / lookups;
  const misses = 200_000;
  started = performance.now();
  for (let i = 0; i < misses; i++) if (table.lookup(`unknown-${i & 1023}.slipway.localhost`, '/')) found++;
  const missNs = ((performance.now() - started) * 1e6) / misses;
  console.log(`  lookup: ${fmt(lookupNs)} ns/op (hit, ${fmt(lookups)} lookups), ${fmt(missNs)} ns/op (unknown host)${found === 0 ? ' — nothing found?!' : ''}`);

  const changes = 2_000;
  let version = table.version;
  started = performance.now();
  for (let i = 0; i < changes; i++) table.apply({ type: 'upsert-environment', version: ++version, app: 'shop', envId: `pr-${i * 5}`, routes: routesOf(`pr-${i * 5}`, 30_000 + i) });
  const changeUs = ((performance.now() - started) * 1000) / changes;
  const small = new RouteTable();
  for (let i = 0; i < 10; i++) small.upsertEnvironment('shop', `pr-${i}`, routesOf(`pr-${i}`, 20_000));
  started = performance.now();
  for (let i = 0; i < changes; i++) small.upsertEnvironment('shop', `pr-${i % 10}`, routesOf(`pr-${i % 10}`, 30_000 + i));
  const smallChangeUs = ((performance.now() - started) * 1000) / changes;
  console.log(`  one environment's upsert: ${fmt(changeUs, 1)} µs at ${fmt(environments)} environments vs ${fmt(smallChangeUs, 1)} µs at 10 (incremental: no reload)`);

  // Upsert → first proxied 200, each to an upstream port the router has never connected to.
  const router = await startRouter({ table, port: 0, host: '127.0.0.1' });
  const agent = new Agent({ keepAlive: true });
  try {
    const times: number[] = [];
    for (const [i, port] of freshPorts.entries()) {
      const envId = `new-${i}`;
      const t0 = performance.now();
      table.apply({ type: 'upsert-environment', version: ++version, app: 'shop', envId, routes: routesOf(envId, port) });
      const status = await getStatus(agent, router.port, `web-${envId}.slipway.localhost`);
      times.push(performance.now() - t0);
      if (status !== 200) throw new Error(`new environment answered ${status}`);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    const max = times[times.length - 1]!;
    console.log(`  upsert → first proxied 200 (new upstream connection): median ${fmt(median, 2)} ms, max ${fmt(max, 2)} ms over ${times.length} environments (target < 100 ms: ${max < 100 ? 'met' : 'NOT met'})`);
  } finally {
    agent.destroy();
    await router.close();
  }
}

async function main(): Promise<number> {
  const missing = toolMissing();
  if (missing) {
    console.error(`${missing} not found. Install them with:\n  apt-get install -y wrk nginx\n(nginx does not need to be running: the benchmark starts its own on 127.0.0.1.)`);
    return 1;
  }
  const work = await mkdtemp(join(tmpdir(), 'slipway-router-bench-'));
  const upstreamPort = await freePort();
  const freshPorts: number[] = [];
  for (let i = 0; i < 20; i++) freshPorts.push(await freePort());
  const upstream = await startUpstream([upstreamPort, ...freshPorts]);
  try {
    const met = await throughput(upstreamPort, work);
    await routeTable(freshPorts);
    return met ? 0 : 1;
  } finally {
    await stop(upstream);
    await rm(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
