import { datasetVariableParts, type RenderedEnvironment, type ResolvedEnvValue, type ResolvedTask, type SecretRef } from '@slipway/contract';
import {
  createSecretMasker,
  datasetOfSecretRef,
  datasetSecretRef,
  maskDeep,
  planWorkflow,
  secretKey,
  taskKey,
  importedAddresses,
  type EnvironmentRef,
  type ImportedAddress,
  type ImportedService,
  type LinkMember,
  type RuntimeDriver,
  type SecretMasker,
  type SecretValues,
  type TaskState,
} from '@slipway/core';
import type { Kysely } from 'kysely';
import type { DeployLogs } from '../environments/deploy-log.ts';
import type { RouteHub } from '../routing/route-hub.ts';
import { environmentRoutes } from '../routing/environment-routes.ts';
import type { Database } from '../store/database-schema.ts';
import type { EnvironmentStore, StoredDeploy, StoredEnvironment } from '../store/environments.ts';
import type { Leases } from '../store/leases.ts';
import { KeyedWorker, type WorkerMetrics } from '../worker/keyed-worker.ts';
import { StaticBuilds, staticBuildsInTasks } from './static-builds.ts';

// The durable workflow engine. It keeps no state of its own that matters: everything it decides
// comes from the store (deploys and their tasks) and core's pure planner, and every change is
// written before and after the runtime acts. Killed at any point, a new engine reads the same rows
// and carries on — tasks written as running are run again, which the runtime makes safe (apply
// converges and adopts, a job run id that completed returns its recorded result). Driving an
// environment's deploys is a reconcile(environment id) on the keyed worker: one at a time per
// environment, under the environment's lease, each write of it fenced by that lease.

export interface EngineLogger {
  info(message: string): void;
  error(message: string): void;
}

export interface WorkflowEngineOptions {
  db: Kysely<Database>;
  store: EnvironmentStore;
  leases: Leases;
  /** Runtime drivers by runtime name (local, docker, …). */
  drivers: Readonly<Record<string, RuntimeDriver>>;
  /** Clear value of a workspace's secret, for injection only. */
  revealSecret(workspace: string, name: string): Promise<string | undefined>;
  routes: RouteHub;
  /** Longest wait for a service to become ready (default 3 minutes). */
  readinessTimeoutMs?: number;
  /**
   * How often deploys no server drives are looked for (default 10 s): a safety net for a server
   * that died holding one, not how deploys start (queueing one kicks its environment).
   */
  tickMs?: number;
  /** How often the routes of ready environments are refreshed from their instances (default 5 s). */
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

/** What the engine asks of the dataset pools; a deploy without datasets never calls them. */
export interface EnvironmentDatasets {
  attach(env: StoredEnvironment, rendered: RenderedEnvironment, log: (line: string) => void): Promise<{ values: SecretValues } | { reason: string }>;
  release(environmentId: string): Promise<number>;
}

const quiet: EngineLogger = { info: () => undefined, error: () => undefined };

/** A deploy started or ended; `environment` and `deploy` are as stored at that moment. */
export interface DeployEvent {
  type: 'started' | 'ended';
  environment: StoredEnvironment;
  deploy: StoredDeploy;
}
export type DeployListener = (event: DeployEvent) => void | Promise<void>;

export class WorkflowEngine {
  private readonly worker: KeyedWorker;
  private readonly published = new Map<string, string>();
  private stopping = false;
  private stopSignal!: Promise<void>;
  private signalStop!: () => void;
  private refreshTimer?: NodeJS.Timeout;
  private sweeping: Promise<void> = Promise.resolve();
  private readonly logger: EngineLogger;
  private readonly deployListeners = new Set<DeployListener>();
  /** Masks the secrets of each deploy under way in everything written of it: log lines, reasons, log tails. */
  private readonly maskers = new Map<string, SecretMasker>();

  constructor(private readonly options: WorkflowEngineOptions) {
    this.logger = options.logger ?? quiet;
    this.stopSignal = new Promise((resolve) => (this.signalStop = resolve));
    this.worker = new KeyedWorker({
      name: 'environment',
      reconcile: (id) => this.drive(id),
      lease: { per: 'key', leases: options.leases, ttlMs: options.leaseMs ?? 30_000 },
      keys: () => options.store.environmentsWithActiveDeploys(),
      resyncMs: options.tickMs ?? 10_000,
      logger: this.logger,
    });
  }

  /** The deploy queue's and environment leases' counters. */
  metrics(): WorkerMetrics {
    return this.worker.metrics();
  }

