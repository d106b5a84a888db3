import type { ImportedAddress, RuntimeDriver, SecretValues } from '@slipway/core';
import type { RenderedEnvironment } from '@slipway/contract';
import type { DeployLogs } from '../environments/deploy-log.ts';
import type { RouteHub } from '../routing/route-hub.ts';
import { RoutePublisher } from '../routing/route-publisher.ts';
import type { EnvironmentStore, StoredDeploy, StoredEnvironment } from '../store/environments.ts';
import type { Leases } from '../store/leases.ts';
import { KeyedWorker, type ReconcileContext, type WorkerMetrics } from '../worker/keyed-worker.ts';
import { DeployEvents, type DeployEvent, type DeployListener } from './deploy-events.ts';
import type { EngineLogger } from './deploy-record.ts';
import { runDeploy } from './deploy-run.ts';
import { datasetValuesOf, secretsOf, type EnvironmentDatasets, type RevealSecret } from './deploy-secrets.ts';
import { runOneOffJob, type OneOffJobResult } from './one-off-job.ts';
import { RuntimeSweep } from './runtime-sweep.ts';
import { runTeardown, type TeardownContext } from './teardown-run.ts';

// The durable workflow engine: the controller of environments' deploys. Driving an environment is a
// reconcile(environment id) on the keyed worker — one at a time per environment, under the
// environment's lease — that runs its queued deploys in order, each one way through
// (deploy-run.ts, teardown-run.ts). It keeps no state of its own that matters: everything comes
// from the store and core's pure planner, and every change is written before and after the runtime
// acts. Killed at any point, a new engine reads the same rows and carries on — tasks written as
// running are run again, which the runtime makes safe.

export type { EngineLogger } from './deploy-record.ts';
export type { EnvironmentDatasets } from './deploy-secrets.ts';
export type { DeployEvent, DeployListener } from './deploy-events.ts';
export { refOf } from './environment-ref.ts';

export interface WorkflowEngineOptions {
  store: EnvironmentStore;
  leases: Leases;
  /** Runtime drivers by runtime name (local, docker, …). */
  drivers: Readonly<Record<string, RuntimeDriver>>;
  /** Clear value of a workspace's secret, for injection only. */
  revealSecret: RevealSecret;
  /** The application's git repository (store/applications.ts), undefined when it has none. */
  repositoryOf(applicationId: string): Promise<string | undefined>;
  routes: RouteHub;
  /** Longest wait for a service to become ready (default 3 minutes). */
  readinessTimeoutMs?: number;
  /**
   * How often deploys no server drives are looked for (default 10 s): a safety net for a server
   * that died holding one, not how deploys start (queueing one kicks its environment).
   */
  tickMs?: number;
  /**
   * The safety-net resync of every environment's routes from its instances (default 15 minutes).
   * Routes follow deploys and the runtimes' instance events; this only catches a missed one.
   */
  refreshRoutesMs?: number;
  leaseMs?: number;
  logger?: EngineLogger;
  /** Where each deploy's log is written (task lines, build and job output); none without it. */
  deployLogs?: DeployLogs;
  /**
   * Renders a deploy's spec again with its App Imports' addresses once they are linked (the
   * environment service's renderWithImports); without it, an importer keeps the router's addresses.
   */
  renderWithImports?(env: StoredEnvironment, deploy: StoredDeploy, imported: Record<string, ImportedAddress>): Promise<RenderedEnvironment>;
  /** The environment's dataset clones (datasets/dataset-pools.ts): taken before its services start, dropped at its teardown. */
  datasets?: EnvironmentDatasets;
}

const quiet: EngineLogger = { info: () => undefined, error: () => undefined };

export class WorkflowEngine {
  private readonly worker: KeyedWorker;
  private readonly routes: RoutePublisher;
  private readonly sweeper: RuntimeSweep;
  private readonly events: DeployEvents;
  private readonly context: TeardownContext;
  private stopping = false;

  constructor(private readonly options: WorkflowEngineOptions) {
    const logger = options.logger ?? quiet;
    this.events = new DeployEvents((message) => logger.error(message));
    this.sweeper = new RuntimeSweep({ store: options.store, drivers: options.drivers, logger });
    this.routes = new RoutePublisher({
      store: options.store,
      drivers: options.drivers,
      routes: options.routes,
      deploying: (id) => this.worker.busy(id),
      ...(options.refreshRoutesMs !== undefined ? { resyncMs: options.refreshRoutesMs } : {}),
      logger,
    });
    this.context = {
      store: options.store,
      drivers: options.drivers,
      logger,
      ...(options.deployLogs ? { deployLogs: options.deployLogs } : {}),
      readinessTimeoutMs: options.readinessTimeoutMs ?? 180_000,
      ...(options.renderWithImports ? { renderWithImports: options.renderWithImports } : {}),
      revealSecret: options.revealSecret,
      ...(options.datasets ? { datasets: options.datasets } : {}),
      repositoryOf: options.repositoryOf,
      routes: this.routes,
      tearDown: (env, requestedBy, why) => this.tearDown(env, requestedBy, why),
    };
    this.worker = new KeyedWorker({
      name: 'environment',
      reconcile: (id, run) => this.drive(id, run),
      lease: { per: 'key', leases: options.leases, ttlMs: options.leaseMs ?? 30_000 },
      keys: () => options.store.environmentsWithActiveDeploys(),
      resyncMs: options.tickMs ?? 10_000,
      logger,
    });
  }

