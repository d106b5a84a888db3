// Two servers, each its own process, on one PostgreSQL: the first holds the release controller's
// lease, the second takes the approvals. With both controllers ticking only every 60 s, the last
// approval given to the second server must reach the first — by NOTIFY — and start the next
// stage's deploy well under a second later. Measured from the stored approval to the stored entry
// into the next stage, both written by the servers. Skipped, with the reason, without PostgreSQL.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseResponse } from '@slipway/contract';
import { createApiToken } from '../store/api-tokens.ts';
import { openDatabase, type StoreDatabase } from '../store/open-database.ts';
import { RELEASE_CHANNEL } from '../store/release-signals.ts';
import { commitAll, git } from '../test-support/example-repository.ts';
import { testDatabases } from '../test-support/test-databases.ts';
import { apiOk } from '../test-support/test-server.ts';

const runServer = resolve(fileURLToPath(import.meta.url), '../../test-support/run-server.ts');
const postgres = testDatabases().find((d) => d.name === 'postgres')!;
const ROUNDS = 3;

interface Started {
  child: ChildProcess;
  apiUrl: string;
  pid: number;
}

describe.skipIf(postgres.skip !== undefined)(`approvals across two servers on one PostgreSQL${postgres.skip ? ` (skipped: ${postgres.skip})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-release-signals-'));
  const children: ChildProcess[] = [];
  let serverLog = '';
  let database: { location: { databaseUrl: string }; dispose(): Promise<void> };
  let store: StoreDatabase;
  let holder: Started;
  let other: Started;
  const tokens: Record<string, string> = {};

  function start(name: string): Promise<Started> {
    const child = spawn(process.execPath, ['--import', 'tsx', runServer], {
      env: { ...process.env, SLIPWAY_HOME: join(dir, name), SLIPWAY_DATABASE_URL: database.location.databaseUrl, TEST_RELEASE_TICK_MS: '60000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stderr!.on('data', (c: Buffer) => (serverLog += `[${name}] ${c.toString()}`));
    return new Promise((done, fail) => {
      createInterface({ input: child.stdout! }).once('line', (line) => done({ child, pid: child.pid!, ...(JSON.parse(line) as { apiUrl: string }) }));
      child.once('exit', (code) => fail(new Error(`server ${name} exited with ${code}: ${serverLog}`)));
    });
  }

  const api = (server: Started, who: string, method: string, path: string, body?: unknown) => apiOk(server.apiUrl, tokens[who], method, path, body);

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\nservers' log:\n${serverLog.slice(-5000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const leaseHolder = async () => (await store.db.selectFrom('leases').select('owner').where('name', '=', 'releases:controller').executeTakeFirst())?.owner;

  beforeAll(async () => {
    database = (await postgres.create()) as typeof database;
    const app = join(dir, 'app');
    mkdirSync(join(app, '.slipway'), { recursive: true });
    mkdirSync(join(app, 'site'));
    writeFileSync(join(app, 'site/index.html'), 'v0\n');
    // A static site: every deploy is quick and leaves no process behind.
    writeFileSync(join(app, '.slipway/app.yaml'), 'apiVersion: slipway.dev/v1\nkind: Application\nmetadata: { name: shop }\nspec:\n  runtime: local\n  repository: { trackingBranch: main }\n  services:\n    - { name: web, static: { output: site } }\n');
    writeFileSync(
      join(app, '.slipway/release.yaml'),
      'apiVersion: slipway.dev/v1\nkind: ReleaseTrack\nmetadata: { name: shop-track }\nspec:\n  releaseStages:\n    - environments: [staging]\n      gates: { approvals: { required: [{ role: qa }, { role: product }] } }\n    - environments: [production]\n---\napiVersion: slipway.dev/v1\nkind: ApplicationSet\nmetadata: { name: shop }\nspec: { applications: [shop], releaseTrack: shop-track }\n',
    );
    git(app, 'init', '-q', '-b', 'main');
    commitAll(app, 'v0');

    // The first server to start takes the lease; the second finds it held.
    holder = await start('holder');
    other = await start('other');
    store = await openDatabase(database.location);
    expect(await leaseHolder()).toBe(`${hostname()}:${holder.pid}`);
    for (const [user, role, approverRoles] of [
      ['ada', 'admin', []],
      ['rita', 'release-manager', []],
      ['quinn', 'developer', ['qa']],
      ['pat', 'developer', ['product']],
    ] as const) {
      tokens[user] = (await createApiToken(store.db, { name: user, workspace: 'default', role, user, approverRoles: [...approverRoles] })).secret;
    }
    await api(other, 'ada', 'POST', '/api/v1/applications', { repository: app });
    await api(other, 'ada', 'POST', '/api/v1/tracks', { repository: app });
    await api(other, 'ada', 'POST', '/api/v1/sets', { repository: app });
  }, 60_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await store?.close();
    await database?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('the last approval, given to the server without the lease, starts the next stage at once', async () => {
    const app = join(dir, 'app');
    const figures: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      writeFileSync(join(app, 'site/index.html'), `v${round}\n`);
      commitAll(app, `v${round}`);
      const snapshot = await api(other, 'rita', 'POST', '/api/v1/snapshots', { set: 'shop' });
      const created: ReleaseResponse = await api(other, 'rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias });
      // Entering staging and its deploy ending are the lease holder's doing (NOTIFY and its engine's events).
      await until(`release #${created.number} awaiting approval in staging`, async () => {
        const r: ReleaseResponse = await api(other, 'rita', 'GET', `/api/v1/releases/${created.number}`);
        return r.stages[0]!.state === 'AwaitingApproval' ? r : undefined;
      });
      await api(other, 'quinn', 'POST', `/api/v1/releases/${created.number}/approve`, {});
      await api(other, 'pat', 'POST', `/api/v1/releases/${created.number}/approve`, {});
      const entered = await until(`release #${created.number} entering production`, async () => {
        const row = await store.db.selectFrom('release_stages').select('entered_at').where('release_id', '=', created.id).where('idx', '=', 1).executeTakeFirst();
        return row?.entered_at ?? undefined;
      });
      const approvals = await store.db.selectFrom('release_decisions').select('created_at').where('release_id', '=', created.id).orderBy('created_at', 'desc').execute();
      figures.push(Date.parse(entered) - Date.parse(approvals[0]!.created_at));
      // The promotion was the holder's: the other server never took the lease.
      expect(await leaseHolder()).toBe(`${hostname()}:${holder.pid}`);
      await until(`release #${created.number} promoted`, async () => ((await api(holder, 'rita', 'GET', `/api/v1/releases/${created.number}`)).state === 'Promoted' ? true : undefined));
    }
    const sorted = [...figures].sort((a, b) => a - b);
    console.info(`approval on the other server → next stage entered by the lease holder, ${ROUNDS} rounds: ${figures.join(', ')} ms (median ${sorted[Math.floor(sorted.length / 2)]} ms); the controllers tick every 60 s`);
    for (const ms of figures) expect(ms).toBeLessThan(1_000);
  }, 180_000);

  it('listens again when its connection is cut, and catches up on what it missed', async () => {
    const cut = await sql<{ ended: boolean }>`SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = current_database() AND query = ${`LISTEN ${RELEASE_CHANNEL}`}`.execute(store.db);
    // One release-controller listener on each server (each also listens on the managed-release channel, left alone here).
    expect(cut.rows).toEqual([{ ended: true }, { ended: true }]);
    // Straight away, while the holder may not be listening yet: the release still moves, at the latest once it listens again.
    const app = join(dir, 'app');
    writeFileSync(join(app, 'site/index.html'), 'after the cut\n');
    commitAll(app, 'after the cut');
    const snapshot = await api(other, 'rita', 'POST', '/api/v1/snapshots', { set: 'shop' });
    const created: ReleaseResponse = await api(other, 'rita', 'POST', '/api/v1/releases', { snapshot: snapshot.alias });
    await until(`release #${created.number} awaiting approval in staging`, async () => ((await api(other, 'rita', 'GET', `/api/v1/releases/${created.number}`)).stages[0].state === 'AwaitingApproval' ? true : undefined), 10_000);
    await api(other, 'quinn', 'POST', `/api/v1/releases/${created.number}/approve`, {});
    await api(other, 'pat', 'POST', `/api/v1/releases/${created.number}/approve`, {});
    await until(`release #${created.number} promoted`, async () => ((await api(other, 'rita', 'GET', `/api/v1/releases/${created.number}`)).state === 'Promoted' ? true : undefined), 10_000);
    expect(serverLog).toMatch(/\[holder\] release notifications: the LISTEN connection was lost/);
  }, 60_000);
});
