import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { cliConfigPathFor, durationPattern, durationToMs } from '@slipway/contract';

const port = (name: string) =>
  z.coerce
    .number({ error: `${name}: expected a port number from 1 to 65535` })
    .int({ message: `${name}: expected a port number from 1 to 65535` })
    .min(1, { message: `${name}: expected a port number from 1 to 65535` })
    .max(65535, { message: `${name}: expected a port number from 1 to 65535` });

const METRICS_PORT_MESSAGE = 'SLIPWAY_METRICS_PORT: expected a port number from 0 (a free one) to 65535, or off (no metrics listener)';

/** Loopback addresses: a metrics listener there is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

const metricsSchema = z
  .object({
    port: z.coerce.number({ error: METRICS_PORT_MESSAGE }).int({ message: METRICS_PORT_MESSAGE }).min(0, { message: METRICS_PORT_MESSAGE }).max(65535, { message: METRICS_PORT_MESSAGE }),
    host: z.string().min(1, { message: 'SLIPWAY_METRICS_HOST: expected an address such as 127.0.0.1' }),
    /** A bearer token every scrape must send (a secret: never printed). */
    token: z.string().min(16, { message: 'SLIPWAY_METRICS_TOKEN: expected at least 16 characters (for example: openssl rand -hex 32)' }).optional(),
  })
  .refine((m) => m.token !== undefined || isLoopback(m.host), {
    message: 'SLIPWAY_METRICS_HOST: a metrics listener beyond loopback needs SLIPWAY_METRICS_TOKEN, the bearer token scrapes must send; or keep it on 127.0.0.1',
  });

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
  /** The PostgreSQL server that holds datasets' golden copies and clones (docs/datasets.md); no datasets without it. */
  datasetDatabaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'SLIPWAY_DATASET_DATABASE_URL: expected a PostgreSQL URL such as postgres://slipway@db-host/postgres, as a user who may create databases and roles' })
    .optional(),
  secretKey: z.string().optional(),
  cliConfigPath: z.string().min(1),
  /** Shared secret of GitHub webhooks; the webhook endpoint exists only when it is set. */
  githubWebhookSecret: z.string().min(1).optional(),
  /** Token for commit statuses and pull request comments; without it nothing is sent to GitHub. */
  githubToken: z.string().min(1).optional(),
  /** GitHub's API (https://api.github.com when absent), or GitHub Enterprise's https://<host>/api/v3. */
  githubApiUrl: z.url({ protocol: /^https?$/, message: 'SLIPWAY_GITHUB_API_URL: expected an http(s) URL such as https://api.github.com or https://github.example.com/api/v3' }).optional(),
  /** Time between two looks at a polled repository (30 s when absent). */
  pollIntervalMs: z
    .number({ error: 'SLIPWAY_POLL_INTERVAL: expected a duration from 100ms to 1d, such as 30s or 2m' })
    .min(100, { message: 'SLIPWAY_POLL_INTERVAL: expected a duration from 100ms to 1d, such as 30s or 2m' })
    .max(86_400_000, { message: 'SLIPWAY_POLL_INTERVAL: expected a duration from 100ms to 1d, such as 30s or 2m' })
    .optional(),
  /**
   * The kubernetes runtime: offered when SLIPWAY_KUBECONFIG is set (a path, or `in-cluster` for the
   * service account of a server running in the cluster).
   */
  kubernetes: z
    .object({
      kubeconfig: z.string().min(1),
      context: z.string().min(1).optional(),
      namespacePrefix: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$/, { message: 'SLIPWAY_KUBE_NAMESPACE_PREFIX: expected a lowercase name of letters, digits and "-", at most 20 characters, such as slipway' })
        .optional(),
      storageClass: z.string().min(1).optional(),
      imageRegistry: z.string().regex(/^[^\s/]+(\/[^\s]+)*$/, { message: 'SLIPWAY_KUBE_IMAGE_REGISTRY: expected a registry and path such as registry.example.com/team' }).optional(),
      exposure: z
        .enum(['cluster-ip', 'node-port', 'pod-ip'], { error: 'SLIPWAY_KUBE_EXPOSURE: expected cluster-ip (a router inside the cluster), node-port (a router outside it) or pod-ip (a router on a network that routes pod IPs)' })
        .optional(),
      nodeAddress: z.string().min(1).optional(),
      /** Push credentials of the image registry (a secret: never printed); also given to the cluster as a pull Secret. */
      staticServerImage: z.string().min(1).optional(),
      registryUsername: z.string().min(1).optional(),
      registryPassword: z.string().min(1).optional(),
      registryInsecure: z.enum(['true', 'false'], { error: 'SLIPWAY_KUBE_REGISTRY_INSECURE: expected true (push over plain HTTP or without checking the certificate) or false' }).optional(),
      registryPullSecret: z.enum(['true', 'false'], { error: 'SLIPWAY_KUBE_REGISTRY_PULL_SECRET: expected true (give each namespace a pull Secret of the registry credentials) or false' }).optional(),
    })
    .refine((k) => (k.registryUsername === undefined) === (k.registryPassword === undefined), {
      message: 'SLIPWAY_KUBE_REGISTRY_USERNAME and SLIPWAY_KUBE_REGISTRY_PASSWORD: expected both (the registry credentials) or neither',
    })
    .refine((k) => k.registryUsername === undefined || k.imageRegistry !== undefined, {
      message: 'SLIPWAY_KUBE_REGISTRY_USERNAME: registry credentials need SLIPWAY_KUBE_IMAGE_REGISTRY, the registry they are for',
    })
    .optional(),
  /** The metrics listener (GET /metrics, Prometheus): none when absent (SLIPWAY_METRICS_PORT=off, --no-metrics). */
  metrics: metricsSchema.optional(),
  /** A folder of the portal's built files, served as they are (the container image's); by default the portal is built from the checkout's packages/web. */
  portalDir: z
    .string()
    .refine((dir) => existsSync(join(dir, 'index.html')), { message: "SLIPWAY_PORTAL_DIR: expected a folder holding the portal's built files (index.html and assets/), such as /opt/slipway/portal" })
    .optional(),
});

