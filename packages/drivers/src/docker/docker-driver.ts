// The `docker` runtime: environments run as containers through the Docker Engine API (Docker, or
// Podman's Docker-compatible service), one user-defined network per environment, images built from
// the environment's commit. The engine is the record of what runs: every container, network and
// volume carries ownership labels (see names.ts), so a driver started after close() or a crash
// adopts running containers and sweeps orphans from labels alone. Under `stateDir`:
//   repos/<hash>.git               bare mirrors of repositories
//   checkouts/<env key>/<sha>/     worktrees: build contexts, `repo` volumes, static sites
//   builds/<env key>/<sha>/        markers of static sites' install and build steps that succeeded
//   jobs/<env key>/<run id>.json   results of finished job runs (never secrets)
//   logs/<env key>/…               build output, job output, a replica's previous container output
//   links/<env key>.json           App Imports: the network an importer shares with its imports, who is on it, their names
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import type { Command, EnvMap, ResolvedService, VolumeSpec } from '@slipway/contract';
import {
  DEFAULT_BACKOFF,
  environmentKey,
  hashText,
  createSecretMasker,
  labelKeys,
  maskDeep,
  ownerFromLabels,
  ownerLabels,
  missingServiceSecrets,
  renderedVariables,
  resolveVariables,
  sameEnvironment,
  specHash,
  type ApplyRequest,
  type ApplyResult,
  type BackoffSettings,
  type DestroyRequest,
  type DriverFactoryOptions,
  type DriverProblem,
  type DriverResult,
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
  type RuntimeDriver,
  type SecretValues,
  type ServiceReport,
  type SweepReport,
} from '@slipway/core';
import { connectDockerEngine, DockerEngineNotFoundError } from './engine.ts';
import { buildHash, buildTag, ensureBuilt, ensurePresent, tagImage, type ImageResult } from './images.ts';
import { InstanceChangeListeners } from '../shared/instance-change-listeners.ts';
import { DockerInstanceSupervisor, execIn, isMissingContainer, stopAndRemove, type CreateOptions, type Endpoint, type FoundContainers, type InstanceHost, type SupervisorSettings } from './instance-supervisor.ts';
import { containerLogText, followLines, lastLines, splitLines } from './log-lines.ts';
import { containerName, dockerLabels, envLabels, formatPorts, hasLabels, instanceLabels, jobContainerName, linkAliases, linkNetworkName, networkName, parsePorts, volumeName } from './names.ts';
import { applyPlan, applyStaticService, withInstances } from '../shared/apply-plan.ts';
import { buildServiceSource, staticRootIn, type BuildSettings } from '../shared/build-steps.ts';
import { problem } from '../shared/driver-problem.ts';
import { folderIn } from '../shared/git-source.ts';
import { endedRunResult, JobRecords } from '../shared/job-records.ts';
import { JobRunsInFlight } from '../shared/job-runs-in-flight.ts';
import { KeyedQueue } from '../shared/keyed-queue.ts';
import { lineSplitter, secretMasker } from '../shared/output-lines.ts';
import { allocatePort, pinnedPortProblem } from '../shared/ports.ts';
import { commandText, containerArgv } from '../shared/process-group.ts';
import { waitUntilReady } from '../shared/readiness-wait.ts';
import { checkOutCommit, checkoutPath, isCheckedOut, notCheckedOut } from '../shared/source-checkout.ts';
import { STARTUP_PROBE_MS } from '../shared/supervision.ts';
import { listJson, ownedStateFiles, pruneStaleCheckouts, readJson, remove, removeEnvironmentState, sweepOrphans, writeJson } from '../shared/state-folder.ts';

export interface DockerDriverOptions extends DriverFactoryOptions {
  /** A client of the engine to use; found with detectDockerEngine (DOCKER_HOST, then the usual sockets) when absent. */
  docker?: Dockerode;
  /** Engine address when no client is given: unix:///path or tcp://host:port. */
  host?: string;
  /** Restart backoff; 1 s doubling to 30 s by default. */
  backoff?: BackoffSettings;
  /** Time between SIGTERM and SIGKILL when stopping a container; 10 s by default. */
  graceMs?: number;
  /** A container that ran this long resets its backoff; 10 s by default. */
  stableMs?: number;
  /** Longest image build; 30 minutes by default. */
  buildTimeoutMs?: number;
  /** Tells this driver's resources from another's on the same engine; a hash of stateDir by default. */
  ownerTag?: string;
  /** Host folders bind-mounted into every container (tests share a folder with their containers this way). */
  extraMounts?: { source: string; target: string; readOnly?: boolean }[];
}

interface ServiceRuntime {
  spec: ResolvedService;
  specHash: string;
  commit: string;
  image: string;
  staticRoot?: string;
  supervisors: Map<number, DockerInstanceSupervisor>;
}

interface EnvRuntime {
  key: string;
  env: EnvironmentRef;
  services: Map<string, ServiceRuntime>;
  /** Latest secrets given by apply: memory only. */
  secrets: SecretValues;
}

/** An importing environment's link network, and the names each member's services answer to on it. */
interface LinkRecord {
  owner: EnvironmentRef;
  network: string;
  members: { env: EnvironmentRef; aliases: Record<string, string[]> }[];
}

const sleep = (ms: number) => new Promise<void>((resolvePromise) => setTimeout(resolvePromise, ms));

/** What an instance says when a host port it publishes is taken: the service cannot start until that changes. */
function portInUse(statuses: InstanceStatus[]): string | undefined {
  return statuses.find((s) => s.message?.includes('is already in use'))?.message;
}

/** CPU quantity (2, "0.5", "500m") as a number of CPUs. */
export function cpus(value: number | string): number {
  if (typeof value === 'number') return value;
  return value.endsWith('m') ? Number(value.slice(0, -1)) / 1000 : Number(value);
}

/** Memory quantity ("128Mi", "1G", "512") in bytes. */
export function bytes(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T|k)?$/.exec(value);
  if (!match) return 0;
  const unit = match[2] ?? '';
  const factor: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
  return Math.round(Number(match[1]) * (factor[unit] ?? 1));
}

export class DockerDriver implements RuntimeDriver {
  readonly name = 'docker';
  readonly stateDir: string;
  readonly tag: string;
  private readonly options: DockerDriverOptions;
  private readonly settings: SupervisorSettings;
  private readonly buildTimeoutMs: number;
  private docker: Dockerode | undefined;
  private readonly envs = new Map<string, EnvRuntime>();
  private loaded: Promise<void> | undefined;
  /** One change at a time per environment (and per repository mirror, checkout, image and link). */
  private readonly locks = new KeyedQueue();
  private readonly jobRuns = new JobRunsInFlight();
  private readonly jobRecords: JobRecords;
  private readonly reservedPorts = new Set<number>();
  private readonly instanceChanges = new InstanceChangeListeners();
  private closed = false;
  /** App Imports' link networks by the importing environment's key; kept under links/. */
  private readonly links = new Map<string, LinkRecord>();

