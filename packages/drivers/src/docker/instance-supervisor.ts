// Supervises one replica of a service as containers: its init steps (run to completion, in order),
// its main container and its sidecars, which join the main container's network namespace (as in a
// pod: they reach each other on localhost, and the main container publishes their ports too).
//
// Containers run with the engine's restart policy off: the driver restarts them itself, with core's
// backoff, so every runtime backs off the same way and a liveness failure restarts the same way as
// a crash. A restart makes a new main container (a new runtime id, as a Kubernetes restart does)
// whose labels carry the restart count and the last exit, so a later driver reads them back; the
// old container stays until then, showing the crash to whoever adopts it. Its output is kept as
// the instance's previous log. Sidecars are remade with the main container, whose network they share.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Probe, ResolvedService } from '@slipway/contract';
import { labelKeys, type EnvironmentRef, type ExitInfo, type InstanceStatus } from '@slipway/core';
import { httpProbe, tcpProbe, type ProbeOutcome } from '../shared/network-probes.ts';
import { containerArgv } from '../shared/process-group.ts';
import { containerLogText, lastLines } from './log-lines.ts';
import { dockerLabels, hasLabels, parseExit } from './names.ts';
import { describeExit, InstanceHealth, RestartBackoff } from '../shared/instance-health.ts';
import { startProbes } from '../shared/probe-loop.ts';
import { sleep, type SupervisionSettings, type Endpoint } from '../shared/supervision.ts';

export type SupervisorSettings = SupervisionSettings;
export type { Endpoint };

export type CreateOptions = Dockerode.ContainerCreateOptions;

export interface InstanceHost {
  readonly docker: Dockerode;
  /** The driver's tag (see names.ts). */
  readonly tag: string;
  readonly settings: SupervisorSettings;
  /**
   * Create options of a container of this instance, or the secrets that are missing to make them.
   * `inheritEnv` (the variables of the container being replaced) stands in for secrets this
   * driver was not given since it adopted the instance.
   */
  createOptions(role: 'main' | 'sidecar' | 'init', name: string | undefined, labels: Record<string, string>, inheritEnv?: string[]): CreateOptions | { missingSecrets: string[] };
  /** Where the previous main container's output is kept. */
  previousLogPath(): string;
  /** Joins a just-created main container to the link networks of App Imports its environment is in. */
  joinLinks(containerId: string): Promise<void>;
  /** The instance's state changed (ready, unhealthy, crashed): the driver tells its listeners. */
  stateChanged?(): void;
}

/** Containers of the replica found on the engine when the supervisor starts (adoption). */
export interface FoundContainers {
  main?: Dockerode.ContainerInfo;
  sidecars: Dockerode.ContainerInfo[];
  inits: Dockerode.ContainerInfo[];
}

export function isMissingContainer(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}


/** Runs a command in a container and collects its output (both streams, interleaved). */
export async function execIn(docker: Dockerode, containerId: string, command: string[], timeoutMs: number, options: { workingDir?: string } = {}): Promise<{ exitCode: number | null; output: string; timedOut: boolean }> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: command, AttachStdout: true, AttachStderr: true, ...(options.workingDir ? { WorkingDir: options.workingDir } : {}) });
  const stream = await exec.start({ hijack: true, stdin: false });
  let output = '';
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 1024 * 1024) output = output.slice(output.length - 1024 * 1024);
  });
  docker.modem.demuxStream(stream, sink, sink);
  let timer: NodeJS.Timeout | undefined;
  const ended = new Promise<'ended'>((resolve) => {
    stream.once('end', () => resolve('ended'));
    stream.once('close', () => resolve('ended'));
    stream.once('error', () => resolve('ended'));
  });
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const how = await Promise.race([ended, timeout]);
  clearTimeout(timer);
  if (how === 'timeout') {
    (stream as unknown as { destroy?: () => void }).destroy?.();
    return { exitCode: null, output, timedOut: true };
  }
  // The exit code is set once the process is reaped, a moment after its output ends.
  for (let i = 0; i < 50; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, output, timedOut: false };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { exitCode: null, output, timedOut: false };
}