export type ServerConfig = z.infer<typeof configSchema>;

/** Settings given as flags; each wins over its environment variable. */
export interface ServerFlags {
  home?: string;
  apiPort?: string | number;
  routerPort?: string | number;
  host?: string;
  domain?: string;
  metricsPort?: string | number;
  metricsHost?: string;
  /** false with --no-metrics: no metrics listener. */
  metrics?: boolean;
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
    datasetDatabaseUrl: env.SLIPWAY_DATASET_DATABASE_URL || undefined,
    secretKey: env.SLIPWAY_SECRET_KEY || undefined,
    cliConfigPath: cliConfigPath(env),
    githubWebhookSecret: env.SLIPWAY_GITHUB_WEBHOOK_SECRET || undefined,
    githubToken: env.SLIPWAY_GITHUB_TOKEN || undefined,
    githubApiUrl: env.SLIPWAY_GITHUB_API_URL || undefined,
    pollIntervalMs: env.SLIPWAY_POLL_INTERVAL ? durationMs(env.SLIPWAY_POLL_INTERVAL) : undefined,
    kubernetes: env.SLIPWAY_KUBECONFIG
      ? {
          kubeconfig: env.SLIPWAY_KUBECONFIG,
          context: env.SLIPWAY_KUBE_CONTEXT || undefined,
          namespacePrefix: env.SLIPWAY_KUBE_NAMESPACE_PREFIX || undefined,
          storageClass: env.SLIPWAY_KUBE_STORAGE_CLASS || undefined,
          imageRegistry: env.SLIPWAY_KUBE_IMAGE_REGISTRY || undefined,
          exposure: env.SLIPWAY_KUBE_EXPOSURE || undefined,
          nodeAddress: env.SLIPWAY_KUBE_NODE_ADDRESS || undefined,
          staticServerImage: env.SLIPWAY_KUBE_STATIC_SERVER_IMAGE || undefined,
          registryUsername: env.SLIPWAY_KUBE_REGISTRY_USERNAME || undefined,
          registryPassword: env.SLIPWAY_KUBE_REGISTRY_PASSWORD || undefined,
          registryInsecure: env.SLIPWAY_KUBE_REGISTRY_INSECURE || undefined,
          registryPullSecret: env.SLIPWAY_KUBE_REGISTRY_PULL_SECRET || undefined,
        }
      : undefined,
    portalDir: env.SLIPWAY_PORTAL_DIR ? resolve(env.SLIPWAY_PORTAL_DIR) : undefined,
    metrics: metricsSettings(env, flags),
  };
  const parsed = configSchema.safeParse(candidate);
  if (parsed.success) return { config: parsed.data, problems: [] };
  return { problems: parsed.error.issues.map((i) => i.message) };
}

/** The metrics listener's settings; undefined when it is turned off. */
function metricsSettings(env: NodeJS.ProcessEnv, flags: ServerFlags): { port: string | number; host: string; token: string | undefined } | undefined {
  const port = flags.metricsPort ?? (env.SLIPWAY_METRICS_PORT || DEFAULT_METRICS_PORT);
  if (flags.metrics === false || String(port).trim().toLowerCase() === 'off') return undefined;
  // z.coerce would read a blank port as 0 (a free one): name it instead.
  return { port: String(port).trim() === '' ? Number.NaN : port, host: flags.metricsHost ?? (env.SLIPWAY_METRICS_HOST || '127.0.0.1'), token: env.SLIPWAY_METRICS_TOKEN || undefined };
}

/** Next to the API's 4400. */
export const DEFAULT_METRICS_PORT = 4401;

/** Where the CLI keeps its URL and token. */
export function cliConfigPath(env: NodeJS.ProcessEnv): string {
  return cliConfigPathFor(env, homedir());
}

/** A duration such as 30s or 500ms (a bare number is seconds); NaN when it is none, for the schema to name. */
function durationMs(text: string): number {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  return durationPattern.test(value) ? durationToMs(value) : Number.NaN;
}