  /**
   * Recovers after a (possibly unclean) stop: removes runtime leftovers of environments that no
   * longer exist, publishes the routes of live ones, and resumes every unfinished deploy. Expiry,
   * idle teardown and later sweeps are environment-lifecycle.ts's.
   */
  async start(): Promise<void> {
    const live = await this.sweep();
    for (const env of live) if (env.status === 'ready' || env.status === 'failed') await this.refreshRoutes(env).catch(() => undefined);
    await this.worker.start();
    this.refreshTimer = setInterval(() => void this.refreshAll(), this.options.refreshRoutesMs ?? 5_000);
  }

  /**
   * Removes whatever the runtimes hold for environments that no longer exist (leftovers of a crash,
   * or of a teardown that failed half-way); returns the live environments.
   */
  async sweep(): Promise<StoredEnvironment[]> {
    // Deploys wait while a sweep runs: an environment created after its list was read must not have
    // its first resources taken for leftovers.
    let done!: () => void;
    const previous = this.sweeping;
    this.sweeping = new Promise((resolve) => (done = resolve));
    try {
      await previous;
      const live = await this.options.store.listLive();
      const refs = live.map(refOf);
      for (const [name, driver] of Object.entries(this.options.drivers)) {
        const report = await driver.sweep(refs);
        if (report.removed.length) this.logger.info(`${name} runtime: removed ${report.removed.length} leftover resources of deleted environments`);
      }
      return live;
    } finally {
      done();
    }
  }

  /** Stops driving: tasks under way stay `running` in the store and resume at the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.signalStop();
    clearInterval(this.refreshTimer);
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
    this.deployListeners.add(listener);
    return () => this.deployListeners.delete(listener);
  }

  /** Tells listeners about a deploy that ended without the engine (refused before it could start). */
  announce(environment: StoredEnvironment, deploy: StoredDeploy): void {
    this.emit({ type: 'ended', environment, deploy });
  }

  /** Writes one of the engine's lines to the deploy's log; a log that cannot be written never holds a deploy up. */
  private logTask(deployId: string, line: string): void {
    try {
      this.options.deployLogs?.task(deployId, this.masked(deployId, line));
    } catch (error) {
      this.logger.error(`deploy ${deployId} log: ${(error as Error).message}`);
    }
  }

  /** A sink for build or job output lines of the deploy, each prefixed with `who` (service or job). */
  private outputTo(deployId: string): ((line: string, who: string) => void) | undefined {
    const logs = this.options.deployLogs;
    if (!logs) return undefined;
    let failed = false;
    return (line, who) => {
      try {
        logs.output(deployId, this.masked(deployId, `${who} | ${line}`));
      } catch (error) {
        if (!failed) this.logger.error(`deploy ${deployId} log: ${(error as Error).message}`);
        failed = true;
      }
    };
  }

  /**
   * The value with every form of the deploy's secrets masked in each of its strings. The runtimes
   * mask what they hand on already; this catches what reaches the engine another way (an error's
   * message, a runtime that missed a form), before it is stored or written.
   */
  private masked<T>(deployId: string, value: T): T {
    const masker = this.maskers.get(deployId);
    return masker ? maskDeep(value, masker) : value;
  }

  private emit(event: DeployEvent): void {
    for (const listener of this.deployListeners) {
      Promise.resolve()
        .then(() => listener(event))
        .catch((error: Error) => this.logger.error(`deploy listener: ${error.message}`));
    }
  }

  /** Resolves when the environment has no deploy being driven (tests and `npm start`). */
  async idle(environmentId: string): Promise<void> {
    await this.worker.idle(environmentId);
  }

  /** Runs the environment's deploys in order until none is left (the worker holds its lease meanwhile). */
  private async drive(environmentId: string): Promise<void> {
    for (;;) {
      if (this.stopping) return;
      const deploy = await this.options.store.nextDeploy(environmentId);
      if (!deploy) return;
      const env = await this.options.store.getById(environmentId);
      if (!env) return;
      if (deploy.state === 'queued') this.emit({ type: 'started', environment: env, deploy: { ...deploy, state: 'running' } });
      await this.sweeping;
      await this.runDeploy(env, deploy);
      if (this.stopping) return;
      const [after, ended] = await Promise.all([this.options.store.getById(environmentId), this.options.store.getDeploy(deploy.id)]);
      if (after && ended && ended.state !== 'running' && ended.state !== 'queued') this.emit({ type: 'ended', environment: after, deploy: ended });
    }
  }

  /**
   * The writes of a deploy, each in a transaction that first checks this server holds the
   * environment's lease still: a server that lost it (paused, cut off) writes nothing more of it.
   */
  private readonly fencedStore = {
    updateDeploy: (...args: Parameters<EnvironmentStore['updateDeploy']>) => this.fenced((store) => store.updateDeploy(...args)),
    setTask: (...args: Parameters<EnvironmentStore['setTask']>) => this.fenced((store) => store.setTask(...args)),
    updateEnvironment: (...args: Parameters<EnvironmentStore['updateEnvironment']>) => this.fenced((store) => store.updateEnvironment(...args)),
  };

