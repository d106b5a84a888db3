// Dataset attach benchmark (not part of `npm test`): `npm run bench:datasets [-- --rows 200000] [--rounds 10] [--json]`.
//
// What an environment waits for to get its database, side by side in one run on the same golden
// copy (a table of --rows rows with an index, made from a SQL script as a dataset's file source):
//   attach (warm pool)      DatasetPools.attach taking a ready clone: the environment's wait;
//   CREATE DATABASE TEMPLATE a clone made when it is asked for (role, database, ownership): the
//                           baseline, and what an empty pool falls back to;
//   pg_dump | pg_restore    a logical copy of the golden database into a new one: the other way to
//                           make a copy, to say which is faster.
// The target is an attach under 200 ms. Needs a PostgreSQL server where it may create databases
// and roles: --database-url, else SLIPWAY_DATASET_DATABASE_URL or SLIPWAY_TEST_DATABASE_URL.
// Everything it makes is dropped at the end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadManifestText } from '@slipway/core';
import type { ApplicationManifest } from '@slipway/contract';
import { DatasetPools, DatasetServer, DatasetStore, Leases, openDatabase, putApplication, SecretBox } from '@slipway/server';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '10' },
    'dump-rounds': { type: 'string', default: '3' },
    'database-url': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const url = args['database-url'] ?? process.env.SLIPWAY_DATASET_DATABASE_URL ?? process.env.SLIPWAY_TEST_DATABASE_URL;
if (!url) {
  console.error('dataset-attach-bench: give --database-url (or set SLIPWAY_DATASET_DATABASE_URL): a PostgreSQL server where it may create databases and roles');
  process.exit(2);
}
const rows = Number(args.rows);
const rounds = Number(args.rounds);
const dumpRounds = Number(args['dump-rounds']);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dir = mkdtempSync(join(tmpdir(), 'slipway-dataset-bench-'));
const seed = join(dir, 'seed.sql');
writeFileSync(
  seed,
  `CREATE TABLE orders (id bigserial PRIMARY KEY, customer text NOT NULL, total numeric NOT NULL, placed_at timestamptz NOT NULL DEFAULT now());
INSERT INTO orders (customer, total) SELECT 'customer-' || (g % 5000), (g % 997) / 10.0 FROM generate_series(1, ${rows}) g;
CREATE INDEX orders_customer ON orders (customer);
ANALYZE orders;
`,
);
const store = await openDatabase({ sqlitePath: join(dir, 'slipway.db') });
const box = new SecretBox(randomBytes(32));
const server = new DatasetServer(url);
const pools = new DatasetPools({ store: new DatasetStore(store.db), server: new DatasetServer(url), box, leases: new Leases(store.db), revealSecret: async () => undefined, resyncMs: 3_600_000 });
const loaded = loadManifestText(
  `apiVersion: slipway.dev/v1
kind: Application
metadata: { name: bench }
spec:
  services: [{ name: api, image: a }]
  datasets: [{ name: orders, source: { file: ${seed} }, poolSize: ${rounds} }]
`,
  'bench.yaml',
);
if (loaded.errors.length) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
await putApplication(store.db, { workspace: 'bench', source: 'bench', manifest: loaded.value![0]!.manifest as ApplicationManifest });