export class DockerInstanceSupervisor {
  private readonly health = new InstanceHealth(() => this.host.stateChanged?.());
  private restarts = 0;
  private lastExit: ExitInfo | undefined;
  private mainId: string | undefined;
  private mainStartedAt: string | undefined;
  /** Output of the container that failed last (an init step or the main one), for the status' log tail. */
  private failureLog: string | undefined;
  private readonly lifetime = new AbortController();
  private probes: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private settledResolve: (() => void) | undefined;
  /** Resolves once the main container has started or the first attempt failed. */
  readonly settled: Promise<void>;

  constructor(
    private readonly host: InstanceHost,
    readonly env: EnvironmentRef,
    readonly spec: ResolvedService,
    readonly specHash: string,
    readonly replica: number,
    readonly endpoints: Endpoint[],
    private readonly found: FoundContainers,
  ) {
    this.settled = new Promise((resolve) => (this.settledResolve = resolve));
  }

  get name(): string {
    return `${this.spec.name}-${this.replica}`;
  }

  start(): void {
    this.loop = this.run().catch((error: unknown) => {
      this.health.report('crash-looping', `the driver could not run the instance: ${(error as Error).message}`);
      this.settle();
    });
  }

  private settle(): void {
    this.settledResolve?.();
    this.settledResolve = undefined;
  }

  private get docker(): Dockerode {
    return this.host.docker;
  }

  private async run(): Promise<void> {
    const signal = this.lifetime.signal;
    let current: string | undefined;
    let needsInit = true;
    const adopted = this.found.main;
    if (adopted) {
      current = adopted.Id;
      needsInit = false;
      this.restarts = Number(adopted.Labels[dockerLabels.restarts] ?? 0) || 0;
      this.lastExit = parseExit(adopted.Labels[dockerLabels.lastExit]);
      if (this.restarts > 0) this.health.crashedEarlier();
    } else if (this.found.inits.length > 0) {
      const labels = this.found.inits.map((i) => Number(i.Labels[dockerLabels.restarts] ?? 0) || 0);
      this.restarts = Math.max(...labels);
    }
    const backoff = new RestartBackoff(this.host.settings);
    let inheritEnv: string[] | undefined;
    while (!signal.aborted) {
      if (!current) {
        if (needsInit) {
          const failed = await this.runInitSteps(signal);
          if (signal.aborted) return;
          if (failed) {
            this.restarts += 1;
            this.lastExit = { ...failed.exit, reason: `init step "${failed.step}" failed` };
            this.health.crashed(`init step "${failed.step}" ${describeExit(failed.exit)}; the service is not started`);
            this.settle();
            await backoff.wait(signal);
            continue;
          }
        }
        const made = await this.startMain(inheritEnv);
        if (signal.aborted) return;
        if ('problem' in made) {
          this.health.report(made.waiting ? 'stopped' : 'crash-looping', made.problem);
          this.settle();
          if (made.waiting) return;
          await backoff.wait(signal);
          continue;
        }
        current = made.id;
      } else {
        await this.ensureSidecars(current, this.found.sidecars);
      }
      this.mainId = current;
      const info = await this.inspect(current);
      if (!info) {
        current = undefined;
        continue;
      }
      this.mainStartedAt = info.State.StartedAt;
      this.health.livenessKill = undefined;
      if (info.State.Running) {
        this.health.started();
        this.settle();
        this.startProbes(current);
        await this.waitExit(current, signal);
        this.probes?.abort();
        if (signal.aborted) return;
      }
      // The main container ended: record why, keep its output, restart after the backoff.
      const ended = await this.inspect(current);
      const log = await containerLogText(this.docker.getContainer(current));
      this.keepPreviousLog(log);
      this.failureLog = log;
      const code = ended?.State.ExitCode ?? null;
      const at = ended?.State.FinishedAt && !ended.State.FinishedAt.startsWith('0001') ? new Date(ended.State.FinishedAt).toISOString() : new Date().toISOString();
      const livenessKill = this.health.livenessKill;
      const exit: ExitInfo = { code, signal: null, at, ...(livenessKill ? { reason: livenessKill } : ended?.State.OOMKilled ? { reason: 'killed for using more memory than its limit' } : {}) };
      backoff.ran(Date.parse(this.mainStartedAt ?? '') || Date.now(), Date.parse(at));
      this.restarts += 1;
      this.lastExit = exit;
      this.health.crashed(livenessKill ? `restarted: ${livenessKill}` : `the container ${describeExit(exit)}${exit.reason ? ` (${exit.reason})` : ''}`);
      this.settle();
      await backoff.wait(signal);
      if (signal.aborted) return;
      inheritEnv = ended?.Config.Env;
      await this.removeInstanceContainers({ keepInits: true });
      current = undefined;
      needsInit = false;
      this.mainId = undefined;
    }
  }

