// Routes follow instances by events, not by a scan: with the safety resync ten minutes away, an
// instance that crashes leaves its service's route at once, and comes back to it once it runs again
// (the local runtime tells of every instance change). A teardown removes the hosts, and so does
// a deletion another server wrote to the store.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLocalDriver } from '@slipway/drivers';
import type { RouteChangeEvent } from '@slipway/contract';
import { registerApplication } from '../applications/register-application.ts';
import { EnvironmentStore } from '../store/environments.ts';
import { openDatabase } from '../store/open-database.ts';
import { seedEnvironments } from '../test-support/seed-environments.ts';
import { RouteHub } from './route-hub.ts';
import { RoutePublisher } from './route-publisher.ts';
import type { RunningServer } from '../start-server.ts';
import { commitAll, git } from '../test-support/example-repository.ts';
import { settled, startTestServer, type TestServer } from '../test-support/test-server.ts';

let test: TestServer;
let server: RunningServer;

const manifest = `apiVersion: slipway.dev/v1
kind: Application
metadata:
  name: echo
spec:
  runtime: local
  services:
    - name: web
      replicas: 2
      run:
        command: node server.mjs
      ports:
        - port: 3000
`;

beforeAll(async () => {
  test = await startTestServer('route-events', { engine: { refreshRoutesMs: 600_000 } });
  server = test.server;
  const repo = join(test.dir, 'echo');
  mkdirSync(join(repo, '.slipway'), { recursive: true });
  writeFileSync(join(repo, 'server.mjs'), "import { createServer } from 'node:http';\ncreateServer((req, res) => res.end('echo')).listen(Number(process.env.PORT));\n");
  writeFileSync(join(repo, '.slipway/app.yaml'), manifest);
  git(repo, 'init', '-q', '-b', 'main');
  commitAll(repo, 'echo');
  await registerApplication({ db: server.store.db, repositories: server.repositories }, 'default', { repository: repo });
}, 60_000);

afterAll(() => test?.close(), 60_000);

/** How many upstream addresses the web route of echo/main has in an event, or undefined when the event is not of it. */
function addressesIn(event: RouteChangeEvent): number | undefined {
  if (event.type === 'remove-environment') return event.app === 'echo' && event.envId === 'main' ? 0 : undefined;
  if (event.type !== 'upsert-environment' || event.app !== 'echo' || event.envId !== 'main') return undefined;
  const target = event.routes.find((r) => r.service === 'web')?.target;
  return target?.kind === 'upstream' ? target.addresses.length : -1;
}

function nextEvent(predicate: (addresses: number) => boolean, ms: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no route change of echo/main within ${ms} ms`));
    }, ms);
    const stop = server.routes.subscribe((event) => {
      const addresses = addressesIn(event);
      if (addresses === undefined || !predicate(addresses)) return;
      clearTimeout(timer);
      stop();
      resolve(addresses);
    });
  });
}

it('drops a crashed instance from its route at once and takes it back once it is ready, with no scan', async () => {
  await server.service.create('default', { app: 'echo', kind: 'permanent', id: 'main', branch: 'main' }, 'test');
  expect(await settled(server, 'main')).toBe('ready');
  const web = server.routes.routesOf('echo', 'main').find((r) => r.service === 'web');
  expect(web?.target).toMatchObject({ kind: 'upstream', addresses: [expect.anything(), expect.anything()] });

  const instances = await server.drivers.local!.instances({ workspace: 'default', app: 'echo', envId: 'main' });
  const victim = instances.find((i) => i.replica === 1);
  expect(victim?.runtimeId).toBeDefined();
  const dropped = nextEvent((n) => n === 1, 1_500);
  process.kill(Number(victim!.runtimeId), 'SIGKILL');
  // The crash is told by the runtime: its route keeps the one ready instance, well before any resync.
  expect(await dropped).toBe(1);
  // Restarted by its supervisor and ready again: both are routed once more.
  expect(await nextEvent((n) => n === 2, 20_000)).toBe(2);

  const removed = nextEvent((n) => n === 0, 10_000);
  await server.service.delete('default', 'main', 'test');
  expect(await removed).toBe(0);
  expect(await settled(server, 'main')).toBe('gone');
  expect(server.routes.routesOf('echo', 'main')).toEqual([]);
}, 60_000);

it('removes the hosts of an environment another server deleted, learnt from the store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-route-changes-'));
  const store = await openDatabase({ sqlitePath: ':memory:' });
  const driver = createLocalDriver({ stateDir: join(dir, 'local') });
  const routes = new RouteHub();
  const environments = new EnvironmentStore(store.db);
  const publisher = new RoutePublisher({ store: environments, drivers: { local: driver }, routes, deploying: () => false, changesMs: 50 });
  try {
    await seedEnvironments(store.db, { count: 3 });
    await publisher.start();
    const gone = await environments.getLive('default', 'env-00001');
    // Its hosts are in this server's table (as a setup's placeholders, since nothing runs here).
    publisher.placeholders(gone!, (await environments.lastSourcedDeploy(gone!.id))!.rendered);
    expect(routes.routesOf('shop', 'env-00001').length).toBeGreaterThan(0);
    const removed = new Promise<string>((resolve) => routes.subscribe((event) => event.type === 'remove-environment' && resolve(event.envId)));
    // What another server's teardown leaves in the shared store.
    await environments.updateEnvironment(gone!.id, { status: 'deleted', deletedAt: new Date().toISOString() });
    expect(await Promise.race([removed, new Promise((resolve) => setTimeout(() => resolve('nothing within 2 s'), 2_000))])).toBe('env-00001');
  } finally {
    await publisher.stop();
    await driver.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
