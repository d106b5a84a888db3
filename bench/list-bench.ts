// List benchmark (not part of `npm test`): `npm run bench:list [-- --environments 10000] [--rounds 3] [--requests 200] [--postgres <url>] [--json]`.
//
// The API's long lists at --environments live environments (default 10,000), against a real server
// (API, workflow engine, router, local driver) in this process, on SQLite in a temporary folder —
// and again on PostgreSQL with --postgres <url> (a server where it may create and drop a database;
// SLIPWAY_TEST_DATABASE_URL is used when set). Each case is a real HTTP request over keep-alive
// with an admin token (authentication, authorisation, the store, `protectedBy`, masking, the
// response schema's serialisation), timed alternately with its baseline, the raw indexed SELECT
// of the same page on the same connection pool (no HTTP, no mapping). Target: every case's p99 <
// 20 ms; the ratio HTTP / raw SELECT says what the API adds to the database's own work.
//
//   environments: first page   GET /api/v1/environments (100, what a client that does not page gets)
//   environments: one app      GET /api/v1/environments?app=shop (a filtered page)
//   environments: deep         GET /api/v1/environments?cursor=… (the page after the 9,900th)
//   deploys: first / deep      GET /api/v1/environments/{id}/deploys of an environment with --deploys deploys
//   audit: first / deep        GET /api/v1/audit of a ledger of --audit entries, newest and near the oldest
//
// Beside them, once a round: the full list as the API answered before pagination (every environment
// in one answer, the old handler's code on the same store, a second HTTP server in this process),
// and the walk of every page of 1000, as the CLI reads them.
//
// Every round runs twice: with the server as it starts (its routes follow deploys and instance
// events, with a resync of every environment every 15 minutes and a changes feed every 10 s), then
// on a second server on the same data whose engine resyncs them once, at its start ('engine idle') — so a miss is attributed: the event loop's longest stall in each round is printed beside the
// figures. Memory: the live heap (after a garbage collection; node --expose-gc, as npm run
// bench:list runs it) of the running server with the environments seeded, their routes published
// and the lists read, minus the same server's heap before the seeding, divided by their number
// (target < 10 KB). The process exits 1 when a target is missed.
//
// The rows are seeded the quickest honest way (packages/server/src/test-support/seed-environments.ts):
// rendered from a real manifest as the API renders it and stored ready with a succeeded deploy, in
// bulk inserts — creating 10,000 through the API would start 20,000 processes; audit entries are
// chained and hashed as recordAudit chains them. Figures on a shared 2-core machine are noisy:
// compare the columns of one run, not runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs, styleText } from 'node:util';
import Fastify from 'fastify';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { auditEntryHash, canonicalJson, createApiToken, SecretStore, startServer, type Database, type RunningServer } from '@slipway/server';
import { environmentResponseOf } from '../packages/server/src/http/environment-responses.ts';
import { maskedAnswer, WorkspaceOutputMasking } from '../packages/server/src/secrets/output-masking.ts';
import { seedDeploys, seedEnvironments } from '../packages/server/src/test-support/seed-environments.ts';
import { createPostgresDatabase } from '../packages/server/src/test-support/test-databases.ts';

const P99_TARGET_MS = 20;
const MEMORY_TARGET_BYTES = 10 * 1024;
const PAGE = 100;

const { values: args } = parseArgs({
  options: {
    environments: { type: 'string', default: '10000' },
    deploys: { type: 'string', default: '10000' },
    audit: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '200' },
    'full-requests': { type: 'string', default: '5' },
    postgres: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const numberArg = (name: keyof typeof args, min: number) => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min) {
    console.error(`list-bench: --${name}: expected a whole number from ${min}, got ${JSON.stringify(args[name])}`);
    process.exit(2);
  }
  return value;
};
const count = numberArg('environments', 20);
const deployCount = numberArg('deploys', 1);
const auditCount = numberArg('audit', PAGE * 2);
const rounds = numberArg('rounds', 1);
const requests = numberArg('requests', 1);
const fullRequests = numberArg('full-requests', 1);
const postgresAdmin = args.postgres ?? process.env.SLIPWAY_TEST_DATABASE_URL;
const gc = (globalThis as { gc?: () => void }).gc;
const log = (line: string) => {
  if (!args.json) console.log(line);
};

