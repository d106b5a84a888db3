import type { EnvironmentStatus } from '@slipway/contract';
import { ConflictError, NotFoundError, type RuntimeDriver } from '@slipway/core';
import { recordAudit } from '../store/audit-ledger.ts';
import type { EnvironmentStore, StoredDeploy, StoredEnvironment } from '../store/environments.ts';
import type { WorkflowEngine } from '../workflows/workflow-engine.ts';
import { refOf } from '../workflows/environment-ref.ts';
import type { EnvironmentService, EnvironmentWrite } from './environment-service.ts';

// Pause and resume of an environment (docs/environments.md#pause-and-resume). Pausing stops its
// services through the runtime and keeps everything they need to start again — records, ports,
// volumes, checkouts, dataset clones — and its routes answer the router's paused page (503 with
// Retry-After for API clients). Resuming starts the same services again, without running any job,
// waits until they are ready, and gives the routes back to them.
//
// The status is the truth the rest of the server reads: the route publisher publishes "paused"
// targets for a paused environment whatever its instances do, so its resync never flips them back;
// idle teardown leaves a paused environment alone (its expiry still ends it); the orphan sweep keeps
// it, being live. A deploy into a paused environment resumes it: the deploy's apply starts its
// services again (the runtimes converge), and its end publishes the routes as after any deploy.
//
// Wake on request: an environment paused with `wakeOnRequest` has routes that say so; the router
// holds the first requests to them and calls `wake`, which resumes the environment as the router
// (audited so), and the held requests are served once the routes point at instances again.

export interface EnvironmentPausesOptions {
  service: EnvironmentService;
  store: EnvironmentStore;
  engine: Pick<WorkflowEngine, 'driving' | 'republishRoutes' | 'secretsOf'>;
  drivers: Readonly<Record<string, RuntimeDriver>>;
  /** Told when a resume restarted an environment's idle clock, so the scheduler reads its deadlines again. */
  lifecycle?: { changed(): void };
  /** Longest wait for a resumed environment's services to be ready (default 2 minutes). */
  resumeTimeoutMs?: number;
  logger?: { error(message: string): void };
}

/** What a pause or resume did, for its audit entry. */
export interface PauseOutcome {
  environment: StoredEnvironment;
  runtime: string;
  /** A resume whose services did not all become ready: the environment is failed with this reason. */
  failure?: { outcome: 'failed' | 'errored'; reason: string };
}

/** Statuses an environment can be paused from: it runs (or ran) services and no deploy is driving it. */
const PAUSABLE: readonly EnvironmentStatus[] = ['ready', 'failed', 'errored'];

export class EnvironmentPauses {
  /** Environments with a pause or resume under way on this server: a second one waits its turn by being refused. */
  private readonly underWay = new Set<string>();
  /** Resumes under way, by environment row id: a wake joins the one there is. */
  private readonly resuming = new Map<string, Promise<PauseOutcome>>();

  constructor(private readonly options: EnvironmentPausesOptions) {}

  async pause(workspace: string, envId: string, write: EnvironmentWrite<PauseOutcome> = {}, how: { wakeOnRequest?: boolean } = {}): Promise<PauseOutcome> {
    const { service, store, engine } = this.options;
    const env = await service.live(workspace, envId);
    await service.refuseGoverned(workspace, env.envId, env.app, 'pause', write);
    if (env.status === 'paused') throw new ConflictError(`environment ${envId} is paused already; resume it with slipway envs resume ${envId}`);
    if (!PAUSABLE.includes(env.status)) throw new ConflictError(`environment ${envId} is ${env.status}; only an environment that is ready, failed or errored can be paused`);
    const { runtime, driver, deploy } = await this.runtimeOf(env, 'pause');
    if ((await store.hasActiveDeploy(env.id)) || engine.driving(env.id)) throw new ConflictError(`a deploy of environment ${envId} is under way; pause it once it has ended (slipway deploys list ${envId})`);
    const ref = refOf(env);
    if ((await driver.instances(ref)).length === 0) throw new ConflictError(`environment ${envId} has no services running on the ${runtime} runtime, so there is nothing to pause`);
    return this.exclusively(env, async () => {
      // The status first: from here on every refresh of its routes publishes "paused", so the
      // router answers the paused page rather than 502 while the services stop.
      const paused = await store.transact(async (inTx, tx) => {
        await inTx.updateEnvironment(env.id, { status: 'paused', reason: undefined, wakeOnRequest: how.wakeOnRequest === true });
        const outcome: PauseOutcome = { environment: (await inTx.getById(env.id))!, runtime };
        await write.audit?.(tx, outcome);
        return outcome;
      });
      await this.republish(paused.environment);
      const stopped = await driver.pause!(ref);
      if (stopped.outcome === 'succeeded') return paused;
      // Undo: the services that stopped start again, and the environment is as it was.
      await driver.resume!({ env: ref, secrets: await engine.secretsOf(env, deploy.rendered).catch(() => ({})), timeoutMs: this.resumeTimeoutMs() }).catch(() => undefined);
      await store.updateEnvironment(env.id, { status: env.status, reason: env.reason });
      await this.republish((await store.getById(env.id))!);
      throw new ConflictError(`environment ${envId} could not be paused on the ${runtime} runtime: ${stopped.reason}; it runs as before`);
    });
  }

