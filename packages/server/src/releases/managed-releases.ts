import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OneOffContainerRequest, OneOffContainerResult } from '@slipway/drivers';
import { createManagedReleaseRequest, durationToMs, type CreateManagedReleaseRequest, type EnvValue, type ReleasePlanAdmissionManifest } from '@slipway/contract';
import {
  didYouMean,
  createSecretMasker,
  InputError,
  isEnded,
  managedWorkflowProblems,
  matchAdmission,
  mergeReleaseData,
  NotFoundError,
  planSubject,
  policyViolations,
  type PolicyFacts,
} from '@slipway/core';
import { getApplication, getTemplateVersion } from '../store/applications.ts';
import type { Db } from '../store/database-schema.ts';
import type { Leases } from '../store/leases.ts';
import type { ManagedReleaseStore, ManagedStep, PolicyCheck, StoredManagedRelease } from '../store/managed-releases.ts';
import type { ReleaseCatalog, StoredSnapshot } from '../store/release-catalog.ts';
import type { ReleaseStore, StoredRelease } from '../store/releases.ts';
import type { ReleaseSignals } from '../store/release-signals.ts';
import { KeyedWorker, type WorkerMetrics } from '../worker/keyed-worker.ts';
import type { EngineLogger } from '../workflows/workflow-engine.ts';
import { runStep, type StepResult } from './managed-step-runner.ts';
import { noAudit, type ReleaseAudit } from './release-audit.ts';
import type { SnapshotService } from './snapshot-service.ts';

// Releases into a managed workspace. Made in the development workspace from a ReleasePlan and a
// snapshot, matched to exactly one ReleasePlanAdmission of the managed workspace (none or several is
// refused, naming them), checked against the admission's policy, then its workflow runs step by step
// with the managed workspace's secrets — which the development team's tokens cannot read. Durable as
// the release controller: a reconcile(managed release id) on the keyed worker, holding one lease;
// every state and step is written (fenced by that lease) before and after it acts, and a restarted
// server, or one that took the lease over, runs a step that was under way again.

export interface ManagedReleasesOptions {
  db: Db;
  store: ManagedReleaseStore;
  catalog: ReleaseCatalog;
  releases: ReleaseStore;
  snapshots: SnapshotService;
  /** Clear value of a workspace's secret, for injection only. */
  revealSecret(workspace: string, name: string): Promise<string | undefined>;
  /** Where steps run: a folder per managed release under it. */
  workDir: string;
  /**
   * Runs a step that names an image in a container (the docker runtime's engine), or says why this
   * server cannot: such a step then fails with that reason rather than run as a process.
   */
  containers?: { run(request: OneOffContainerRequest): Promise<OneOffContainerResult> } | { unavailable: string };
  leases: Leases;
  audit?: ReleaseAudit;
  logger?: EngineLogger;
  /**
   * Wake-ups between servers on one PostgreSQL (store/release-signals.ts, its managed channel): a
   * managed release made on a server without the lease reaches the one with it at once.
   */
  signals?: ReleaseSignals;
  /**
   * How often every managed release under way is re-read (default 60 s): a safety net for a missed
   * wake-up, not how work is found — creation and NOTIFY wake the holder, and a run takes every step
   * it can before it returns.
   */
  tickMs?: number;
  leaseMs?: number;
}

const ACTOR = 'slipway';
const LEASE = 'releases:managed';

export class ManagedReleases {
  private readonly worker: KeyedWorker;
  private stopping = false;
  private readonly audit: ReleaseAudit;
  private readonly logger: EngineLogger;

  constructor(private readonly options: ManagedReleasesOptions) {
    this.audit = options.audit ?? noAudit;
    this.logger = options.logger ?? { info: () => undefined, error: () => undefined };
    this.worker = new KeyedWorker({
      name: 'managed-releases',
      reconcile: (id) => this.advance(id),
      lease: {
        per: 'worker',
        name: LEASE,
        leases: options.leases,
        ttlMs: options.leaseMs ?? 30_000,
        resync: () => options.store.activeIds(),
        // Made on a server that does not hold the lease: the holder is told (PostgreSQL).
        elsewhere: (id) => void options.signals?.notify(id).catch((error: Error) => this.logger.error(`managed release ${id}: notifying the lease holder: ${error.message}`)),
      },
      keys: () => options.store.activeIds(),
      resyncMs: options.tickMs ?? 60_000,
      // A step under way is left running; the next holder of the lease runs it again.
      waitOnStop: false,
      logger: this.logger,
    });
  }

