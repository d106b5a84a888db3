// Runs a server in its own process for tests that kill it (SIGKILL) and start it again: settings come
// from SLIPWAY_* variables, ports may be 0, and the first line of stdout is JSON with where it listens.
// SLIPWAY_DATABASE_URL puts the store on PostgreSQL (several such servers share it);
// TEST_RELEASE_TICK_MS sets the release controller's tick; TEST_SWEEP_ON_EXIT=1 makes SIGTERM remove everything
// this server's drivers run (for benchmarks and tests that end with the server, not with a delete).
import { startServer } from '../start-server.ts';
import { createApiToken } from '../store/api-tokens.ts';

const home = process.env.SLIPWAY_HOME!;
const server = await startServer(
  {
    home,
    apiPort: Number(process.env.SLIPWAY_API_PORT ?? 0),
    routerPort: Number(process.env.SLIPWAY_ROUTER_PORT ?? 0),
    host: '127.0.0.1',
    domain: 'slipway.localhost',
    cliConfigPath: `${home}/cli.yaml`,
    ...(process.env.SLIPWAY_DATABASE_URL ? { databaseUrl: process.env.SLIPWAY_DATABASE_URL } : {}),
  },
  {
    graceMs: 2_000,
    engine: { tickMs: 200, refreshRoutesMs: 500 },
    ...(process.env.TEST_RELEASE_TICK_MS ? { releases: { tickMs: Number(process.env.TEST_RELEASE_TICK_MS) } } : {}),
    engineLogger: { info: (m) => console.error(m), error: (m) => console.error(m) },
  },
);
const token = process.env.TEST_TOKEN_WANTED ? (await createApiToken(server.store.db, { name: `test-${process.pid}`, workspace: 'default', role: 'admin' })).secret : undefined;
console.log(JSON.stringify({ apiUrl: server.apiUrl, routerPort: server.routerPort, token, runtimes: Object.keys(server.drivers), dockerEngine: server.dockerEngine }));
process.once('SIGTERM', () => void stop().then(() => process.exit(0)));

async function stop(): Promise<void> {
  if (process.env.TEST_SWEEP_ON_EXIT) {
    await server.engine.stop();
    for (const driver of Object.values(server.drivers)) await driver.sweep([]);
  }
  await server.close();
}