  async resume(workspace: string, envId: string, write: EnvironmentWrite<PauseOutcome> = {}): Promise<PauseOutcome> {
    const { service, store, engine } = this.options;
    const env = await service.live(workspace, envId);
    await service.refuseGoverned(workspace, env.envId, env.app, 'resume', write);
    if (env.status !== 'paused') throw new ConflictError(`environment ${envId} is not paused (it is ${env.status}); only a paused environment can be resumed`);
    const { runtime, driver, deploy } = await this.runtimeOf(env, 'resume');
    const resumed = this.exclusively(env, async () => {
      let secrets;
      try {
        secrets = await engine.secretsOf(env, deploy.rendered);
      } catch (error) {
        // A secret deleted while it was paused: it stays paused until the secret is back.
        throw new ConflictError(`environment ${envId} cannot be resumed: ${(error as Error).message}; it stays paused`);
      }
      const resumed = await driver.resume!({ env: refOf(env), secrets, timeoutMs: this.resumeTimeoutMs() });
      const failure = resumed.outcome === 'succeeded' ? undefined : { outcome: resumed.outcome, reason: `resume: ${resumed.reason}` };
      const outcome = await store.transact(async (inTx, tx) => {
        // Its idle clock starts again now: the time it was paused was not idleness.
        await inTx.updateEnvironment(env.id, { status: failure?.outcome ?? 'ready', reason: failure?.reason, lastActivityAt: new Date().toISOString() });
        const result: PauseOutcome = { environment: (await inTx.getById(env.id))!, runtime, ...(failure ? { failure } : {}) };
        await write.audit?.(tx, result);
        return result;
      });
      await this.republish(outcome.environment);
      this.options.lifecycle?.changed();
      return outcome;
    });
    this.resuming.set(env.id, resumed);
    try {
      return await resumed;
    } finally {
      if (this.resuming.get(env.id) === resumed) this.resuming.delete(env.id);
    }
  }

  /**
   * Wake on request (the router holds a request to a route of app/envId meanwhile): resumes the
   * environment when its pause allowed it, audited as the router's; joins a resume under way.
   * Throws why not: it is not paused to be woken, it is protected, or its services did not start.
   */
  async wake(app: string, envId: string): Promise<void> {
    const env = await this.options.store.getLiveOfApp(app, envId);
    if (!env) throw new NotFoundError(`no live environment ${envId} of ${app}`);
    let outcome = await this.resuming.get(env.id);
    if (!outcome) {
      if (env.status !== 'paused') return;
      if (!env.wakeOnRequest) throw new ConflictError(`environment ${envId} was paused without wake on request; resume it with slipway envs resume ${envId}`);
      outcome = await this.resume(env.workspace, envId, {
        audit: async (tx, result) =>
          void (await recordAudit(tx, {
            workspace: env.workspace,
            actor: 'router (wake on request)',
            kind: 'environment.resume',
            subject: env.envId,
            details: { app: env.app, runtime: result.runtime, trigger: 'request', outcome: result.failure?.outcome ?? 'succeeded', ...(result.failure ? { reason: result.failure.reason } : {}) },
          })),
      });
    }
    if (outcome.failure) throw new Error(outcome.failure.reason);
  }

  private async runtimeOf(env: StoredEnvironment, verb: 'pause' | 'resume'): Promise<{ runtime: string; driver: RuntimeDriver; deploy: StoredDeploy }> {
    const deploy = await this.options.store.lastSourcedDeploy(env.id);
    if (!deploy) throw new ConflictError(`environment ${env.envId} has never been deployed, so there is nothing to ${verb}`);
    const runtime = deploy.rendered.runtime;
    const driver = this.options.drivers[runtime];
    if (!driver) throw new ConflictError(`environment ${env.envId} runs on the "${runtime}" runtime, which this server does not have (it has ${Object.keys(this.options.drivers).join(', ')})`);
    if (!driver.pause || !driver.resume) throw new ConflictError(`the ${runtime} runtime cannot pause and resume environments yet; environment ${env.envId} keeps running`);
    return { runtime, driver, deploy };
  }

  private async exclusively<T>(env: StoredEnvironment, work: () => Promise<T>): Promise<T> {
    if (this.underWay.has(env.id)) throw new ConflictError(`a pause or resume of environment ${env.envId} is under way; try again once it has ended`);
    this.underWay.add(env.id);
    try {
      return await work();
    } finally {
      this.underWay.delete(env.id);
    }
  }

  private async republish(env: StoredEnvironment): Promise<void> {
    await this.options.engine.republishRoutes(env).catch((error: Error) => this.options.logger?.error(`routes of ${env.app}/${env.envId}: ${error.message}`));
  }

  private resumeTimeoutMs(): number {
    return this.options.resumeTimeoutMs ?? 120_000;
  }
}