  private async inspect(id: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(id).inspect();
    } catch (error) {
      if (isMissingContainer(error)) return undefined;
      throw error;
    }
  }

  private async waitExit(id: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.docker.getContainer(id).wait({ condition: 'not-running', abortSignal: signal } as object);
        return;
      } catch (error) {
        if (signal.aborted || isMissingContainer(error)) return;
        // The wait's connection broke (engine restart): look again after a moment.
        await sleep(500, signal);
        const info = await this.inspect(id).catch(() => undefined);
        if (!info || !info.State.Running) return;
      }
    }
  }

  private labels(role: 'main' | 'sidecar' | 'init', name?: string): Record<string, string> {
    return {
      [dockerLabels.restarts]: String(this.restarts),
      ...(this.lastExit ? { [dockerLabels.lastExit]: JSON.stringify(this.lastExit) } : {}),
      ...(name ? { [dockerLabels.container]: name } : {}),
      [dockerLabels.role]: role,
    };
  }

  private async create(options: CreateOptions): Promise<Dockerode.Container> {
    try {
      return await this.docker.createContainer(options);
    } catch (error) {
      // A container of that name left by a driver that died mid-change: replace it.
      if ((error as { statusCode?: number }).statusCode === 409 && options.name) {
        await this.docker.getContainer(options.name).remove({ force: true }).catch(() => undefined);
        return this.docker.createContainer(options);
      }
      throw error;
    }
  }

  /** Runs each init step to completion, in order; returns the first that failed. */
  private async runInitSteps(signal: AbortSignal): Promise<{ step: string; exit: ExitInfo } | undefined> {
    for (const old of this.found.inits) await this.docker.getContainer(old.Id).remove({ force: true }).catch(() => undefined);
    this.found.inits = [];
    for (const step of this.spec.initContainers) {
      const options = this.host.createOptions('init', step.name, this.labels('init', step.name));
      if ('missingSecrets' in options) return { step: step.name, exit: { code: null, signal: null, at: new Date().toISOString(), reason: `secrets not provided: ${options.missingSecrets.join(', ')}` } };
      const container = await this.create(options);
      await container.start();
      await this.waitExit(container.id, signal);
      if (signal.aborted) {
        await container.remove({ force: true }).catch(() => undefined);
        return undefined;
      }
      const info = await this.inspect(container.id);
      const code = info?.State.ExitCode ?? null;
      if (code !== 0) {
        this.failureLog = await containerLogText(container);
        // The failed step stays until the next attempt, for its logs.
        return { step: step.name, exit: { code, signal: null, at: new Date().toISOString() } };
      }
      await container.remove({ force: true }).catch(() => undefined);
    }
    return undefined;
  }

  private async startMain(inheritEnv?: string[]): Promise<{ id: string } | { problem: string; waiting?: boolean }> {
    const options = this.host.createOptions('main', undefined, this.labels('main'), inheritEnv);
    if ('missingSecrets' in options) return { problem: `waiting for an apply with the secrets ${options.missingSecrets.join(', ')}`, waiting: true };
    const container = await this.create(options);
    try {
      await this.host.joinLinks(container.id);
      await container.start();
    } catch (error) {
      const message = (error as Error).message;
      await container.remove({ force: true }).catch(() => undefined);
      const port = /address already in use|port is already allocated|bind/i.test(message) ? this.endpoints.map((e) => e.hostPort).join(', ') : undefined;
      return { problem: port ? `host port ${port} is already in use: ${message}` : `the container could not start: ${message}` };
    }
    await this.ensureSidecars(container.id, []);
    return { id: container.id };
  }

  /** Sidecars joined to the main container's network; made when missing or joined to another container. */
  private async ensureSidecars(mainId: string, found: Dockerode.ContainerInfo[]): Promise<void> {
    for (const sidecar of this.spec.sidecars) {
      const existing = found.find((c) => c.Labels[dockerLabels.container] === sidecar.name);
      if (existing) {
        const info = await this.inspect(existing.Id);
        if (info?.State.Running && info.HostConfig.NetworkMode === `container:${mainId}`) continue;
        await this.docker.getContainer(existing.Id).remove({ force: true }).catch(() => undefined);
      }
      const options = this.host.createOptions('sidecar', sidecar.name, this.labels('sidecar', sidecar.name));
      if ('missingSecrets' in options) continue;
      options.HostConfig = { ...options.HostConfig, NetworkMode: `container:${mainId}` };
      const container = await this.create(options);
      await container.start().catch(() => undefined);
    }
    this.found.sidecars = [];
  }

  private keepPreviousLog(log: string): void {
    try {
      const path = this.host.previousLogPath();
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, log.length > 512 * 1024 ? log.slice(log.length - 512 * 1024) : log);
    } catch {
      // the previous log is a convenience
    }
  }

  private hostPortOf = (port: number | undefined): number | undefined =>
    port === undefined ? this.endpoints[0]?.hostPort : this.endpoints.find((e) => e.port === port)?.hostPort;

  private runProbe(probe: Partial<Probe>, containerId: string, timeoutMs: number): Promise<ProbeOutcome> {
    if (probe.http) return httpProbe(probe.http, this.hostPortOf, timeoutMs);
    if (probe.tcp) return tcpProbe(probe.tcp.port, this.hostPortOf, timeoutMs);
    if (probe.exec) {
      return execIn(this.docker, containerId, containerArgv(probe.exec.command), timeoutMs).then(
        (r) => (r.timedOut ? { ok: false, message: `the command did not finish within ${timeoutMs} ms` } : r.exitCode === 0 ? { ok: true, message: 'the command exited 0' } : { ok: false, message: `the command exited with code ${r.exitCode}` }),
        (error: Error) => ({ ok: false, message: `the command could not run: ${error.message}` }),
      );
    }
    return Promise.resolve({ ok: false, message: 'the probe has none of http, tcp or exec' });
  }

  private startProbes(containerId: string): void {
    this.probes = startProbes(
      this.spec,
      this.endpoints.length > 0,
      this.health,
      {
        run: (probe, timeoutMs) => this.runProbe(probe, containerId, timeoutMs),
        stop: () => this.docker.getContainer(containerId).stop({ t: Math.ceil(this.host.settings.graceMs / 1000) }).catch(() => undefined),
        onReady: () => (this.failureLog = undefined),
      },
      { slowOnceUnhealthy: true, clearMessageWithoutProbe: true },
    );
  }

  async status(): Promise<InstanceStatus> {
    const { shown: state, troubled, message } = this.health;
    let logTail: string | undefined;
    if (troubled) {
      const live = this.mainId && state === 'unhealthy' ? await containerLogText(this.docker.getContainer(this.mainId), 40) : undefined;
      logTail = lastLines(live ?? this.failureLog ?? (this.mainId ? await containerLogText(this.docker.getContainer(this.mainId), 40) : ''));
    }
    return {
      env: this.env,
      service: this.spec.name,
      replica: this.replica,
      name: this.name,
      state,
      specHash: this.specHash,
      endpoints: this.endpoints.map((e) => ({ port: e.port, host: '127.0.0.1', hostPort: e.hostPort })),
      ...(this.mainId ? { runtimeId: this.mainId, ...(this.mainStartedAt ? { startedAt: new Date(this.mainStartedAt).toISOString() } : {}) } : {}),
      restarts: this.restarts,
      ...(this.lastExit ? { lastExit: this.lastExit } : {}),
      ...(message ? { message } : {}),
      ...(logTail !== undefined ? { logTail } : {}),
    };
  }

  /** Stops supervising and removes the instance's containers: SIGTERM, then SIGKILL after the grace period. */
  async stop(): Promise<void> {
    this.detach();
    await this.loop;
    await this.removeInstanceContainers({ keepInits: false });
    this.mainId = undefined;
    this.health.stopped();
  }

  private async removeInstanceContainers(options: { keepInits: boolean }): Promise<void> {
    const pairs = [
      `${dockerLabels.driver}=${this.host.tag}`,
      `${labelKeys.workspace}=${this.env.workspace}`,
      `${labelKeys.app}=${this.env.app}`,
      `${labelKeys.env}=${this.env.envId}`,
      `${labelKeys.service}=${this.spec.name}`,
      `${dockerLabels.replica}=${this.replica}`,
    ];
    const list = await this.docker.listContainers({ all: true, filters: { label: [pairs[0]!] } });
    const mine = list.filter((c) => hasLabels(c.Labels, pairs) && (!options.keepInits || c.Labels[dockerLabels.role] !== 'init'));
    await Promise.all(mine.map((c) => stopAndRemove(this.docker, c.Id, this.host.settings.graceMs)));
  }

  /**
   * Pause: stops supervising and stops the instance's main and sidecar containers without removing
   * them, so a resume starts the same containers again (their writable layers and volumes kept).
   */
  async pause(): Promise<void> {
    this.detach();
    await this.loop;
    const list = await this.docker.listContainers({ filters: { label: [`${dockerLabels.driver}=${this.host.tag}`] } });
    const pairs = [
      `${labelKeys.workspace}=${this.env.workspace}`,
      `${labelKeys.app}=${this.env.app}`,
      `${labelKeys.env}=${this.env.envId}`,
      `${labelKeys.service}=${this.spec.name}`,
      `${dockerLabels.replica}=${this.replica}`,
    ];
    const running = list.filter((c) => hasLabels(c.Labels, pairs) && (c.Labels[dockerLabels.role] === 'main' || c.Labels[dockerLabels.role] === 'sidecar'));
    const seconds = Math.max(0, Math.ceil(this.host.settings.graceMs / 1000));
    await Promise.all(running.map((c) => this.docker.getContainer(c.Id).stop({ t: seconds }).catch(() => undefined)));
    this.holdStopped();
  }

  /** Reports the instance stopped without supervising it: a paused environment's, found at adoption. */
  holdStopped(): void {
    this.health.stopped();
    this.settle();
  }

  /** Stops supervising, leaving the containers running for a later driver to adopt. */
  detach(): void {
    this.lifetime.abort();
    this.probes?.abort();
    this.settle();
  }
}

/** Stops a container (SIGTERM, SIGKILL after the grace period) and removes it; a missing one is fine. */
export async function stopAndRemove(docker: Dockerode, id: string, graceMs: number): Promise<void> {
  const container = docker.getContainer(id);
  await container.stop({ t: Math.max(0, Math.ceil(graceMs / 1000)) }).catch(() => undefined);
  await container.remove({ force: true, v: false }).catch(() => undefined);
}
