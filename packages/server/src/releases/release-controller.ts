import type { ReleaseState } from '@slipway/contract';
import {
  ConflictError,
  describeStep,
  InputError,
  isActiveStage,
  isEnded,
  NotFoundError,
  nextStep,
  stageName,
  type NextStep,
  type RuntimeDriver,
  type StageProgress,
  type WorkState,
} from '@slipway/core';
import type { EnvironmentService } from '../environments/environment-service.ts';
import type { Db } from '../store/database-schema.ts';
import type { EnvironmentStore } from '../store/environments.ts';
import { LeaseLostError, type Leases } from '../store/leases.ts';
import type { ReleaseCatalog } from '../store/release-catalog.ts';
import type { ReleaseStore, ReleaseTarget, ReleaseTestRun, StoredDecision, StoredRelease, StoredStage } from '../store/releases.ts';
import { KeyedWorker, type WorkerMetrics } from '../worker/keyed-worker.ts';
import { refOf, type DeployEvent, type EngineLogger, type WorkflowEngine } from '../workflows/workflow-engine.ts';
import { noAudit, type ReleaseAudit } from './release-audit.ts';
import type { ReleaseSignals } from '../store/release-signals.ts';
import { resolveStageEnvironment } from './stage-environments.ts';
import { progressOfRecord } from './stage-progress.ts';

// The release controller moves releases along their tracks. It keeps nothing that matters in
// memory: each step reads the release, its stages and decisions from the store, asks core's
// nextStep what happens next, and writes the result (a transition, a deploy, a test run) before
// acting on it. It is a reconcile(release id) on the keyed worker (worker/keyed-worker.ts), which
// holds the controller's one lease: it runs at once for what can move a release — a deploy ending,
// a test job ending, an approval, an abort — and at the time a soak, a window or a health recheck
// ends. A server that takes the lease over (or restarts) queues every release under way, so it
// carries on where the last holder stopped; every write shows the lease's epoch, so a server that
// lost the lease cannot move a release any more.

export interface ReleaseControllerOptions {
  releases: ReleaseStore;
  catalog: ReleaseCatalog;
  environments: EnvironmentStore;
  service: EnvironmentService;
  engine: WorkflowEngine;
  drivers: Readonly<Record<string, RuntimeDriver>>;
  leases: Leases;
  audit?: ReleaseAudit;
  logger?: EngineLogger;
  /** How often every release under way is re-read as a safety net for a missed event (default 30 s). */
  tickMs?: number;
  /** How soon instances that are not ready yet are looked at again (default 1 s). */
  healthRecheckMs?: number;
  leaseMs?: number;
  /** Keeps a pre-release's commit status in step with it (pre-release-status.ts). */
  statuses?: { sync(releaseId: string): void };
  /**
   * Wake-ups between servers on one PostgreSQL (release-signals.ts): a kick on a server that does
   * not hold the lease is sent to the one that does.
   */
  signals?: ReleaseSignals;
}

const ACTOR = 'slipway';
const LEASE = 'releases:controller';
const ACTIVE: ReleaseState[] = ['Deploying', 'Verifying', 'AwaitingApproval'];

export class ReleaseController {
  private readonly worker: KeyedWorker;
  /** Test jobs running in this process, by run id. */
  private readonly testRuns = new Map<string, Promise<void>>();
  /** Results of test jobs that ended, waiting to be written by their release's next step. */
  private readonly endedTests = new Map<string, { releaseId: string; stage: number; runId: string; result: { outcome: WorkState; reason?: string; logTail?: string; finishedAt: string } }>();
  /** Entering a stage decides over the environments' queue: one decision at a time. */
  private enterLock: Promise<unknown> = Promise.resolve();
  private stopping = false;
  private unsubscribe?: () => void;
  private unsubscribeEnded?: () => void;
  private readonly logger: EngineLogger;
  private readonly audit: ReleaseAudit;
  private readonly completed = new Set<(release: StoredRelease) => void | Promise<void>>();

