// The background worker: every $STATS_INTERVAL_SECONDS (5 when unset) it counts the guestbook's
// entries into $DATA_DIR/stats.json, which the api serves at /api/stats. It listens on no port.
//
//   node worker.mjs           run until SIGTERM
//   node worker.mjs --once    count once and exit (0, or 1 when the data file cannot be read)
//   node worker.mjs --check   exit 0 when stats.json is fresh (the liveness probe), else 1
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { STATS_FILE, StoreError, dataDir, readCurrentData, writeJsonAtomic } from './store.mjs';

function log(level, msg, fields = {}) {
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  (level === 'error' ? console.error : console.log)(line);
}

function intervalSeconds(env) {
  const raw = env.STATS_INTERVAL_SECONDS;
  const value = raw === undefined || raw === '' ? 5 : Number(raw);
  if (!Number.isFinite(value) || value < 0.1 || value > 3600) {
    log('error', `configuration: STATS_INTERVAL_SECONDS must be a number from 0.1 to 3600, got ${JSON.stringify(raw)}`);
    process.exit(1);
  }
  return value;
}

function computeStats(entries, now = new Date()) {
  const authors = new Set(entries.map((e) => e.name.toLowerCase()));
  const latest = entries.reduce((max, e) => (e.createdAt > max ? e.createdAt : max), '');
  return { entryCount: entries.length, authorCount: authors.size, latestEntryAt: latest || null, computedAt: now.toISOString() };
}

async function computeOnce(dir) {
  const data = await readCurrentData(dir);
  const stats = computeStats(data.entries);
  await writeJsonAtomic(path.join(dir, STATS_FILE), stats);
  return stats;
}

async function check(dir, interval) {
  try {
    const stats = JSON.parse(await readFile(path.join(dir, STATS_FILE), 'utf8'));
    const age = (Date.now() - Date.parse(stats.computedAt)) / 1000;
    // Three missed rounds, not one: a slow disk is not a dead worker.
    if (age <= interval * 3 + 1) return 0;
    console.error(`stats.json is ${Math.round(age)} s old; the worker writes it every ${interval} s`);
  } catch (error) {
    console.error(`cannot read ${STATS_FILE}: ${error.message}`);
  }
  return 1;
}

async function main() {
  const { values } = parseArgs({ options: { once: { type: 'boolean' }, check: { type: 'boolean' } } });
  const dir = dataDir();
  const interval = intervalSeconds(process.env);
  if (values.check) process.exit(await check(dir, interval));
  if (values.once) {
    try {
      log('info', 'stats', await computeOnce(dir));
    } catch (error) {
      log('error', error instanceof StoreError ? error.message : error.stack);
      process.exitCode = 1;
    }
    return;
  }

  let timer;
  let lastCount;
  let current = Promise.resolve();
  const round = async () => {
    try {
      current = computeOnce(dir);
      const stats = await current;
      if (stats.entryCount !== lastCount) log('info', 'stats', stats);
      lastCount = stats.entryCount;
    } catch (error) {
      // The api may not be migrated yet, or the disk is briefly unhappy: try again next round.
      log('error', error instanceof StoreError ? error.message : error.stack);
    }
    timer = setTimeout(round, interval * 1000);
  };
  const stop = async (signal) => {
    clearTimeout(timer);
    // Let a round in progress finish its write; stats.json is replaced atomically either way.
    await current.catch(() => {});
    log('info', 'stopped', { signal });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  log('info', 'started', { dataDir: dir, intervalSeconds: interval });
  await round();
}

await main();