  private fenced<T>(work: (store: EnvironmentStore) => Promise<T>): Promise<T> {
    return this.options.store.transact(async (store, tx) => {
      await this.worker.fence(tx);
      return work(store);
    });
  }

  private async runDeploy(env: StoredEnvironment, deploy: StoredDeploy): Promise<void> {
    try {
      await this.runDeployMasked(env, deploy);
    } finally {
      this.maskers.delete(deploy.id);
    }
  }

  private async runDeployMasked(env: StoredEnvironment, deploy: StoredDeploy): Promise<void> {
    const { store } = this.options;
    const ref = refOf(env);
    const rendered = deploy.rendered;
    const now = () => new Date().toISOString();
    this.logTask(deploy.id, `▸ ${deploy.workflow} deploy #${deploy.seq} of ${env.app}/${env.envId} ${deploy.state === 'queued' ? 'started' : 'resumed'} (${rendered.runtime} runtime)`);
    if (deploy.state === 'queued') {
      await this.fencedStore.updateDeploy(deploy.id, { state: 'running', startedAt: now() });
      this.logger.info(`${env.app}/${env.envId}: ${deploy.workflow} deploy #${deploy.seq} started`);
    }
    await this.fencedStore.updateEnvironment(env.id, this.masked(deploy.id, { status: deploy.workflow === 'teardown' ? 'deleting' : 'deploying', reason: undefined }));

    const finish = async (outcome: 'succeeded' | 'failed' | 'errored', reason?: string) => {
      if (this.stopping) return;
      // Written before the end is stored: whoever follows the log reads this line before it closes.
      this.logTask(deploy.id, `${outcome === 'succeeded' ? '✓' : '✗'} ${deploy.workflow} deploy #${deploy.seq} ${outcome}${reason ? `: ${reason}` : ''}`);
      this.options.deployLogs?.close(deploy.id);
      await this.fencedStore.updateDeploy(deploy.id, this.masked(deploy.id, { state: outcome, outcome, reason, finishedAt: now() }));
      this.logger.info(this.masked(deploy.id, `${env.app}/${env.envId}: ${deploy.workflow} deploy #${deploy.seq} ${outcome}${reason ? `: ${reason}` : ''}`));
    };

    const driver = this.options.drivers[rendered.runtime];
    if (!driver) {
      await finish('errored', `runtime "${rendered.runtime}" is not available on this server (it has ${Object.keys(this.options.drivers).join(', ')})`);
      await this.fencedStore.updateEnvironment(env.id, this.masked(deploy.id, { status: 'errored', reason: `runtime "${rendered.runtime}" is not available` }));
      return;
    }

    try {
      if (deploy.workflow === 'teardown') {
        this.options.routes.removeEnvironment(env.app, env.envId);
        this.published.delete(env.id);
        const outcome = await this.runSteps(env, deploy, driver, {}, deploy.source?.commit ?? deploy.commit ?? env.commit ?? '');
        if (outcome === 'stopped') return;
        // Whatever the teardown workflow did, nothing of the environment may outlive it.
        await driver.destroy({ env: ref });
        const dropped = await this.options.datasets?.release(env.id);
        if (dropped) this.logTask(deploy.id, `✓ datasets · dropped ${dropped} clone${dropped > 1 ? 's' : ''}`);
        await finish(outcome.outcome, outcome.reason);
        await this.fencedStore.updateEnvironment(env.id, this.masked(deploy.id, { status: 'deleted', deletedAt: now(), reason: outcome.reason }));
        // What its App Imports brought up for it goes too; environments that existed before stay.
        for (const child of await store.children(env.id)) {
          if (child.ownedByParent) await this.tearDownFor(child, `${deploy.requestedBy ?? 'teardown'} (with ${env.app}/${env.envId})`, `imported by ${env.app}/${env.envId}, which was deleted`);
        }
        return;
      }

      let secrets: SecretValues;
      try {
        secrets = { ...(await this.secretsFor(env.workspace, rendered)), ...(await this.datasetsFor(env, rendered, (line) => this.logTask(deploy.id, line))) };
        this.maskers.set(deploy.id, createSecretMasker(secrets));
      } catch (error) {
        this.logTask(deploy.id, `✗ source failed: ${(error as Error).message}`);
        await this.fencedStore.setTask(deploy.id, this.masked(deploy.id, { key: 'source', step: -1, state: 'failed', reason: (error as Error).message }));
        await finish('failed', (error as Error).message);
        await this.fencedStore.updateEnvironment(env.id, this.masked(deploy.id, { status: 'failed', reason: (error as Error).message }));
        return;
      }
      if (deploy.workflow === 'setup' && this.options.routes.routesOf(env.app, env.envId).length === 0) {
        this.options.routes.upsertEnvironment(env.app, env.envId, environmentRoutes(rendered, [], {}, true));
      }

      let source = deploy.source;
      // Static sites are built in their own tasks, beside the steps' other work (static-builds.ts).
      const buildsInTasks = staticBuildsInTasks(rendered.services, rendered.workflows[deploy.workflow]);
      if (!source) {
        const repository = await this.repositoryOf(env.applicationId);
        if (!repository) {
          const message = `application ${env.app} has no git repository to check out; register it from one (slipway apps create --repo <path-or-url>)`;
          await this.fencedStore.setTask(deploy.id, this.masked(deploy.id, { key: 'source', step: -1, state: 'failed', reason: message }));
          await finish('failed', message);
          await this.fencedStore.updateEnvironment(env.id, this.masked(deploy.id, { status: 'failed', reason: message }));
          return;
        }
        await this.fencedStore.setTask(deploy.id, { key: 'source', step: -1, state: 'running' });
        const wanted = deploy.commit ?? env.branch;
        this.logTask(deploy.id, `▸ source · checking out ${/^[0-9a-f]{40}$/.test(wanted) ? wanted.slice(0, 12) : wanted} and building`);
        const output = this.outputTo(deploy.id);
        const prepared = await driver.prepareSource({ env: ref, repository, commit: wanted, services: rendered.services.filter((s) => !buildsInTasks.has(s.name)), secrets, ...(output ? { onOutput: output } : {}) });
        if (this.stopping) return;
        this.logTask(deploy.id, prepared.outcome === 'succeeded' ? `✓ source succeeded: ${prepared.commit.slice(0, 12)}` : `✗ source ${prepared.outcome}: ${prepared.reason}`);
        if (prepared.outcome !== 'succeeded') {
          const reason = `checking out and building the source ${prepared.outcome}: ${prepared.reason}`;
          await this.fencedStore.setTask(deploy.id, this.masked(deploy.id, { key: 'source', step: -1, state: prepared.outcome, reason: prepared.reason, ...(prepared.logTail ? { logTail: prepared.logTail } : {}) }));
          await finish(prepared.outcome, reason);
          await this.fencedStore.updateEnvironment(env.id, this.masked(deploy.id, { status: prepared.outcome, reason }));
          await this.refreshRoutes(env, rendered).catch(() => undefined);
          return;
        }
        source = { commit: prepared.commit, staticRoots: prepared.staticRoots, ...(prepared.images ? { images: prepared.images } : {}) };
        await this.fencedStore.updateDeploy(deploy.id, { source, commit: prepared.commit });
        await this.fencedStore.setTask(deploy.id, this.masked(deploy.id, { key: 'source', step: -1, state: 'succeeded' }));
      }

      // App Imports: once they are ready, their services' direct addresses go to this one's.
      const linked = await this.linkImports(env, deploy, driver);
      if (linked === 'stopped') return;
      if ('reason' in linked) {
        await finish(linked.outcome, linked.reason);
        await this.fencedStore.updateEnvironment(env.id, this.masked(deploy.id, { status: linked.outcome, reason: linked.reason }));
        await this.refreshRoutes(env, rendered).catch(() => undefined);
        return;
      }
      if (linked.rendered !== rendered) await this.fencedStore.updateDeploy(deploy.id, { rendered: linked.rendered });
      const active = { ...deploy, rendered: linked.rendered };

      let builds: StaticBuilds | undefined;
      if (buildsInTasks.size > 0) {
        const repository = (await this.repositoryOf(env.applicationId)) ?? '';
        const output = this.outputTo(deploy.id);
        builds = new StaticBuilds({
          driver,
          services: rendered.services,
          request: { env: ref, repository, secrets, ...(output ? { onOutput: output } : {}) },
          source,
          save: (saved) => this.fencedStore.updateDeploy(deploy.id, { source: saved }),
        });
      }
      const outcome = await this.runSteps(env, active, driver, secrets, source.commit, builds);
      if (outcome === 'stopped') return;
      if (outcome.outcome === 'succeeded') {
        // Converge the whole environment: removes services the new spec no longer has.
        const converged = await driver.apply({ env: ref, commit: source.commit, services: active.rendered.services, cronJobs: active.rendered.cronJobs, secrets, waitFor: 'started' });
        if (converged.outcome !== 'succeeded') {
          await finish(converged.outcome, converged.reason);
          await this.fencedStore.updateEnvironment(env.id, this.masked(deploy.id, { status: converged.outcome, reason: converged.reason }));
          return;
        }
      }
      await finish(outcome.outcome, outcome.reason);
      const status = outcome.outcome === 'succeeded' ? 'ready' : outcome.outcome;
      await this.fencedStore.updateEnvironment(env.id, this.masked(deploy.id, { status, reason: outcome.reason, commit: source.commit, urls: rendered.urls }));
      await this.refreshRoutes({ ...env, status }, rendered, source.staticRoots);
    } catch (error) {
      if (this.stopping) return;
      const reason = `platform error: ${(error as Error).message}`;
      this.logger.error(this.masked(deploy.id, `${env.app}/${env.envId}: ${(error as Error).stack ?? reason}`));
      await finish('errored', reason);
      await this.fencedStore.updateEnvironment(env.id, this.masked(deploy.id, { status: deploy.workflow === 'teardown' ? 'errored' : 'errored', reason }));
    }
  }