  constructor(private readonly options: ReleaseControllerOptions) {
    this.logger = options.logger ?? { info: () => undefined, error: () => undefined };
    this.audit = options.audit ?? noAudit;
    this.worker = new KeyedWorker({
      name: 'releases',
      reconcile: (id) => this.advance(id),
      lease: {
        per: 'worker',
        name: LEASE,
        leases: options.leases,
        ttlMs: options.leaseMs ?? 30_000,
        resync: () => options.releases.activeReleaseIds(),
        // A kick on a server that does not hold the lease goes to the one that does (PostgreSQL).
        elsewhere: (id) => void options.signals?.notify(id).catch((error: Error) => this.logger.error(`release ${id}: notifying the lease holder: ${error.message}`)),
      },
      keys: () => options.releases.activeReleaseIds(),
      resyncMs: options.tickMs ?? 30_000,
      logger: this.logger,
    });
  }

  /** The controller's queue and lease counters. */
  metrics(): WorkerMetrics {
    return this.worker.metrics();
  }

  async start(): Promise<void> {
    this.unsubscribe = this.options.engine.onDeploy((event) => this.onDeploy(event));
    // A release ended elsewhere (rejected, aborted) takes one more step here: its commit status says how it ended.
    this.unsubscribeEnded = this.options.releases.onEnded((id) => this.kick(id));
    // Another server's approval, promotion or abort: the lease holder moves the release now.
    await this.options.signals?.listen(
      (id) => {
        if (this.worker.holdsLease) this.worker.enqueue(id);
      },
      () => {
        // Notifications may have been missed while nobody listened: every release under way is looked at.
        if (!this.worker.holdsLease) return;
        void this.options.releases
          .activeReleaseIds()
          .then((ids) => ids.forEach((id) => this.worker.enqueue(id)))
          .catch((error: Error) => this.logger.error(`release controller: ${error.message}`));
      },
    );
    await this.worker.start();
  }

  /** Stops moving releases; test jobs under way are picked up again (by their run id) at the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.unsubscribeEnded?.();
    await this.options.signals?.close();
    await this.worker.stop();
  }

  /** Calls the listener when a release went through every stage of its track (automatic managed releases). */
  onCompleted(listener: (release: StoredRelease) => void | Promise<void>): () => void {
    this.completed.add(listener);
    return () => this.completed.delete(listener);
  }

  /**
   * Makes the release take its next step now (after an approval, an abort, a deploy ending): here
   * when this server holds the lease, else by telling the server that does (PostgreSQL).
   */
  kick(releaseId: string): void {
    if (this.stopping) return;
    this.worker.enqueue(releaseId);
  }

  /** Kicks the release and resolves once it has taken every step it can take now. */
  async settle(releaseId: string): Promise<void> {
    if (this.stopping) return;
    await this.worker.settle(releaseId);
  }

  /** Kicks every release of the set waiting in a queue or a hold (an environment became free). */
  async kickWaiting(workspace: string, set: string): Promise<void> {
    for (const { release } of await this.options.releases.stagesOfSet(workspace, set, ['Pending'])) this.kick(release.id);
  }

  private onDeploy(event: DeployEvent): void {
    if (event.type !== 'ended' || this.stopping) return;
    void this.options.releases
      .releasesDeploying(event.deploy.id)
      .then((ids) => ids.forEach((id) => this.kick(id)))
      .catch((error: Error) => this.logger.error(`release controller: ${error.message}`));
  }

  /**
   * Writes of the release's step: one transaction that first checks this server holds the
   * controller's lease still (the worker's fence), so a server that lost it moves nothing.
   */
  private write<T>(work: (store: ReleaseStore, tx: Db) => Promise<T>): Promise<T> {
    return this.options.releases.transact(async (store, tx) => {
      await this.worker.fence(tx);
      return work(store, tx);
    });
  }

  /** Takes the release's steps, then reports where a pre-release stands as its commit status. */
  private async advance(releaseId: string): Promise<void> {
    const kind = await this.steps(releaseId);
    if (kind === 'pre-release') this.options.statuses?.sync(releaseId);
  }

