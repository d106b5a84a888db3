// List benchmark (not part of `npm test`): `npm run bench:list [-- --environments 10000] [--rounds 3] [--json]`.
//
// GET /api/v1/environments at --environments live environments (default 10,000), against a real
// server (API, workflow engine, router, local driver) in this process, on SQLite in a temporary
// folder — and again on PostgreSQL with --postgres <url> (a server where it may create and drop a
// database; SLIPWAY_TEST_DATABASE_URL is used when set). Side by side, in the same run, on the same
// rows, over keep-alive HTTP:
//   default page      GET /api/v1/environments — the first page of 100, what a client that does
//                     not page gets (target: p99 < 20 ms);
//   full list         the answer before pagination: every live environment in one response, made
//                     by the old handler's code (listLive, guardians, responses, masking) on the same
//                     store, served by a second HTTP server in this process — the baseline;
//   every page        all environments read the way the CLI reads them, pages of 1000 one after
//                     another (the time for the whole walk).
// It prints bytes per answer, and the server's memory per environment: the live heap (after a
// garbage collection; node --expose-gc, as npm run bench:list runs it) of the running server with
// the environments seeded and their routes published, minus the same server's heap before the
// seeding, divided by their number (target: < 10 KB; the router-only figure of 9.4 KB in issue 14
// was the route table's share alone, measured the same way in bench/router-bench.ts).
//
// The environments are seeded the quickest honest way: rendered from a real manifest as the API
// renders them and stored ready, with a succeeded setup deploy, in bulk inserts straight into the
// store (packages/server/src/test-support/seed-environments.ts) — creating 10,000 through the API
// would start 20,000 processes. Figures on a shared 2-core machine are noisy: compare the columns
// of one run, not runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, styleText } from 'node:util';
import Fastify from 'fastify';
import { createApiToken, SecretStore, startServer, type RunningServer } from '@slipway/server';
import { environmentResponseOf } from '../packages/server/src/http/environment-responses.ts';
import { maskedAnswer, WorkspaceOutputMasking } from '../packages/server/src/secrets/output-masking.ts';
import { seedEnvironments } from '../packages/server/src/test-support/seed-environments.ts';
import { createPostgresDatabase } from '../packages/server/src/test-support/test-databases.ts';

const PAGE_P99_TARGET_MS = 20;
const MEMORY_TARGET_BYTES = 10 * 1024;

const { values: args } = parseArgs({
  options: {
    environments: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '200' },
    'full-requests': { type: 'string', default: '10' },
    postgres: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(args.environments);
const rounds = Number(args.rounds);
const requests = Number(args.requests);
const fullRequests = Number(args['full-requests']);
for (const [name, value] of [['environments', count], ['rounds', rounds], ['requests', requests], ['full-requests', fullRequests]] as const) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name}: expected a whole number from 1, got ${JSON.stringify(args[name])}`);
}
const postgresAdmin = args.postgres ?? process.env.SLIPWAY_TEST_DATABASE_URL;
const gc = (globalThis as { gc?: () => void }).gc;
const log = (line: string) => {
  if (!args.json) console.log(line);
};

interface Timing {
  p50: number;
  p99: number;
  max: number;
  bytes: number;
}

interface DatabaseReport {
  database: 'sqlite' | 'postgres';
  environments: number;
  seedMs: number;
  memory: { bytesPerEnvironment: number | null; note?: string };
  rounds: { page: Timing; full: Timing; everyPageMs: number; pages: number }[];
  targets: { pageP99: boolean; memory: boolean | null };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function get(url: string, token: string): Promise<{ ms: number; status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

async function timed(url: string, token: string, times: number): Promise<Timing> {
  await get(url, token); // warm-up: JIT, the statement cache, the connection
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < times; i++) {
    const answer = await get(url, token);
    if (answer.status !== 200) throw new Error(`GET ${url} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    samples.push(answer.ms);
    bytes = Buffer.byteLength(answer.body);
  }
  samples.sort((a, b) => a - b);
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), max: samples[samples.length - 1]!, bytes };
}