  async start(): Promise<void> {
    // A managed release made on another server: the lease holder runs it now.
    await this.options.signals?.listen(
      (id) => {
        if (this.worker.holdsLease) this.worker.enqueue(id);
      },
      () => {
        // Notifications may have been missed while nobody listened: every managed release under way is looked at.
        if (!this.worker.holdsLease) return;
        void this.options.store
          .activeIds()
          .then((ids) => ids.forEach((id) => this.worker.enqueue(id)))
          .catch((error: Error) => this.logger.error(`managed releases: ${error.message}`));
      },
    );
    await this.worker.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.options.signals?.close();
    await this.worker.stop();
  }

  /** The queue and lease counters of managed releases. */
  metrics(): WorkerMetrics {
    return this.worker.metrics();
  }

  kick(id: string): void {
    if (this.stopping) return;
    this.worker.enqueue(id);
  }

  /** Resolves once the managed release has ended or waits on nothing this process does (tests). */
  async settle(id: string): Promise<void> {
    if (this.stopping) return;
    await this.worker.settle(id);
  }

  /** Writes of a managed release's step, in one transaction fenced by the lease: a server that lost it writes nothing. */
  private write<T>(work: (store: ManagedReleaseStore, tx: Db) => Promise<T>): Promise<T> {
    return this.options.store.transact(async (bound, tx) => {
      await this.worker.fence(tx);
      return work(bound, tx);
    });
  }

  /**
   * Makes a managed release of a snapshot under a plan: the plan and the snapshot must belong to the
   * workspace and to each other, and exactly one admission of the target must accept it.
   */
  async create(workspace: string, request: CreateManagedReleaseRequest, author: string, actor = author): Promise<StoredManagedRelease> {
    const body = createManagedReleaseRequest.parse(request);
    const plans = await this.options.store.plans(workspace);
    const plan = plans.find((p) => p.name === body.plan);
    if (!plan) throw new NotFoundError(`no ReleasePlan "${body.plan}" in workspace ${workspace}${didYouMean(body.plan, plans.map((p) => p.name))}; register one with \`slipway plans create\``);
    const snapshot = await this.options.snapshots.get(workspace, body.snapshot);
    const subject = planSubject(plan);
    if (subject.kind === 'application set' ? snapshot.set !== subject.name : !snapshot.components.some((c) => c.app === subject.name)) {
      throw new InputError(`ReleasePlan ${plan.name} releases ${subject.kind} ${subject.name}; snapshot ${snapshot.alias} is of set ${snapshot.set} (${snapshot.components.map((c) => c.app).join(', ')})`);
    }
    if (snapshot.kind === 'pre-release') throw new InputError(`snapshot ${snapshot.alias} is a pre-release of one branch; a managed release takes a release snapshot`);
    const admissions = await this.options.store.admissions(plan.spec.target);
    const matched = matchAdmission(workspace, plan, admissions);
    if ('error' in matched) throw new InputError(matched.error);
    const { admission } = matched;
    // An admission stored before workflows were checked at registration may read what it lacks. The
    // development team may not read the admission, so the refusal says only whose it is to fix.
    const problems = managedWorkflowProblems(admission.spec).filter((p) => p.severity === 'error');
    if (problems.length) {
      throw new InputError(`the workflow of ReleasePlanAdmission ${admission.name} of workspace ${plan.spec.target} reads secrets or variables it does not provide (${problems.length === 1 ? '1 problem' : `${problems.length} problems`}); the managed environment team must correct it and register it again (\`slipway validate\` shows where)`);
    }
    const data = mergeReleaseData(body.data, plan.spec.data, admission.spec.data);
    const details = { plan: plan.name, target: plan.spec.target, admission: admission.name, snapshot: snapshot.alias, author };
    const release = await this.options.store.transact(async (store, tx) => {
      const created = await store.create(
        {
          origin: workspace,
          plan: plan.name,
          target: plan.spec.target,
          admission: admission.name,
          admissionSpec: admission.spec,
          snapshotId: snapshot.id,
          author,
          data,
          policy: [],
          steps: admission.spec.workflow.steps.map((s) => ({ name: s.name, state: 'pending' })),
        },
        actor,
        `snapshot ${snapshot.alias} released into workspace ${plan.spec.target} under plan ${plan.name} by ${author}; admitted by ${admission.name}`,
      );
      // Both workspaces' ledgers learn of it: the one it left, and the one it enters.
      await this.audit({ workspace, actor, kind: 'release.create', subject: `managed release #${created.number}`, details }, tx);
      await this.audit({ workspace: plan.spec.target, actor, kind: 'release.create', subject: `managed release ${created.id} from ${workspace}`, details }, tx);
      return created;
    });
    // The workflow may run for long: the answer does not wait for it.
    this.kick(release.id);
    return release;
  }