  /** Takes steps until the release waits for something outside it (a deploy, a test, a person, the clock). */
  private async steps(releaseId: string): Promise<StoredRelease['kind'] | undefined> {
    let kind: StoredRelease['kind'] | undefined;
    for (let round = 0; round < 25; round++) {
      if (this.stopping) return kind;
      const release = await this.options.releases.getRelease(releaseId);
      kind = release?.kind;
      if (!release || isEnded(release.state)) {
        // Test jobs that ended after their release did have nothing left to tell.
        for (const [runId, ended] of this.endedTests) if (ended.releaseId === releaseId) this.endedTests.delete(runId);
        return kind;
      }
      let records = await this.options.releases.stages(releaseId);
      records = await this.applyEndedTests(release, records);
      const step = await this.stepOf(release, records);
      const changed = await this.act(release, records, step);
      if (!changed) return kind;
    }
    this.logger.error(`release ${releaseId}: took 25 steps without waiting; trying again in a second`);
    this.recheck(releaseId, Date.now() + 1_000);
    return kind;
  }

  /** The stage of the release that waits for a deliberate promotion (its promotion is manual and every gate holds), if one does. */
  async awaitingPromotion(releaseId: string): Promise<number | undefined> {
    const release = await this.options.releases.getRelease(releaseId);
    if (!release || isEnded(release.state)) return undefined;
    const step = await this.stepOf(release, await this.options.releases.stages(releaseId));
    return step.type === 'await-promotion' ? step.stage : undefined;
  }

  /** What core says happens next to the release, from its stage records, decisions and health now. */
  private async stepOf(release: StoredRelease, records: StoredStage[]): Promise<NextStep> {
    const progress = await this.progressOf(release, records, await this.options.releases.decisions(release.id));
    return nextStep({ stages: release.stages, records: progress, author: release.author }, new Date());
  }

  /** What core needs to know of each stage reached: deploys (refreshed from the store), health, tests, decisions. */
  private async progressOf(release: StoredRelease, records: StoredStage[], decisions: StoredDecision[]): Promise<StageProgress[]> {
    const progress: StageProgress[] = [];
    for (const record of records) {
      let targets = record.targets;
      if (record.state === 'Deploying') {
        targets = await this.refreshTargets(record);
        if (JSON.stringify(targets) !== JSON.stringify(record.targets)) {
          await this.write((s) => s.updateStage(release.id, record.index, { targets }));
          record.targets = targets;
        }
      }
      const stage = release.stages[record.index]!;
      const item = progressOfRecord(record, decisions);
      const deploy = item.deploy;
      if (deploy.state === 'succeeded' && isActiveStage(record.state) && (stage.gates?.healthy ?? true)) item.health = await this.healthOf(targets);
      progress.push(item);
    }
    return progress;
  }