  constructor(options: DockerDriverOptions) {
    this.options = options;
    this.stateDir = resolve(options.stateDir);
    this.tag = options.ownerTag ?? hashText(this.stateDir).slice(0, 10);
    this.settings = { backoff: options.backoff ?? DEFAULT_BACKOFF, graceMs: options.graceMs ?? 10_000, stableMs: options.stableMs ?? 10_000 };
    this.buildTimeoutMs = options.buildTimeoutMs ?? 30 * 60_000;
    this.docker = options.docker;
    this.jobRecords = new JobRecords(this.stateDir);
  }

  // ---------------------------------------------------------------------------------------------
  // Engine, state and adoption

  private dir(...parts: string[]): string {
    return join(this.stateDir, ...parts);
  }

  private checkoutPath(env: EnvironmentRef, sha: string): string {
    return checkoutPath(this.stateDir, env, sha);
  }

  /** The engine-side filter: this driver's label only (see hasLabels for why). */
  private ownedFilter(): { label: string[] } {
    return { label: [`${dockerLabels.driver}=${this.tag}`] };
  }

  private envLabelPairs(env: EnvironmentRef, extra: string[] = []): string[] {
    return [`${dockerLabels.driver}=${this.tag}`, `${labelKeys.workspace}=${env.workspace}`, `${labelKeys.app}=${env.app}`, `${labelKeys.env}=${env.envId}`, ...extra];
  }

  private async containersOf(env: EnvironmentRef, extra: string[] = []): Promise<Dockerode.ContainerInfo[]> {
    const pairs = this.envLabelPairs(env, extra);
    return (await this.engine.listContainers({ all: true, filters: this.ownedFilter() })).filter((c) => hasLabels(c.Labels, pairs));
  }

  /** Connects to the engine and adopts what this driver's labels mark, once. */
  private load(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the docker driver is closed'));
    this.loaded ??= (async () => {
      if (!this.docker) this.docker = (await connectDockerEngine(this.options.host ? { host: this.options.host } : {})).docker;
      for (const file of listJson(this.dir('links'))) {
        const record = readJson<LinkRecord>(file);
        if (record) this.links.set(environmentKey(record.owner), record);
      }
      await this.adopt();
    })();
    this.loaded.catch(() => (this.loaded = undefined));
    return this.loaded;
  }

  private get engine(): Dockerode {
    if (!this.docker) throw new Error('the docker driver is not connected to an engine');
    return this.docker;
  }

  /** The marker of a paused environment: its stopped containers are not started again at adoption. */
  private pausedMarker(key: string): string {
    return this.dir('paused', `${key}.json`);
  }

