import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplicationManifest } from '@slipway/contract';
import { loadManifestText } from '@slipway/core';
import { SecretBox } from '../secrets/secret-box.ts';
import { putApplication } from '../store/applications.ts';
import { DatasetStore } from '../store/datasets.ts';
import { Leases } from '../store/leases.ts';
import { openDatabase, type StoreDatabase } from '../store/open-database.ts';
import { SecretStore } from '../store/secrets.ts';
import { DatasetPools } from './dataset-pools.ts';
import { DatasetServer } from './dataset-server.ts';

const serverUrl = process.env.SLIPWAY_TEST_DATABASE_URL;
const skip = serverUrl ? false : 'SLIPWAY_TEST_DATABASE_URL is not set (CI sets it after installing PostgreSQL)';
if (skip) console.warn(`dataset pools: skipped: ${skip}`);

const SEED = `
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, plan text NOT NULL);
INSERT INTO users (email, plan) VALUES ('ada@real.example', 'pro'), ('bob@real.example', 'free');
CREATE VIEW pro_users AS SELECT * FROM users WHERE plan = 'pro';
`;

function manifest(datasets: string): ApplicationManifest {
  const loaded = loadManifestText(`apiVersion: slipway.dev/v1
kind: Application
metadata: { name: shop }
spec:
  services: [{ name: api, image: a, ports: [{ port: 80 }] }]
  datasets:
${datasets}`, 'app.yaml');
  expect(loaded.errors).toEqual([]);
  return loaded.value![0]!.manifest as ApplicationManifest;
}

