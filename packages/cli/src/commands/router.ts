import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import type { RouterLogger, RunningRouter } from '@slipway/router';
import { ApiError, resolveConnection } from '../api-client.ts';
import { ExitCode, type CommandIO } from '../io.ts';

/** Settings given as flags; each wins over its environment variable. */
export interface RouterFlags {
  controlPlane?: string;
  port?: string | number;
  host?: string;
  metricsPort?: string | number;
  metricsHost?: string;
  /** false with --no-metrics: no admin listener at all. */
  metrics?: boolean;
  cacheFile?: string;
}

export interface RouterSettings {
  /** The control plane's base URL, as given. */
  controlPlane: string;
  streamUrl: string;
  token: string;
  port: number;
  host: string;
  /** Absent: no metrics listener. */
  metricsPort?: number;
  metricsHost: string;
  cacheFile: string;
}

const ROUTE_STREAM_PATH = '/api/v1/routes/stream';

function portOf(name: string, value: string | number): number | string {
  const text = String(value).trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) return `${name}: expected a port number from 1 to 65535 (0 picks a free one), got ${JSON.stringify(String(value))}`;
  return n;
}

/**
 * The standalone router's settings from flags, SLIPWAY_* variables and the CLI config, validated
 * before anything starts. Returns the settings or every problem, each naming what would be right.
 */
export function resolveRouterSettings(flags: RouterFlags, env: NodeJS.ProcessEnv = process.env): { settings?: RouterSettings; problems: string[] } {
  const problems: string[] = [];
  let connection: { url: string; token: string } | undefined;
  try {
    // --control-plane replaces only the URL: the token still comes from SLIPWAY_TOKEN or the config.
    connection = resolveConnection(flags.controlPlane ? { ...env, SLIPWAY_URL: flags.controlPlane } : env);
    if (!/^https?:$/.test(new URL(connection.url).protocol)) problems.push(`--control-plane: expected an http:// or https:// URL, got ${connection.url}`);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    problems.push(e.message);
  }
  const port = portOf('--port / SLIPWAY_ROUTER_PORT', flags.port ?? env.SLIPWAY_ROUTER_PORT ?? 8080);
  const metricsPort = flags.metrics === false ? undefined : portOf('--metrics-port / SLIPWAY_ROUTER_METRICS_PORT', flags.metricsPort ?? env.SLIPWAY_ROUTER_METRICS_PORT ?? 9090);
  for (const value of [port, metricsPort]) if (typeof value === 'string') problems.push(value);
  if (!connection || typeof port === 'string' || typeof metricsPort === 'string' || problems.length > 0) return { problems };
  const home = resolve(env.SLIPWAY_HOME || join(homedir(), '.slipway'));
  return {
    problems: [],
    settings: {
      controlPlane: connection.url,
      streamUrl: new URL(ROUTE_STREAM_PATH, connection.url).toString(),
      token: connection.token,
      port,
      host: flags.host ?? env.SLIPWAY_HOST ?? '127.0.0.1',
      ...(metricsPort !== undefined ? { metricsPort } : {}),
      metricsHost: flags.metricsHost ?? env.SLIPWAY_ROUTER_METRICS_HOST ?? '127.0.0.1',
      cacheFile: resolve(flags.cacheFile ?? join(home, 'router-cache.json')),
    },
  };
}

/** The router's log lines for people: info on stdout, warnings on stderr, details as key=value. */
function cliLogger(io: CommandIO): RouterLogger {
  const line = (details: object, message: string) => {
    const pairs = Object.entries(details).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
    return `${pc.dim(new Date().toISOString().slice(11, 19))} ${message}${pairs.length > 0 ? pc.dim(` (${pairs.join(', ')})`) : ''}`;
  };
  return {
    info: (details, message) => io.out(line(details, message)),
    warn: (details, message) => io.err(`${pc.yellow('warn')}    ${line(details, message)}`),
  };
}

const hostInUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);

/**
 * `slipway router`: the edge router alone. It follows the control plane's route stream, keeps the
 * last table in a cache file (so it serves while the control plane is down, and after its own
 * restarts), and runs until SIGINT or SIGTERM (or `signal`).
 */
