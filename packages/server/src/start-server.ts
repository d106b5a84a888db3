import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { bootstrapAdminToken } from './bootstrap-admin-token.ts';
import type { ServerConfig } from './config.ts';
import { buildApi } from './http/build-api.ts';
import { loadSecretKey, SecretBox } from './secrets/secret-box.ts';
import { openDatabase, type StoreDatabase } from './store/open-database.ts';

export interface RunningServer {
  apiUrl: string;
  store: StoreDatabase;
  api: FastifyInstance;
  secretBox: SecretBox;
  /** Whether this start created the first admin token (and wrote the CLI config). */
  createdAdminToken: boolean;
  close(): Promise<void>;
}

/** Starts the control plane: store (SQLite under home, or PostgreSQL), secret key, API. */
export async function startServer(config: ServerConfig, options: { logger?: boolean } = {}): Promise<RunningServer> {
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const { key } = loadSecretKey({ secretKey: config.secretKey, keyFile: join(config.home, 'secret.key') });
  const store = await openDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { sqlitePath: join(config.home, 'slipway.db') });
  let api: FastifyInstance | undefined;
  try {
    api = await buildApi({ db: store.db }, { logger: options.logger ?? false });
    const address = await api.listen({ port: config.apiPort, host: config.host });
    const apiUrl = address.replace('[::1]', 'localhost');
    const { created } = await bootstrapAdminToken(store.db, { apiUrl, cliConfigPath: config.cliConfigPath });
    const running = api;
    return {
      apiUrl,
      store,
      api: running,
      secretBox: new SecretBox(key),
      createdAdminToken: created,
      close: async () => {
        await running.close();
        await store.close();
      },
    };
  } catch (error) {
    await api?.close();
    await store.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${config.apiPort} is already in use; stop what uses it or set SLIPWAY_API_PORT (or --api-port)`);
    }
    throw error;
  }
}