  /** Carries a step out; true when something changed that may allow another step now. */
  private async act(release: StoredRelease, records: StoredStage[], step: NextStep): Promise<boolean> {
    const { releases } = this.options;
    switch (step.type) {
      case 'done': {
        const last = records.filter((r) => r.state === step.state).at(-1);
        const reason = step.state === 'Promoted' ? 'promoted through every stage' : last ? `${last.name}: ${last.reason ?? step.state}` : `ended ${step.state}`;
        if (release.state !== step.state) await this.write((s) => s.endRelease(release.id, step.state, ACTOR, reason));
        return false;
      }
      case 'enter': {
        const stage = release.stages[step.stage]!;
        const record = records[step.stage];
        if (!record) {
          const reason = step.stage === 0 ? `release ${release.kind === 'rollback' ? 'of the rollback ' : ''}started` : `promoted out of ${stageName(release.stages[step.stage - 1]!)}`;
          await this.write((s) => s.addStage({ releaseId: release.id, index: step.stage, name: stageName(stage), environments: stage.environments }, ACTOR, reason));
          return true;
        }
        const entered = await this.tryEnter(release, record);
        if (!entered) await this.note(release, record, 'Pending', record.reason ?? 'waiting to enter');
        return entered;
      }
      case 'wait-deploy': {
        const record = records[step.stage]!;
        // A deploy that was never queued (the server stopped right after entering) is queued now.
        const missing = record.targets.filter((t) => !t.deployId && t.state === 'pending');
        if (missing.length) {
          await this.deployTargets(release, record, missing);
          return true;
        }
        await this.note(release, record, 'Deploying', 'deploying');
        return false;
      }
      case 'run-tests': {
        const record = records[step.stage]!;
        if (await this.ensureState(release, record, 'Verifying', 'deployed; running test jobs')) return true;
        await this.startTests(release, record, step.tests);
        return true;
      }
      case 'verify': {
        const record = records[step.stage]!;
        if (await this.ensureState(release, record, 'Verifying', step.waitingFor)) return true;
        this.resumeTests(release, record);
        if (step.recheckAt) this.recheck(release.id, step.recheckAt.getTime());
        if (step.gates.some((g) => g.gate === 'healthy' && g.status === 'pending')) this.recheck(release.id, Date.now() + (this.options.healthRecheckMs ?? 1_000));
        await this.note(release, record, 'Verifying', step.waitingFor);
        return false;
      }
      case 'await-approval': {
        const record = records[step.stage]!;
        if (await this.ensureState(release, record, 'AwaitingApproval', `verified; ${describeStep(step)}`)) return true;
        if (step.recheckAt) this.recheck(release.id, step.recheckAt.getTime());
        await this.note(release, record, 'AwaitingApproval', describeStep(step)!);
        return false;
      }
      case 'await-promotion': {
        const record = records[step.stage]!;
        if (await this.ensureState(release, record, 'AwaitingApproval', `verified; ${describeStep(step)}`)) return true;
        if (step.recheckAt) this.recheck(release.id, step.recheckAt.getTime());
        await this.note(release, record, 'AwaitingApproval', `${describeStep(step)!}: slipway releases promote ${release.number}`);
        return false;
      }
      case 'blocked-by-window': {
        const record = records[step.stage]!;
        if (await this.ensureState(release, record, step.state, 'verified')) return true;
        if (step.until) this.recheck(release.id, step.until.getTime());
        await this.note(release, record, step.state, describeStep(step)!);
        return false;
      }
      case 'promote': {
        const record = records[step.stage]!;
        const summary = step.gates.map((g) => `${g.gate}: ${g.detail}`).join('; ') || 'no gates';
        if (record.state !== 'Verifying' && record.state !== 'AwaitingApproval') {
          await this.ensureState(release, record, 'Verifying', 'deployed');
          return true;
        }
        const into = step.next !== undefined ? stageName(release.stages[step.next]!) : undefined;
        // The move and its audit entry commit together: no promotion without its entry.
        const moved = await this.write(async (store, tx) => {
          const done = await store.moveStage(release.id, record.index, record.state, 'Promoted', ACTOR, `every gate holds (${summary})`, { finishedAt: new Date().toISOString(), reason: undefined });
          if (done) await this.audit({ workspace: release.workspace, actor: ACTOR, kind: 'release.promote', subject: `release #${release.number}`, details: { from: record.name, ...(into ? { into } : { done: true }), gates: step.gates } }, tx);
          return done;
        });
        if (!moved) return true;
        if (step.next === undefined) {
          await this.write((s) => s.endRelease(release.id, 'Promoted', ACTOR, `promoted through every stage; ${record.name} is the last`));
          await this.write((s) => s.updateRelease(release.id, { currentStage: record.index, reason: undefined }));
          const done = (await releases.getRelease(release.id))!;
          for (const listener of this.completed) {
            Promise.resolve()
              .then(() => listener(done))
              .catch((error: Error) => this.logger.error(`release #${release.number}: ${error.message}`));
          }
        }
        await this.kickWaiting(release.workspace, release.set);
        return true;
      }
      case 'stop': {
        const record = records[step.stage]!;
        if (record.state === 'Pending') await this.write((s) => s.moveStage(release.id, record.index, 'Pending', 'Deploying', ACTOR, 'entering'));
        const from = record.state === 'Pending' ? 'Deploying' : record.state;
        await this.write((s) => s.moveStage(release.id, record.index, from, step.state, ACTOR, step.reason, { finishedAt: new Date().toISOString(), reason: step.reason }));
        await this.write((s) => s.endRelease(release.id, step.state, ACTOR, `${record.name}: ${step.reason}`));
        await this.write((s) => s.updateRelease(release.id, { currentStage: record.index }));
        this.logger.info(`release #${release.number} ${step.state} in ${record.name}: ${step.reason}`);
        await this.kickWaiting(release.workspace, release.set);
        return false;
      }
    }
  }

