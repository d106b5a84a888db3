import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplicationManifest } from '@slipway/contract';
import { loadManifestText } from '@slipway/core';
import { DatasetServer, DatasetStore, putApplication, type RunningServer } from '@slipway/server';
import { isolateCliSettings, slipway, startServerForCli } from '../test-support/cli-session.ts';
import { closeServer } from '../../../server/src/test-support/test-server.ts';

const serverUrl = process.env.SLIPWAY_TEST_DATABASE_URL;
const skip = serverUrl ? false : 'SLIPWAY_TEST_DATABASE_URL is not set (CI sets it after installing PostgreSQL)';
if (skip) console.warn(`slipway datasets: skipped: ${skip}`);

describe.skipIf(skip)('slipway datasets', () => {
  let dir: string;
  let server: RunningServer;
  let restore: () => void;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-cli-datasets-'));
    restore = isolateCliSettings(dir);
    writeFileSync(join(dir, 'seed.sql'), 'CREATE TABLE t (x int); INSERT INTO t VALUES (1);\n');
    server = await startServerForCli(dir, { datasetDatabaseUrl: serverUrl! }, { docker: false });
    const loaded = loadManifestText(`apiVersion: slipway.dev/v1\nkind: Application\nmetadata: { name: shop }\nspec:\n  services: [{ name: api, image: a }]\n  datasets: [{ name: orders, source: { file: ${join(dir, 'seed.sql')} }, poolSize: 1, refresh: "@daily" }]\n`, 'app.yaml');
    await putApplication(server.store.db, { workspace: 'default', source: 'test', manifest: loaded.value![0]!.manifest as ApplicationManifest });
    await server.datasets!.settle('default', 'shop', 'orders');
  }, 60_000);

  afterAll(async () => {
    if (server) {
      await server.datasets?.stop();
      const store = new DatasetStore(server.store.db);
      const data = new DatasetServer(serverUrl!);
      for (const row of await store.all()) {
        for (const clone of await store.clones(row.id)) await data.dropClone(clone.database_name, clone.role_name);
        if (row.golden_database) await data.dropDatabase(row.golden_database);
      }
      await data.close();
    }
    await closeServer(server, dir);
    restore?.();
  }, 60_000);

  it('lists, shows and refreshes a dataset', async () => {
    const list = await slipway('datasets', 'list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/shop\s+orders\s+ready\s+1\/1 ready, 0 attached\s+#1 /);
    const shown = await slipway('datasets', 'show', 'shop', 'orders', '--output', 'json');
    expect(JSON.parse(shown.stdout)).toMatchObject({ name: 'orders', generation: 1, refresh: '@daily', nextRefreshAt: expect.any(String) });
    const refreshed = await slipway('datasets', 'refresh', 'shop', 'orders');
    expect(refreshed.stdout).toMatch(/✓ dataset shop\/orders: a new golden copy is being made; its 1 unattached clone will be replaced, the 0 attached ones are kept/);
    await server.datasets!.settle('default', 'shop', 'orders');
    expect(JSON.parse((await slipway('datasets', 'show', 'shop', 'orders', '--output', 'json')).stdout)).toMatchObject({ generation: 2, ready: 1 });
    const missing = await slipway('datasets', 'show', 'shop', 'nope');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no dataset nope of application shop/);
  }, 60_000);
});
