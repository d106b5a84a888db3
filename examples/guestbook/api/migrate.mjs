// Creates or upgrades the guestbook data file in $DATA_DIR to the current schema version.
// Idempotent: a second run finds the file current and changes nothing. Exit code 0 on success, 1 on
// failure — Slipway starts the api only after this job completed successfully.
import { CURRENT_SCHEMA_VERSION, StoreError, dataDir, dataFile, migrations, readDataFile, writeJsonAtomic } from './store.mjs';

async function migrate() {
  const file = dataFile(dataDir());
  const data = await readDataFile(file);
  const from = data?.schemaVersion ?? 0;
  if (from > CURRENT_SCHEMA_VERSION) {
    throw new StoreError(`${file} is at schema version ${from}, newer than this code's ${CURRENT_SCHEMA_VERSION}; refusing to downgrade it`);
  }
  if (from === CURRENT_SCHEMA_VERSION) {
    console.log(`migrate: ${file} is at schema version ${from}; nothing to do`);
    return;
  }
  let next = data;
  for (const migration of migrations.filter((m) => m.version > from)) {
    next = { ...migration.up(next), schemaVersion: migration.version };
    console.log(`migrate: version ${migration.version}: ${migration.description}`);
  }
  next = { ...next, migratedAt: new Date().toISOString() };
  await writeJsonAtomic(file, next);
  console.log(`migrate: ${file} is now at schema version ${CURRENT_SCHEMA_VERSION} (was ${from === 0 ? 'absent' : from})`);
}

try {
  await migrate();
} catch (error) {
  console.error(`migrate: ${error instanceof StoreError ? error.message : error.stack}`);
  process.exitCode = 1;
}