export async function router(flags: RouterFlags, io: CommandIO, options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<number> {
  const { settings, problems } = resolveRouterSettings(flags, options.env ?? process.env);
  if (!settings) {
    for (const p of problems) io.err(`${pc.red('error')}   ${p}`);
    return ExitCode.usage;
  }
  // Loaded on demand, like the server: most commands never need it.
  const { RouteTable, followRouteStream, startRouter } = await import('@slipway/router');
  const logger = cliLogger(io);
  const table = new RouteTable();
  let heard = false;
  const follower = followRouteStream({
    url: settings.streamUrl,
    token: settings.token,
    table,
    cacheFile: settings.cacheFile,
    logger,
    onApplied: (version) => {
      if (heard) return;
      heard = true;
      logger.info({ version, routes: table.size.routes, environments: table.size.environments }, 'received the route table from the control plane');
    },
  });
  // Listen only once the cached table is in: the first requests after a restart see it.
  await follower.cacheLoaded;

  let running: RunningRouter;
  try {
    running = await startRouter({
      table,
      port: settings.port,
      host: settings.host,
      ...(settings.metricsPort !== undefined ? { metricsPort: settings.metricsPort, metricsHost: settings.metricsHost } : {}),
      logger,
    });
  } catch (error) {
    await follower.stop();
    const e = error as NodeJS.ErrnoException;
    io.err(`${pc.red('error')}   ${e.code === 'EADDRINUSE' ? `a port is already in use (${e.message}); choose another with --port or --metrics-port` : e.message}`);
    return ExitCode.failed;
  }

  io.out(`Slipway router at ${pc.cyan(running.url)}, following ${settings.controlPlane}`);
  if (running.metricsPort !== undefined) io.out(`Metrics at http://${hostInUrl(settings.metricsHost)}:${running.metricsPort}/metrics (health: /healthz)`);
  io.out(
    table.version > 0
      ? `Serving ${table.size.routes} routes from ${settings.cacheFile} until the control plane answers.`
      : `Route table cache: ${settings.cacheFile} (none yet; waiting for the control plane).`,
  );

  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      options.signal?.removeEventListener('abort', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop, { once: true });
  });
  io.out('stopping…');
  // The follower first: its last act is writing the newest table to the cache.
  await follower.stop();
  await running.close();
  return ExitCode.ok;
}

/** Registers `slipway router` on the program. */
export function addRouterCommand(program: Command, io: CommandIO, run: (action: Promise<number>) => Promise<void>): void {
  program
    .command('router')
    .description("run the edge router alone: it follows the control plane's route table and keeps serving its last one while the control plane is unreachable")
    .option('--control-plane <url>', 'the Slipway API to follow (default: SLIPWAY_URL, else the CLI config)')
    .option('--port <port>', 'port for proxied traffic (SLIPWAY_ROUTER_PORT, default 8080)')
    .option('--host <address>', 'address to listen on (SLIPWAY_HOST, default 127.0.0.1; 0.0.0.0 for every interface)')
    .option('--metrics-port <port>', 'port of GET /metrics and GET /healthz (SLIPWAY_ROUTER_METRICS_PORT, default 9090)')
    .option('--metrics-host <address>', 'address of the metrics listener (SLIPWAY_ROUTER_METRICS_HOST, default 127.0.0.1)')
    .option('--no-metrics', 'run without the metrics listener')
    .option('--cache-file <file>', 'where the last route table is kept across restarts (default $SLIPWAY_HOME/router-cache.json, SLIPWAY_HOME defaulting to ~/.slipway)')
    .addHelpText(
      'after',
      '\nThe token comes from SLIPWAY_TOKEN, else the CLI config (slipway login); the route stream needs the admin role.\n\nExample:\n  SLIPWAY_TOKEN=… slipway router --control-plane http://10.0.0.5:4400 --host 0.0.0.0 --port 80',
    )
    .action((opts: RouterFlags) => run(router(opts, io)));
}
