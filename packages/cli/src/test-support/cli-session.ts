import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { startServer, type RunningServer, type ServerConfig } from '@slipway/server';
import type { StartServerOptions } from '../../../server/src/start-server.ts';
import { closeServer } from '../../../server/src/test-support/test-server.ts';
import { main } from '../main.ts';
import { captureIO } from './capture-io.ts';

const settings = ['XDG_CONFIG_HOME', 'SLIPWAY_URL', 'SLIPWAY_TOKEN', 'SLIPWAY_WORKSPACE'] as const;

/**
 * Points the CLI at a config folder of its own under `dir`, with no SLIPWAY_* connection settings, so a
 * test neither reads nor writes the user's. Returns what puts the settings back.
 */
export function isolateCliSettings(dir: string): () => void {
  const saved = settings.map((name) => [name, process.env[name]] as const);
  process.env.XDG_CONFIG_HOME = join(dir, 'config');
  for (const name of settings.slice(1)) delete process.env[name];
  return () => {
    for (const [name, value] of saved) if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
}

/** Runs `slipway …` in this process; its output without terminal colour codes. */
export async function slipway(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIO();
  const code = await main(['node', 'slipway', ...args], io);
  return { code, stdout: stripVTControlCharacters(io.stdout()), stderr: stripVTControlCharacters(io.stderr()) };
}

/** A whole server in `dir/home` on free ports, whose first-start admin token goes to the config isolateCliSettings(dir) reads. */
export function startServerForCli(dir: string, config: Partial<ServerConfig> = {}, options: StartServerOptions = {}): Promise<RunningServer> {
  return startServer(
    { home: join(dir, 'home'), apiPort: 0, routerPort: 0, host: '127.0.0.1', domain: 'slipway.localhost', cliConfigPath: join(dir, 'config', 'slipway', 'config.yaml'), ...config },
    options,
  );
}

/** Removes the server's workloads, stops it, deletes `dir` and puts the CLI settings back. */
export async function closeCliSession(server: RunningServer | undefined, dir: string, restore: () => void): Promise<void> {
  await closeServer(server, dir);
  restore();
}