  async get(workspace: string, ref: string): Promise<StoredManagedRelease> {
    const found = await this.options.store.find(workspace, ref);
    if (found) return found;
    throw new NotFoundError(`no managed release "${ref}" made or received by workspace ${workspace}`);
  }

  /**
   * After a release reached the end of its track: a managed release under every plan of its
   * workspace that releases its set automatically (`autoRelease: true`).
   */
  async autoRelease(release: StoredRelease): Promise<void> {
    if (release.kind !== 'release' && release.kind !== 'hotfix') return;
    const snapshot = await this.options.catalog.getSnapshot(release.snapshotId);
    if (!snapshot) return;
    for (const plan of await this.options.store.plans(release.workspace)) {
      if (!plan.spec.autoRelease) continue;
      const subject = planSubject(plan);
      const releases = subject.kind === 'application set' ? subject.name === snapshot.set : snapshot.components.some((c) => c.app === subject.name);
      if (!releases) continue;
      try {
        await this.create(release.workspace, { plan: plan.name, snapshot: snapshot.id }, release.author, ACTOR);
      } catch (error) {
        this.logger.error(`release #${release.number}: the automatic release under plan ${plan.name} was refused: ${(error as Error).message}`);
      }
    }
  }

  private async advance(id: string): Promise<void> {
    const { store } = this.options;
    for (let round = 0; round < 10; round++) {
      if (this.stopping) return;
      const release = await store.get(id);
      if (!release || isEnded(release.state)) return;
      const snapshot = await this.options.catalog.getSnapshot(release.snapshotId);
      if (!snapshot) {
        await this.write((bound) => bound.move(id, release.state, 'Errored', ACTOR, `snapshot ${release.snapshotId} is missing from the store`));
        return;
      }
      if (release.state === 'Pending') {
        await this.write((bound) => bound.move(id, 'Pending', 'Verifying', ACTOR, `checking the policy of admission ${release.admission}`));
        continue;
      }
      if (release.state === 'Verifying') {
        const policy = await this.checkPolicy(release, snapshot);
        const failed = policy.filter((p) => !p.passed);
        if (failed.length) {
          const reason = `refused by the policy of admission ${release.admission}: ${failed.map((f) => `${f.rule}: ${f.message}`).join('; ')}`;
          // The verdict and its audit entry commit together.
          await this.write(async (bound, tx) => {
            if (await bound.move(id, 'Verifying', 'Failed', ACTOR, reason, { policy })) {
              await this.audit({ workspace: release.target, actor: ACTOR, kind: 'release.reject', subject: `managed release ${release.id} from ${release.origin}`, details: { rules: failed.map((f) => f.rule) } }, tx);
            }
          });
          return;
        }
        await this.write((bound) => bound.move(id, 'Verifying', 'Deploying', ACTOR, `policy holds; running the workflow of admission ${release.admission}`, { policy }));
        continue;
      }
      if (release.state === 'Deploying') {
        await this.runWorkflow(release, snapshot);
        continue;
      }
      return;
    }
  }