interface Timing {
  p50: number;
  p99: number;
  max: number;
}

interface CaseTiming {
  name: string;
  http: Timing & { bytes: number };
  raw: Timing;
  /** http p99 / raw p99 */
  ratio: number;
}

const PHASES = ['engine running', 'engine idle'] as const;
type Phase = (typeof PHASES)[number];

interface RoundReport {
  phase: Phase;
  round: number;
  cases: CaseTiming[];
  full: Timing & { bytes: number };
  everyPageMs: number;
  pages: number;
  /** The event loop's longest and p99 stall during the round, ms. */
  loopDelay: { p99: number; max: number };
}

interface DatabaseReport {
  database: 'sqlite' | 'postgres';
  environments: number;
  seedMs: number;
  memory: { bytesPerEnvironment: number | null; note?: string };
  rounds: RoundReport[];
  /** Worst p99 of every case over the rounds of each phase. */
  worst: Record<Phase, Record<string, number>>;
  targets: { p99: Record<Phase, boolean>; memory: boolean | null };
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

async function getJson<T>(url: string, token: string): Promise<T> {
  const answer = await get(url, token);
  if (answer.status !== 200) throw new Error(`GET ${url} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
  return JSON.parse(answer.body) as T;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function summary(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1]! };
}

/** A case: the API's page and the raw SELECT of the same rows, which must agree on how many. */
interface ListCase {
  name: string;
  url: string;
  rows: number;
  raw: () => Promise<unknown[]>;
}

/** Times the case's HTTP request and its raw SELECT alternately, `times` each. */
async function timeCase(c: ListCase, token: string, times: number): Promise<CaseTiming> {
  const first = await get(c.url, token); // warm-up: JIT, the statement cache, the connection
  if (first.status !== 200) throw new Error(`GET ${c.url} answered ${first.status}: ${first.body.slice(0, 300)}`);
  const listed = (JSON.parse(first.body) as { items: unknown[] }).items.length;
  const selected = (await c.raw()).length;
  if (listed !== c.rows || selected < c.rows) throw new Error(`${c.name}: the API listed ${listed} rows and the raw SELECT ${selected}, expected ${c.rows}`);
  const http: number[] = [];
  const raw: number[] = [];
  let bytes = 0;
  for (let i = 0; i < times; i++) {
    const answer = await get(c.url, token);
    if (answer.status !== 200) throw new Error(`GET ${c.url} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    http.push(answer.ms);
    bytes = Buffer.byteLength(answer.body);
    const started = performance.now();
    await c.raw();
    raw.push(performance.now() - started);
  }
  const h = summary(http);
  const r = summary(raw);
  return { name: c.name, http: { ...h, bytes }, raw: r, ratio: h.p99 / r.p99 };
}

async function timeFull(url: string, token: string, times: number): Promise<Timing & { bytes: number }> {
  await get(url, token);
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < times; i++) {
    const answer = await get(url, token);
    samples.push(answer.ms);
    bytes = Buffer.byteLength(answer.body);
  }
  return { ...summary(samples), bytes };
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

/** `entries` audit entries of the default workspace, chained and hashed as recordAudit chains them, in bulk. */
async function seedAudit(db: Kysely<Database>, entries: number): Promise<void> {
  const head = await db.selectFrom('audit_head').select(['last_seq', 'last_hash']).executeTakeFirstOrThrow();
  let seq = Number(head.last_seq);
  let prevHash = head.last_hash;
  const end = seq + entries;
  const at = new Date().toISOString();
  while (seq < end) {
    const rows: Database['audit_entries'][] = [];
    for (let i = 0; i < 500 && seq < end; i++) {
      seq += 1;
      const fields = { seq, at, workspace: 'default', actor: 'bench', kind: 'environment.patch', subject: `env-${String(seq % count).padStart(5, '0')}`, detailsJson: canonicalJson({ n: seq }), prevHash };
      const hash = auditEntryHash(fields);
      rows.push({ seq, at, workspace: fields.workspace, actor: fields.actor, kind: fields.kind, subject: fields.subject, details_json: fields.detailsJson, prev_hash: prevHash, hash });
      prevHash = hash;
    }
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('audit_entries').values(rows).execute();
      await tx.updateTable('audit_head').set({ last_seq: seq, last_hash: prevHash }).where('id', '=', 1).execute();
    });
  }
}

