// Audit verify benchmark (not part of `npm test`): `npm run bench:audit [-- --entries 100000] [--json]`.
//
// `slipway audit verify` walks the whole ledger: reads every entry in seq order, in batches, and
// recomputes each SHA-256 hash over the entry's canonical form, chained to the one before. This
// measures it over a ledger of --entries entries (default 100,000) on SQLite in a temporary folder,
// or on PostgreSQL with --database-url (a database it may fill and empty). Side by side, in the same
// run, on the same ledger:
//   read only         the same batched walk without hashing: the floor the store sets;
//   verify            verifyAudit, batches of --batch (default 5000), as the API runs it;
//   load everything   one query for all rows, then the same checks in memory: what batching avoids,
//                     shown by the live heap it takes (measured with node --expose-gc, as npm run
//                     bench:audit runs it: garbage collected, then sampled after each batch).
// The ledger is seeded with --appends entries through recordAudit (each its own transaction, as the
// server writes them; their rate is printed too), the rest inserted in bulk with the same hashing.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { auditEntryHash, canonicalJson, GENESIS_HASH, openDatabase, recordAudit, verifyAudit, type Database, type StoreDatabase } from '@slipway/server';

const { values: args } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' },
    appends: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    'database-url': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const entries = Number(args.entries);
const appends = Math.min(Number(args.appends), entries);
const batchSize = Number(args.batch);
const rounds = Number(args.rounds);

const kinds = ['secret.set', 'role.grant', 'environment.create', 'release.approve', 'release.promote', 'token.create'];
const actors = ['alice', 'bob', 'carol', 'dave', 'erin'];
const fake = (i: number) => ({
  workspace: i % 7 === 0 ? 'payments' : 'default',
  actor: actors[i % actors.length]!,
  kind: kinds[i % kinds.length]!,
  subject: `subject-${i % 997}`,
  details: { n: i, stage: i % 3 === 0 ? 'production' : 'staging', note: 'benchmark entry' },
});

async function seed(store: StoreDatabase): Promise<{ appendMs: number; bulkMs: number }> {
  const start = performance.now();
  for (let i = 0; i < appends; i++) await recordAudit(store.db, fake(i));
  const appendMs = performance.now() - start;
  const head = await store.db.selectFrom('audit_head').select(['last_seq', 'last_hash']).executeTakeFirstOrThrow();
  let seq = Number(head.last_seq);
  let prevHash = head.last_hash;
  const bulkStart = performance.now();
  const at = new Date().toISOString();
  while (seq < entries) {
    const rows: Database['audit_entries'][] = [];
    for (let i = 0; i < 500 && seq < entries; i++) {
      seq += 1;
      const entry = fake(seq);
      const fields = { seq, at, workspace: entry.workspace, actor: entry.actor, kind: entry.kind, subject: entry.subject, detailsJson: canonicalJson(entry.details), prevHash };
      const hash = auditEntryHash(fields);
      rows.push({ seq, at, workspace: fields.workspace, actor: fields.actor, kind: fields.kind, subject: fields.subject, details_json: fields.detailsJson, prev_hash: prevHash, hash });
      prevHash = hash;
    }
    await store.db.transaction().execute(async (tx) => {
      await tx.insertInto('audit_entries').values(rows).execute();
      await tx.updateTable('audit_head').set({ last_seq: seq, last_hash: prevHash }).where('id', '=', 1).execute();
    });
  }
  return { appendMs, bulkMs: performance.now() - bulkStart };
}

type Sample = () => void;

/** The batched walk without hashing. */
async function readOnly(store: StoreDatabase, sample: Sample = () => undefined): Promise<number> {
  let after = -2_147_483_648;
  let count = 0;
  for (;;) {
    const rows = await store.db.selectFrom('audit_entries').selectAll().where('seq', '>', after).orderBy('seq', 'asc').limit(batchSize).execute();
    count += rows.length;
    sample();
    if (rows.length < batchSize) return count;
    after = Number(rows[rows.length - 1]!.seq);
  }
}

/** Every row at once, then the chain checked in memory. */
async function loadEverything(store: StoreDatabase, sample: Sample = () => undefined): Promise<number> {
  const rows = await store.db.selectFrom('audit_entries').selectAll().orderBy('seq', 'asc').execute();
  sample();
  let prevHash = GENESIS_HASH;
  let bad = 0;
  for (const row of rows) {
    const hash = auditEntryHash({ seq: Number(row.seq), at: row.at, workspace: row.workspace, actor: row.actor, kind: row.kind, subject: row.subject, detailsJson: row.details_json, prevHash: row.prev_hash });
    if (hash !== row.hash || row.prev_hash !== prevHash) bad += 1;
    prevHash = row.hash;
  }
  if (bad) throw new Error(`${bad} entries do not verify`);
  return rows.length;
}

