// The `local` runtime: environments run as supervised process groups on this machine, from a git
// worktree of the environment's commit. State lives under `stateDir`:
//   repos/<hash>.git              bare mirrors of repositories
//   checkouts/<env key>/<sha>/    worktrees, one per environment and commit
//   builds/<env key>/<sha>/       markers of install and build steps that succeeded
//   envs/<env key>.json           services, instances, processes (pid + start time), ports, spec hashes
//   jobs/<env key>/<run id>.json  job runs: running (pid) or done (result)
//   logs/<env key>/…              instance, build and job logs, rotated
// Processes carry SLIPWAY_OWNER=<driver tag>:<env key> in their environment — the local runtime's
// label — so sweep finds them through /proc even when the driver died before recording them.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command, EnvMap, ResolvedService } from '@slipway/contract';
import {
  createSecretMasker,
  DEFAULT_BACKOFF,
  environmentKey,
  maskDeep,
  hashText,
  ownerLabels,
  parseEnvironmentKey,
  missingServiceSecrets,
  resolveVariables,
  specHash,
  type ApplyRequest,
  type ApplyResult,
  type BackoffSettings,
  type DestroyRequest,
  type DriverFactoryOptions,
  type EnvironmentRef,
  type ExecResult,
  type InstanceRef,
  type InstanceStatus,
  type JobResult,
  type JobRunRequest,
  type LinkRequest,
  type LinkResult,
  type PeerAddress,
  type LogOptions,
  type OwnedResource,
  type PauseResult,
  type PreparedSource,
  type PrepareSourceRequest,
  type ResumeRequest,
  type DriverProblem,
  type DriverResult,
  type RuntimeDriver,
  type SecretMasker,
  type SecretValues,
  type ServiceReport,
  type SweepReport,
} from '@slipway/core';
import { InstanceChangeListeners } from '../shared/instance-change-listeners.ts';
import { InstanceSupervisor, type InstanceHost, type SupervisorSettings } from './instance-supervisor.ts';
import { DEFAULT_ROTATION, logTail, readLog, type RotationSettings } from './log-files.ts';
import type { EnvironmentRecord, InstanceRecord, LocalJobRecord, ProcessRecord, ServiceRecord, Endpoint } from './state-files.ts';
import { applyPlan, applyStaticService, withInstances } from '../shared/apply-plan.ts';
import { buildServiceSource, staticRootIn, type BuildSettings } from '../shared/build-steps.ts';
import { problem } from '../shared/driver-problem.ts';
import { folderIn } from '../shared/git-source.ts';
import { asRecorded, endedRunResult, JobRecords } from '../shared/job-records.ts';
import { JobRunsInFlight } from '../shared/job-runs-in-flight.ts';
import { KeyedQueue } from '../shared/keyed-queue.ts';
import { followFileLines } from '../shared/output-lines.ts';
import { allocatePort, pinnedPortProblem, portFreedSoon } from '../shared/ports.ts';
import { appendLine, argv, commandArgv, commandText, exitOrTimeout, isSameProcess, processesWithVariable, signalGroup, spawnGroup, stopGroup } from '../shared/process-group.ts';
import { waitUntilReady } from '../shared/readiness-wait.ts';
import { checkOutCommit, checkoutPath, isCheckedOut, notCheckedOut } from '../shared/source-checkout.ts';
import { listJson, ownedStateFiles, pruneStaleCheckouts, readJson, remove, removeEnvironmentState, sweepOrphans, writeJson } from '../shared/state-folder.ts';

export interface LocalDriverOptions extends DriverFactoryOptions {
  /** Restart backoff; 1 s doubling to 30 s by default. */
  backoff?: BackoffSettings;
  /** Time between SIGTERM and SIGKILL when stopping a process group; 10 s by default. */
  graceMs?: number;
  /** A process that ran this long resets its backoff; 10 s by default. */
  stableMs?: number;
  rotation?: RotationSettings;
  /** Longest install or build step; 30 minutes by default. */
  buildTimeoutMs?: number;
  /** Variables every process starts with (before the rendered ones); PATH, HOME, locale and TMPDIR of the server by default. */
  baseEnv?: Record<string, string>;
}

export const OWNER_VARIABLE = 'SLIPWAY_OWNER';

