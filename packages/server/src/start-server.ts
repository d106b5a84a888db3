import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { RenderSettings } from '@slipway/contract';
import type { RuntimeDriver } from '@slipway/core';
import { createDockerDriver, createKubernetesDriver, createLocalDriver, detectDockerEngine, runOneOffContainer, type KubernetesDriverOptions } from '@slipway/drivers';
import { RouteTable, startRouter, type RunningRouter } from '@slipway/router';
import { Registry } from 'prom-client';
import { bootstrapAdminToken } from './bootstrap-admin-token.ts';
import type { ServerConfig } from './config.ts';
import { ActivityRecorder } from './environments/activity-recorder.ts';
import { DeployLogs } from './environments/deploy-log.ts';
import { DatasetPools } from './datasets/dataset-pools.ts';
import { DatasetServer } from './datasets/dataset-server.ts';
import { DatasetStore } from './store/datasets.ts';
import { EnvironmentService } from './environments/environment-service.ts';
import { Repositories } from './git/repositories.ts';
import { buildApi } from './http/build-api.ts';
import { observeDeploys } from './metrics/deploy-metrics.ts';
import { startMetricsListener } from './metrics/metrics-listener.ts';
import { ServerMetrics } from './metrics/server-metrics.ts';
import { ensurePortalBuild, type PortalBuild } from './portal/portal-build.ts';
import { RouteHub } from './routing/route-hub.ts';
import { loadSecretKey, SecretBox } from './secrets/secret-box.ts';
import { EnvironmentStore } from './store/environments.ts';
import { Leases } from './store/leases.ts';
import type { WorkerMetrics } from './worker/keyed-worker.ts';
import { EnvironmentLifecycle } from './workflows/environment-lifecycle.ts';
import { EnvironmentPauses } from './environments/pause.ts';
import { openDatabase, type StoreDatabase } from './store/open-database.ts';
import { SecretStore } from './store/secrets.ts';
import { WorkspaceOutputMasking } from './secrets/output-masking.ts';
import { startPreviews, type Previews } from './sources/start-previews.ts';
import { startReleases, type ReleaseSettings, type Releases } from './releases/start-releases.ts';
import { recordAudit } from './store/audit-ledger.ts';
import { repositoryUrlOf } from './store/applications.ts';
import { RegisteredGovernance } from './environments/governance.ts';
import { WorkflowEngine, type EngineLogger } from './workflows/workflow-engine.ts';

export interface RunningServer {
  apiUrl: string;
  /** http://host:port of the embedded router. */
  routerUrl: string;
  routerPort: number;
  store: StoreDatabase;
  api: FastifyInstance;
  secretBox: SecretBox;
  environments: EnvironmentStore;
  service: EnvironmentService;
  /** Pause and resume of environments (environments/pause.ts). */
  pauses: EnvironmentPauses;
  engine: WorkflowEngine;
  /** Expiry, idle teardown and orphan sweeps. */
  lifecycle: EnvironmentLifecycle;
  /** Dataset pools, when SLIPWAY_DATASET_DATABASE_URL names a dataset server. */
  datasets?: DatasetPools;
  /** The counters of every controller on the keyed worker: queue depth, runs, retries, lease refusals and losses. */
  workerMetrics(): WorkerMetrics[];
  /** The control plane's Prometheus metrics (docs/observability.md). */
  metrics: ServerMetrics;
  /** http://host:port/metrics of the metrics listener, which also serves the embedded router's; none when it is off. */
  metricsUrl?: string;
  routes: RouteHub;
  repositories: Repositories;
  drivers: Readonly<Record<string, RuntimeDriver>>;
  /** The docker runtime's engine, or why there is none. */
  dockerEngine: string;
  /** Source providers: GitHub webhooks, polling, commit statuses and pull request comments. */
  previews: Previews;
  /** Application sets, tracks, snapshots and the release controller (docs/releases.md). */
  releases: Releases;
  /** The portal served at apiUrl/ (built on this start when its sources changed), or none unless options.portal. */
  portal?: PortalBuild;
  /** Whether this start created the first admin token (and wrote the CLI config). */
  createdAdminToken: boolean;
  /** Stops the API, router and engine; workloads keep running and are adopted at the next start. */
  close(): Promise<void>;
}