async function rows(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(skip)('dataset pools on a real PostgreSQL', () => {
  let dir: string;
  let database: StoreDatabase;
  let pools: DatasetPools;
  let server: DatasetServer;
  let secrets: SecretStore;
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-datasets-'));
    writeFileSync(join(dir, 'seed.sql'), SEED);
    database = await openDatabase({ sqlitePath: join(dir, 'slipway.db') });
    const box = new SecretBox(randomBytes(32));
    secrets = new SecretStore(database.db, box);
    server = new DatasetServer(serverUrl!);
    pools = new DatasetPools({ store: new DatasetStore(database.db), server, box, leases: new Leases(database.db), revealSecret: (w, n) => secrets.reveal(w, n), resyncMs: 3_600_000 });
    await putApplication(database.db, {
      workspace: 'default',
      source: 'test',
      manifest: manifest(`    - { name: users, source: { file: ${join(dir, 'seed.sql')} }, poolSize: 2, transform: "UPDATE users SET email = 'user' || id || '@example.com'" }
    - { name: broken, source: { file: ${join(dir, 'seed.sql')} }, poolSize: 1, transform: "UPDATE nowhere SET x = 1", envPrefix: BROKEN }
    - { name: away, source: { url: { secret: away-url } }, poolSize: 1, optional: true, envPrefix: AWAY }`),
    });
    await secrets.set('default', 'away-url', 'postgres://nobody:hunter2@127.0.0.1:1/none');
    await pools.start();
    for (const name of ['users', 'broken', 'away']) await pools.settle('default', 'shop', name);
  }, 60_000);

  afterAll(async () => {
    if (!pools) return;
    // Nothing of the test may outlive it: every environment's clone goes, then the pools.
    for (const id of ['env-a', 'env-b', 'env-c']) await pools.release(id);
    const store = new DatasetStore(database.db);
    for (const row of await store.all()) {
      for (const clone of await store.clones(row.id)) await server.dropClone(clone.database_name, clone.role_name);
      if (row.golden_database) await server.dropDatabase(row.golden_database);
    }
    await pools.stop();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a pool of clones of the transformed golden copy, and attaches one in under 200 ms', async () => {
    const store = new DatasetStore(database.db);
    const row = (await store.get('default', 'shop', 'users'))!;
    const view = await pools.view(row);
    expect(view).toMatchObject({ state: 'ready', ready: 2, attached: 0, generation: 1 });
    const attached = await pools.attach({ id: 'env-a', workspace: 'default', app: 'shop' }, { datasets: [JSON.parse(row.definition_json)] }, log);
    expect('values' in attached).toBe(true);
    const values = (attached as { values: Record<string, string> }).values;
    const line = lines.find((l) => l.includes('from the warm pool'))!;
    expect(line).toMatch(/^✓ dataset users · attached clone slipway_ds_\w+ from the warm pool in \d+ ms$/);
    expect(Number(/in (\d+) ms/.exec(line)![1])).toBeLessThan(200);
    // The environment's own role reads the masked data, and owns what it reads.
    const url = values['dataset:users/URL']!;
    expect(values['dataset:users/USER']).toMatch(/^slipway_ds_/);
    expect(await rows(url, 'SELECT email FROM users ORDER BY id')).toEqual([{ email: 'user1@example.com' }, { email: 'user2@example.com' }]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM pro_users')).toEqual([{ n: 1 }]);
    await rows(url, "INSERT INTO users (email, plan) VALUES ('new@example.com', 'free')");
    // A second environment's clone is another database, with another role that cannot reach the first.
    const other = await pools.attach({ id: 'env-b', workspace: 'default', app: 'shop' }, { datasets: [JSON.parse(row.definition_json)] }, log);
    const otherValues = (other as { values: Record<string, string> }).values;
    expect(otherValues['dataset:users/NAME']).not.toBe(values['dataset:users/NAME']);
    const crossed = new URL(url);
    crossed.username = otherValues['dataset:users/USER']!;
    crossed.password = encodeURIComponent(otherValues['dataset:users/PASSWORD']!);
    await expect(rows(crossed.toString(), 'SELECT 1')).rejects.toThrow(/permission denied/);
    // Attaching again (a patch deploy) keeps the clone.
    const again = await pools.attach({ id: 'env-a', workspace: 'default', app: 'shop' }, { datasets: [JSON.parse(row.definition_json)] }, log);
    expect((again as { values: Record<string, string> }).values['dataset:users/NAME']).toBe(values['dataset:users/NAME']);
    // Passwords are stored sealed, never in clear.
    const sealed = await database.db.selectFrom('dataset_clones').select('sealed_password').execute();
    for (const s of sealed) expect(s.sealed_password).not.toContain(values['dataset:users/PASSWORD']);
    expect(lines.join('\n')).not.toContain(values['dataset:users/PASSWORD']);
  }, 60_000);

  it('clones on demand when the pool is empty, and says so', async () => {
    const store = new DatasetStore(database.db);
    const row = (await store.get('default', 'shop', 'users'))!;
    // Both pooled clones went to env-a and env-b; the refill may not have run yet, so empty the pool.
    await pools.settle('default', 'shop', 'users');
    for (const clone of (await store.clones(row.id)).filter((c) => c.state === 'ready')) {
      await server.dropClone(clone.database_name, clone.role_name);
      await store.deleteClone(clone.id);
    }
    lines.length = 0;
    const attached = await pools.attach({ id: 'env-c', workspace: 'default', app: 'shop' }, { datasets: [JSON.parse(row.definition_json)] }, log);
    expect('values' in attached).toBe(true);
    expect(lines[0]).toMatch(/the pool was empty: cloned slipway_ds_\w+ on demand in \d+ ms/);
  }, 60_000);

  it('refreshes by replacing unattached clones only', async () => {
    const store = new DatasetStore(database.db);
    const row = (await store.get('default', 'shop', 'users'))!;
    await pools.settle('default', 'shop', 'users');
    const before = await store.clones(row.id);
    const attachedBefore = before.filter((c) => c.state === 'attached').map((c) => c.database_name).sort();
    await pools.refresh('default', 'shop', 'users');
    await pools.settle('default', 'shop', 'users');
    const after = await store.clones(row.id);
    expect(after.filter((c) => c.state === 'attached').map((c) => c.database_name).sort()).toEqual(attachedBefore);
    const ready = after.filter((c) => c.state === 'ready');
    expect(ready).toHaveLength(2);
    expect(ready.every((c) => c.generation === 2)).toBe(true);
    expect((await store.get('default', 'shop', 'users'))!.generation).toBe(2);
    const { databases } = await server.owned();
    for (const c of before.filter((c) => c.state === 'ready')) expect(databases).not.toContain(c.database_name);
  }, 60_000);

  it('fails a dataset whose transform fails, and a deploy that needs it; an optional one whose source is unreachable leaves empty variables', async () => {
    const store = new DatasetStore(database.db);
    const broken = (await store.get('default', 'shop', 'broken'))!;
    expect(broken.state).toBe('failed');
    expect(broken.reason).toMatch(/^the transform failed at character \d+: relation "nowhere" does not exist$/);
    const away = (await store.get('default', 'shop', 'away'))!;
    expect(away.state).toBe('failed');
    expect(away.reason).toMatch(/^the source database 127\.0\.0\.1:1\/none cannot be reached: /);
    expect(away.reason).not.toContain('hunter2');
    lines.length = 0;
    const refused = await pools.attach({ id: 'env-x', workspace: 'default', app: 'shop' }, { datasets: [JSON.parse(broken.definition_json)] }, log);
    expect(refused).toEqual({ reason: expect.stringMatching(/^dataset broken: the transform failed/) });
    expect(await store.clonesOf('env-x')).toEqual([]);
    const optional = await pools.attach({ id: 'env-y', workspace: 'default', app: 'shop' }, { datasets: [JSON.parse(away.definition_json)] }, log);
    expect(optional).toEqual({ values: expect.objectContaining({ 'dataset:away/URL': '', 'dataset:away/PASSWORD': '' }) });
    expect(lines.at(-1)).toMatch(/^! dataset away: the source database .* cannot be reached: .*; the environment goes on without it \(the dataset is optional; its variables are empty\)$/);
  }, 60_000);

  it('drops an environment\'s clones with it, and sweeps clones whose environment is gone', async () => {
    const store = new DatasetStore(database.db);
    const [clone] = await store.clonesOf('env-b');
    expect(clone).toBeDefined();
    expect(await pools.release('env-b')).toBe(1);
    expect((await server.owned()).databases).not.toContain(clone!.database_name);
    expect((await server.owned()).roles).not.toContain(clone!.role_name);
    // env-a and env-c are rows of no environment in the store: orphans, as a crash would leave them.
    const held = [...(await store.clonesOf('env-a')), ...(await store.clonesOf('env-c'))].map((c) => c.database_name);
    const { dropped } = await pools.sweep();
    expect(dropped).toEqual(expect.arrayContaining(held));
    const owned = await server.owned();
    for (const name of held) expect(owned.databases).not.toContain(name);
  }, 60_000);
});
