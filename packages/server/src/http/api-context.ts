import type { RuntimeDriver } from '@slipway/core';
import type { DeployLogs } from '../environments/deploy-log.ts';
import type { EnvironmentService } from '../environments/environment-service.ts';
import type { EnvironmentPauses } from '../environments/pause.ts';
import type { Repositories } from '../git/repositories.ts';
import type { ServerMetrics } from '../metrics/server-metrics.ts';
import type { GithubWebhooks } from '../sources/github/github-webhooks.ts';
import type { PreviewStore } from '../store/previews.ts';
import type { Releases } from '../releases/start-releases.ts';
import type { RouteHub } from '../routing/route-hub.ts';
import type { Db } from '../store/database-schema.ts';
import type { EnvironmentStore } from '../store/environments.ts';
import type { SecretStore } from '../store/secrets.ts';
import type { DatasetPools } from '../datasets/dataset-pools.ts';
import type { OutputMasking } from '../secrets/output-masking.ts';
import type { Principal } from './authorize.ts';

/** What route handlers reach: the store, and who is asking. */
export interface ApiDependencies {
  db: Db;
  /** The environment routes are registered only with these (the full server has them all). */
  environments?: EnvironmentRuntime;
  repositories?: Repositories;
  routeHub?: RouteHub;
  secrets?: SecretStore;
  /** Dataset pools, when the server has a dataset server (refresh needs them; lists read the store). */
  datasets?: DatasetPools;
  /** GitHub webhooks: the endpoint is registered only when the server has a webhook secret. */
  github?: GithubWebhooks;
  /** Links of pull requests and branches to their preview environments. */
  previews?: PreviewStore;
  /** Application sets, tracks, snapshots and releases (docs/releases.md). */
  releases?: Releases;
  /** Folder of the portal's built files, served at / (see portal/portal-build.ts); no portal without it. */
  portalDir?: string;
  /** Request timings and route stream counters for /metrics (the metrics listener's, not the API's); none without it. */
  metrics?: ServerMetrics;
}

/** The parts behind the environments, deploys and instances endpoints. */
export interface EnvironmentRuntime {
  service: EnvironmentService;
  store: EnvironmentStore;
  drivers: Readonly<Record<string, RuntimeDriver>>;
  /** Deploys' logs (GET /api/v1/deploys/{deployId}/log); the route answers 404 without them. */
  deployLogs?: DeployLogs;
  /** Masks the workspace's secrets in answers that carry free text (logs, reasons, log tails). */
  masking?: OutputMasking;
  /** Pause and resume (POST …/pause, …/resume); the routes are registered only with it. */
  pauses?: EnvironmentPauses;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking: the token's user, the workspace it acts in, its role there; set for every /api/v1 route. */
    principal?: Principal;
  }
}