interface EnvRuntime {
  key: string;
  record: EnvironmentRecord;
  supervisors: Map<string, InstanceSupervisor>;
  /** Latest secrets given by apply: memory only. */
  secrets: SecretValues;
  /** Masks every form of those secrets in what the environment's processes print. */
  masker: SecretMasker;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function defaultBaseEnv(): Record<string, string> {
  const base: Record<string, string> = {};
  for (const name of ['HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', 'USER']) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  // The node running Slipway is on PATH first, so `node …` commands find it.
  base.PATH = [dirname(process.execPath), process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(':');
  return base;
}

export class LocalDriver implements RuntimeDriver {
  readonly name = 'local';
  readonly stateDir: string;
  private readonly settings: SupervisorSettings;
  private readonly buildTimeoutMs: number;
  private readonly baseEnv: Record<string, string>;
  /** Distinguishes this state folder's processes from another driver's on the same machine. */
  private readonly ownerTag: string;
  private readonly envs = new Map<string, EnvRuntime>();
  /** What each environment's record file holds, as JSON, when this driver wrote it. */
  private readonly persisted = new Map<string, string>();
  private loaded: Promise<void> | undefined;
  /** One change at a time per environment (and per repository mirror and checkout). */
  private readonly locks = new KeyedQueue();
  private readonly jobRuns = new JobRunsInFlight();
  private readonly jobRecords: JobRecords<ProcessRecord>;
  private readonly reservedPorts = new Set<number>();
  /** Readiness waits sleeping until an instance's state changes (or their poll interval passes). */
  private readonly stateWaiters = new Set<() => void>();
  private readonly instanceChanges = new InstanceChangeListeners();
  private closed = false;

  constructor(options: LocalDriverOptions) {
    this.stateDir = resolve(options.stateDir);
    this.settings = {
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      graceMs: options.graceMs ?? 10_000,
      stableMs: options.stableMs ?? 10_000,
      rotation: options.rotation ?? DEFAULT_ROTATION,
    };
    this.buildTimeoutMs = options.buildTimeoutMs ?? 30 * 60_000;
    this.baseEnv = options.baseEnv ?? defaultBaseEnv();
    this.ownerTag = hashText(this.stateDir);
    this.jobRecords = new JobRecords(this.stateDir);
  }

  // ---------------------------------------------------------------------------------------------
  // Paths and state

  private dir(...parts: string[]): string {
    return join(this.stateDir, ...parts);
  }

  private checkoutPath(env: EnvironmentRef, sha: string): string {
    return checkoutPath(this.stateDir, env, sha);
  }

  private logPath(key: string, service: string, replica: number, container?: string): string {
    return this.dir('logs', key, `${service}-${replica}${container ? `.${container}` : ''}.log`);
  }

  /** Loads records once and adopts (or restarts) what they describe. */
  private load(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the local driver is closed'));
    this.loaded ??= (async () => {
      for (const file of listJson(this.dir('envs'))) {
        const record = readJson<EnvironmentRecord>(file);
        if (!record) continue;
        const rt: EnvRuntime = { key: environmentKey(record.env), record, supervisors: new Map(), secrets: {}, masker: createSecretMasker(undefined) };
        this.envs.set(rt.key, rt);
        if (record.paused) continue;
        for (const service of Object.values(record.services)) {
          if (!service.spec.run) continue;
          for (const instance of service.instances) this.supervise(rt, service, instance);
        }
      }
    })();
    return this.loaded;
  }

  private persist(rt: EnvRuntime): void {
    if (this.closed) return;
    // A record the file holds already is not written again: an apply persists after each step of
    // its work, often with nothing changed, and every write is a rename that makes the file system
    // flush.
    const text = JSON.stringify(rt.record);
    if (this.persisted.get(rt.key) === text) return;
    writeJson(this.dir('envs', `${rt.key}.json`), rt.record);
    this.persisted.set(rt.key, text);
  }

  private runtimeOf(env: EnvironmentRef): EnvRuntime {
    const key = environmentKey(env);
    let rt = this.envs.get(key);
    if (!rt) {
      rt = { key, record: { env: { ...env }, services: {} }, supervisors: new Map(), secrets: {}, masker: createSecretMasker(undefined) };
      this.envs.set(key, rt);
    }
    return rt;
  }

  private host(rt: EnvRuntime): InstanceHost {
    return {
      settings: this.settings,
      workdir: (service) => folderIn(this.checkoutPath(rt.record.env, service.commit), service.spec.run?.workdir) ?? this.checkoutPath(rt.record.env, service.commit),
      environment: (service, instance, extra) => this.processEnvironment(rt, service, instance, extra),
      logPath: (service, replica, container) => this.logPath(rt.key, service, replica, container),
      maskForms: () => rt.masker.forms,
      persist: () => this.persist(rt),
      stateChanged: () => {
        for (const wake of [...this.stateWaiters]) wake();
        this.instanceChanges.tell(rt.record.env);
      },
    };
  }

  private processEnvironment(
    rt: EnvRuntime,
    service: ServiceRecord,
    instance: InstanceRecord,
    extra: { env?: EnvMap; endpoints?: Endpoint[] } = {},
  ): { values: Record<string, string>; missingSecrets: string[] } {
    const extraEnv = Object.fromEntries(Object.entries(extra.env ?? {}).map(([k, v]) => [k, typeof v === 'object' ? v : String(v)]));
    const { values, missingSecrets } = resolveVariables({ ...service.spec.env, ...extraEnv }, rt.secrets);
    const endpoints = extra.endpoints ?? instance.endpoints;
    const ports: Record<string, string> = {};
    if (endpoints[0]) ports.PORT = String(endpoints[0].hostPort);
    for (const e of endpoints) ports[`PORT_${e.port}`] = String(e.hostPort);
    return {
      values: {
        ...this.baseEnv,
        ...values,
        ...ports,
        ...this.labelVariables(rt),
        SLIPWAY_SERVICE: service.spec.name,
        SLIPWAY_INSTANCE: `${service.spec.name}-${instance.replica}`,
      },
      missingSecrets,
    };
  }

  private labelVariables(rt: EnvRuntime): Record<string, string> {
    return {
      [OWNER_VARIABLE]: `${this.ownerTag}:${rt.key}`,
      SLIPWAY_WORKSPACE: rt.record.env.workspace,
      SLIPWAY_APP: rt.record.env.app,
      SLIPWAY_ENV_ID: rt.record.env.envId,
    };
  }

  private supervise(rt: EnvRuntime, service: ServiceRecord, instance: InstanceRecord): InstanceSupervisor {
    const supervisor = new InstanceSupervisor(this.host(rt), service, instance);
    rt.supervisors.set(`${service.spec.name}/${instance.replica}`, supervisor);
    supervisor.start(true);
    return supervisor;
  }

  private takenPorts(): Set<number> {
    const taken = new Set(this.reservedPorts);
    for (const rt of this.envs.values()) {
      for (const service of Object.values(rt.record.services)) {
        for (const instance of service.instances) {
          for (const e of instance.endpoints) taken.add(e.hostPort);
          for (const list of Object.values(instance.sidecarEndpoints)) for (const e of list) taken.add(e.hostPort);
        }
      }
    }
    return taken;
  }

  private async newEndpoints(ports: { port: number }[], pinned?: number): Promise<Endpoint[]> {
    const endpoints: Endpoint[] = [];
    for (const [index, p] of ports.entries()) {
      const hostPort = index === 0 && pinned !== undefined ? pinned : await allocatePort(this.takenPorts());
      this.reservedPorts.add(hostPort);
      endpoints.push({ port: p.port, hostPort });
    }
    return endpoints;
  }

  // ---------------------------------------------------------------------------------------------
  // Source

  async prepareSource(request: PrepareSourceRequest): Promise<DriverResult<PreparedSource>> {
    await this.load();
    const checkedOut = await checkOutCommit(this.stateDir, this.locks, request);
    if ('reason' in checkedOut) return checkedOut;
    const staticRoots: Record<string, string> = {};
    for (const service of request.services) {
      const built = await buildServiceSource(this.builds, request, checkedOut, service);
      if ('reason' in built) return built;
      if (built.staticRoot) staticRoots[service.name] = built.staticRoot;
    }
    return { outcome: 'succeeded', commit: checkedOut.sha, staticRoots };
  }

  /** Grace of a stop that cuts a build step, a job or a teardown short. */
  private get stopGraceMs(): number {
    return Math.min(this.settings.graceMs, 5_000);
  }

  private get builds(): BuildSettings {
    return {
      stateDir: this.stateDir,
      environment: (env, service, values) => ({ ...this.baseEnv, ...values, ...this.labelVariables(this.runtimeOf(env)), SLIPWAY_SERVICE: service.name }),
      spawnArgs: commandArgv,
      timeoutMs: this.buildTimeoutMs,
      stopGraceMs: this.stopGraceMs,
      logTail: (path) => logTail(path),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Services

  async apply(request: ApplyRequest): Promise<ApplyResult> {
    await this.load();
    const key = environmentKey(request.env);
    const outcome = await this.locks.run(key, () => this.applyLocked(request));
    if (outcome.outcome !== 'succeeded' || request.waitFor !== 'ready') return outcome;
    const rt = this.runtimeOf(request.env);
    const pending = outcome.services.filter((r) => r.action !== 'removed' && rt.record.services[r.service]?.spec.run).map((r) => r.service);
    const waited = await waitUntilReady(pending, request.timeoutMs ?? 120_000, {
      replicas: (name) => rt.record.services[name]?.spec.replicas,
      statuses: (name) => this.statusOf(rt, name),
      pause: () => this.stateChangeOr(100),
    });
    if (waited) return waited;
    return { outcome: 'succeeded', services: await withInstances(outcome.services, (name) => this.statusOf(rt, name)) };
  }

  private async applyLocked(request: ApplyRequest): Promise<ApplyResult> {
    const rt = this.runtimeOf(request.env);
    rt.secrets = { ...request.secrets };
    rt.masker = createSecretMasker(rt.secrets);
    // An apply converges: the services it keeps run again, so the environment is no longer paused.
    delete rt.record.paused;
    if (!isCheckedOut(this.stateDir, request.env, request.commit)) return problem('errored', notCheckedOut(request.commit));
    const checkout = this.checkoutPath(request.env, request.commit);
    const applied = await applyPlan(request, {
      applyService: async (spec) => {
        const report = await this.applyService(rt, spec, request, checkout);
        if ('reason' in report) this.persist(rt);
        return report;
      },
      removeService: (name) => this.removeService(rt, name),
      services: () => Object.entries(rt.record.services).map(([name, record]) => [name, record.specHash]),
    });
    if (applied.outcome !== 'succeeded') return applied;
    this.persist(rt);
    await this.pruneCheckouts(rt, request.commit);
    return { outcome: 'succeeded', services: await withInstances(applied.services, (name) => this.statusOf(rt, name)) };
  }

  private async applyService(rt: EnvRuntime, spec: ResolvedService, request: ApplyRequest, checkout: string): Promise<ServiceReport | DriverProblem> {
    const existing = rt.record.services[spec.name];
    if (spec.static) {
      const root = staticRootIn(checkout, spec);
      if (!root) return problem('failed', `services.${spec.name}: the static output folder "${spec.static.output}" was not built: run prepareSource first`);
      return applyStaticService(spec, request.commit, root, existing?.specHash, async (hash) => {
        if (existing) await this.removeService(rt, spec.name);
        rt.record.services[spec.name] = { spec, commit: request.commit, specHash: hash, staticRoot: root, instances: [] };
      });
    }
    if (!spec.run) {
      return problem('failed', `services.${spec.name} has no run section: the local runtime starts processes from the checkout (image and build need the docker runtime)`);
    }
    const workdir = folderIn(checkout, spec.run.workdir);
    if (!workdir || !existsSync(workdir)) return problem('failed', `services.${spec.name}: the workdir "${spec.run.workdir}" is not a folder of the repository`);
    const withoutCommand = spec.sidecars.find((s) => !s.command);
    if (withoutCommand) return problem('failed', `services.${spec.name}.sidecars.${withoutCommand.name} has no command: the local runtime runs sidecars as processes`);
    const missing = missingServiceSecrets(spec, rt.secrets);
    if (missing.length > 0) return problem('errored', `services.${spec.name}: secrets not provided: ${missing.join(', ')}`);

    const hash = specHash({ spec: { ...spec, replicas: 0 }, commit: request.commit, revision: request.revision ?? '' });
    const pinned = request.hostPorts?.[spec.name];
    const portProblem = await pinnedPortProblem(spec, pinned, existing?.instances[0]?.endpoints[0]?.hostPort, this.takenPorts());
    if (portProblem) return portProblem;
    if (existing && existing.specHash === hash && (pinned === undefined || existing.instances[0]?.endpoints[0]?.hostPort === pinned)) {
      existing.spec = spec;
      const changed = await this.scale(rt, existing, spec.replicas);
      return { service: spec.name, action: changed ? 'updated' : 'unchanged', specHash: hash, instances: [] };
    }
    // A replaced service keeps its first host port when it can: whoever was given the address
    // (an App Import's importer, through <SERVICE>_PORT) still reaches it after a patch.
    const previous = existing?.instances[0]?.endpoints[0]?.hostPort;
    if (existing) await this.removeService(rt, spec.name);
    const kept = pinned === undefined && previous !== undefined && spec.ports.length > 0 && !this.takenPorts().has(previous) && (await portFreedSoon(previous)) ? previous : undefined;
    const record: ServiceRecord = { spec, commit: request.commit, specHash: hash, instances: [] };
    rt.record.services[spec.name] = record;
    await this.scale(rt, record, spec.replicas, pinned ?? kept);
    return { service: spec.name, action: existing ? 'replaced' : 'created', specHash: hash, instances: [] };
  }

  /** Removes checkouts of commits no service of the environment runs from any more (a patch replaced them). */
  private pruneCheckouts(rt: EnvRuntime, current: string): Promise<void> {
    return pruneStaleCheckouts(this.stateDir, rt.key, new Set([current, ...Object.values(rt.record.services).map((s) => s.commit)]));
  }

  /** Brings the number of replicas to `replicas`; restarts supervision of replicas that stopped for want of secrets. */
  private async scale(rt: EnvRuntime, service: ServiceRecord, replicas: number, pinned?: number): Promise<boolean> {
    let changed = false;
    while (service.instances.length > replicas) {
      const instance = service.instances.pop()!;
      await this.stopInstance(rt, service, instance);
      changed = true;
    }
    for (let replica = 0; replica < replicas; replica++) {
      let instance = service.instances[replica];
      if (!instance) {
        const sidecarEndpoints: Record<string, Endpoint[]> = {};
        for (const sidecar of service.spec.sidecars) sidecarEndpoints[sidecar.name] = await this.newEndpoints(sidecar.ports ?? []);
        instance = { replica, endpoints: await this.newEndpoints(service.spec.ports, replica === 0 ? pinned : undefined), sidecarEndpoints, sidecars: {}, restarts: 0 };
        service.instances.push(instance);
        changed = true;
      }
      const supervisor = rt.supervisors.get(`${service.spec.name}/${replica}`);
      if (!supervisor || supervisor.status(rt.record).state === 'stopped') {
        supervisor?.detach();
        this.supervise(rt, service, instance);
      }
    }
    this.persist(rt);
    for (const instance of service.instances) {
      for (const e of [...instance.endpoints, ...Object.values(instance.sidecarEndpoints).flat()]) this.reservedPorts.delete(e.hostPort);
    }
    return changed;
  }

  private async stopInstance(rt: EnvRuntime, service: ServiceRecord, instance: InstanceRecord): Promise<void> {
    const key = `${service.spec.name}/${instance.replica}`;
    const supervisor = rt.supervisors.get(key);
    rt.supervisors.delete(key);
    if (supervisor) await supervisor.stop();
    const leftovers = [instance.main, ...Object.values(instance.sidecars)].filter((p) => p !== undefined);
    await Promise.all(leftovers.map((p) => stopGroup(p, this.settings.graceMs)));
  }

  private async removeService(rt: EnvRuntime, name: string): Promise<void> {
    const service = rt.record.services[name];
    if (!service) return;
    await Promise.all(service.instances.map((instance) => this.stopInstance(rt, service, instance)));
    delete rt.record.services[name];
    this.persist(rt);
  }

  onInstanceChange(listener: (env: EnvironmentRef) => void): () => void {
    return this.instanceChanges.listen(listener);
  }

  /** Resolves when an instance's state changes, or after `ms` at the latest. */
  private stateChangeOr(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.stateWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.stateWaiters.add(wake);
    });
  }

  private statusOf(rt: EnvRuntime, serviceName: string): InstanceStatus[] {
    const service = rt.record.services[serviceName];
    if (!service) return [];
    return service.instances.map((instance) => {
      const supervisor = rt.supervisors.get(`${serviceName}/${instance.replica}`);
      if (supervisor) {
        const status = supervisor.status(rt.record);
        return status.logTail ? { ...status, logTail: rt.masker.mask(status.logTail) } : status;
      }
      return {
        env: rt.record.env,
        service: serviceName,
        replica: instance.replica,
        name: `${serviceName}-${instance.replica}`,
        state: 'stopped' as const,
        specHash: service.specHash,
        endpoints: instance.endpoints.map((e) => ({ port: e.port, host: '127.0.0.1', hostPort: e.hostPort })),
        restarts: instance.restarts,
        ...(instance.lastExit ? { lastExit: instance.lastExit } : {}),
      };
    });
  }

  async instances(env: EnvironmentRef, service?: string): Promise<InstanceStatus[]> {
    await this.load();
    const rt = this.envs.get(environmentKey(env));
    if (!rt) return [];
    return Object.keys(rt.record.services)
      .filter((name) => service === undefined || name === service)
      .flatMap((name) => this.statusOf(rt, name));
  }

  async pause(env: EnvironmentRef): Promise<PauseResult> {
    await this.load();
    const key = environmentKey(env);
    return this.locks.run(key, async () => {
      const rt = this.envs.get(key);
      if (!rt) return problem('failed', `environment ${env.envId} has nothing running on the local runtime to pause`);
      rt.record.paused = true;
      this.persist(rt);
      for (const service of Object.values(rt.record.services)) {
        await Promise.all(service.instances.map((instance) => this.stopInstance(rt, service, instance)));
      }
      this.persist(rt);
      return { outcome: 'succeeded', instances: Object.keys(rt.record.services).flatMap((name) => this.statusOf(rt, name)) };
    });
  }

  async resume(request: ResumeRequest): Promise<PauseResult> {
    await this.load();
    const key = environmentKey(request.env);
    const rt = this.envs.get(key);
    if (!rt) return problem('failed', `environment ${request.env.envId} has nothing on the local runtime to resume`);
    await this.locks.run(key, () => {
      rt.secrets = { ...request.secrets };
      rt.masker = createSecretMasker(rt.secrets);
      delete rt.record.paused;
      for (const service of Object.values(rt.record.services)) {
        if (!service.spec.run) continue;
        for (const instance of service.instances) {
          const supervisor = rt.supervisors.get(`${service.spec.name}/${instance.replica}`);
          if (supervisor && supervisor.status(rt.record).state !== 'stopped') continue;
          supervisor?.detach();
          this.supervise(rt, service, instance);
        }
      }
      this.persist(rt);
      return Promise.resolve();
    });
    const pending = Object.values(rt.record.services).filter((s) => s.spec.run).map((s) => s.spec.name);
    const waited = await waitUntilReady(pending, request.timeoutMs ?? 120_000, {
      replicas: (name) => rt.record.services[name]?.spec.replicas,
      statuses: (name) => this.statusOf(rt, name),
      pause: () => this.stateChangeOr(100),
    });
    if (waited) return waited;
    return { outcome: 'succeeded', instances: Object.keys(rt.record.services).flatMap((name) => this.statusOf(rt, name)) };
  }

  /**
   * App Imports: processes share the host's loopback, so a peer's service is reached at
   * 127.0.0.1 on the host port of its first replica's first port. Nothing is kept: the link needs
   * no state here, and destroy has nothing of it to undo.
   */
  async link(request: LinkRequest): Promise<LinkResult> {
    await this.load();
    const addresses: PeerAddress[] = [];
    for (const peer of request.peers) {
      for (const service of peer.services) {
        const [first] = (await this.instances(peer.env, service)).filter((i) => i.replica === 0);
        const endpoint = first?.endpoints[0];
        if (endpoint) addresses.push({ env: peer.env, service, host: '127.0.0.1', port: endpoint.hostPort });
      }
    }
    return { outcome: 'succeeded', addresses };
  }

  private instanceOf(ref: InstanceRef): { rt: EnvRuntime; service: ServiceRecord; instance: InstanceRecord } {
    const rt = this.envs.get(environmentKey(ref.env));
    const service = rt?.record.services[ref.service];
    const instance = service?.instances.find((i) => i.replica === ref.replica);
    if (!rt || !service || !instance) throw new Error(`no instance ${ref.service}-${ref.replica} in environment ${ref.env.envId}`);
    if (ref.container && !service.spec.sidecars.some((s) => s.name === ref.container)) {
      throw new Error(`instance ${ref.service}-${ref.replica} has no sidecar ${ref.container}`);
    }
    return { rt, service, instance };
  }

  async *logs(ref: InstanceRef, options: LogOptions = {}): AsyncGenerator<string> {
    await this.load();
    const { rt } = this.instanceOf(ref);
    // The file is masked as it is written; this pass catches lines written before the secrets were known.
    for await (const line of readLog(this.logPath(rt.key, ref.service, ref.replica, ref.container), options)) yield rt.masker.mask(line);
  }

  async exec(ref: InstanceRef, command: Command, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    await this.load();
    const { rt, service, instance } = this.instanceOf(ref);
    const sidecar = ref.container ? service.spec.sidecars.find((s) => s.name === ref.container) : undefined;
    const { values } = this.processEnvironment(rt, service, instance, sidecar ? { ...(sidecar.env ? { env: sidecar.env } : {}), endpoints: instance.sidecarEndpoints[sidecar.name] ?? [] } : {});
    const cwd = this.host(rt).workdir(service);
    const [file, ...args] = argv(command);
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise<ExecResult>((resolvePromise) => {
      const child = spawn(file!, args, { cwd, env: values, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      let timedOut = false;
      const collect = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.length > 1024 * 1024) output = output.slice(output.length - 1024 * 1024);
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid) signalGroup(child.pid, 'SIGKILL');
      }, timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        resolvePromise({ exitCode: 127, output: rt.masker.mask(`${output}${error.message}\n`), timedOut });
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        if (child.pid) signalGroup(child.pid, 'SIGKILL');
        resolvePromise({ exitCode: code, output: rt.masker.mask(output), timedOut });
      });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Jobs

  async runJob(request: JobRunRequest): Promise<JobResult> {
    await this.load();
    return this.jobRuns.run(request, () => this.runJobOnce(request));
  }

  private async runJobOnce(request: JobRunRequest): Promise<JobResult> {
    const exitFile = this.dir('jobs', environmentKey(request.env), `${request.runId}.exit`);
    const logPath = this.jobRecords.logPath(request.env, request.runId);
    const record = this.jobRecords.read(request.env, request.runId);
    if (record?.result) return asRecorded(record.result);
    const job = request.job;
    const masker = createSecretMasker(request.secrets);
    let exit: { code: number | null; timedOut: boolean; lost?: boolean };
    let startedAt: string;
    if (record?.status === 'running' && record.process) {
      // Started by an earlier driver: wait for it rather than run the job a second time.
      startedAt = record.process.startedAt;
      exit = await this.waitAdoptedJob(record, exitFile);
      const finished = this.jobRecords.finished(request.env, request.runId);
      if (finished) return finished;
    } else {
      const checkout = this.checkoutPath(request.env, request.commit);
      if (!isCheckedOut(this.stateDir, request.env, request.commit)) return { outcome: 'errored', reason: notCheckedOut(request.commit) };
      if (job.fromService && !request.service?.run) {
        return { outcome: 'errored', reason: `jobs.${job.name} runs from service ${job.fromService}, which was not given with a run section` };
      }
      if (!job.fromService) {
        return { outcome: 'errored', reason: `jobs.${job.name} runs the image ${job.image ?? '(none)'}: the local runtime runs jobs fromService in the service's checkout` };
      }
      const cwd = folderIn(checkout, request.service?.run?.workdir);
      if (!cwd || !existsSync(cwd)) return { outcome: 'errored', reason: `jobs.${job.name}: the workdir of service ${job.fromService} is not a folder of the repository` };
      const { values, missingSecrets } = resolveVariables(job.env, request.secrets);
      if (missingSecrets.length > 0) return { outcome: 'errored', reason: `jobs.${job.name}: secrets not provided: ${missingSecrets.join(', ')}` };
      const rt = this.runtimeOf(request.env);
      const env = { ...this.baseEnv, ...values, ...this.labelVariables(rt), SLIPWAY_JOB: job.name, SLIPWAY_JOB_RUN: request.runId };
      remove(exitFile);
      appendLine(logPath, `[slipway] jobs.${job.name} run ${request.runId}: ${commandText(job.command)}`);
      // The shell records the exit code in a file, so a driver that restarts while the job runs still learns it.
      // Plain words run straight from that shell (it exports PWD itself), without a second shell. The
      // code is written by the shell's own echo, no rename: a reader that finds the file empty or
      // missing looks again once the shell has exited, and by then the write is complete.
      const command = commandArgv(job.command, cwd, env).argv;
      const wrapper = ['/bin/sh', '-c', '"$@"; c=$?; echo "$c" > "$0"; exit "$c"', exitFile, ...command];
      const onOutput = request.onOutput;
      const output = onOutput ? followFileLines(logPath, (line) => onOutput(masker.mask(line)), { offset: statSync(logPath).size }) : undefined;
      const running = spawnGroup(wrapper, { cwd, env, logPath, mask: masker.forms });
      startedAt = new Date().toISOString();
      const deadline = Date.now() + job.timeoutMs;
      this.jobRecords.write({ env: request.env, runId: request.runId, job: job.name, status: 'running', process: { pid: running.pid, startTime: running.startTime, startedAt }, deadline });
      const result = await exitOrTimeout(running, deadline - Date.now(), this.stopGraceMs).finally(() => output?.stop());
      exit = result === 'timeout' ? { code: null, timedOut: true } : { code: result.code, timedOut: false };
    }
    const finishedAt = new Date().toISOString();
    const tail = masker.mask(logTail(logPath));
    let result: JobResult;
    if (exit.lost) {
      result = { outcome: 'errored', reason: `jobs.${job.name} run ${request.runId}: its process ended without recording an exit code (the machine may have restarted); start a new run`, logTail: tail };
    } else {
      result = endedRunResult(job, exit, { logTail: tail, startedAt, finishedAt });
    }
    // The exit file stays until the environment is destroyed: a late reader still learns the code.
    result = maskDeep(result, masker);
    this.jobRecords.write({ env: request.env, runId: request.runId, job: job.name, status: 'done', result });
    return result;
  }

  private async waitAdoptedJob(record: LocalJobRecord, exitFile: string): Promise<{ code: number | null; timedOut: boolean; lost?: boolean }> {
    const process = record.process!;
    const readExit = () => {
      const text = readJson<number>(exitFile);
      return typeof text === 'number' ? text : undefined;
    };
    for (;;) {
      const code = readExit();
      if (code !== undefined) return { code, timedOut: false };
      if (!isSameProcess(process)) {
        const late = readExit();
        return late !== undefined ? { code: late, timedOut: false } : { code: null, timedOut: false, lost: true };
      }
      if (record.deadline !== undefined && Date.now() > record.deadline) {
        await stopGroup(process, this.stopGraceMs);
        return { code: null, timedOut: true };
      }
      await sleep(200);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Ownership and teardown

  async destroy(request: DestroyRequest): Promise<void> {
    await this.load();
    const key = environmentKey(request.env);
    await this.locks.run(key, async () => {
      const rt = this.envs.get(key);
      const names = request.services ?? Object.keys(rt?.record.services ?? {});
      if (rt) for (const name of names) await this.removeService(rt, name);
      if (request.services) return;
      // Running jobs of the environment, then anything still carrying its label.
      for (const file of listJson(this.dir('jobs', key))) {
        const job = readJson<LocalJobRecord>(file);
        if (job?.status === 'running' && job.process) await stopGroup(job.process, this.stopGraceMs);
      }
      await this.killLabelled(key);
      this.envs.delete(key);
      remove(this.dir('envs', `${key}.json`));
      this.persisted.delete(key);
      await removeEnvironmentState(this.stateDir, key);
    });
  }

  private labelled(): { pid: number; pgid: number; key: string }[] {
    return processesWithVariable(OWNER_VARIABLE, `${this.ownerTag}:`).map((p) => ({ pid: p.pid, pgid: p.pgid, key: p.value.slice(this.ownerTag.length + 1) }));
  }

  private async killLabelled(key: string): Promise<void> {
    const groups = new Set(this.labelled().filter((p) => p.key === key).map((p) => p.pgid));
    if (groups.size === 0) return;
    for (const pgid of groups) signalGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + this.stopGraceMs;
    while (Date.now() < deadline && this.labelled().some((p) => p.key === key)) await sleep(50);
    for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
    for (const p of this.labelled().filter((l) => l.key === key)) signalGroup(p.pgid, 'SIGKILL');
  }

  async listOwned(): Promise<OwnedResource[]> {
    await this.load();
    const owned: OwnedResource[] = [];
    const seen = new Set<number>();
    for (const rt of this.envs.values()) {
      for (const [name, service] of Object.entries(rt.record.services)) {
        for (const instance of service.instances) {
          for (const process of [instance.main, ...Object.values(instance.sidecars)]) {
            if (!process || !isSameProcess(process)) continue;
            seen.add(process.pid);
            owned.push({ env: rt.record.env, kind: 'process', id: String(process.pid), service: name, labels: ownerLabels(rt.record.env, name, service.specHash) });
          }
        }
      }
    }
    for (const p of this.labelled()) {
      const env = parseEnvironmentKey(p.key);
      if (!env || seen.has(p.pid)) continue;
      owned.push({ env, kind: 'process', id: String(p.pid), labels: ownerLabels(env) });
    }
    return [...owned, ...ownedStateFiles(this.stateDir)];
  }

  async sweep(live: EnvironmentRef[]): Promise<SweepReport> {
    const owned = await this.listOwned();
    return sweepOrphans(this.stateDir, live, owned, this.envs.keys(), (env) => this.destroy({ env }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.loaded?.catch(() => undefined);
    this.closed = true;
    for (const rt of this.envs.values()) for (const supervisor of rt.supervisors.values()) supervisor.detach();
    this.envs.clear();
  }
}

export function createLocalDriver(options: LocalDriverOptions): LocalDriver {
  return new LocalDriver(options);
}
