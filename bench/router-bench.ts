// Router benchmarks (not part of `npm test`): run with `npx tsx bench/router-bench.ts`.
//
// (a) Throughput: wrk -t2 -c50 -d10s against the upstream direct, nginx proxying by Host to the same
//     upstream, and the Slipway router, in one run; the router/nginx ratio is what counts (target
//     ≥ 0.6), since absolute numbers move with the machine.
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
import { freePort, runWrk, startNginx, startUpstream, stop, toolMissing, type WrkResult } from './router-bench-support.ts';

const host = 'bench.slipway.localhost';
const seconds = Number(process.env.SLIPWAY_BENCH_SECONDS ?? 10);
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

async function throughput(upstreamPort: number, work: string): Promise<void> {
  console.log(`\n(a) wrk -t2 -c50 -d${seconds}s, Host: ${host}, one Node upstream\n`);
  let nginx: ChildProcess | undefined;
  let router: RunningRouter | undefined;
  try {
    const nginxPort = await freePort();
    nginx = await startNginx(join(work, 'nginx'), nginxPort, upstreamPort, host);
    const table = new RouteTable();
    table.upsertEnvironment('bench', 'main', [{ host, pathPrefix: '/', app: 'bench', envId: 'main', target: { kind: 'upstream', addresses: [{ host: '127.0.0.1', port: upstreamPort }], stripPrefix: false }, ingress }]);
    router = await startRouter({ table, port: 0, host: '127.0.0.1' });

    const targets: [string, string][] = [
      ['upstream direct', `http://127.0.0.1:${upstreamPort}/`],
      ['nginx proxy_pass', `http://127.0.0.1:${nginxPort}/`],
      ['slipway router', `${router.url}/`],
    ];
    const results = new Map<string, WrkResult>();
    for (const [name, url] of targets) {
      await runWrk(url, host, 2); // warm-up: JIT, connection pools
      const result = await runWrk(url, host, seconds);
      results.set(name, result);
      console.log(`  ${name.padEnd(18)} ${fmt(result.requestsPerSecond).padStart(8)} req/s   p99 ${fmt(result.p99Ms, 2).padStart(6)} ms${result.errors ? `   (${result.errors})` : ''}`);
    }
    const ratio = results.get('slipway router')!.requestsPerSecond / results.get('nginx proxy_pass')!.requestsPerSecond;
    const ofDirect = results.get('slipway router')!.requestsPerSecond / results.get('upstream direct')!.requestsPerSecond;
    console.log(`\n  router / nginx = ${fmt(ratio, 2)} (target ≥ 0.60: ${ratio >= 0.6 ? 'met' : 'NOT met'}); router / direct = ${fmt(ofDirect, 2)}`);
  } finally {
    await router?.close();
    await stop(nginx);
  }
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
    await throughput(upstreamPort, work);
    await routeTable(freshPorts);
  } finally {
    await stop(upstream);
    await rm(work, { recursive: true, force: true });
  }
  return 0;
}

process.exitCode = await main();