  /** Supervises the containers found on the engine (only the environment `only`'s, when given). */
  private async adopt(only?: EnvironmentRef): Promise<void> {
    const mine = [`${dockerLabels.driver}=${this.tag}`, ...(only ? this.envLabelPairs(only) : [])];
    const containers = (await this.engine.listContainers({ all: true, filters: this.ownedFilter() })).filter((c) => hasLabels(c.Labels, mine));
    const groups = new Map<string, { env: EnvironmentRef; service: string; replica: number; found: FoundContainers; info: Dockerode.ContainerInfo }>();
    for (const c of containers) {
      const role = c.Labels[dockerLabels.role];
      const env = ownerFromLabels(c.Labels);
      const service = c.Labels[labelKeys.service];
      if (!env || !service || role === 'job' || !role) continue;
      const replica = Number(c.Labels[dockerLabels.replica] ?? 0);
      const key = `${environmentKey(env)}/${service}/${replica}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { env, service, replica, found: { sidecars: [], inits: [] }, info: c }));
      if (role === 'main') {
        // Two main containers mean a driver died during a restart: keep the newest.
        const other = group.found.main;
        if (!other || other.Created < c.Created) group.found.main = c;
        group.info = group.found.main!;
      } else if (role === 'sidecar') group.found.sidecars.push(c);
      else if (role === 'init') group.found.inits.push(c);
    }
    for (const group of groups.values()) {
      let spec: ResolvedService;
      try {
        spec = JSON.parse(group.info.Labels[dockerLabels.spec] ?? '') as ResolvedService;
      } catch {
        continue;
      }
      const rt = this.runtimeOf(group.env);
      let service = rt.services.get(group.service);
      if (!service) {
        service = { spec, specHash: group.info.Labels[labelKeys.specHash] ?? '', commit: group.info.Labels[dockerLabels.commit] ?? '', image: group.info.Image, supervisors: new Map() };
        rt.services.set(group.service, service);
      }
      const endpoints = parsePorts(group.info.Labels[dockerLabels.ports]);
      this.supervise(rt, service, group.replica, endpoints, group.found, !existsSync(this.pausedMarker(rt.key)));
    }
  }

  private runtimeOf(env: EnvironmentRef): EnvRuntime {
    const key = environmentKey(env);
    let rt = this.envs.get(key);
    if (!rt) {
      rt = { key, env: { workspace: env.workspace, app: env.app, envId: env.envId }, services: new Map(), secrets: {} };
      this.envs.set(key, rt);
    }
    return rt;
  }

  private async engineProblem<T>(what: string, run: () => Promise<T>): Promise<T | DriverProblem> {
    try {
      await this.load();
    } catch (error) {
      if (error instanceof DockerEngineNotFoundError) return problem('errored', error.message);
      return problem('errored', `${what}: the container engine failed: ${(error as Error).message}`);
    }
    try {
      return await run();
    } catch (error) {
      if (this.closed) return problem('errored', `${what}: the docker driver was closed`);
      return problem('errored', `${what}: the container engine failed: ${(error as Error).message}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Containers of a service

  private supervise(rt: EnvRuntime, service: ServiceRuntime, replica: number, endpoints: Endpoint[], found: FoundContainers, start = true): DockerInstanceSupervisor {
    const host: InstanceHost = {
      docker: this.engine,
      tag: this.tag,
      settings: this.settings,
      createOptions: (role, name, labels, inheritEnv) => this.createOptions(rt, service, replica, endpoints, role, name, labels, inheritEnv),
      previousLogPath: () => this.dir('logs', rt.key, `${service.spec.name}-${replica}.previous.log`),
      joinLinks: (id) => this.joinLinks(rt.env, service.spec.name, id),
      stateChanged: () => this.instanceChanges.tell(rt.env),
    };
    const supervisor = new DockerInstanceSupervisor(host, rt.env, service.spec, service.specHash, replica, endpoints, found);
    service.supervisors.set(replica, supervisor);
    if (start) supervisor.start();
    else supervisor.holdStopped();
    return supervisor;
  }

  private mounts(rt: EnvRuntime, service: ServiceRuntime): Dockerode.MountSettings[] {
    const mounts: Dockerode.MountSettings[] = service.spec.volumes.map((volume) => this.mountOf(rt, service.commit, volume));
    for (const extra of this.options.extraMounts ?? []) mounts.push({ Type: 'bind', Source: extra.source, Target: extra.target, ReadOnly: extra.readOnly ?? false });
    return mounts;
  }

  private mountOf(rt: EnvRuntime, commit: string, volume: VolumeSpec): Dockerode.MountSettings {
    if (volume.type === 'ephemeral') return { Type: 'tmpfs', Source: '', Target: volume.mountPath, ReadOnly: volume.readOnly };
    if (volume.type === 'repo') {
      const source = folderIn(this.checkoutPath(rt.env, commit), volume.source) ?? this.checkoutPath(rt.env, commit);
      return { Type: 'bind', Source: source, Target: volume.mountPath, ReadOnly: volume.readOnly };
    }
    return { Type: 'volume', Source: volumeName(this.tag, rt.env, volume.name), Target: volume.mountPath, ReadOnly: volume.readOnly };
  }

  private resources(spec: { resources?: ResolvedService['resources'] }): Dockerode.HostConfig {
    const r = spec.resources;
    const host: Dockerode.HostConfig = {};
    if (r?.limits?.cpu !== undefined) host.NanoCpus = Math.round(cpus(r.limits.cpu) * 1e9);
    if (r?.limits?.memory) host.Memory = bytes(r.limits.memory);
    if (r?.requests?.cpu !== undefined) host.CpuShares = Math.max(2, Math.round(cpus(r.requests.cpu) * 1024));
    if (r?.requests?.memory) host.MemoryReservation = bytes(r.requests.memory);
    return host;
  }

  private variables(rt: EnvRuntime, spec: ResolvedService, replica: number, extra: EnvMap | undefined, ports: { port: number }[]): { values: Record<string, string>; missingSecrets: string[] } {
    const { values, missingSecrets } = resolveVariables({ ...spec.env, ...renderedVariables(extra) }, rt.secrets);
    const portVars: Record<string, string> = {};
    if (ports[0]) portVars.PORT = String(ports[0].port);
    for (const p of ports) portVars[`PORT_${p.port}`] = String(p.port);
    return {
      values: {
        ...values,
        ...portVars,
        SLIPWAY_SERVICE: spec.name,
        SLIPWAY_INSTANCE: `${spec.name}-${replica}`,
        SLIPWAY_WORKSPACE: rt.env.workspace,
        SLIPWAY_APP: rt.env.app,
        SLIPWAY_ENV_ID: rt.env.envId,
      },
      missingSecrets,
    };
  }

  private createOptions(
    rt: EnvRuntime,
    service: ServiceRuntime,
    replica: number,
    endpoints: Endpoint[],
    role: 'main' | 'sidecar' | 'init',
    name: string | undefined,
    extraLabels: Record<string, string>,
    inheritEnv?: string[],
  ): CreateOptions | { missingSecrets: string[] } {
    const spec = service.spec;
    const network = networkName(this.tag, rt.env);
    const labels = instanceLabels(this.tag, rt.env, spec, service.specHash, replica, role, {
      ...extraLabels,
      [dockerLabels.ports]: formatPorts(endpoints),
      [dockerLabels.commit]: service.commit,
    });
    const base = { Init: true, RestartPolicy: { Name: 'no' }, Mounts: this.mounts(rt, service) } satisfies Dockerode.HostConfig;
    if (role === 'main') {
      const vars = this.variables(rt, spec, replica, undefined, spec.ports);
      let env: string[];
      if (vars.missingSecrets.length === 0) env = Object.entries(vars.values).map(([k, v]) => `${k}=${v}`);
      else if (inheritEnv) env = inheritEnv;
      else return { missingSecrets: vars.missingSecrets };
      const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
      const exposed: Record<string, object> = {};
      for (const e of endpoints) {
        const protocol = spec.ports.find((p) => p.port === e.port)?.protocol === 'udp' ? 'udp' : 'tcp';
        bindings[`${e.port}/${protocol}`] = [{ HostIp: '127.0.0.1', HostPort: String(e.hostPort) }];
        exposed[`${e.port}/${protocol}`] = {};
      }
      return {
        name: containerName(this.tag, rt.env, spec.name, replica, 'main'),
        Image: service.image,
        ...(spec.command ? { Entrypoint: containerArgv(spec.command) } : {}),
        ...(spec.args ? { Cmd: spec.args } : {}),
        Env: env,
        Labels: labels,
        ExposedPorts: exposed,
        HostConfig: { ...base, ...this.resources(spec), NetworkMode: network, PortBindings: bindings },
        NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [spec.name, `${spec.name}-${replica}`] } } },
      };
    }
    if (role === 'sidecar') {
      const sidecar = spec.sidecars.find((s) => s.name === name)!;
      const vars = this.variables(rt, spec, replica, sidecar.env, sidecar.ports ?? spec.ports);
      if (vars.missingSecrets.length > 0) return { missingSecrets: vars.missingSecrets };
      return {
        name: containerName(this.tag, rt.env, spec.name, replica, 'sidecar', sidecar.name),
        Image: sidecar.image ?? service.image,
        ...(sidecar.command ? { Entrypoint: containerArgv(sidecar.command) } : {}),
        ...(sidecar.args ? { Cmd: sidecar.args } : {}),
        Env: Object.entries(vars.values).map(([k, v]) => `${k}=${v}`),
        Labels: labels,
        HostConfig: { ...base },
      };
    }
    const step = spec.initContainers.find((s) => s.name === name)!;
    const vars = this.variables(rt, spec, replica, step.env, spec.ports);
    if (vars.missingSecrets.length > 0) return { missingSecrets: vars.missingSecrets };
    return {
      name: containerName(this.tag, rt.env, spec.name, replica, 'init', step.name),
      Image: step.image ?? service.image,
      Entrypoint: containerArgv(step.command),
      Env: Object.entries(vars.values).map(([k, v]) => `${k}=${v}`),
      Labels: labels,
      HostConfig: { ...base, ...this.resources(spec), NetworkMode: network },
    };
  }

  private async ensureNetwork(env: EnvironmentRef, name = networkName(this.tag, env), labels = envLabels(this.tag, env)): Promise<string> {
    try {
      await this.engine.getNetwork(name).inspect();
    } catch {
      try {
        await this.engine.createNetwork({ Name: name, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
      } catch (error) {
        // Made meanwhile by a concurrent call: fine.
        if ((error as { statusCode?: number }).statusCode !== 409) throw error;
      }
    }
    return name;
  }

  private async ensureVolumes(env: EnvironmentRef, volumes: VolumeSpec[]): Promise<void> {
    for (const volume of volumes) {
      if (volume.type !== 'persistent') continue;
      const name = volumeName(this.tag, env, volume.name);
      try {
        await this.engine.getVolume(name).inspect();
      } catch {
        await this.engine.createVolume({ Name: name, Labels: { ...envLabels(this.tag, env), [dockerLabels.volume]: volume.name } });
      }
    }
  }

  /** The image of a service (or of a job from a service): built for build, present for image. */
  private async serviceImage(env: EnvironmentRef, spec: ResolvedService, commit: string, onOutput?: (line: string) => void): Promise<ImageResult> {
    const what = `services.${spec.name}`;
    if (spec.build) {
      const checkout = this.checkoutPath(env, commit);
      const hashed = await buildHash(checkout, spec.build);
      if ('error' in hashed) return { ok: false, outcome: 'failed', reason: `${what}: at ${commit.slice(0, 7)}, ${hashed.error}` };
      // Containers run the image by its commit and build tag: `image` beside `build` only names the
      // result as well (as in Compose), since that one name moves with every build of any environment.
      const built = await ensureBuilt(this.engine, {
        tag: buildTag(env.app, spec.name, commit, hashed.hash),
        hash: hashed.hash,
        contextDir: hashed.contextDir,
        build: spec.build,
        logPath: this.dir('logs', environmentKey(env), 'builds', `${commit.slice(0, 12)}-${spec.name}.log`),
        labels: { [labelKeys.app]: env.app, [labelKeys.service]: spec.name },
        timeoutMs: this.buildTimeoutMs,
        what: `${what} build`,
        ...(onOutput ? { onOutput } : {}),
      });
      if (built.ok && spec.image) await tagImage(this.engine, built.id, spec.image).catch(() => undefined);
      return built;
    }
    if (spec.image) return ensurePresent(this.engine, spec.image, what);
    return { ok: false, outcome: 'failed', reason: `${what} has no image or build: the docker runtime runs containers (a run section is for the local runtime)` };
  }

  // ---------------------------------------------------------------------------------------------
  // Source

  async prepareSource(request: PrepareSourceRequest): Promise<DriverResult<PreparedSource>> {
    const result = await this.engineProblem(`preparing ${request.commit}`, async (): Promise<DriverResult<PreparedSource>> => {
      const checkedOut = await checkOutCommit(this.stateDir, this.locks, request);
      if ('reason' in checkedOut) return checkedOut;
      const { sha } = checkedOut;
      const staticRoots: Record<string, string> = {};
      const images: Record<string, string> = {};
      const mask = secretMasker(request.secrets);
      for (const service of request.services) {
        if (service.static) {
          const built = await buildServiceSource(this.builds, request, checkedOut, service);
          if ('reason' in built) return built;
          if (built.staticRoot) staticRoots[service.name] = built.staticRoot;
          continue;
        }
        if (!service.build && !service.image) continue;
        const onOutput = request.onOutput;
        const output = onOutput ? (line: string) => onOutput(mask(line), service.name) : undefined;
        const image = await this.locks.run(`image:${service.name}:${sha}`, () => this.serviceImage(request.env, service, sha, output));
        if (!image.ok) return problem(image.outcome, image.reason, image.logTail);
        if (service.build) images[service.name] = image.id;
        for (const other of [...service.initContainers, ...service.sidecars]) {
          if (!other.image) continue;
          const present = await ensurePresent(this.engine, other.image, `services.${service.name}.${other.name}`);
          if (!present.ok) return problem(present.outcome, present.reason, present.logTail);
        }
      }
      return { outcome: 'succeeded', commit: sha, staticRoots, ...(Object.keys(images).length ? { images } : {}) };
    });
    return result;
  }

  /**
   * A static site is served by the router from a folder of the host, so its install and build
   * commands run on the host in the checkout, as the local runtime runs them (once per checkout).
   */
  private get builds(): BuildSettings {
    return {
      stateDir: this.stateDir,
      environment: (_env, service, values) => ({ PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: process.env.HOME ?? '/', ...values, SLIPWAY_SERVICE: service.name }),
      timeoutMs: this.buildTimeoutMs,
      stopGraceMs: 5_000,
      logTail: (path) => lastLines(readFileSync(path, 'utf8'), 20),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Services

  async apply(request: ApplyRequest): Promise<ApplyResult> {
    const key = environmentKey(request.env);
    const outcome = await this.engineProblem(`applying ${request.env.envId}`, () => this.locks.run(key, () => this.applyLocked(request)));
    if (outcome.outcome !== 'succeeded') return outcome;
    const rt = this.runtimeOf(request.env);
    // Started means every instance's containers were made (or its first attempt failed).
    for (const report of outcome.services) {
      for (const supervisor of rt.services.get(report.service)?.supervisors.values() ?? []) await supervisor.settled;
    }
    if (request.waitFor === 'ready') {
      const pending = outcome.services.filter((r) => r.action !== 'removed' && !rt.services.get(r.service)?.spec.static).map((r) => r.service);
      const waited = await waitUntilReady(pending, request.timeoutMs ?? 120_000, {
        replicas: (name) => rt.services.get(name)?.spec.replicas,
        statuses: (name) => this.statusOf(rt, name),
        blocked: portInUse,
        // As often as a starting instance is probed: a service task ends as soon as it is ready.
        pause: () => sleep(STARTUP_PROBE_MS),
      });
      if (waited) return waited;
    } else {
      for (const report of outcome.services) {
        const blocked = portInUse(await this.statusOf(rt, report.service));
        if (blocked) return problem('failed', `services.${report.service}: ${blocked}`);
      }
    }
    return { outcome: 'succeeded', services: await withInstances(outcome.services, (name) => this.statusOf(rt, name)) };
  }

  private async applyLocked(request: ApplyRequest): Promise<ApplyResult> {
    const rt = this.runtimeOf(request.env);
    rt.secrets = { ...request.secrets };
    // An apply converges: a paused environment's services it keeps are started again.
    if (existsSync(this.pausedMarker(rt.key))) {
      remove(this.pausedMarker(rt.key));
      await this.startStopped(rt.env);
      await this.adopt(rt.env);
    }
    if (!isCheckedOut(this.stateDir, request.env, request.commit)) return problem('errored', notCheckedOut(request.commit));
    const applied = await applyPlan(request, {
      prepare: async () => void (await this.ensureNetwork(request.env)),
      applyService: (spec) => this.applyService(rt, spec, request),
      removeService: (name) => this.removeService(rt, name),
      services: () => [...rt.services].map(([name, service]) => [name, service.specHash]),
    });
    if (applied.outcome === 'succeeded') await this.pruneCheckouts(rt, request.commit);
    return applied;
  }

  private async applyService(rt: EnvRuntime, spec: ResolvedService, request: ApplyRequest): Promise<ServiceReport | DriverProblem> {
    const existing = rt.services.get(spec.name);
    if (spec.static) {
      const root = staticRootIn(this.checkoutPath(rt.env, request.commit), spec);
      if (!root) return problem('failed', `services.${spec.name}: the static output folder "${spec.static.output}" is not in the checkout`);
      return applyStaticService(spec, request.commit, root, existing?.specHash, async (hash) => {
        if (existing) await this.removeService(rt, spec.name);
        rt.services.set(spec.name, { spec, specHash: hash, commit: request.commit, image: '', staticRoot: root, supervisors: new Map() });
      });
    }
    const image = await this.locks.run(`image:${spec.name}:${request.commit}`, () => this.serviceImage(rt.env, spec, request.commit));
    if (!image.ok) return problem(image.outcome, image.reason, image.logTail);
    const missing = missingServiceSecrets(spec, rt.secrets);
    if (missing.length > 0) return problem('errored', `services.${spec.name}: secrets not provided: ${missing.join(', ')}`);
    const repoVolumes = spec.volumes.some((v) => v.type === 'repo');
    // The commit's own variables are left out: a patch that leaves a service's image (its build
    // context) and spec alone leaves its containers running, with the values they started with.
    const { SLIPWAY_COMMIT_SHA: _sha, SLIPWAY_COMMIT_SHORT: _short, ...env } = spec.env;
    const hash = specHash({ spec: { ...spec, env, replicas: 0 }, image: image.id, revision: request.revision ?? '', ...(repoVolumes ? { commit: request.commit } : {}) });
    const pinned = request.hostPorts?.[spec.name];
    const currentPort = existing?.supervisors.get(0)?.endpoints[0]?.hostPort;
    const portProblem = await pinnedPortProblem(spec, pinned, currentPort, this.reservedPorts);
    if (portProblem) return portProblem;
    await this.ensureVolumes(rt.env, spec.volumes);
    if (existing && existing.specHash === hash && (pinned === undefined || currentPort === pinned)) {
      existing.spec = spec;
      existing.commit = request.commit;
      const changed = await this.scale(rt, existing, spec.replicas);
      return { service: spec.name, action: changed ? 'updated' : 'unchanged', specHash: hash, instances: [] };
    }
    if (existing) await this.removeService(rt, spec.name);
    const service: ServiceRuntime = { spec, specHash: hash, commit: request.commit, image: image.image, supervisors: new Map() };
    rt.services.set(spec.name, service);
    await this.scale(rt, service, spec.replicas, pinned);
    return { service: spec.name, action: existing ? 'replaced' : 'created', specHash: hash, instances: [] };
  }

  private async takenPorts(): Promise<Set<number>> {
    const taken = new Set(this.reservedPorts);
    const containers = await this.engine.listContainers({ all: true, filters: this.ownedFilter() });
    for (const c of containers.filter((x) => x.Labels[dockerLabels.driver] === this.tag)) for (const e of parsePorts(c.Labels[dockerLabels.ports])) taken.add(e.hostPort);
    return taken;
  }

  /** Brings the number of replicas to `replicas`; restarts replicas that stopped for want of secrets. */
  private async scale(rt: EnvRuntime, service: ServiceRuntime, replicas: number, pinned?: number): Promise<boolean> {
    let changed = false;
    for (const [replica, supervisor] of [...service.supervisors]) {
      if (replica < replicas) continue;
      service.supervisors.delete(replica);
      await supervisor.stop();
      changed = true;
    }
    const fresh: number[] = [];
    for (let replica = 0; replica < replicas; replica++) {
      const supervisor = service.supervisors.get(replica);
      if (supervisor && (await supervisor.status()).state !== 'stopped') continue;
      let endpoints: Endpoint[];
      if (supervisor) {
        endpoints = supervisor.endpoints;
        supervisor.detach();
      } else {
        endpoints = [];
        const taken = await this.takenPorts();
        for (const [index, p] of service.spec.ports.entries()) {
          const hostPort = replica === 0 && index === 0 && pinned !== undefined ? pinned : await allocatePort(taken);
          taken.add(hostPort);
          this.reservedPorts.add(hostPort);
          fresh.push(hostPort);
          endpoints.push({ port: p.port, hostPort });
        }
        changed = true;
      }
      this.supervise(rt, service, replica, endpoints, { sidecars: [], inits: [] });
    }
    // Ports stay reserved until the containers that publish them exist (the labels then tell).
    void Promise.all([...service.supervisors.values()].map((s) => s.settled)).then(() => {
      for (const port of fresh) this.reservedPorts.delete(port);
    });
    return changed;
  }

  private async removeService(rt: EnvRuntime, name: string): Promise<void> {
    const service = rt.services.get(name);
    rt.services.delete(name);
    if (service) await Promise.all([...service.supervisors.values()].map((s) => s.stop()));
    // Whatever is left of the service on the engine (containers of a driver that died).
    const leftovers = await this.containersOf(rt.env, [`${labelKeys.service}=${name}`]);
    await Promise.all(leftovers.filter((c) => c.Labels[dockerLabels.role] !== 'job').map((c) => stopAndRemove(this.engine, c.Id, this.settings.graceMs)));
  }

  /** Removes checkouts of commits no service of the environment runs from any more (a patch replaced them). */
  private pruneCheckouts(rt: EnvRuntime, current: string): Promise<void> {
    return pruneStaleCheckouts(this.stateDir, rt.key, new Set([current, ...[...rt.services.values()].map((s) => s.commit)]));
  }

  private async statusOf(rt: EnvRuntime, serviceName: string): Promise<InstanceStatus[]> {
    const service = rt.services.get(serviceName);
    if (!service) return [];
    const replicas = [...service.supervisors.keys()].sort((a, b) => a - b);
    return Promise.all(replicas.map((r) => service.supervisors.get(r)!.status()));
  }

  onInstanceChange(listener: (env: EnvironmentRef) => void): () => void {
    return this.instanceChanges.listen(listener);
  }

  async instances(env: EnvironmentRef, service?: string): Promise<InstanceStatus[]> {
    await this.load();
    const rt = this.envs.get(environmentKey(env));
    if (!rt) return [];
    const names = [...rt.services.keys()].filter((name) => service === undefined || name === service);
    return (await Promise.all(names.map((name) => this.statusOf(rt, name)))).flat();
  }

  /** The container an instance reference names, when it exists. */
  private async containerOf(ref: InstanceRef): Promise<{ id: string | undefined; supervisor: DockerInstanceSupervisor; rt: EnvRuntime }> {
    const rt = this.envs.get(environmentKey(ref.env));
    const service = rt?.services.get(ref.service);
    const supervisor = service?.supervisors.get(ref.replica);
    if (!rt || !service || !supervisor) throw new Error(`no instance ${ref.service}-${ref.replica} in environment ${ref.env.envId}`);
    if (ref.container && !service.spec.sidecars.some((s) => s.name === ref.container)) throw new Error(`instance ${ref.service}-${ref.replica} has no sidecar ${ref.container}`);
    const name = ref.container ? containerName(this.tag, ref.env, ref.service, ref.replica, 'sidecar', ref.container) : containerName(this.tag, ref.env, ref.service, ref.replica, 'main');
    try {
      const info = await this.engine.getContainer(name).inspect();
      return { id: info.Id, supervisor, rt };
    } catch (error) {
      if (isMissingContainer(error)) return { id: undefined, supervisor, rt };
      throw error;
    }
  }

  async *logs(ref: InstanceRef, options: LogOptions = {}): AsyncGenerator<string> {
    await this.load();
    const { id, rt } = await this.containerOf(ref);
    if (!options.follow) {
      const current = id ? splitLines(await containerLogText(this.engine.getContainer(id), options.tail)) : [];
      let previous: string[] = [];
      if (!ref.container && (options.tail === undefined || current.length < options.tail)) {
        try {
          previous = splitLines(readFileSync(this.dir('logs', rt.key, `${ref.service}-${ref.replica}.previous.log`), 'utf8'));
        } catch {
          previous = [];
        }
        if (options.tail !== undefined) previous = previous.slice(Math.max(0, previous.length - (options.tail - current.length)));
      }
      yield* previous;
      yield* current;
      return;
    }
    // Following: the current container's lines, then those of each container that replaces it.
    let containerId = id;
    let tail = options.tail;
    while (!options.signal?.aborted) {
      if (containerId) {
        for await (const line of followLines(this.engine, this.engine.getContainer(containerId), tail, options.signal)) yield line;
        tail = undefined;
      }
      if (options.signal?.aborted || this.closed) return;
      const seen = containerId;
      for (;;) {
        if (options.signal?.aborted || this.closed) return;
        await sleep(200);
        const next = await this.containerOf(ref).catch(() => undefined);
        if (!next) return;
        if (next.id && next.id !== seen) {
          containerId = next.id;
          break;
        }
      }
    }
  }

  async exec(ref: InstanceRef, command: Command, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    await this.load();
    const { id } = await this.containerOf(ref);
    if (!id) throw new Error(`instance ${ref.service}-${ref.replica}${ref.container ? ` has no running sidecar ${ref.container}` : ' has no running container'}`);
    return execIn(this.engine, id, containerArgv(command), options.timeoutMs ?? 60_000);
  }

  // ---------------------------------------------------------------------------------------------
  // Jobs

  async runJob(request: JobRunRequest): Promise<JobResult> {
    return this.jobRuns.run(request, () =>
      this.engineProblem(`jobs.${request.job.name} run ${request.runId}`, () => this.runJobOnce(request)).then((r): JobResult =>
        'exitCode' in r ? r : { outcome: 'errored', reason: r.reason, ...(r.logTail ? { logTail: r.logTail } : {}) },
      ),
    );
  }

  private async runJobOnce(request: JobRunRequest): Promise<JobResult> {
    const finished = this.jobRecords.finished(request.env, request.runId);
    if (finished) return finished;
    const job = request.job;
    const name = jobContainerName(this.tag, request.env, request.runId);
    let container: Dockerode.Container | undefined;
    let deadline: number;
    let startedAt: string;
    const existing = await this.engine.getContainer(name).inspect().catch(() => undefined);
    if (existing) {
      // Started by an earlier driver: wait for it rather than run the job a second time.
      container = this.engine.getContainer(existing.Id);
      deadline = Number(existing.Config.Labels?.[dockerLabels.deadline]) || Date.now() + job.timeoutMs;
      startedAt = existing.State.StartedAt && !existing.State.StartedAt.startsWith('0001') ? new Date(existing.State.StartedAt).toISOString() : new Date().toISOString();
      if (!existing.State.Running && existing.State.Status === 'created') await container.start().catch(() => undefined);
    } else {
      if (!isCheckedOut(this.stateDir, request.env, request.commit)) return { outcome: 'errored', reason: notCheckedOut(request.commit) };
      if (job.fromService && !request.service) return { outcome: 'errored', reason: `jobs.${job.name} runs from service ${job.fromService}, which was not given` };
      const service = job.fromService ? request.service : undefined;
      let image: ImageResult;
      if (job.image) image = await ensurePresent(this.engine, job.image, `jobs.${job.name}`);
      else if (service) image = await this.locks.run(`image:${service.name}:${request.commit}`, () => this.serviceImage(request.env, service, request.commit));
      else return { outcome: 'errored', reason: `jobs.${job.name} has neither image nor fromService` };
      if (!image.ok) return image.outcome === 'failed' ? { outcome: 'errored', reason: image.reason, ...(image.logTail ? { logTail: image.logTail } : {}) } : { outcome: 'errored', reason: image.reason };
      const { values, missingSecrets } = resolveVariables({ ...(service?.env ?? {}), ...job.env }, request.secrets);
      if (missingSecrets.length > 0) return { outcome: 'errored', reason: `jobs.${job.name}: secrets not provided: ${missingSecrets.join(', ')}` };
      const network = await this.ensureNetwork(request.env);
      const rt = this.runtimeOf(request.env);
      if (service) await this.ensureVolumes(request.env, service.volumes);
      const mounts: Dockerode.MountSettings[] = (service?.volumes ?? []).map((v) => this.mountOf(rt, request.commit, v));
      for (const extra of this.options.extraMounts ?? []) mounts.push({ Type: 'bind', Source: extra.source, Target: extra.target, ReadOnly: extra.readOnly ?? false });
      deadline = Date.now() + job.timeoutMs;
      const env = { ...values, SLIPWAY_JOB: job.name, SLIPWAY_JOB_RUN: request.runId, SLIPWAY_WORKSPACE: request.env.workspace, SLIPWAY_APP: request.env.app, SLIPWAY_ENV_ID: request.env.envId };
      const options: CreateOptions = {
        name,
        Image: image.image,
        Entrypoint: containerArgv(job.command),
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        Labels: {
          ...ownerLabels(request.env, job.fromService),
          [dockerLabels.driver]: this.tag,
          [dockerLabels.role]: 'job',
          [dockerLabels.job]: job.name,
          [dockerLabels.runId]: request.runId,
          [dockerLabels.deadline]: String(deadline),
        },
        HostConfig: { Init: true, RestartPolicy: { Name: 'no' }, NetworkMode: network, Mounts: mounts, ...this.resources(job) },
      };
      try {
        container = await this.engine.createContainer(options);
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 409) return this.runJobOnce(request); // another driver made it first
        throw error;
      }
      await this.joinLinks(request.env, undefined, container.id);
      await container.start();
      startedAt = new Date().toISOString();
    }
    const timedOut = await this.waitJob(container, deadline);
    const info = await container.inspect().catch(() => undefined);
    // Masked before anything of it is written or handed on.
    const masker = createSecretMasker(request.secrets);
    const log = (await containerLogText(container)).split('\n').map(masker.mask).join('\n');
    const finishedAt = info?.State.FinishedAt && !info.State.FinishedAt.startsWith('0001') ? new Date(info.State.FinishedAt).toISOString() : new Date().toISOString();
    const logPath = this.jobRecords.logPath(request.env, request.runId);
    mkdirSync(join(logPath, '..'), { recursive: true });
    writeFileSync(logPath, `[slipway] jobs.${job.name} run ${request.runId}: ${commandText(job.command)}\n${log}`);
    if (request.onOutput) {
      // The engine's log of the container is read once it ended: its lines are handed on then.
      const onOutput = request.onOutput;
      const splitter = lineSplitter((line) => {
        try {
          onOutput(masker.mask(line));
        } catch {
          // the caller's problem, never the job's
        }
      });
      splitter.push(log);
      splitter.flush();
    }
    const code = timedOut ? null : (info?.State.ExitCode ?? null);
    const result = maskDeep(endedRunResult(job, { code, timedOut }, { logTail: lastLines(log), startedAt, finishedAt }), masker);
    this.jobRecords.write({ env: request.env, runId: request.runId, job: job.name, result });
    await container.remove({ force: true }).catch(() => undefined);
    return result;
  }

  /** Waits for a job container to end; stops it at the deadline. True when it timed out. */
  private async waitJob(container: Dockerode.Container, deadline: number): Promise<boolean> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now()));
    try {
      for (;;) {
        try {
          await container.wait({ condition: 'not-running', abortSignal: abort.signal } as object);
          return false;
        } catch (error) {
          if (abort.signal.aborted) break;
          if (isMissingContainer(error)) return false;
          const info = await container.inspect().catch(() => undefined);
          if (!info?.State.Running) return false;
          await sleep(200);
        }
      }
    } finally {
      clearTimeout(timer);
    }
    await container.stop({ t: Math.min(5, Math.ceil(this.settings.graceMs / 1000)) }).catch(() => undefined);
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // App Imports

  /**
   * One network, `<importer's network>.imports`, holds the main containers (and jobs) of the
   * importer and of every environment it imports, each answering to the names linkAliases gives.
   * Containers made later (restarts, patches, jobs) join as they are created (joinLinks).
   */
  async link(request: LinkRequest): Promise<LinkResult> {
    const key = environmentKey(request.env);
    return this.engineProblem(`linking ${request.env.envId} with its App Imports`, () =>
      this.locks.run(`link:${key}`, async (): Promise<LinkResult> => {
        const members = [{ env: request.env, services: request.services }, ...request.peers];
        const aliases = linkAliases(members);
        const network = await this.ensureNetwork(request.env, linkNetworkName(this.tag, request.env), { ...envLabels(this.tag, request.env), [dockerLabels.network]: 'imports' });
        const before = this.links.get(key);
        const record: LinkRecord = { owner: request.env, network, members: members.map((m, i) => ({ env: m.env, aliases: aliases[i]! })) };
        // Written first: a container created from now on reads it and joins by itself.
        this.links.set(key, record);
        writeJson(this.dir('links', `${key}.json`), record);
        for (const old of before?.members ?? []) {
          if (record.members.some((m) => sameEnvironment(m.env, old.env))) continue;
          for (const c of await this.containersOf(old.env)) await this.disconnect(network, c.Id);
        }
        for (const member of record.members) {
          for (const c of await this.containersOf(member.env)) {
            const role = c.Labels[dockerLabels.role];
            if (role === 'main' || role === 'job') await this.connect(network, c.Id, member.aliases[c.Labels[labelKeys.service] ?? ''] ?? []);
          }
        }
        const addresses: PeerAddress[] = [];
        for (const [index, peer] of request.peers.entries()) {
          for (const service of peer.services) {
            const port = this.envs.get(environmentKey(peer.env))?.services.get(service)?.spec.ports[0]?.port;
            const host = record.members[index + 1]!.aliases[service]?.[0];
            if (port !== undefined && host) addresses.push({ env: peer.env, service, host, port });
          }
        }
        return { outcome: 'succeeded', addresses };
      }),
    );
  }

  /** Joins a container of the environment (a service's, or a job's when `service` is absent) to every link network it is a member of. */
  private async joinLinks(env: EnvironmentRef, service: string | undefined, containerId: string): Promise<void> {
    for (const record of this.links.values()) {
      const member = record.members.find((m) => sameEnvironment(m.env, env));
      if (!member) continue;
      // A service added since the link was made gets the names linkAliases would give it.
      const shared = (name: string) => record.members.some((m) => m !== member && name in m.aliases);
      const aliases = service ? (member.aliases[service] ?? (shared(service) ? [`${service}.${env.app}`] : [service, `${service}.${env.app}`])) : [];
      await this.connect(record.network, containerId, aliases);
    }
  }

  /** Connects a container to a network with these aliases; one connected already with other aliases is connected again. */
  private async connect(network: string, containerId: string, aliases: string[]): Promise<void> {
    const info = await this.engine.getContainer(containerId).inspect().catch(() => undefined);
    if (!info) return;
    const current = info.NetworkSettings.Networks[network] as { Aliases?: string[] | null } | undefined;
    if (current) {
      if (aliases.every((a) => current.Aliases?.includes(a))) return;
      await this.disconnect(network, containerId);
    }
    try {
      await this.engine.getNetwork(network).connect({ Container: containerId, EndpointConfig: { Aliases: aliases } });
    } catch (error) {
      // Gone meanwhile (a restart replaced it) or connected by a concurrent call: fine.
      if (isMissingContainer(error) || /already/i.test((error as Error).message)) return;
      throw error;
    }
  }

  private async disconnect(network: string, containerId: string): Promise<void> {
    await this.engine
      .getNetwork(network)
      .disconnect({ Container: containerId, Force: true })
      .catch(() => undefined);
  }

  /** Removes a network after detaching whatever is still on it (another environment's containers, on a link network). */
  private async removeNetwork(id: string): Promise<void> {
    const network = this.engine.getNetwork(id);
    const info = (await network.inspect().catch(() => undefined)) as { Name?: string; Containers?: Record<string, unknown> } | undefined;
    for (const containerId of Object.keys(info?.Containers ?? {})) await this.disconnect(id, containerId);
    await network.remove().catch(() => undefined);
  }

  /** Forgets the environment's own link and takes it out of the links it is a member of. */
  private unlink(env: EnvironmentRef): void {
    const key = environmentKey(env);
    this.links.delete(key);
    remove(this.dir('links', `${key}.json`));
    for (const [owner, record] of this.links) {
      if (!record.members.some((m) => sameEnvironment(m.env, env))) continue;
      const next = { ...record, members: record.members.filter((m) => !sameEnvironment(m.env, env)) };
      this.links.set(owner, next);
      writeJson(this.dir('links', `${owner}.json`), next);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Pause and resume

  async pause(env: EnvironmentRef): Promise<PauseResult> {
    const key = environmentKey(env);
    return this.engineProblem(`pausing ${env.envId}`, () =>
      this.locks.run(key, async (): Promise<PauseResult> => {
        const rt = this.envs.get(key);
        if (!rt || rt.services.size === 0) return problem('failed', `environment ${env.envId} has nothing running on the docker runtime to pause`);
        writeJson(this.pausedMarker(key), { env, pausedAt: new Date().toISOString() });
        for (const service of rt.services.values()) await Promise.all([...service.supervisors.values()].map((s) => s.pause()));
        return { outcome: 'succeeded', instances: await this.allStatuses(rt) };
      }),
    );
  }

  async resume(request: ResumeRequest): Promise<PauseResult> {
    const key = environmentKey(request.env);
    const started = await this.engineProblem(`resuming ${request.env.envId}`, () =>
      this.locks.run(key, async (): Promise<PauseResult> => {
        const rt = this.envs.get(key);
        if (!rt || rt.services.size === 0) return problem('failed', `environment ${request.env.envId} has nothing on the docker runtime to resume`);
        rt.secrets = { ...request.secrets };
        remove(this.pausedMarker(key));
        for (const service of rt.services.values()) for (const supervisor of service.supervisors.values()) supervisor.detach();
        await this.startStopped(rt.env);
        await this.adopt(rt.env);
        return { outcome: 'succeeded', instances: [] };
      }),
    );
    if (started.outcome !== 'succeeded') return started;
    const rt = this.runtimeOf(request.env);
    const pending = [...rt.services.values()].filter((s) => !s.spec.static).map((s) => s.spec.name);
    const waited = await waitUntilReady(pending, request.timeoutMs ?? 120_000, {
      replicas: (name) => rt.services.get(name)?.spec.replicas,
      statuses: (name) => this.statusOf(rt, name),
      blocked: portInUse,
      pause: () => sleep(STARTUP_PROBE_MS),
    });
    if (waited) return waited;
    return { outcome: 'succeeded', instances: await this.allStatuses(rt) };
  }

  /** Starts the environment's stopped main and sidecar containers (a paused environment's). */
  private async startStopped(env: EnvironmentRef): Promise<void> {
    const stopped = (await this.containersOf(env)).filter((c) => c.State !== 'running' && (c.Labels[dockerLabels.role] === 'main' || c.Labels[dockerLabels.role] === 'sidecar'));
    // Main containers first: a sidecar shares its main container's network namespace.
    stopped.sort((a, b) => (a.Labels[dockerLabels.role] === 'main' ? 0 : 1) - (b.Labels[dockerLabels.role] === 'main' ? 0 : 1));
    for (const c of stopped) await this.engine.getContainer(c.Id).start().catch(() => undefined);
  }

  private async allStatuses(rt: EnvRuntime): Promise<InstanceStatus[]> {
    const all: InstanceStatus[] = [];
    for (const name of rt.services.keys()) all.push(...(await this.statusOf(rt, name)));
    return all;
  }

  // ---------------------------------------------------------------------------------------------
  // Ownership and teardown

  async destroy(request: DestroyRequest): Promise<void> {
    await this.load();
    const key = environmentKey(request.env);
    await this.locks.run(key, async () => {
      const rt = this.envs.get(key) ?? this.runtimeOf(request.env);
      const names = request.services ?? [...rt.services.keys()];
      for (const name of names) await this.removeService(rt, name);
      if (request.services) return;
      // Jobs and anything else still carrying the environment's labels, then its network and volumes.
      const leftovers = await this.containersOf(request.env);
      await Promise.all(leftovers.map((c) => stopAndRemove(this.engine, c.Id, Math.min(this.settings.graceMs, 5_000))));
      const pairs = this.envLabelPairs(request.env);
      const networks = (await this.engine.listNetworks({ filters: this.ownedFilter() })).filter((n) => hasLabels(n.Labels, pairs));
      // Its link network (App Imports) holds its imports' containers too: they are detached, never stopped.
      for (const n of networks) await this.removeNetwork(n.Id ?? n.Name);
      this.unlink(request.env);
      const { Volumes: volumes } = await this.engine.listVolumes({ filters: this.ownedFilter() });
      for (const v of (volumes ?? []).filter((volume) => hasLabels(volume.Labels, pairs))) await this.engine.getVolume(v.Name).remove({ force: true }).catch(() => undefined);
      this.envs.delete(key);
      remove(this.pausedMarker(key));
      await removeEnvironmentState(this.stateDir, key);
    });
  }

  async listOwned(): Promise<OwnedResource[]> {
    await this.load();
    const owned: OwnedResource[] = [];
    const mine = [`${dockerLabels.driver}=${this.tag}`];
    for (const c of (await this.engine.listContainers({ all: true, filters: this.ownedFilter() })).filter((x) => hasLabels(x.Labels, mine))) {
      const env = ownerFromLabels(c.Labels);
      if (!env) continue;
      const service = c.Labels[labelKeys.service];
      const { [dockerLabels.spec]: _spec, ...labels } = c.Labels;
      owned.push({ env, kind: 'container', id: c.Id, ...(service ? { service } : {}), labels });
    }
    for (const n of (await this.engine.listNetworks({ filters: this.ownedFilter() })).filter((x) => hasLabels(x.Labels, mine))) {
      const env = ownerFromLabels(n.Labels ?? {});
      if (env) owned.push({ env, kind: 'network', id: n.Name, labels: n.Labels ?? {} });
    }
    const { Volumes: volumes } = await this.engine.listVolumes({ filters: this.ownedFilter() });
    for (const v of (volumes ?? []).filter((x) => hasLabels(x.Labels, mine))) {
      const env = ownerFromLabels(v.Labels ?? {});
      if (env) owned.push({ env, kind: 'volume', id: v.Name, labels: v.Labels ?? {} });
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
    for (const rt of this.envs.values()) for (const service of rt.services.values()) for (const supervisor of service.supervisors.values()) supervisor.detach();
    this.envs.clear();
  }
}

export function createDockerDriver(options: DockerDriverOptions): DockerDriver {
  return new DockerDriver(options);
}
