// The server the idle CPU benchmark measures (bench/idle-cpu-bench.ts starts it in its own process):
// `startServer` with its production timings — nothing shortened, as `slipway server` runs it, but
// without the portal build and the docker runtime, which idle environments on the local runtime do
// not use. SLIPWAY_HOME holds the seeded store. The first line of stdout is JSON: where it listens
// and how many live environments and routes it serves.
import { startServer } from '@slipway/server';

const home = process.env.SLIPWAY_HOME;
if (!home) throw new Error('SLIPWAY_HOME: expected the folder of the seeded store');
const server = await startServer(
  { home, apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: `${home}/cli.yaml` },
  { docker: false, engineLogger: { info: () => undefined, error: (m) => console.error(m) } },
);
const environments = (await server.environments.listLive()).length;
const routes = server.routes.table().routes;
console.log(JSON.stringify({ apiUrl: server.apiUrl, routerPort: server.routerPort, environments, routes }));
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