  /**
   * Moves the stage to `to`, through Verifying when it comes from Deploying (the deploys ended):
   * true when it moved, so the caller evaluates again.
   */
  private async ensureState(release: StoredRelease, record: StoredStage, to: ReleaseState, reason: string): Promise<boolean> {
    if (record.state === to) return false;
    if (record.state === 'Deploying') {
      const deployedAt = record.targets.map((t) => t.finishedAt).filter((x): x is string => !!x).sort().at(-1) ?? new Date().toISOString();
      const said = to === 'Verifying' ? reason : 'deployed; every gate checked';
      // The new state and what the stage now waits for commit together, so no reader sees a
      // verifying stage that still says "deploying".
      await this.write((s) => s.moveStage(release.id, record.index, 'Deploying', 'Verifying', ACTOR, said, { deployedAt, reason: said }));
      return true;
    }
    await this.write((s) => s.moveStage(release.id, record.index, record.state, to, ACTOR, reason, { reason }));
    return true;
  }

  /** Keeps the release row and the stage's reason in step with what it waits for. */
  private async note(release: StoredRelease, record: StoredStage, state: ReleaseState, reason: string): Promise<void> {
    if (record.reason !== reason) await this.write((s) => s.updateStage(release.id, record.index, { reason }));
    if (release.state !== state || release.reason !== reason || release.currentStage !== record.index) {
      await this.write((s) => s.updateRelease(release.id, { state, reason, currentStage: record.index }));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Entering a stage

  /**
   * Enters the stage when its environments are free: not held after a rollback, no other release
   * active in them, none queued before it. Decisions are taken one at a time so two releases never
   * both enter one environment.
   */
  private async tryEnter(release: StoredRelease, record: StoredStage): Promise<boolean> {
    const run = this.enterLock.then(() => this.enterIfFree(release, record));
    this.enterLock = run.catch(() => undefined);
    return run;
  }

  private async enterIfFree(release: StoredRelease, record: StoredStage): Promise<boolean> {
    const { releases } = this.options;
    const fresh = (await releases.stages(release.id)).find((s) => s.index === record.index);
    if (!fresh || fresh.state !== 'Pending') return true;
    const envs = new Set(record.environments);
    const overlaps = (s: StoredStage) => s.environments.some((e) => envs.has(e));
    const waitFor = async (reason: string) => {
      if (fresh.reason !== reason) await this.write((s) => s.updateStage(release.id, record.index, { reason }));
      record.reason = reason;
      return false;
    };
    if (release.kind !== 'rollback') {
      const held = (await releases.holds(release.workspace, release.set)).filter((h) => envs.has(h.environment));
      if (held.length) {
        const by = held[0]!;
        const rollback = by.releaseId ? await releases.getRelease(by.releaseId) : undefined;
        return waitFor(
          `held: ${held.map((h) => h.environment).join(', ')} ${held.length > 1 ? 'were' : 'was'} rolled back${rollback ? ` (release #${rollback.number})` : ''} by ${by.actor}; automatic promotion waits until someone promotes deliberately (slipway releases promote ${release.number})`,
        );
      }
    }
    const busy = (await releases.stagesOfSet(release.workspace, release.set, ACTIVE)).find((s) => s.release.id !== release.id && overlaps(s.stage));
    if (busy) return waitFor(`queued: release #${busy.release.number} is ${busy.stage.state} in ${busy.stage.environments.filter((e) => envs.has(e)).join(', ')}`);
    if (release.kind !== 'rollback') {
      const ahead = (await releases.stagesOfSet(release.workspace, release.set, ['Pending'])).find(
        (s) => s.release.id !== release.id && overlaps(s.stage) && (s.release.kind === 'rollback' || s.stage.queuedAt < fresh.queuedAt || (s.stage.queuedAt === fresh.queuedAt && s.release.number < release.number)),
      );
      if (ahead) return waitFor(`queued behind release #${ahead.release.number} for ${ahead.stage.environments.filter((e) => envs.has(e)).join(', ')}`);
    }

    let targets: ReleaseTarget[];
    try {
      targets = await this.targetsOf(release, record);
    } catch (error) {
      const reason = (error as Error).message;
      await this.write((s) => s.moveStage(release.id, record.index, 'Pending', 'Deploying', ACTOR, 'entering'));
      await this.write((s) => s.moveStage(release.id, record.index, 'Deploying', error instanceof InputError || error instanceof NotFoundError ? 'Failed' : 'Errored', ACTOR, reason, { reason, finishedAt: new Date().toISOString() }));
      return true;
    }
    const now = new Date().toISOString();
    const moved = await this.write((s) => s.moveStage(release.id, record.index, 'Pending', 'Deploying', ACTOR, `entering ${record.name}: deploying ${describeTargets(targets)}`, { enteredAt: now, targets, reason: 'deploying' }));
    if (!moved) return true;
    record.state = 'Deploying';
    record.targets = targets;
    await this.write((s) => s.updateRelease(release.id, { state: 'Deploying', currentStage: record.index, reason: 'deploying' }));
    await this.deployTargets(release, record, targets);
    return true;
  }

  /** Application × environment of the stage, with the commit each runs: every component of the snapshot (a pre-release has one). */
  private async targetsOf(release: StoredRelease, record: StoredStage): Promise<ReleaseTarget[]> {
    const snapshot = await this.options.catalog.getSnapshot(release.snapshotId);
    if (!snapshot) throw new Error(`snapshot ${release.snapshotId} of release #${release.number} is missing from the store`);
    const set = await this.options.catalog.getSet(release.workspace, release.set);
    const appsInSet = Math.max(set?.applications.length ?? 0, snapshot.kind === 'pre-release' ? 0 : snapshot.components.length, 1);
    const targets: ReleaseTarget[] = [];
    for (const environment of record.environments) {
      for (const component of snapshot.components) {
        const { envId, live } = await resolveStageEnvironment(this.options.environments, release.workspace, environment, component.app, appsInSet);
        targets.push({ app: component.app, environment, envId, ...(live ? { environmentId: live.id } : {}), commit: component.commit, state: 'pending' });
      }
    }
    return targets;
  }

  /** Queues each target's deploy: a patch of its permanent environment, or the environment's creation. */
  private async deployTargets(release: StoredRelease, record: StoredStage, which: ReleaseTarget[]): Promise<void> {
    const requestedBy = `release #${release.number} (${release.author})`;
    // Fenced by the controller's lease: a server that lost it queues no deploy and creates no environment.
    const write = { authority: `release #${release.number}`, fence: (tx: Db) => this.worker.fence(tx) };
    const results = new Map<ReleaseTarget, Partial<ReleaseTarget>>();
    await Promise.all(
      which.map(async (target) => {
        try {
          const live = await this.options.environments.getLive(release.workspace, target.envId);
          if (live && live.app !== target.app) throw new ConflictError(`environment ${target.envId} belongs to application ${live.app}, not ${target.app}; rename one of them`);
          if (live) {
            const deploy = await this.options.service.patch(release.workspace, target.envId, target.commit, requestedBy, write);
            results.set(target, { environmentId: live.id, deployId: deploy.id, state: 'running' });
          } else {
            const { environment, deploy } = await this.options.service.create(release.workspace, { app: target.app, kind: 'permanent', id: target.envId, commit: target.commit }, requestedBy, write);
            results.set(target, { environmentId: environment.id, deployId: deploy.id, state: 'running' });
          }
        } catch (error) {
          // Another server holds the lease now: it deploys the stage, this one stops here.
          if (error instanceof LeaseLostError) throw error;
          const userFault = error instanceof InputError || error instanceof ConflictError || error instanceof NotFoundError;
          results.set(target, { state: userFault ? 'failed' : 'errored', reason: `${target.app} in ${target.envId}: ${(error as Error).message}` });
          if (!userFault) this.logger.error(`release #${release.number}: deploying ${target.app} to ${target.envId}: ${(error as Error).stack ?? (error as Error).message}`);
        }
      }),
    );
    const fresh = (await this.options.releases.stages(release.id)).find((s) => s.index === record.index)!;
    const targets = fresh.targets.map((t) => {
      const match = [...results.entries()].find(([k]) => k.app === t.app && k.envId === t.envId);
      return match ? { ...t, ...match[1] } : t;
    });
    await this.write((s) => s.updateStage(release.id, record.index, { targets }));
    this.logger.info(`release #${release.number}: entered ${record.name} (${describeTargets(targets)})`);
  }

  /** The targets' deploy states as the store has them now. */
  private async refreshTargets(record: StoredStage): Promise<ReleaseTarget[]> {
    return Promise.all(
      record.targets.map(async (t) => {
        if (!t.deployId || t.state === 'succeeded' || t.state === 'failed' || t.state === 'errored') return t;
        const deploy = await this.options.environments.getDeploy(t.deployId);
        if (!deploy) return { ...t, state: 'errored' as const, reason: `deploy ${t.deployId} is missing from the store` };
        if (deploy.state === 'queued' || deploy.state === 'running') return t.state === 'running' ? t : { ...t, state: 'running' as const };
        if (deploy.state === 'cancelled') return { ...t, state: 'errored' as const, reason: `the deploy of ${t.app} to ${t.envId} was cancelled${deploy.reason ? `: ${deploy.reason}` : ''}`, ...(deploy.finishedAt ? { finishedAt: deploy.finishedAt } : {}) };
        return {
          ...t,
          state: deploy.state,
          ...(deploy.reason ? { reason: `${t.app} in ${t.envId}: ${deploy.reason}` } : {}),
          ...(deploy.finishedAt ? { finishedAt: deploy.finishedAt } : {}),
        };
      }),
    );
  }

  /** Every instance of the stage's environments ready; failing when one is crash-looping or an environment is gone. */
  private async healthOf(targets: ReleaseTarget[]): Promise<StageProgress['health']> {
    const problems: string[] = [];
    let failing = false;
    for (const target of targets) {
      const env = target.environmentId ? await this.options.environments.getById(target.environmentId) : undefined;
      if (!env || env.deletedAt) {
        failing = true;
        problems.push(`environment ${target.envId} no longer exists`);
        continue;
      }
      const deploy = target.deployId ? await this.options.environments.getDeploy(target.deployId) : undefined;
      const driver = deploy ? this.options.drivers[deploy.rendered.runtime] : undefined;
      if (!driver) continue;
      for (const instance of await driver.instances(refOf(env))) {
        if (instance.state === 'ready') continue;
        if (instance.state === 'crash-looping' || instance.state === 'stopped') failing = true;
        problems.push(`${target.envId}/${instance.name} is ${instance.state}${instance.message ? `: ${instance.message}` : ''}`);
      }
    }
    return problems.length ? { ready: false, failing, detail: problems.join('; ') } : { ready: true };
  }

  // ---------------------------------------------------------------------------------------------
  // Test jobs

  /** Starts the gate's test jobs in every environment of the stage whose application has the job. */
  private async startTests(release: StoredRelease, record: StoredStage, jobs: string[]): Promise<void> {
    const candidates = await this.testEnvironments(release, record);
    const runs: ReleaseTestRun[] = [...record.tests];
    const startedAt = new Date().toISOString();
    for (const job of jobs) {
      const where = candidates.filter((c) => c.jobs.includes(job));
      if (where.length === 0) {
        runs.push({ job, state: 'failed', reason: `no application deployed in ${record.name} has a job ${job} (${candidates.map((c) => `${c.envId}: ${c.jobs.join(', ') || 'no jobs'}`).join('; ') || 'no environments'})`, startedAt, finishedAt: startedAt });
        continue;
      }
      for (const c of where) runs.push({ job, app: c.app, envId: c.envId, environmentId: c.environmentId, runId: `release-${release.id}.s${record.index}.${job}.${c.envId}`, state: 'running', startedAt });
    }
    await this.write((s) => s.updateStage(release.id, record.index, { tests: runs }));
    record.tests = runs;
    this.resumeTests(release, record);
  }

  /** The stage's environments (its targets, and for a pre-release the set's other applications there) and their jobs. */
  private async testEnvironments(release: StoredRelease, record: StoredStage): Promise<{ app: string; envId: string; environmentId: string; jobs: string[] }[]> {
    const seen = new Map<string, { app: string; envId: string; environmentId: string; jobs: string[] }>();
    const add = async (app: string, envId: string, environmentId: string | undefined) => {
      if (!environmentId || seen.has(environmentId)) return;
      const deploys = await this.options.environments.listDeploys(environmentId, 20);
      const last = deploys.find((d) => d.workflow !== 'teardown' && d.state === 'succeeded');
      seen.set(environmentId, { app, envId, environmentId, jobs: last ? last.rendered.jobs.map((j) => j.name) : [] });
    };
    for (const t of record.targets) await add(t.app, t.envId, t.environmentId);
    const set = await this.options.catalog.getSet(release.workspace, release.set);
    for (const app of set?.applications ?? []) {
      for (const environment of record.environments) {
        const { envId, live } = await resolveStageEnvironment(this.options.environments, release.workspace, environment, app, set!.applications.length);
        if (live && live.app === app) await add(app, envId, live.id);
      }
    }
    return [...seen.values()];
  }

  /** Runs (again, after a restart) every test job the stage records as running and this process does not run yet. */
  private resumeTests(release: StoredRelease, record: StoredStage): void {
    for (const run of record.tests) {
      if (run.state !== 'running' || !run.runId || !run.environmentId || this.testRuns.has(run.runId) || this.endedTests.has(run.runId)) continue;
      const runId = run.runId;
      const job = this.options.engine
        .runJob(run.environmentId, run.job, runId)
        .catch((error: Error) => ({ outcome: 'errored' as const, reason: `platform error: ${error.message}`, logTail: undefined }))
        .then((result) => {
          this.endedTests.set(runId, {
            releaseId: release.id,
            stage: record.index,
            runId,
            result: { outcome: result.outcome, ...(result.reason ? { reason: result.reason } : {}), ...(result.logTail ? { logTail: result.logTail.slice(-4000) } : {}), finishedAt: new Date().toISOString() },
          });
        })
        .finally(() => {
          this.testRuns.delete(runId);
          this.kick(release.id);
        });
      this.testRuns.set(runId, job);
    }
  }

  /** Writes the results of the release's test jobs that ended since its last step. */
  private async applyEndedTests(release: StoredRelease, records: StoredStage[]): Promise<StoredStage[]> {
    const ended = [...this.endedTests.values()].filter((e) => e.releaseId === release.id);
    if (ended.length === 0) return records;
    for (const record of records) {
      const mine = ended.filter((e) => e.stage === record.index);
      if (mine.length === 0) continue;
      const tests = record.tests.map((t) => {
        const e = mine.find((m) => m.runId === t.runId);
        return e && t.state === 'running' ? { ...t, state: e.result.outcome, ...(e.result.reason ? { reason: e.result.reason } : {}), ...(e.result.logTail ? { logTail: e.result.logTail } : {}), finishedAt: e.result.finishedAt } : t;
      });
      await this.write((s) => s.updateStage(release.id, record.index, { tests }));
      record.tests = tests;
    }
    for (const e of ended) this.endedTests.delete(e.runId);
    return records;
  }

  /** Looks at the release again at `at` (a soak ending, a window opening, an approval expiring). */
  private recheck(releaseId: string, at: number): void {
    this.worker.enqueueAt(releaseId, at + 5);
  }
}

function describeTargets(targets: ReleaseTarget[]): string {
  return targets.map((t) => `${t.app}@${t.commit.slice(0, 7)} → ${t.envId}`).join(', ');
}

