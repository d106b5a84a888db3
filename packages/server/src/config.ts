import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { cliConfigPathFor } from '@slipway/contract';

const port = (name: string) =>
  z.coerce
    .number({ error: `${name}: expected a port number from 1 to 65535` })
    .int({ message: `${name}: expected a port number from 1 to 65535` })
    .min(1, { message: `${name}: expected a port number from 1 to 65535` })
    .max(65535, { message: `${name}: expected a port number from 1 to 65535` });

const configSchema = z.object({
  home: z.string().min(1),
  apiPort: port('SLIPWAY_API_PORT'),
  routerPort: port('SLIPWAY_ROUTER_PORT'),
  host: z.string().min(1),
  domain: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, { message: 'SLIPWAY_DOMAIN: expected a domain name such as slipway.localhost' }),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL: expected a PostgreSQL URL such as postgres://user@host/db' })
    .optional(),
  secretKey: z.string().optional(),
  cliConfigPath: z.string().min(1),
});

export type ServerConfig = z.infer<typeof configSchema>;

/** Settings given as flags; each wins over its environment variable. */
export interface ServerFlags {
  home?: string;
  apiPort?: string | number;
  routerPort?: string | number;
  host?: string;
  domain?: string;
}

/**
 * The server's configuration from flags and SLIPWAY_* variables, validated at start. Returns the
 * configuration or every problem, each naming its variable and what would be right.
 */
export function loadServerConfig(env: NodeJS.ProcessEnv, flags: ServerFlags = {}): { config?: ServerConfig; problems: string[] } {
  const home = resolve(flags.home ?? env.SLIPWAY_HOME ?? join(homedir(), '.slipway'));
  const candidate = {
    home,
    apiPort: flags.apiPort ?? env.SLIPWAY_API_PORT ?? 4400,
    routerPort: flags.routerPort ?? env.SLIPWAY_ROUTER_PORT ?? 8080,
    host: flags.host ?? env.SLIPWAY_HOST ?? '127.0.0.1',
    domain: flags.domain ?? env.SLIPWAY_DOMAIN ?? 'slipway.localhost',
    databaseUrl: env.DATABASE_URL || undefined,
    secretKey: env.SLIPWAY_SECRET_KEY || undefined,
    cliConfigPath: cliConfigPath(env),
  };
  const parsed = configSchema.safeParse(candidate);
  if (parsed.success) return { config: parsed.data, problems: [] };
  return { problems: parsed.error.issues.map((i) => i.message) };
}

/** Where the CLI keeps its URL and token. */
export function cliConfigPath(env: NodeJS.ProcessEnv): string {
  return cliConfigPathFor(env, homedir());
}
