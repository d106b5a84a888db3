// An environment with a dataset, end to end on the local runtime and a real PostgreSQL: its
// service reads its own clone through DATABASE_URL, the deploy log says where the clone came from
// and never shows the password, a dataset that cannot be had fails the deploy with the reason, and
// deleting the environment drops its clone and role.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerApplication } from '../applications/register-application.ts';
import type { RunningServer } from '../start-server.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { DatasetStore } from '../store/datasets.ts';
import { DatasetServer } from './dataset-server.ts';
import { commitAll, git } from '../test-support/example-repository.ts';
import { apiCall, httpRequest, settled, startTestServer, type TestServer } from '../test-support/test-server.ts';

const serverUrl = process.env.SLIPWAY_TEST_DATABASE_URL;
const skip = serverUrl ? false : 'SLIPWAY_TEST_DATABASE_URL is not set (CI sets it after installing PostgreSQL)';
if (skip) console.warn(`environment datasets: skipped: ${skip}`);

describe.skipIf(skip)('an environment with a dataset', () => {
  let test: TestServer;
  let server: RunningServer;
  let admin: string;

  beforeAll(async () => {
    test = await startTestServer('datasets', {}, { datasetDatabaseUrl: serverUrl! });
    server = test.server;
    const repository = join(test.dir, 'repo');
    mkdirSync(join(repository, '.slipway'), { recursive: true });
    writeFileSync(join(repository, 'seed.sql'), "CREATE TABLE notes (body text);\nINSERT INTO notes VALUES ('from the golden copy');\n");
    // pg is the server package's; the service loads it from there (PG_FROM).
    writeFileSync(
      join(repository, 'server.mjs'),
      `import { createServer } from 'node:http';
import { createRequire } from 'node:module';
const pg = createRequire(process.env.PG_FROM)('pg');
createServer(async (req, res) => {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  const { rows } = await client.query('SELECT body FROM notes');
  await client.end();
  res.end(JSON.stringify({ notes: rows.map((r) => r.body), user: process.env.DATABASE_USER, missing: process.env.BROKEN_URL ?? null }));
}).listen(Number(process.env.PORT));
`,
    );
    writeFileSync(
      join(repository, '.slipway/app.yaml'),
      `apiVersion: slipway.dev/v1
kind: Application
metadata: { name: notes }
spec:
  runtime: local
  services:
    - name: api
      run: { command: node server.mjs }
      ports: [{ port: 3000 }]
      env: { PG_FROM: ${join(process.cwd(), 'packages/server/package.json')} }
  datasets:
    - { name: notes, source: { file: seed.sql }, poolSize: 1 }
  environmentTemplates:
    - name: permanent
      datasets:
        - { name: notes }
        - { name: broken, source: { file: missing.sql }, envPrefix: BROKEN }
`,
    );
    git(repository, 'init', '-q', '-b', 'main');
    commitAll(repository, 'notes');
    admin = (await createApiToken(server.store.db, { name: 'admin', workspace: 'default', role: 'admin' })).secret;
    await registerApplication({ db: server.store.db, repositories: server.repositories }, 'default', { repository });
    await server.datasets!.settle('default', 'notes', 'notes');
  }, 60_000);

  afterAll(async () => {
    // The pool outlives a server's restart by design; a test's pool goes with the test.
    if (server?.datasets) {
      const store = new DatasetStore(server.store.db);
      const dataServer = new DatasetServer(serverUrl!);
      for (const row of await store.all()) {
        for (const clone of await store.clones(row.id)) await dataServer.dropClone(clone.database_name, clone.role_name);
        if (row.golden_database) await dataServer.dropDatabase(row.golden_database);
      }
      await dataServer.close();
    }
    await test?.close();
  }, 60_000);

  it('attaches a clone from the pool, injects its connection, and drops it with the environment', async () => {
    const created = await apiCall(server.apiUrl, admin, 'POST', '/api/v1/environments', { app: 'notes', kind: 'ephemeral', id: 'pr-1', branch: 'main' });
    expect(created.status, created.text).toBeLessThan(300);
    const status = await settled(server, 'pr-1', 60_000);
    expect(status, (await server.environments.getLive('default', 'pr-1'))?.reason).toBe('ready');
    const answer = await httpRequest(server.routerPort, 'GET', '/', { host: 'api-pr-1.slipway.localhost' });
    expect(answer.status, answer.text).toBe(200);
    const body = answer.json();
    expect(body.notes).toEqual(['from the golden copy']);
    expect(body.user).toMatch(/^slipway_ds_/);
    const env = (await server.environments.getLive('default', 'pr-1'))!;
    const store = new DatasetStore(server.store.db);
    const [clone] = await store.clonesOf(env.id);
    expect(clone?.database_name).toBeDefined();
    const deploys = await server.environments.listDeploys(env.id, 1);
    const log = readFileSync(join(test.dir, 'home', 'deploys', `${deploys[0]!.id}.log`), 'utf8');
    expect(log).toMatch(/✓ dataset notes · attached clone slipway_ds_\w+ from the warm pool in \d+ ms/);

    const deleted = await apiCall(server.apiUrl, admin, 'DELETE', '/api/v1/environments/pr-1');
    expect(deleted.status, deleted.text).toBeLessThan(300);
    expect(await settled(server, 'pr-1', 60_000)).toBe('gone');
    expect(await store.clonesOf(env.id)).toEqual([]);
  }, 90_000);

  it('fails the deploy of an environment whose required dataset cannot be made, keeping no clone', async () => {
    const created = await apiCall(server.apiUrl, admin, 'POST', '/api/v1/environments', { app: 'notes', kind: 'permanent', id: 'staging', branch: 'main' });
    expect(created.status, created.text).toBeLessThan(300);
    expect(await settled(server, 'staging', 60_000)).toBe('failed');
    const env = (await server.environments.getLive('default', 'staging'))!;
    expect(env.reason).toMatch(/^dataset broken: the source file .*missing\.sql cannot be read/);
    expect(await new DatasetStore(server.store.db).clonesOf(env.id)).toEqual([]);
    await apiCall(server.apiUrl, admin, 'DELETE', '/api/v1/environments/staging');
    expect(await settled(server, 'staging', 60_000)).toBe('gone');
  }, 90_000);

  it('lists, shows and refreshes datasets through the API, authorised and audited, never showing a password', async () => {
    const viewer = (await createApiToken(server.store.db, { name: 'viewer', workspace: 'default', role: 'viewer' })).secret;
    const list = await apiCall(server.apiUrl, viewer, 'GET', '/api/v1/datasets?limit=1');
    expect(list.status, list.text).toBe(200);
    expect(list.json.items.map((d: { name: string }) => d.name)).toEqual(['broken']);
    expect(list.json.nextCursor).toEqual(expect.any(String));
    const next = await apiCall(server.apiUrl, viewer, 'GET', `/api/v1/datasets?limit=1&cursor=${encodeURIComponent(list.json.nextCursor)}`);
    expect(next.json.items[0]).toMatchObject({ name: 'notes', state: 'ready', poolSize: 1 });
    expect(next.text).not.toMatch(/password|sealed/i);
    expect((await apiCall(server.apiUrl, viewer, 'POST', '/api/v1/datasets/notes/notes/refresh')).status).toBe(403);
    expect((await apiCall(server.apiUrl, undefined, 'GET', '/api/v1/datasets')).status).toBe(401);
    const refreshed = await apiCall(server.apiUrl, admin, 'POST', '/api/v1/datasets/notes/notes/refresh');
    expect(refreshed.status, refreshed.text).toBe(202);
    await server.datasets!.settle('default', 'notes', 'notes');
    const shown = await apiCall(server.apiUrl, viewer, 'GET', '/api/v1/datasets/notes/notes');
    expect(shown.json).toMatchObject({ generation: 2, ready: 1 });
    const audit = await apiCall(server.apiUrl, admin, 'GET', '/api/v1/audit?limit=50');
    expect(audit.text).toContain('dataset.refresh');
    expect((await apiCall(server.apiUrl, viewer, 'GET', '/api/v1/datasets/notes/nope')).status).toBe(404);
  }, 60_000);
});