interface Measured {
  ms: number[];
  /** Peak live heap above the start: sampled after each batch (after the one query), garbage collected first. */
  heapMb: number;
}

/** Times `action` over `rounds` rounds, then runs it once more sampling its live heap where it asks. */
async function measure(action: (sample?: Sample) => Promise<unknown>): Promise<Measured> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const ms: number[] = [];
  for (let round = 0; round < rounds; round++) {
    gc?.();
    const start = performance.now();
    await action();
    ms.push(performance.now() - start);
  }
  if (!gc) return { ms, heapMb: Number.NaN };
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  await action(() => {
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed - base);
  });
  return { ms, heapMb: peak / 1024 / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = args['database-url'] ? undefined : mkdtempSync(join(tmpdir(), 'slipway-audit-bench-'));
  const store = await openDatabase(dir ? { sqlitePath: join(dir, 'slipway.db') } : { databaseUrl: args['database-url']! });
  try {
    const before = await store.db.selectFrom('audit_head').select('last_seq').executeTakeFirstOrThrow();
    if (Number(before.last_seq) !== 0) throw new Error('the database already holds audit entries: give the benchmark an empty one');
    const seeded = await seed(store);

    const verification = await verifyAudit(store.db, { batchSize });
    if (!verification.ok || verification.entries !== entries) throw new Error(`the seeded ledger does not verify: ${JSON.stringify(verification.problems.slice(0, 3))}`);
    const read = await measure((sample) => readOnly(store, sample));
    const verify = await measure(async (sample) => {
      const result = await verifyAudit(store.db, { batchSize, ...(sample ? { onBatch: sample } : {}) });
      if (!result.ok) throw new Error('verify failed');
    });
    const everything = await measure((sample) => loadEverything(store, sample));

    // Tampering is found wherever it is: one edited row in the middle.
    const middle = Math.floor(entries / 2);
    await sql`UPDATE audit_entries SET actor = 'mallory' WHERE seq = ${middle}`.execute(store.db);
    const tampered = await verifyAudit(store.db, { batchSize });

    const report = {
      database: store.dialect,
      entries,
      batchSize,
      rounds,
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version },
      seed: { appends, appendsPerSecond: appends / (seeded.appendMs / 1000), bulkMs: seeded.bulkMs },
      readOnly: { medianMs: median(read.ms), entriesPerSecond: entries / (median(read.ms) / 1000), heapMb: read.heapMb, ms: read.ms },
      verify: { medianMs: median(verify.ms), entriesPerSecond: entries / (median(verify.ms) / 1000), heapMb: verify.heapMb, ms: verify.ms },
      loadEverything: { medianMs: median(everything.ms), entriesPerSecond: entries / (median(everything.ms) / 1000), heapMb: everything.heapMb, ms: everything.ms },
      ratios: { verifyOverReadOnly: median(verify.ms) / median(read.ms), loadEverythingHeapOverVerify: everything.heapMb / Math.max(verify.heapMb, 0.001) },
      tamperFound: tampered.problems[0] ?? null,
    };
    if (args.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    const row = (label: string, m: { medianMs: number; entriesPerSecond: number; heapMb: number }) =>
      `  ${label.padEnd(18)}${`${m.medianMs.toFixed(0)} ms`.padStart(10)}${`${Math.round(m.entriesPerSecond).toLocaleString('en')} entries/s`.padStart(22)}${`${m.heapMb.toFixed(1)} MB`.padStart(12)}`;
    console.log(`audit verify over ${entries.toLocaleString('en')} entries on ${store.dialect} (batches of ${batchSize}, median of ${rounds})`);
    console.log(`  machine: ${report.machine.cpus} × ${report.machine.cpu}, node ${report.machine.node}`);
    console.log(`  seeded: ${appends} appends through recordAudit at ${Math.round(report.seed.appendsPerSecond).toLocaleString('en')}/s, the rest in bulk in ${(seeded.bulkMs / 1000).toFixed(1)} s`);
    console.log(`\n  ${''.padEnd(18)}${'time'.padStart(10)}${'rate'.padStart(22)}${'heap grown'.padStart(12)}`);
    console.log(row('read only', report.readOnly));
    console.log(row('verify', report.verify));
    console.log(row('load everything', report.loadEverything));
    console.log(`\n  verify / read only: ${report.ratios.verifyOverReadOnly.toFixed(2)}× (the rest is hashing)`);
    console.log(`  load everything takes ${report.ratios.loadEverythingHeapOverVerify.toFixed(1)}× the heap of the batched verify`);
    console.log(`  one row edited at seq ${middle}: ${tampered.problems[0] ? `found — ${tampered.problems[0].message}` : 'NOT FOUND'}`);
  } finally {
    if (args['database-url']) await sql`DELETE FROM audit_entries`.execute(store.db).then(() => sql`UPDATE audit_head SET last_seq = 0, last_hash = ${GENESIS_HASH}`.execute(store.db));
    await store.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