/** The cursor after the first `rows` rows of `url`'s walk, read the way a client pages. */
async function cursorAfter(url: string, token: string, rows: number): Promise<string> {
  let cursor: string | null = null;
  let seen = 0;
  while (seen < rows) {
    const limit = Math.min(1000, rows - seen);
    const page: { items: unknown[]; nextCursor: string | null } = await getJson(`${url}${url.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token);
    seen += page.items.length;
    cursor = page.nextCursor;
    if (!cursor) throw new Error(`${url} ended after ${seen} rows, before ${rows}`);
  }
  return cursor!;
}

async function benchOn(database: 'sqlite' | 'postgres'): Promise<DatabaseReport> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-list-bench-'));
  const pgDatabase = database === 'postgres' ? await createPostgresDatabase(postgresAdmin!, 'slipway_list_bench') : undefined;
  let server: RunningServer | undefined;
  let full: { url: string; close(): Promise<void> } | undefined;
  try {
    // The same home and database each time: the second server finds what the first seeded.
    const start = (engine?: { refreshRoutesMs: number }) =>
      startServer(
        { home: join(dir, 'home'), apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(dir, 'cli.yaml'), ...(pgDatabase ? { databaseUrl: pgDatabase.databaseUrl } : {}) },
        { docker: false, ...(engine ? { engine } : {}) },
      );
    server = await start();
    let db = server.store.db;
    const token = (await createApiToken(db, { name: 'bench', workspace: 'default', role: 'admin' })).secret;
    let api = `${server.apiUrl}/api/v1`;
    await timeFull(`${api}/environments`, token, 20);
    const heapBefore = gc ? liveHeap() : undefined;
    const others = Math.floor(count / 10);
    log(`\n${database}: seeding ${count.toLocaleString('en')} environments (${others} of cart, ${count - others} of shop), ${deployCount.toLocaleString('en')} deploys of one, ${auditCount.toLocaleString('en')} audit entries…`);
    const seedStarted = performance.now();
    await seedEnvironments(db, { count: others, app: 'cart', prefix: 'cart', routerPort: server.routerPort });
    await seedEnvironments(db, { count: count - others, app: 'shop', prefix: 'env', routerPort: server.routerPort });
    await seedDeploys(db, { envId: 'env-00000', count: deployCount });
    await seedAudit(db, auditCount);
    const seedMs = performance.now() - seedStarted;
    // The seeded rows reach the route publisher by its changes feed (every 10 s): the rounds start once they may have.
    await new Promise((r) => setTimeout(r, 11_000));
    full = await startFullListServer(server);

    const deepAt = count - PAGE;
    const shopDeepAt = count - others - PAGE;
    const [envCursor, shopCursor, deployCursor] = [await cursorAfter(`${api}/environments`, token, deepAt), await cursorAfter(`${api}/environments?app=shop`, token, shopDeepAt), await cursorAfter(`${api}/environments/env-00000/deploys`, token, deployCount + 1 - PAGE)];
    const newestAudit = Number((await db.selectFrom('audit_head').select('last_seq').executeTakeFirstOrThrow()).last_seq);
    const live = sql`workspace = 'default' and deleted_at is null`;
    const envId = (await db.selectFrom('environments').select('id').where('env_id', '=', 'env-00000').where('deleted_at', 'is', null).executeTakeFirstOrThrow()).id;
    const pad = (n: number) => String(n).padStart(5, '0');
    const lastShop = `env-${pad(shopDeepAt - 1)}`;
    // The key of the deep page's last row: cart's rows come first in the order, then shop's.
    const [lastApp, lastRow] = deepAt - 1 < others ? ['cart', `cart-${pad(deepAt - 1)}`] : ['shop', `env-${pad(deepAt - 1 - others)}`];
    const rawRows = (query: RawBuilder<unknown>) => () => query.execute(db).then((r) => r.rows);
    const casesOf = (): ListCase[] => [
      { name: 'environments: first page', url: `${api}/environments`, rows: PAGE, raw: rawRows(sql`select * from environments where ${live} order by app, env_id limit ${PAGE + 1}`) },
      { name: 'environments: one app', url: `${api}/environments?app=shop`, rows: PAGE, raw: rawRows(sql`select * from environments where ${live} and app = 'shop' order by app, env_id limit ${PAGE + 1}`) },
      { name: `environments: after ${deepAt}`, url: `${api}/environments?cursor=${encodeURIComponent(envCursor)}`, rows: PAGE, raw: rawRows(sql`select * from environments where ${live} and (app, env_id) > (${lastApp}, ${lastRow}) order by app, env_id limit ${PAGE + 1}`) },
      { name: `shop: after ${shopDeepAt}`, url: `${api}/environments?app=shop&cursor=${encodeURIComponent(shopCursor)}`, rows: PAGE, raw: rawRows(sql`select * from environments where ${live} and app = 'shop' and (app, env_id) > ('shop', ${lastShop}) order by app, env_id limit ${PAGE + 1}`) },
      { name: 'deploys: newest', url: `${api}/environments/env-00000/deploys`, rows: PAGE, raw: rawRows(sql`select * from deploys where environment_id = ${envId} order by seq desc limit ${PAGE + 1}`) },
      { name: 'deploys: oldest', url: `${api}/environments/env-00000/deploys?cursor=${encodeURIComponent(deployCursor)}`, rows: PAGE, raw: rawRows(sql`select * from deploys where environment_id = ${envId} and seq < ${PAGE + 1} order by seq desc limit ${PAGE + 1}`) },
      { name: 'audit: newest', url: `${api}/audit?limit=${PAGE}`, rows: PAGE, raw: rawRows(sql`select * from audit_entries where workspace = 'default' order by seq desc limit ${PAGE + 1}`) },
      { name: 'audit: oldest', url: `${api}/audit?limit=${PAGE}&before=${newestAudit - auditCount + PAGE + 1}`, rows: PAGE, raw: rawRows(sql`select * from audit_entries where workspace = 'default' and seq < ${newestAudit - auditCount + PAGE + 1} order by seq desc limit ${PAGE + 1}`) },
    ];

    const memory: DatabaseReport['memory'] = { bytesPerEnvironment: null };
    const reports: RoundReport[] = [];
    for (const phase of PHASES) {
      if (phase === 'engine idle') {
        if (heapBefore !== undefined) memory.bytesPerEnvironment = Math.round((liveHeap() - heapBefore) / count);
        else memory.note = 'not measured: run with node --expose-gc (npm run bench:list does)';
        // engine.stop() would leave a refresh pass under way (on PostgreSQL they overlap at 10,000):
        // closing the server ends them; the next server refreshes once at its start, then never.
        await full.close();
        full = undefined;
        await server.close();
        server = undefined;
        server = await start({ refreshRoutesMs: 2 ** 31 - 1 });
        db = server.store.db;
        api = `${server.apiUrl}/api/v1`;
        full = await startFullListServer(server);
      }
      const cases = casesOf();
      log(`  ${phase}${phase === 'engine running' ? ' (the server as it starts: routes follow events, a changes feed every 10 s, a resync every 15 min)' : ' (a server whose engine refreshed the routes once, at its start: the list endpoints alone)'}:`);
      for (let round = 1; round <= rounds; round++) {
        const loop = monitorEventLoopDelay({ resolution: 5 });
        loop.enable();
        const timings: CaseTiming[] = [];
        for (const c of cases) timings.push(await timeCase(c, token, requests));
        const whole = await timeFull(full.url, token, fullRequests);
        const walkStarted = performance.now();
        let cursor: string | null = null;
        let pages = 0;
        let seen = 0;
        do {
          const body: { items: unknown[]; nextCursor: string | null } = await getJson(`${api}/environments?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token);
          seen += body.items.length;
          cursor = body.nextCursor;
          pages++;
        } while (cursor);
        const everyPageMs = performance.now() - walkStarted;
        loop.disable();
        if (seen !== count) throw new Error(`walking every page listed ${seen} environments, not ${count}`);
        const loopDelay = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
        reports.push({ phase, round, cases: timings, full: whole, everyPageMs, pages, loopDelay });
        log(`    round ${round} (event loop stall p99 ${loopDelay.p99.toFixed(0)} ms, longest ${loopDelay.max.toFixed(0)} ms):`);
        for (const t of timings) {
          log(
            `      ${t.name.padEnd(26)} p50 ${t.http.p50.toFixed(1).padStart(5)} p99 ${t.http.p99.toFixed(1).padStart(6)} ms ${mark(t.http.p99 < P99_TARGET_MS)}` +
              ` | raw SELECT p50 ${t.raw.p50.toFixed(2).padStart(5)} p99 ${t.raw.p99.toFixed(2).padStart(6)} ms | p99 ×${t.ratio.toFixed(1)} | ${(t.http.bytes / 1024).toFixed(1)} KiB`,
          );
        }
        const first = timings[0]!;
        log(
          `      full list (before paging)  p50 ${whole.p50.toFixed(0)} p99 ${whole.p99.toFixed(0)} ms (${(whole.bytes / 1024 / 1024).toFixed(2)} MiB, ${(whole.p99 / first.http.p99).toFixed(0)}× the first page's p99)` +
            ` | every page (${pages} × 1000) ${everyPageMs.toFixed(0)} ms`,
        );
      }
    }
    const worst = {} as DatabaseReport['worst'];
    const p99 = {} as DatabaseReport['targets']['p99'];
    for (const phase of PHASES) {
      worst[phase] = {};
      for (const r of reports.filter((x) => x.phase === phase)) for (const c of r.cases) worst[phase][c.name] = Math.max(worst[phase][c.name] ?? 0, c.http.p99);
      p99[phase] = Object.values(worst[phase]).every((v) => v < P99_TARGET_MS);
    }
    return {
      database,
      environments: count,
      seedMs: Math.round(seedMs),
      memory,
      rounds: reports,
      worst,
      targets: { p99, memory: memory.bytesPerEnvironment === null ? null : memory.bytesPerEnvironment < MEMORY_TARGET_BYTES },
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

function mark(met: boolean | null): string {
  return met === null ? 'not measured' : met ? styleText('green', 'met') : styleText('red', 'MISSED');
}

log(
  `List benchmark: at ${count.toLocaleString('en')} environments, ${rounds} rounds of ${requests} requests a case (each beside its raw SELECT) and ${fullRequests} of the full list (${cpus().length} CPUs; figures on a shared machine are noisy)`,
);
const reports: DatabaseReport[] = [await benchOn('sqlite')];
if (postgresAdmin) reports.push(await benchOn('postgres'));
else log('\npostgres: skipped (give --postgres <url> or set SLIPWAY_TEST_DATABASE_URL)');
agent.destroy();

let missed = false;
if (args.json) console.log(JSON.stringify({ environments: count, rounds, machine: { cpus: cpus().length }, reports }, null, 2));
for (const report of reports) {
  const perEnv = report.memory.bytesPerEnvironment;
  log(`\n${report.database}: seeded in ${report.seedMs} ms`);
  for (const phase of PHASES) {
    const [name, p99] = Object.entries(report.worst[phase]).sort((a, b) => b[1] - a[1])[0]!;
    log(`  ${phase}: worst p99 over the rounds ${p99.toFixed(1)} ms (${name}) — target < ${P99_TARGET_MS} ms: ${mark(report.targets.p99[phase])}`);
    if (!report.targets.p99[phase]) missed = true;
  }
  log(`  memory per environment ${perEnv === null ? '-' : `${(perEnv / 1024).toFixed(1)} KB`} — target < ${MEMORY_TARGET_BYTES / 1024} KB: ${mark(report.targets.memory)}${report.memory.note ? ` (${report.memory.note})` : ''}`);
  if (report.targets.memory === false) missed = true;
}
if (missed) {
  console.error('list-bench: a target was missed (see above); a miss with the engine running only, beside a long event-loop stall, is the engine\'s; a miss in both, with raw SELECTs slow too, is the machine\'s load');
  process.exitCode = 1;
}