const extra: string[] = [];
try {
  const goldenStarted = performance.now();
  await pools.start();
  await pools.settle('bench', 'bench', 'orders');
  const fillMs = performance.now() - goldenStarted;
  const row = (await new DatasetStore(store.db).get('bench', 'bench', 'orders'))!;
  if (row.state !== 'ready' || !row.golden_database) throw new Error(`the dataset is ${row.state}: ${row.reason}`);
  const definition = JSON.parse(row.definition_json);

  // Each attach takes one of the pool's ready clones; the refill it asks for waits until all rounds are done.
  await pools.stop().catch(() => undefined);
  const attachPools = new DatasetPools({ store: new DatasetStore(store.db), server: new DatasetServer(url), box, leases: new Leases(store.db), revealSecret: async () => undefined, resyncMs: 3_600_000 });
  const attach: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const result = await attachPools.attach({ id: `bench-env-${i}`, workspace: 'bench', app: 'bench' }, { datasets: [definition] }, () => undefined);
    attach.push(performance.now() - started);
    if ('reason' in result) throw new Error(result.reason);
  }

  const template: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const name = `slipway_ds_bench_t${i}_${randomBytes(3).toString('hex')}`;
    extra.push(name);
    const started = performance.now();
    await server.createClone(row.golden_database, name, name, randomBytes(16).toString('base64url'));
    template.push(performance.now() - started);
  }

  const dump: number[] = [];
  const admin = new URL(url);
  for (let i = 0; i < dumpRounds; i++) {
    const name = `slipway_ds_bench_d${i}_${randomBytes(3).toString('hex')}`;
    extra.push(name);
    const started = performance.now();
    await server.dropDatabase(name);
    const psql = spawnSync('psql', ['--no-psqlrc', '-q', '--dbname', url, '-c', `CREATE DATABASE "${name}"`], { encoding: 'utf8' });
    if (psql.status !== 0) throw new Error(psql.stderr);
    admin.pathname = `/${row.golden_database}`;
    const from = admin.toString();
    admin.pathname = `/${name}`;
    const to = admin.toString();
    const piped = spawnSync('sh', ['-c', 'pg_dump --format=custom --dbname "$FROM" | pg_restore --no-owner --exit-on-error --dbname "$TO"'], { encoding: 'utf8', env: { ...process.env, FROM: from, TO: to } });
    if (piped.status !== 0) throw new Error(piped.stderr);
    dump.push(performance.now() - started);
  }

  const result = {
    rows,
    rounds,
    firstFillMs: Math.round(fillMs),
    attachMedianMs: +median(attach).toFixed(1),
    attachMaxMs: +Math.max(...attach).toFixed(1),
    templateMedianMs: +median(template).toFixed(1),
    dumpRestoreMedianMs: +median(dump).toFixed(1),
    templateOverAttach: +(median(template) / median(attach)).toFixed(1),
    dumpOverTemplate: +(median(dump) / median(template)).toFixed(1),
    targetAttachMs: 200,
    meetsTarget: median(attach) < 200,
    faster: median(dump) < median(template) ? 'pg_dump | pg_restore' : 'CREATE DATABASE … TEMPLATE',
  };
  if (args.json) console.log(JSON.stringify(result));
  else {
    console.log(`dataset attach bench: ${rows} rows, ${rounds} rounds (${dumpRounds} for pg_dump | pg_restore); the pool's first fill took ${result.firstFillMs} ms`);
    console.log(`  attach from the warm pool      median ${result.attachMedianMs} ms, max ${result.attachMaxMs} ms (target < 200 ms: ${result.meetsTarget ? 'met' : 'NOT met'})`);
    console.log(`  CREATE DATABASE … TEMPLATE     median ${result.templateMedianMs} ms  (${result.templateOverAttach}× the attach)`);
    console.log(`  pg_dump | pg_restore           median ${result.dumpRestoreMedianMs} ms  (${result.dumpOverTemplate}× TEMPLATE)`);
    console.log(`  faster way to copy: ${result.faster}`);
  }
  for (let i = 0; i < rounds; i++) await attachPools.release(`bench-env-${i}`);
  await attachPools.sweep();
  await attachPools.stop();
  if (!result.meetsTarget) process.exitCode = 1;
} finally {
  for (const name of extra) await server.dropClone(name, name).catch(() => undefined);
  const datasets = new DatasetStore(store.db);
  for (const row of await datasets.all()) {
    for (const clone of await datasets.clones(row.id)) await server.dropClone(clone.database_name, clone.role_name).catch(() => undefined);
    if (row.golden_database) await server.dropDatabase(row.golden_database).catch(() => undefined);
  }
  await server.close().catch(() => undefined);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
