import pc from 'picocolors';
import type { ServerFlags } from '@slipway/server';
import { ExitCode, type CommandIO } from '../io.ts';

/** `slipway server`: runs the control plane until SIGINT or SIGTERM. */
export async function server(flags: ServerFlags, io: CommandIO, signal?: AbortSignal): Promise<number> {
  // Loaded on demand: the server package is heavy, and most commands never need it.
  const { loadServerConfig, startServer } = await import('@slipway/server');
  const { config, problems } = loadServerConfig(process.env, flags);
  if (!config) {
    for (const p of problems) io.err(`${pc.red('error')}   ${p}`);
    return ExitCode.usage;
  }
  let running;
  try {
    running = await startServer(config, { logger: process.env.SLIPWAY_LOG === 'debug' });
  } catch (e) {
    io.err(`${pc.red('error')}   ${(e as Error).message}`);
    return ExitCode.failed;
  }
  io.out(`Slipway API at ${pc.cyan(running.apiUrl)} (data in ${config.home}, ${config.databaseUrl ? 'PostgreSQL' : 'SQLite'})`);
  io.out(`OpenAPI document: ${running.apiUrl}/api/openapi.json`);
  if (running.createdAdminToken) io.out(`Created an admin token and saved it for the CLI in ${config.cliConfigPath} (mode 0600).`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  io.out('stopping…');
  await running.close();
  return ExitCode.ok;
}