function liveHeap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/** The list as the API answered it before pagination: every live environment, in one response. */
async function startFullListServer(server: RunningServer): Promise<{ url: string; close(): Promise<void> }> {
  const masking = new WorkspaceOutputMasking(new SecretStore(server.store.db, server.secretBox));
  const app = Fastify({ logger: false });
  app.get('/api/v1/environments', async () => {
    const items = await server.environments.listLive('default');
    const guardianOf = await server.service.guardiansOf('default');
    return maskedAnswer(masking, 'default', { items: items.map((env) => environmentResponseOf(env, { guardian: guardianOf(env) })) });
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `${address}/api/v1/environments`, close: () => app.close() };
}

/**
 * The engine refreshes the routes of ready environments every 5 s (its default): memory is read past
 * one refresh of them all. A seeded environment runs no instance, so its routes have no upstream;
 * the route table's own share per environment is bench/router-bench.ts's (b).
 */
const afterRouteRefresh = () => new Promise((r) => setTimeout(r, 6_000));

async function benchOn(database: 'sqlite' | 'postgres'): Promise<DatabaseReport> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-list-bench-'));
  const pgDatabase = database === 'postgres' ? await createPostgresDatabase(postgresAdmin!, 'slipway_list_bench') : undefined;
  let server: RunningServer | undefined;
  let full: { url: string; close(): Promise<void> } | undefined;
  try {
    server = await startServer(
      { home: join(dir, 'home'), apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(dir, 'cli.yaml'), ...(pgDatabase ? { databaseUrl: pgDatabase.databaseUrl } : {}) },
      { docker: false },
    );
    const token = (await createApiToken(server.store.db, { name: 'bench', workspace: 'default', role: 'admin' })).secret;
    const pageUrl = `${server.apiUrl}/api/v1/environments`;
    await timed(pageUrl, token, 20);
    const heapBefore = gc ? liveHeap() : undefined;
    log(`\n${database}: seeding ${count.toLocaleString('en')} environments (bulk store inserts of rendered, ready environments)…`);
    const seedStarted = performance.now();
    await seedEnvironments(server.store.db, { count, routerPort: server.routerPort });
    const seedMs = performance.now() - seedStarted;
    // The engine publishes the routes of ready environments at its refresh (every 5 s): memory is read once it has.
    await afterRouteRefresh();
    full = await startFullListServer(server);
    const memory: DatabaseReport['memory'] = { bytesPerEnvironment: null };
    const reports: DatabaseReport['rounds'] = [];
    for (let round = 1; round <= rounds; round++) {
      const page = await timed(pageUrl, token, requests);
      const whole = await timed(full.url, token, fullRequests);
      const walkStarted = performance.now();
      let cursor: string | null = null;
      let pages = 0;
      let seen = 0;
      do {
        const answer = await get(`${pageUrl}?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token);
        const body = JSON.parse(answer.body) as { items: unknown[]; nextCursor: string | null };
        seen += body.items.length;
        cursor = body.nextCursor;
        pages++;
      } while (cursor);
      const everyPageMs = performance.now() - walkStarted;
      if (seen !== count) throw new Error(`walking every page listed ${seen} environments, not ${count}`);
      reports.push({ page, full: whole, everyPageMs, pages });
      log(
        `  round ${round}: default page p50 ${page.p50.toFixed(1)} ms p99 ${page.p99.toFixed(1)} ms (${(page.bytes / 1024).toFixed(1)} KiB)` +
          ` | full list p50 ${whole.p50.toFixed(0)} ms p99 ${whole.p99.toFixed(0)} ms (${(whole.bytes / 1024 / 1024).toFixed(2)} MiB)` +
          ` | p99 full/page ${(whole.p99 / page.p99).toFixed(0)}× | every page (${pages} × 1000) ${everyPageMs.toFixed(0)} ms`,
      );
    }
    if (heapBefore !== undefined) {
      const after = liveHeap();
      memory.bytesPerEnvironment = Math.round((after - heapBefore) / count);
    } else memory.note = 'not measured: run with node --expose-gc (npm run bench:list does)';
    const worstP99 = Math.max(...reports.map((r) => r.page.p99));
    return {
      database,
      environments: count,
      seedMs: Math.round(seedMs),
      memory,
      rounds: reports,
      targets: { pageP99: worstP99 < PAGE_P99_TARGET_MS, memory: memory.bytesPerEnvironment === null ? null : memory.bytesPerEnvironment < MEMORY_TARGET_BYTES },
    };
  } finally {
    await full?.close();
    if (server) {
      await server.engine.stop();
      await server.close();
    }
    await pgDatabase?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

const mark = (met: boolean | null) => (met === null ? 'not measured' : met ? styleText('green', 'met') : styleText('red', 'MISSED'));

log(`List benchmark: GET /api/v1/environments at ${count.toLocaleString('en')} environments, ${rounds} rounds of ${requests} default-page and ${fullRequests} full-list requests (${cpus().length} CPUs; figures on a shared machine are noisy)`);
const reports: DatabaseReport[] = [await benchOn('sqlite')];
if (postgresAdmin) reports.push(await benchOn('postgres'));
else log('\npostgres: skipped (give --postgres <url> or set SLIPWAY_TEST_DATABASE_URL)');
agent.destroy();

if (args.json) console.log(JSON.stringify({ environments: count, rounds, machine: { cpus: cpus().length }, reports }, null, 2));
else {
  for (const report of reports) {
    const worst = Math.max(...report.rounds.map((r) => r.page.p99));
    const perEnv = report.memory.bytesPerEnvironment;
    console.log(`\n${report.database}: seeded in ${report.seedMs} ms`);
    console.log(`  default page p99 (worst round) ${worst.toFixed(1)} ms — target < ${PAGE_P99_TARGET_MS} ms: ${mark(report.targets.pageP99)}`);
    console.log(`  memory per environment ${perEnv === null ? '-' : `${(perEnv / 1024).toFixed(1)} KB`} — target < ${MEMORY_TARGET_BYTES / 1024} KB: ${mark(report.targets.memory)}${report.memory.note ? ` (${report.memory.note})` : ''}`);
  }
}
