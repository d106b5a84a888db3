// The guestbook's storage: one JSON file in $DATA_DIR, written atomically (a temporary file renamed
// over the old one), so a reader — the api, the worker, a second migrate — never sees half a file.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The schema version this code reads and writes; migrate.mjs brings older files up to it. */
export const CURRENT_SCHEMA_VERSION = 2;
export const DATA_FILE = 'guestbook.json';
export const STATS_FILE = 'stats.json';

/** $DATA_DIR, or ./data of the working directory. */
export function dataDir(env = process.env) {
  return path.resolve(env.DATA_DIR || 'data');
}

export function dataFile(dir) {
  return path.join(dir, DATA_FILE);
}

/** An error the caller should report as it is, without a stack trace. */
export class StoreError extends Error {
  name = 'StoreError';
}

/**
 * Reads the data file. Returns undefined when it does not exist; throws a StoreError when it is not
 * JSON or not a guestbook file.
 */
export async function readDataFile(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  }
  let data;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StoreError(`${file} is not valid JSON (${error.message}); fix or remove it`);
  }
  if (typeof data !== 'object' || data === null || !Number.isInteger(data.schemaVersion) || !Array.isArray(data.entries)) {
    throw new StoreError(`${file} is not a guestbook data file: expected { schemaVersion, entries: [] }`);
  }
  return data;
}

/** Reads the data file and insists it is at the current schema version. */
export async function readCurrentData(dir) {
  const file = dataFile(dir);
  const data = await readDataFile(file);
  if (data === undefined) {
    throw new StoreError(`${file} does not exist: run "node migrate.mjs" with the same DATA_DIR first (Slipway runs the migrate job before the api)`);
  }
  if (data.schemaVersion !== CURRENT_SCHEMA_VERSION) {
    throw new StoreError(
      `${file} is at schema version ${data.schemaVersion}, this code needs ${CURRENT_SCHEMA_VERSION}: run "node migrate.mjs"` +
        (data.schemaVersion > CURRENT_SCHEMA_VERSION ? ' of a newer version of the guestbook' : ''),
    );
  }
  return data;
}

export async function writeJsonAtomic(file, value) {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, 'utf8');
  await rename(temporary, file);
}

/**
 * The migrations, in order. Each takes the data at version - 1 (undefined for none) and returns it
 * at its version. They only ever add to what is there, so running one twice changes nothing.
 */
export const migrations = [
  {
    version: 1,
    description: 'create the data file',
    up: (data) => data ?? { schemaVersion: 1, entries: [] },
  },
  {
    version: 2,
    description: 'give every entry an id and a creation time',
    up: (data) => ({
      ...data,
      entries: data.entries.map((entry) => ({
        id: entry.id ?? randomUUID(),
        name: entry.name,
        message: entry.message,
        createdAt: entry.createdAt ?? new Date(0).toISOString(),
      })),
    }),
  },
];

/** One writer per process: appends go one after another, so none is lost to a concurrent rewrite. */
export class EntryStore {
  #dir;
  #maxEntries;
  #queue = Promise.resolve();

  constructor(dir, { maxEntries = 1000 } = {}) {
    this.#dir = dir;
    this.#maxEntries = maxEntries;
  }

  /** Entries, newest first. */
  async list(limit) {
    const data = await readCurrentData(this.#dir);
    const newestFirst = [...data.entries].reverse();
    return { entries: newestFirst.slice(0, limit), total: data.entries.length };
  }

  add({ name, message }) {
    const run = this.#queue.then(async () => {
      const data = await readCurrentData(this.#dir);
      const entry = { id: randomUUID(), name, message, createdAt: new Date().toISOString() };
      // Oldest entries go first when the book is full: a demo must not fill the disk.
      const entries = [...data.entries, entry].slice(-this.#maxEntries);
      await writeJsonAtomic(dataFile(this.#dir), { ...data, entries });
      return entry;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Resolves when every write started so far has finished. */
  idle() {
    return this.#queue;
  }
}