export interface StartServerOptions {
  logger?: boolean;
  /** Progress of workflows (deploys started and ended); silent when absent. */
  engineLogger?: EngineLogger;
  /** Local driver: time between SIGTERM and SIGKILL (tests shorten it). */
  graceMs?: number;
  /** Look for a Docker-compatible engine to offer the docker runtime (default true). */
  docker?: boolean;
  /** Workflow engine timings (tests shorten them). */
  engine?: { tickMs?: number; refreshRoutesMs?: number; readinessTimeoutMs?: number; activityFlushMs?: number; sweepMs?: number };
  /** Release controller timings (tests shorten them). */
  releases?: Pick<ReleaseSettings, 'tickMs' | 'healthRecheckMs'>;
  /** Build and serve the web portal at / (`slipway server` turns it on; off by default so tests that do not use it skip the build). */
  portal?: boolean;
}

/**
 * Starts the control plane: store (SQLite under home, or PostgreSQL), secret key, runtime drivers,
 * the workflow engine (which first recovers whatever a previous run left), the embedded router fed
 * by the route hub, and the API.
 */
export async function startServer(config: ServerConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const { key } = loadSecretKey({ secretKey: config.secretKey, keyFile: join(config.home, 'secret.key') });
  const secretBox = new SecretBox(key);
  // The portal builds (when its sources changed) while the rest starts.
  // A prebuilt portal (SLIPWAY_PORTAL_DIR, as in the container image) is served as it is.
  const portalBuild = !options.portal ? undefined : config.portalDir ? Promise.resolve({ dir: config.portalDir, built: false, ms: 0 }) : ensurePortalBuild();
  portalBuild?.catch(() => undefined);
  const store = await openDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { sqlitePath: join(config.home, 'slipway.db') });
  const cleanups: (() => Promise<unknown>)[] = [() => store.close()];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
  };
  try {
    const drivers: Record<string, RuntimeDriver> = {
      local: createLocalDriver({ stateDir: join(config.home, 'runtime', 'local'), ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}) }),
    };
    // The docker runtime is offered when a Docker or Podman engine answers (DOCKER_HOST, else the usual sockets).
    let dockerEngine: string;
    let buildEngine: KubernetesDriverOptions['docker'];
    // Managed workflow steps that name an image run in containers of the same engine.
    let containers: NonNullable<Parameters<typeof startReleases>[0]['containers']>;
    if (options.docker === false) {
      dockerEngine = 'not looked for';
      containers = { unavailable: 'the docker runtime is turned off' };
    } else {
      const detected = await detectDockerEngine();
      if (detected.found) {
        buildEngine = detected.docker;
        drivers.docker = createDockerDriver({ stateDir: join(config.home, 'runtime', 'docker'), docker: detected.docker, ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}) });
        dockerEngine = `${detected.engine} ${detected.version} at ${detected.endpoint}`;
        containers = { run: (request) => runOneOffContainer(detected.docker, request) };
      } else {
        dockerEngine = detected.message;
        containers = { unavailable: detected.message };
      }
    }
    if (config.kubernetes) {
      const { kubeconfig, registryUsername, registryPassword, registryInsecure, registryPullSecret, ...kube } = config.kubernetes;
      drivers.kubernetes = createKubernetesDriver({
        stateDir: join(config.home, 'runtime', 'kubernetes'),
        ...(kubeconfig === 'in-cluster' ? {} : { kubeconfig }),
        ...Object.fromEntries(Object.entries(kube).filter(([, v]) => v !== undefined)),
        // Images of services with `build` are built by the same engine as the docker runtime's.
        ...(buildEngine ? { docker: buildEngine } : {}),
        ...(registryUsername && registryPassword ? { registryAuth: { username: registryUsername, password: registryPassword } } : {}),
        ...(registryInsecure ? { registryInsecure: registryInsecure === 'true' } : {}),
        ...(registryPullSecret ? { registryPullSecret: registryPullSecret === 'true' } : {}),
      });
    }
    cleanups.push(async () => {
      for (const driver of Object.values(drivers)) await driver.close();
    });
    const routes = new RouteHub();
    const table = new RouteTable();
    routes.subscribe((event) => table.apply(event));
    const environments = new EnvironmentStore(store.db);
    const activity = new ActivityRecorder(environments, options.engine?.activityFlushMs);
    activity.start();
    cleanups.push(() => activity.stop());
    let router: RunningRouter;
    // Wake on request: the environments' pauses exist once the service does, below.
    const waking: { wake?: (app: string, envId: string) => Promise<void> } = {};
    try {
      router = await startRouter({ table, port: config.routerPort, host: config.host, onRouted: activity.record, wake: { wake: (app, envId) => (waking.wake ? waking.wake(app, envId) : Promise.reject(new Error('the server is starting'))) } });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`port ${config.routerPort} is already in use; stop what uses it or set SLIPWAY_ROUTER_PORT (or --router-port)`);
      throw error;
    }
    cleanups.push(() => router.close());

    const settings: RenderSettings = {
      domain: config.domain,
      scheme: 'http',
      ...(router.port !== 80 ? { routerPort: router.port } : {}),
      defaultRuntime: 'local',
    };
    const secrets = new SecretStore(store.db, secretBox);
    const deployLogs = new DeployLogs(join(config.home, 'deploys'));
    const masking = new WorkspaceOutputMasking(secrets);
    // Pools of dataset clones, when a dataset server is configured (datasets/dataset-pools.ts).
    const datasets = config.datasetDatabaseUrl
      ? new DatasetPools({
          store: new DatasetStore(store.db),
          server: new DatasetServer(config.datasetDatabaseUrl),
          box: secretBox,
          leases: new Leases(store.db),
          revealSecret: (workspace, name) => secrets.reveal(workspace, name),
          ...(options.engineLogger ? { logger: options.engineLogger } : {}),
        })
      : undefined;
    const engine: WorkflowEngine = new WorkflowEngine({
      deployLogs,
      store: environments,
      repositoryOf: (applicationId) => repositoryUrlOf(store.db, applicationId),
      leases: new Leases(store.db),
      drivers,
      revealSecret: (workspace, name) => secrets.reveal(workspace, name),
      routes,
      ...(options.engine?.tickMs !== undefined ? { tickMs: options.engine.tickMs } : {}),
      ...(options.engine?.refreshRoutesMs !== undefined ? { refreshRoutesMs: options.engine.refreshRoutesMs } : {}),
      ...(options.engine?.readinessTimeoutMs !== undefined ? { readinessTimeoutMs: options.engine.readinessTimeoutMs } : {}),
      ...(options.engineLogger ? { logger: options.engineLogger } : {}),
      // An importer's deploy renders again once its App Imports are linked (the service is made below, before the engine starts).
      renderWithImports: (env, deploy, imported) => service.renderWithImports(env, deploy, imported),
      ...(datasets ? { datasets } : {}),
    });
    const repositories = new Repositories(join(config.home, 'git'));
    // Expiry, idle teardown and orphan sweeps (workflows/environment-lifecycle.ts).
    const lifecycle = new EnvironmentLifecycle({
      store: environments,
      engine,
      leases: new Leases(store.db),
      ...(options.engine?.sweepMs !== undefined ? { sweepMs: options.engine.sweepMs } : {}),
      ...(options.engineLogger ? { logger: options.engineLogger } : {}),
    });
    // Read at each scrape; the controllers below exist by the time the metrics listener starts.
    const workerMetrics = () => [engine.metrics(), engine.routeMetrics(), ...lifecycle.metrics(), releases.controller.metrics(), releases.managed.metrics(), previews.poller.metrics()];
    const metrics = new ServerMetrics({ workers: workerMetrics, queryErrors: store.queryErrors, dialect: store.dialect });
    const unobserve = observeDeploys(engine, environments, metrics);
    cleanups.push(async () => unobserve());
    const service: EnvironmentService = new EnvironmentService({ db: store.db, store: environments, repositories, engine, routes, settings, drivers, governance: new RegisteredGovernance(store.db), lifecycle });
    const pauses = new EnvironmentPauses({
      service,
      store: environments,
      engine,
      drivers,
      lifecycle,
      ...(options.engine?.readinessTimeoutMs !== undefined ? { resumeTimeoutMs: options.engine.readinessTimeoutMs } : {}),
      ...(options.engineLogger ? { logger: options.engineLogger } : {}),
    });
    waking.wake = (app, envId) => pauses.wake(app, envId);
    if (datasets) {
      await datasets.start();
      cleanups.push(() => datasets.stop());
    }
    await engine.start();
    cleanups.push(() => engine.stop());
    await lifecycle.start();
    cleanups.push(() => lifecycle.stop());
    // Pull request and branch previews from GitHub webhooks and polled repositories (docs/previews.md).
    const previews = startPreviews(config, { db: store.db, service, environments, engine, repositories, masking, ...(options.engineLogger ? { logger: options.engineLogger } : {}) });
    cleanups.push(() => previews.stop());
    // Releases move along their tracks from here on; every decision lands in the audit ledger.
    const releases = await startReleases(
      {
        db: store.db,
        environments,
        service,
        engine,
        drivers,
        repositories,
        revealSecret: (workspace, name) => secrets.reveal(workspace, name),
        workDir: join(config.home, 'managed'),
        containers,
        reporters: previews.reporters,
        comments: previews.comments,
        ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
        ...(options.engineLogger ? { logger: options.engineLogger } : {}),
      },
      { audit: async (entry, tx) => void (await recordAudit(tx ?? store.db, entry)), ...options.releases },
    );
    cleanups.push(() => releases.stop());
    // A pull request of an application on a track with pre-release stages starts a pre-release of its head.
    const unfollow = previews.coordinator.followPullRequests((event, app) => releases.pullRequests.handle(event, [app]));
    cleanups.push(async () => unfollow());
    previews.resume();

    const portal = await portalBuild;
    const api = await buildApi({ ...(portal ? { portalDir: portal.dir } : {}), metrics, db: store.db, environments: { service, store: environments, drivers, deployLogs, masking, pauses }, repositories, routeHub: routes, secrets, ...(datasets ? { datasets } : {}), previews: previews.store, releases, ...(previews.github ? { github: previews.github } : {}) }, { logger: options.logger ?? false, ...(options.engineLogger ? { errorLog: (message: string) => options.engineLogger!.error(message) } : {}) });
    cleanups.push(() => api.close());
    let address: string;
    try {
      address = await api.listen({ port: config.apiPort, host: config.host });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new Error(`port ${config.apiPort} is already in use; stop what uses it or set SLIPWAY_API_PORT (or --api-port)`);
      throw error;
    }
    const apiUrl = address.replace('[::1]', 'localhost');
    const metricsListener = config.metrics
      ? await startMetricsListener({ registry: Registry.merge([metrics.registry, router.metrics.registry]), ...config.metrics })
      : undefined;
    if (metricsListener) cleanups.push(() => metricsListener.close());
    const { created } = await bootstrapAdminToken(store.db, { apiUrl, cliConfigPath: config.cliConfigPath });
    return {
      apiUrl,
      routerUrl: router.url,
      routerPort: router.port,
      store,
      api,
      secretBox,
      environments,
      service,
      pauses,
      engine,
      lifecycle,
      workerMetrics,
      metrics,
      ...(metricsListener ? { metricsUrl: metricsListener.url } : {}),
      ...(datasets ? { datasets } : {}),
      routes,
      repositories,
      drivers,
      dockerEngine,
      previews,
      releases,
      ...(portal ? { portal } : {}),
      createdAdminToken: created,
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