  /**
   * App Imports: waits until every environment this one imports is ready, links them through the
   * runtime (one network on docker, the loopback on local) and renders this environment again with
   * the imported services' direct addresses (renderWithImports), so its services, jobs and env.mapping
   * read them. An import whose last deploy failed is used as it runs when it has ready instances
   * (its previous version, typically: a failed patch leaves it running); one without fails this
   * deploy, naming it. Imports on another runtime, or a runtime without links, keep the router URLs
   * rendering gave.
   */
  private async linkImports(
    env: StoredEnvironment,
    deploy: StoredDeploy,
    driver: RuntimeDriver,
  ): Promise<{ rendered: RenderedEnvironment } | { outcome: 'failed' | 'errored'; reason: string } | 'stopped'> {
    const { store } = this.options;
    const rendered = deploy.rendered;
    const live = async () => (await store.children(env.id)).filter((c) => c.status !== 'deleting' && c.status !== 'deleted');
    let children = await live();
    if (children.length === 0) return { rendered };
    const names = (list: StoredEnvironment[]) => list.map((c) => `${c.app}/${c.envId}${c.status === 'ready' ? '' : ` (${c.status})`}`).join(', ');
    const timeoutMs = this.options.readinessTimeoutMs ?? 180_000;
    const deadline = Date.now() + timeoutMs;
    this.logTask(deploy.id, `▸ App Imports · waiting for ${names(children)} to be ready`);
    const usedAsTheyRun = new Set<string>();
    for (;;) {
      if (this.stopping) return 'stopped';
      for (const child of children.filter((c) => (c.status === 'failed' || c.status === 'errored') && !usedAsTheyRun.has(c.id))) {
        if (!(await this.hasReadyInstances(child))) {
          return { outcome: 'failed', reason: `its App Import ${child.app}/${child.envId} is ${child.status}${child.reason ? `: ${child.reason}` : ''}, with no ready instance` };
        }
        usedAsTheyRun.add(child.id);
        this.logTask(deploy.id, `! App Imports · ${child.app}/${child.envId} is ${child.status}${child.reason ? ` (${child.reason})` : ''}; its ready instances are used as they run`);
      }
      if (children.every((c) => c.status === 'ready' || usedAsTheyRun.has(c.id))) break;
      if (Date.now() > deadline) return { outcome: 'failed', reason: `its App Imports were not ready within ${Math.round(timeoutMs / 1000)} s: ${names(children.filter((c) => c.status !== 'ready'))}` };
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 250)), this.stopSignal]);
      children = await live();
    }
    const imported: (ImportedService & { ref: EnvironmentRef; http: boolean })[] = [];
    const peers: LinkMember[] = [];
    for (const child of children) {
      // What it runs: its last deploy that succeeded (a failed one's may never have started).
      const deploys = (await store.listDeploys(child.id, 20)).filter((d) => d.workflow !== 'teardown');
      const spec = (deploys.find((d) => d.outcome === 'succeeded') ?? deploys.find((d) => d.source))?.rendered;
      if (!spec) continue;
      const services = spec.services.filter((s) => !s.static && s.ports.length > 0);
      for (const s of services) imported.push({ ref: refOf(child), service: s.name, http: s.ports[0]?.protocol === 'http', ...(spec.urls[s.name] ? { routerUrl: spec.urls[s.name] } : {}) });
      if (spec.runtime === rendered.runtime && services.length > 0) peers.push({ env: refOf(child), services: services.map((s) => s.name) });
    }
    if (!driver.link || peers.length === 0) {
      this.logTask(deploy.id, `✓ App Imports · ready; reached through the router (the ${rendered.runtime} runtime ${driver.link ? 'runs none of them' : 'cannot link environments'})`);
      return { rendered };
    }
    const linked = await driver.link({ env: refOf(env), services: rendered.services.map((s) => s.name), peers });
    if (linked.outcome !== 'succeeded') return { outcome: linked.outcome, reason: `linking it with its App Imports ${linked.outcome}: ${linked.reason}` };
    const found: string[] = [];
    for (const item of imported) {
      const address = linked.addresses.find((a) => a.service === item.service && a.env.envId === item.ref.envId && a.env.app === item.ref.app);
      if (!address) continue;
      item.direct = { host: address.host, port: address.port, http: item.http };
      found.push(`${item.service} at ${address.host}:${address.port}`);
    }
    this.logTask(deploy.id, `✓ App Imports · linked: ${found.join(', ') || 'no service with a port'}`);
    if (!this.options.renderWithImports || found.length === 0) return { rendered };
    return { rendered: await this.options.renderWithImports(env, deploy, importedAddresses(imported)) };
  }

  /** Whether an environment has an instance that is ready, on the runtime of its last deploy. */
  private async hasReadyInstances(env: StoredEnvironment): Promise<boolean> {
    const last = (await this.options.store.listDeploys(env.id, 1))[0];
    const driver = last ? this.options.drivers[last.rendered.runtime] : undefined;
    if (!driver) return false;
    const instances = await driver.instances(refOf(env)).catch(() => []);
    return instances.some((i) => i.state === 'ready');
  }

  /** Runs the deploy's workflow to its end, resuming tasks the store says were under way. */
  private async runSteps(
    env: StoredEnvironment,
    deploy: StoredDeploy,
    driver: RuntimeDriver,
    secrets: SecretValues,
    commit: string,
    builds?: StaticBuilds,
  ): Promise<{ outcome: 'succeeded' | 'failed' | 'errored'; reason?: string } | 'stopped'> {
    const { store } = this.options;
    const rendered = deploy.rendered;
    const steps = rendered.workflows[deploy.workflow];
    const ref = refOf(env);
    const inFlight = new Map<string, Promise<void>>();
    const dependenciesOf = (task: ResolvedTask) =>
      task.kind === 'service' ? (rendered.services.find((s) => s.name === task.name)?.dependsOn ?? []) : task.kind === 'job' ? (rendered.jobs.find((j) => j.name === task.name)?.dependsOn ?? []) : [];

    const label = (step: number, task: ResolvedTask) => {
      const names = (steps[step]?.tasks ?? []).map((t) => (t.kind === 'remove-environment' ? 'environment.remove' : t.name));
      return `step ${step + 1} ${names.join(', ')} · ${task.kind === 'remove-environment' ? 'environment.remove' : `${task.kind} ${task.name}`}`;
    };
    const launch = (key: string, step: number, task: ResolvedTask, resumed = false) => {
      this.logTask(deploy.id, `▸ ${label(step, task)} ${resumed ? 'resumed' : 'started'}`);
      const run = this.runTask(ref, deploy, driver, secrets, commit, key, task, builds)
        .catch((error: Error): { state: TaskState; reason?: string; logTail?: string } => ({ state: 'errored', reason: `platform error: ${error.message}` }))
        .then(async (result) => {
          if (this.stopping) return;
          this.logTask(deploy.id, `${result.state === 'succeeded' ? '✓' : '✗'} ${label(step, task)} ${result.state}${result.reason ? `: ${result.reason}` : ''}`);
          await this.fencedStore.setTask(deploy.id, this.masked(deploy.id, { key, step, ...result }));
        })
        .finally(() => inFlight.delete(key));
      inFlight.set(key, run);
    };

    // Tasks a previous engine left running are run again: the runtime calls are idempotent.
    const before = await store.progress(deploy.id);
    steps.forEach((step, s) =>
      step.tasks.forEach((task) => {
        const key = taskKey(s, task);
        if (before.get(key)?.state === 'running') launch(key, s, task, true);
      }),
    );

    for (;;) {
      if (this.stopping) return 'stopped';
      const progress = await store.progress(deploy.id);
      const plan = planWorkflow(steps, progress, dependenciesOf);
      for (const skipped of plan.skip) {
        const step = Number(skipped.key.split(':')[0]);
        const task = steps[step]?.tasks.find((t) => taskKey(step, t) === skipped.key);
        this.logTask(deploy.id, `– ${task ? label(step, task) : skipped.key} skipped${skipped.reason ? `: ${skipped.reason}` : ''}`);
        await this.fencedStore.setTask(deploy.id, this.masked(deploy.id, { key: skipped.key, step: Number(skipped.key.split(':')[0]), state: 'skipped', reason: skipped.reason }));
      }
      for (const next of plan.start) {
        await this.fencedStore.setTask(deploy.id, { key: next.key, step: next.step, state: 'running' });
        launch(next.key, next.step, next.task);
      }
      if (plan.done && inFlight.size === 0) return { outcome: plan.outcome ?? 'succeeded', ...(plan.reason ? { reason: plan.reason } : {}) };
      if (inFlight.size === 0 && plan.start.length === 0 && plan.skip.length === 0) {
        return { outcome: 'errored', reason: 'the workflow cannot progress: no task can start (check dependsOn against the workflow steps)' };
      }
      if (inFlight.size > 0) await Promise.race([...inFlight.values(), this.stopSignal]);
    }
  }

  private async runTask(
    env: EnvironmentRef,
    deploy: StoredDeploy,
    driver: RuntimeDriver,
    secrets: SecretValues,
    commit: string,
    key: string,
    task: ResolvedTask,
    builds?: StaticBuilds,
  ): Promise<{ state: TaskState; reason?: string; logTail?: string }> {
    const rendered = deploy.rendered;
    if (task.kind === 'remove-environment') {
      await driver.destroy({ env });
      return { state: 'succeeded' };
    }
    if (task.kind === 'service') {
      const built = await builds?.build(task.name);
      if (built) return built;
      const result = await driver.apply({
        env,
        commit,
        services: rendered.services,
        only: [task.name],
        secrets,
        waitFor: 'ready',
        timeoutMs: this.options.readinessTimeoutMs ?? 180_000,
      });
      if (result.outcome === 'succeeded') return { state: 'succeeded' };
      return { state: result.outcome, reason: result.reason, ...(result.logTail ? { logTail: result.logTail } : {}) };
    }
    const job = rendered.jobs.find((j) => j.name === task.name);
    if (!job) return { state: 'errored', reason: `the workflow names job ${task.name}, which the application does not define` };
    const service = job.fromService ? rendered.services.find((s) => s.name === job.fromService) : undefined;
    const output = this.outputTo(deploy.id);
    const onOutput = output ? (line: string) => output(line, job.name) : undefined;
    const result = await driver.runJob({ env, runId: `${deploy.id}.${key.replace(/:/g, ".")}`, commit, job, ...(service ? { service } : {}), secrets, ...(onOutput ? { onOutput } : {}) });
    if (result.outcome === 'succeeded') return { state: 'succeeded', ...(result.logTail ? { logTail: result.logTail } : {}) };
    return { state: result.outcome, reason: result.reason, ...(result.logTail ? { logTail: result.logTail } : {}) };
  }

  /**
   * Runs one of an environment's jobs outside any workflow (a release's test gate), in the
   * environment as its last successful deploy left it: that spec, commit and the secrets it
   * references. The run id makes it idempotent: asked again (after a restart), a run that ended
   * returns its recorded result and one under way is waited for, never started twice.
   */
  async runJob(environmentId: string, jobName: string, runId: string): Promise<{ outcome: 'succeeded' | 'failed' | 'errored'; reason?: string; logTail?: string }> {
    const env = await this.options.store.getById(environmentId);
    if (!env || env.deletedAt) return { outcome: 'errored', reason: `environment ${environmentId} no longer exists` };
    const deploy = (await this.options.store.listDeploys(env.id, 20)).find((d) => d.workflow !== 'teardown' && d.state === 'succeeded' && d.source);
    if (!deploy) return { outcome: 'failed', reason: `${env.app}/${env.envId} has no successful deploy to run job ${jobName} in` };
    const rendered = deploy.rendered;
    const job = rendered.jobs.find((j) => j.name === jobName);
    if (!job) return { outcome: 'failed', reason: `${env.app} has no job ${jobName} (it has ${rendered.jobs.map((j) => j.name).join(', ') || 'none'})` };
    const driver = this.options.drivers[rendered.runtime];
    if (!driver) return { outcome: 'errored', reason: `runtime "${rendered.runtime}" is not available on this server` };
    let secrets: SecretValues;
    try {
      secrets = { ...(await this.secretsFor(env.workspace, rendered)), ...(await this.datasetsFor(env, rendered, () => undefined)) };
    } catch (error) {
      return { outcome: 'failed', reason: (error as Error).message };
    }
    const service = job.fromService ? rendered.services.find((s) => s.name === job.fromService) : undefined;
    const result = maskDeep(await driver.runJob({ env: refOf(env), runId, commit: deploy.source!.commit, job, ...(service ? { service } : {}), secrets }), createSecretMasker(secrets));
    if (result.outcome === 'succeeded') return { outcome: 'succeeded', ...(result.logTail ? { logTail: result.logTail } : {}) };
    return { outcome: result.outcome, reason: result.reason, ...(result.logTail ? { logTail: result.logTail } : {}) };
  }

  /** The connection variables of the environment's dataset clones; a dataset it must have and cannot get is an error. */
  private async datasetsFor(env: StoredEnvironment, rendered: RenderedEnvironment, log: (line: string) => void): Promise<SecretValues> {
    if (rendered.datasets.length === 0) return {};
    if (!this.options.datasets) {
      const needed = rendered.datasets.filter((d) => !d.optional).map((d) => d.name);
      if (needed.length) throw new Error(`datasets ${needed.join(', ')} need a dataset server, and this server has none (set SLIPWAY_DATASET_DATABASE_URL)`);
      log(`! datasets · this server has no dataset server (SLIPWAY_DATASET_DATABASE_URL); the optional datasets are left out`);
      return Object.fromEntries(rendered.datasets.flatMap((d) => datasetVariableParts.map((part) => [secretKey(datasetSecretRef(d.name, part)), ''])));
    }
    const attached = await this.options.datasets.attach(env, rendered, log);
    if ('reason' in attached) throw new Error(attached.reason);
    return attached.values;
  }

  /** Every secret the environment's services and jobs reference, resolved; a missing one is an error naming it. */
  private async secretsFor(workspace: string, rendered: RenderedEnvironment): Promise<SecretValues> {
    const refs = new Map<string, SecretRef>();
    const collect = (env: Record<string, ResolvedEnvValue>) => {
      // A dataset's variables are the environment's clone's (datasetsFor), not the workspace's secrets.
      for (const value of Object.values(env)) if (typeof value === 'object' && datasetOfSecretRef(value) === undefined) refs.set(secretKey(value), value);
    };
    for (const s of rendered.services) {
      collect(s.env);
      for (const side of s.sidecars) collect((side.env ?? {}) as Record<string, ResolvedEnvValue>);
    }
    for (const j of rendered.jobs) collect(j.env);
    const values: Record<string, string> = {};
    const missing: string[] = [];
    for (const [key, ref] of refs) {
      const value = await this.options.revealSecret(workspace, ref.secret);
      if (value === undefined) {
        missing.push(ref.secret);
        continue;
      }
      if (!ref.key) {
        values[key] = value;
        continue;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = undefined;
      }
      const field = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[ref.key] : undefined;
      if (typeof field !== 'string') missing.push(`${ref.secret} (key ${ref.key}: the secret must be a JSON object with that key)`);
      else values[key] = field;
    }
    if (missing.length) {
      const names = [...new Set(missing)];
      throw new Error(`secret${names.length > 1 ? 's' : ''} not set in workspace ${workspace}: ${names.join(', ')}; set with \`slipway secrets set <name>\``);
    }
    return values;
  }

  private async repositoryOf(applicationId: string): Promise<string | undefined> {
    const row = await this.options.db.selectFrom('applications').select('repository_url').where('id', '=', applicationId).executeTakeFirst();
    return row?.repository_url ?? undefined;
  }

  /** Publishes the environment's routes from its instances now, when they changed. */
  async refreshRoutes(env: StoredEnvironment, rendered?: RenderedEnvironment, staticRoots?: Record<string, string>): Promise<void> {
    let spec = rendered;
    let roots = staticRoots;
    if (!spec || !roots) {
      const last = (await this.options.store.listDeploys(env.id, 20)).find((d) => d.workflow !== 'teardown' && d.source);
      if (!last) return;
      spec ??= last.rendered;
      roots ??= last.source!.staticRoots;
    }
    const driver = this.options.drivers[spec.runtime];
    if (!driver) return;
    const instances = await driver.instances(refOf(env));
    const routes = environmentRoutes(spec, instances, roots, env.status === 'deploying' || env.status === 'queued');
    const text = JSON.stringify(routes);
    if (this.published.get(env.id) === text) return;
    this.published.set(env.id, text);
    this.options.routes.upsertEnvironment(env.app, env.envId, routes);
  }

  private async refreshAll(): Promise<void> {
    if (this.stopping) return;
    try {
      for (const env of await this.options.store.listLive()) {
        if (this.worker.busy(env.id) || (env.status !== 'ready' && env.status !== 'failed')) continue;
        await this.refreshRoutes(env).catch(() => undefined);
      }
    } catch (error) {
      this.logger.error(`refreshing routes: ${(error as Error).message}`);
    }
  }

  /** Queues the environment's teardown unless one is queued already. */
  private async tearDownFor(env: StoredEnvironment, requestedBy: string, why: string): Promise<void> {
    if (!(await this.options.store.queueTeardown(env, requestedBy))?.queued) return;
    this.logger.info(`${env.app}/${env.envId}: ${why}; tearing it down`);
    this.kick(env.id);
  }
}

export function refOf(env: Pick<StoredEnvironment, 'workspace' | 'app' | 'envId'>): EnvironmentRef {
  return { workspace: env.workspace, app: env.app, envId: env.envId };
}
