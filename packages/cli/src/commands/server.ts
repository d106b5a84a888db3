import { resolve } from 'node:path';
import pc from 'picocolors';
import type { RunningServer, ServerFlags } from '@slipway/server';
import { ExitCode, type CommandIO } from '../io.ts';

/** `slipway server`: runs Slipway until SIGINT or SIGTERM; with --example, brings up an example environment. */
export async function server(flags: ServerFlags & { example?: string }, io: CommandIO, signal?: AbortSignal): Promise<number> {
  // Loaded on demand: the server package is heavy, and most commands never need it.
  const { loadServerConfig, startServer, startExample } = await import('@slipway/server');
  const { example, ...serverFlags } = flags;
  const { config, problems } = loadServerConfig(process.env, serverFlags);
  if (!config) {
    for (const p of problems) io.err(`${pc.red('error')}   ${p}`);
    return ExitCode.usage;
  }
  let running: RunningServer;
  try {
    running = await startServer(config, {
      logger: process.env.SLIPWAY_LOG === 'debug',
      portal: true,
      engineLogger: { info: (m) => io.out(`${pc.dim(new Date().toISOString().slice(11, 19))} ${m}`), error: (m) => io.err(`${pc.red('error')}   ${m}`) },
    });
  } catch (e) {
    io.err(`${pc.red('error')}   ${(e as Error).message}`);
    return ExitCode.failed;
  }
  io.out(`Slipway API at ${pc.cyan(running.apiUrl)} (data in ${config.home}, ${config.databaseUrl ? 'PostgreSQL' : 'SQLite'})`);
  if (running.portal) {
    io.out(`Portal at ${pc.cyan(`${running.apiUrl}/`)}: sign in with the token in ${config.cliConfigPath}${running.portal.built ? ` (built in ${(running.portal.ms / 1000).toFixed(1)} s)` : ''}`);
  }
  io.out(`Router at ${pc.cyan(running.routerUrl)}: environments answer at http://<service>-<env id>.${config.domain}:${running.routerPort}`);
  io.out(`Runtimes: ${Object.keys(running.drivers).join(', ')}${running.drivers.docker ? ` (docker: ${running.dockerEngine})` : `; docker runtime off: ${running.dockerEngine.split('\n')[0]}`}`);
  io.out(`OpenAPI document: ${running.apiUrl}/api/openapi.json`);
  io.out(running.metricsUrl ? `Metrics (Prometheus) at ${pc.cyan(running.metricsUrl)}${config.metrics?.token ? ', with the bearer token in SLIPWAY_METRICS_TOKEN' : ''}` : 'Metrics listener off');
  if (running.createdAdminToken) io.out(`Created an admin token and saved it for the CLI in ${config.cliConfigPath} (mode 0600).`);

  const stopped = new Promise<void>((resolvePromise) => {
    const stop = () => resolvePromise();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });

  let code: number = ExitCode.ok;
  if (example) {
    try {
      const env = await startExample(running, config.home, resolve(example), {
        repository: (path, created) => io.out(`${created ? 'Made' : 'Using'} the example's git repository at ${path} (branch it there to try more environments)`),
        registered: (app, version) => io.out(`Registered application ${pc.bold(app)} (template version ${version})`),
        deploying: (e) => io.out(`Bringing up environment ${pc.bold(e.envId)} of ${e.app}…`),
      });
      if (env.status === 'ready') {
        io.out(`\n${pc.green('✓')} ${env.app} environment ${pc.bold(env.envId)} is ready:`);
        for (const [serviceName, url] of Object.entries(env.urls)) io.out(`    ${serviceName.padEnd(10)} ${pc.cyan(url)}`);
        io.out(`\nTry: curl ${Object.values(env.urls)[0] ?? ''}   ·   slipway envs list   ·   Ctrl-C stops Slipway (environments keep running and are adopted at the next start)`);
      } else {
        io.err(`${pc.red('error')}   environment ${env.envId} of ${env.app} is ${env.status}${env.reason ? `: ${env.reason}` : ''}`);
        io.err(`        see: slipway deploys list ${env.envId}`);
        code = ExitCode.failed;
      }
    } catch (e) {
      io.err(`${pc.red('error')}   cannot bring up the example: ${(e as Error).message}`);
      code = ExitCode.failed;
    }
  }
  await stopped;
  io.out('stopping…');
  await running.close();
  return code;
}