  /** The deploy queue's and environment leases' counters, and the route publisher's. */
  metrics(): WorkerMetrics {
    return this.worker.metrics();
  }

  /** The route publisher's counters (events and resyncs that refreshed an environment's routes). */
  routeMetrics(): WorkerMetrics {
    return this.routes.metrics();
  }

  /**
   * Recovers after a (possibly unclean) stop: removes runtime leftovers of environments that no
   * longer exist, publishes the routes of live ones, and resumes every unfinished deploy. Expiry,
   * idle teardown and later sweeps are environment-lifecycle.ts's.
   */
  async start(): Promise<void> {
    await this.sweeper.sweep();
    await this.routes.start();
    await this.worker.start();
  }

  /** Removes whatever the runtimes hold for environments that no longer exist; returns the live environments. */
  sweep(): Promise<StoredEnvironment[]> {
    return this.sweeper.sweep();
  }

  /** Stops driving: tasks under way stay `running` in the store and resume at the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.routes.stop();
    await this.worker.stop();
  }

  /** Makes sure the environment's queued deploys get run (call after queueing one). */
  kick(environmentId: string): void {
    if (this.stopping) return;
    this.worker.enqueue(environmentId);
  }

  /**
   * Calls the listener when a deploy starts and when it ends (commit statuses, notifications). It
   * runs beside the engine: a slow or failing listener never holds a deploy up.
   */
  onDeploy(listener: DeployListener): () => void {
    return this.events.listen(listener);
  }

  /** Tells listeners about a deploy that ended without the engine (refused before it could start). */
  announce(environment: StoredEnvironment, deploy: StoredDeploy): void {
    this.events.emit({ type: 'ended', environment, deploy });
  }

  /** Resolves when the environment has no deploy being driven (tests and `npm start`). */
  async idle(environmentId: string): Promise<void> {
    await this.worker.idle(environmentId);
  }

  /** Whether this server is driving a deploy of the environment now. */
  driving(environmentId: string): boolean {
    return this.worker.busy(environmentId);
  }

  /** Publishes the environment's routes as the store has it now (a pause or resume changed its status). */
  republishRoutes(env: StoredEnvironment): Promise<void> {
    return this.routes.republish(env);
  }

  /**
   * The secrets and dataset variables a spec's services read, as a deploy resolves them (the clones
   * the environment has are kept): what a resume gives a driver that may have restarted since.
   */
  async secretsOf(env: StoredEnvironment, rendered: RenderedEnvironment): Promise<SecretValues> {
    const { revealSecret, datasets } = this.options;
    return { ...(await secretsOf(revealSecret, env.workspace, rendered)), ...(await datasetValuesOf(datasets, env, rendered, () => undefined)) };
  }

  /** Runs one of an environment's jobs outside any workflow (a release's test gate): one-off-job.ts. */
  runJob(environmentId: string, jobName: string, runId: string): Promise<OneOffJobResult> {
    return runOneOffJob(this.context, environmentId, jobName, runId);
  }

  /** Runs the environment's deploys in order until none is left (the worker holds its lease meanwhile). */
  private async drive(environmentId: string, run: ReconcileContext): Promise<void> {
    const { store } = this.options;
    for (;;) {
      if (run.signal.aborted) return;
      const deploy = await store.nextDeploy(environmentId);
      if (!deploy) return;
      const env = await store.getById(environmentId);
      if (!env) return;
      if (deploy.state === 'queued') this.emit({ type: 'started', environment: env, deploy: { ...deploy, state: 'running' } });
      await this.sweeper.settled();
      if (deploy.workflow === 'teardown') await runTeardown(this.context, run, env, deploy);
      else await runDeploy(this.context, run, env, deploy);
      if (run.signal.aborted) return;
      const [after, ended] = await Promise.all([store.getById(environmentId), store.getDeploy(deploy.id)]);
      if (after && ended && ended.state !== 'running' && ended.state !== 'queued') this.emit({ type: 'ended', environment: after, deploy: ended });
    }
  }

  private emit(event: DeployEvent): void {
    this.events.emit(event);
  }

  /** Queues the environment's teardown unless one is queued already. */
  private async tearDown(env: StoredEnvironment, requestedBy: string, why: string): Promise<void> {
    if (!(await this.options.store.queueTeardown(env, requestedBy))?.queued) return;
    this.options.logger?.info(`${env.app}/${env.envId}: ${why}; tearing it down`);
    this.kick(env.id);
  }
}