  private async checkPolicy(release: StoredManagedRelease, snapshot: StoredSnapshot): Promise<PolicyCheck[]> {
    const facts = await this.policyFacts(release, snapshot);
    const violations = policyViolations(release.admissionSpec.policy, facts);
    const checks: PolicyCheck[] = [];
    const { policy } = release.admissionSpec;
    const verdict = (rule: PolicyCheck['rule'], enabled: boolean, ok: string) => {
      if (!enabled) return;
      const broken = violations.find((v) => v.rule === rule);
      checks.push(broken ? { rule, passed: false, message: broken.message } : { rule, passed: true, message: ok });
    };
    verdict('requirePassedStages', policy.requirePassedStages, facts.passedStages.detail);
    verdict('allowedRegistries', policy.allowedRegistries.length > 0, `every image comes from ${policy.allowedRegistries.join(', ')}`);
    verdict('requiredLabels', policy.requiredLabels.length > 0, `carries ${policy.requiredLabels.join(', ')}`);
    return checks;
  }

  private async policyFacts(release: StoredManagedRelease, snapshot: StoredSnapshot): Promise<PolicyFacts> {
    const { db, catalog } = this.options;
    const ofSnapshot = (await this.options.releases.listReleases(release.origin, { set: snapshot.set, limit: 500 })).filter((r) => r.snapshotId === snapshot.id && (r.kind === 'release' || r.kind === 'hotfix'));
    const through = ofSnapshot.find((r) => r.state === 'Promoted');
    const latest = ofSnapshot[0];
    const passedStages = through
      ? { passed: true, detail: `release #${through.number} took ${snapshot.alias} through every stage of ${through.track}` }
      : { passed: false, detail: `no release of ${snapshot.alias} went through every stage of its track${latest ? ` (release #${latest.number} is ${latest.state})` : ' (it was never released)'}` };
    const images: PolicyFacts['images'] = [];
    let labels: Record<string, string> = {};
    for (const component of snapshot.components) {
      const app = await getApplication(db, release.origin, component.app);
      const manifest = app ? await getTemplateVersion(db, app.id, component.templateVersion ?? app.currentVersion) : undefined;
      for (const service of manifest?.spec.services ?? []) if (service.image) images.push({ app: component.app, service: service.name, image: service.image });
    }
    const plan = (await this.options.store.plans(release.origin)).find((p) => p.name === release.plan);
    if (plan?.spec.applicationSet) {
      const set = await catalog.getSet(release.origin, plan.spec.applicationSet);
      labels = { ...((set?.manifest as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels ?? {}) };
    } else if (plan?.spec.application) {
      const app = await getApplication(db, release.origin, plan.spec.application);
      const component = snapshot.components.find((c) => c.app === plan.spec.application);
      const manifest = app ? await getTemplateVersion(db, app.id, component?.templateVersion ?? app.currentVersion) : undefined;
      labels = { ...(manifest?.metadata.labels ?? {}) };
    }
    return { passedStages, images, labels };
  }

  /** Runs the admission's steps in order (again, for one a stopped server left running); the first failure ends it. */
  private async runWorkflow(release: StoredManagedRelease, snapshot: StoredSnapshot): Promise<void> {
    const steps: ManagedStep[] = release.steps.map((s) => ({ ...s }));
    const specs = release.admissionSpec.workflow.steps;
    for (let i = 0; i < specs.length; i++) {
      if (this.stopping) return;
      const step = steps[i]!;
      if (step.state === 'succeeded' || step.state === 'skipped') continue;
      if (step.state === 'failed' || step.state === 'errored') break;
      step.state = 'running';
      step.startedAt = new Date().toISOString();
      delete step.reason;
      await this.write((bound) => bound.updateSteps(release.id, steps));
      const result = await this.runOne(release, snapshot, specs[i]!);
      if (this.stopping) return;
      Object.assign(step, { state: result.outcome, finishedAt: new Date().toISOString(), ...(result.reason ? { reason: result.reason } : {}), ...(result.logTail ? { logTail: result.logTail } : {}) });
      if (result.outcome !== 'succeeded') for (const later of steps.slice(i + 1)) later.state = 'skipped';
      await this.write((bound) => bound.updateSteps(release.id, steps));
      if (result.outcome !== 'succeeded') break;
    }
    const failed = steps.find((s) => s.state === 'failed' || s.state === 'errored');
    if (failed) {
      await this.write((bound) => bound.move(release.id, 'Deploying', failed.state === 'failed' ? 'Failed' : 'Errored', ACTOR, `step ${failed.name} ${failed.state}${failed.reason ? `: ${failed.reason}` : ''}`));
      return;
    }
    await this.write(async (bound, tx) => {
      if (await bound.move(release.id, 'Deploying', 'Promoted', ACTOR, `the workflow of admission ${release.admission} succeeded: ${steps.map((s) => s.name).join(', ')}`)) {
        await this.audit({ workspace: release.target, actor: ACTOR, kind: 'release.promote', subject: `managed release ${release.id} from ${release.origin}`, details: { snapshot: snapshot.alias, admission: release.admission } }, tx);
      }
    });
  }

  private async runOne(release: StoredManagedRelease, snapshot: StoredSnapshot, spec: ReleasePlanAdmissionManifest['spec']['workflow']['steps'][number]): Promise<{ outcome: 'succeeded' | 'failed' | 'errored'; reason?: string; logTail?: string }> {
    const env: Record<string, string> = {
      SLIPWAY_RELEASE_ID: release.id,
      SLIPWAY_RELEASE_AUTHOR: release.author,
      SLIPWAY_ORIGIN_WORKSPACE: release.origin,
      SLIPWAY_TARGET_WORKSPACE: release.target,
      SLIPWAY_RELEASE_DATA: JSON.stringify(release.data),
      SLIPWAY_SNAPSHOT: JSON.stringify({ id: snapshot.id, alias: snapshot.alias, set: snapshot.set, components: snapshot.components }),
    };
    const allowed = new Set(release.admissionSpec.secrets);
    for (const [name, value] of Object.entries(spec.env ?? {}) as [string, EnvValue][]) {
      if (typeof value !== 'object') {
        env[name] = String(value);
        continue;
      }
      if (!allowed.has(value.secret)) return { outcome: 'failed', reason: `${name} names secret ${value.secret}, which is not among the secrets admission ${release.admission} may read (spec.secrets: ${[...allowed].join(', ') || 'none'})` };
      const clear = await this.options.revealSecret(release.target, value.secret);
      if (clear === undefined) return { outcome: 'failed', reason: `secret ${value.secret} is not set in workspace ${release.target}` };
      if (!value.key) env[name] = clear;
      else {
        let field: unknown;
        try {
          field = (JSON.parse(clear) as Record<string, unknown>)[value.key];
        } catch {
          field = undefined;
        }
        if (typeof field !== 'string') return { outcome: 'failed', reason: `secret ${value.secret} has no key ${value.key} (it must be a JSON object with that key)` };
        env[name] = field;
      }
    }
    const cwd = join(this.options.workDir, release.id, spec.name);
    const timeoutMs = durationToMs(spec.timeout);
    let result: StepResult;
    if (spec.image) {
      const containers = this.options.containers ?? { unavailable: 'no container engine was looked for' };
      if (!('run' in containers)) {
        return {
          outcome: 'failed',
          reason: `step ${spec.name} names the image ${spec.image}: such a step runs in a container of the docker runtime, and this server has none (${containers.unavailable}); start the server where a Docker or Podman engine answers, or drop image to run the command as a process`,
        };
      }
      mkdirSync(cwd, { recursive: true });
      result = await containers.run({
        name: `slipway-managed-${release.id}-${spec.name}`,
        image: spec.image,
        command: spec.command,
        env,
        workDir: cwd,
        timeoutMs,
        labels: { 'dev.slipway.managed-release': release.id, 'dev.slipway.workspace': release.target, 'dev.slipway.step': spec.name },
        what: `step ${spec.name}`,
      });
    } else result = await runStep({ command: spec.command, env, cwd, timeoutMs });
    // No form of a secret value reaches the stored log or reason.
    const masker = createSecretMasker(Object.entries(env).filter(([name]) => spec.env?.[name] && typeof spec.env[name] === 'object').map(([, value]) => value));
    const logTail = masker.mask(result.logTail);
    return { outcome: result.outcome, ...(result.reason ? { reason: masker.mask(result.reason) } : {}), ...(logTail ? { logTail } : {}) };
  }
}

