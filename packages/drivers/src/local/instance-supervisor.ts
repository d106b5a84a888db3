// Supervises one replica of a service: its init steps, its main process and its sidecars, each a
// process group. Runs probes, restarts with exponential backoff, and keeps the durable record up to
// date so a later driver can adopt what is running.
import type { EnvMap } from '@slipway/contract';
import type { ExitInfo, InstanceStatus } from '@slipway/core';
import { DEFAULT_ROTATION, logTail, rotateIfLarge, type RotationSettings } from './log-files.ts';
import { appendLine, argv, commandArgv, isSameProcess, spawnGroup, stopGroup, watchAdopted, type Running } from '../shared/process-group.ts';
import { runProbe, type ProbeTarget } from './probes.ts';
import type { Endpoint, InstanceRecord, ServiceRecord } from './state-files.ts';
import { describeExit as describeSharedExit, InstanceHealth, RestartBackoff } from '../shared/instance-health.ts';
import { startProbes } from '../shared/probe-loop.ts';
import type { SupervisionSettings } from '../shared/supervision.ts';

export interface SupervisorSettings extends SupervisionSettings {
  rotation: RotationSettings;
}

export interface InstanceHost {
  readonly settings: SupervisorSettings;
  workdir(service: ServiceRecord): string;
  /** Variables for a process of this instance; missing secrets are named. */
  environment(service: ServiceRecord, instance: InstanceRecord, extra?: { env?: EnvMap; endpoints?: Endpoint[] }): { values: Record<string, string>; missingSecrets: string[] };
  logPath(service: string, replica: number, container?: string): string;
  /** Forms of the environment's secrets, masked in every log file of its processes. */
  maskForms(): readonly string[];
  persist(): void;
  /** The instance's state changed (ready, unhealthy, crashed, stopped): readiness waits wake on it. */
  stateChanged?(): void;
}

function describeExit(exit: ExitInfo): string {
  return describeSharedExit(exit, 'ended (exit code unknown: the process was adopted)');
}

export class InstanceSupervisor {
  private readonly health: InstanceHealth;
  private readonly lifetime = new AbortController();
  private main: Running | undefined;
  private probes: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private readonly sidecarLoops: Promise<void>[] = [];
  private readonly sidecarsRunning = new Map<string, Running>();
  private rotationTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: InstanceHost,
    readonly service: ServiceRecord,
    readonly record: InstanceRecord,
  ) {
    this.health = new InstanceHealth(() => this.host.stateChanged?.());
  }

  get name(): string {
    return `${this.service.spec.name}-${this.record.replica}`;
  }

  /** Starts supervising; with `adopt`, processes still running from the record are kept. */
  start(adopt: boolean): void {
    this.loop = this.run(adopt);
    for (const sidecar of this.service.spec.sidecars) this.sidecarLoops.push(this.runSidecar(sidecar.name, adopt));
    this.rotationTimer = setInterval(() => this.rotateLogs(), 5_000);
    this.rotationTimer.unref();
  }

  private rotateLogs(): void {
    const rotation = this.host.settings.rotation ?? DEFAULT_ROTATION;
    rotateIfLarge(this.host.logPath(this.service.spec.name, this.record.replica), rotation);
    for (const sidecar of this.service.spec.sidecars) rotateIfLarge(this.host.logPath(this.service.spec.name, this.record.replica, sidecar.name), rotation);
  }

  private get logPath(): string {
    return this.host.logPath(this.service.spec.name, this.record.replica);
  }

  private note(text: string): void {
    appendLine(this.logPath, `[slipway] ${new Date().toISOString()} ${this.name}: ${text}`);
  }

  private async run(adopt: boolean): Promise<void> {
    const signal = this.lifetime.signal;
    let adopted = adopt && this.record.main !== undefined && isSameProcess(this.record.main) ? this.record.main : undefined;
    const backoff = new RestartBackoff(this.host.settings);
    while (!signal.aborted) {
      let running: Running;
      if (adopted) {
        running = { ...adopted, exited: watchAdopted(adopted) };
        adopted = undefined;
      } else {
        if (this.record.main) {
          // A process of an earlier driver that is gone, or one we could not adopt: make sure its group is gone too.
          await stopGroup(this.record.main, 0);
          this.record.main = undefined;
        }
        const environment = this.host.environment(this.service, this.record);
        if (environment.missingSecrets.length > 0) {
          this.health.report('stopped', `waiting for an apply with the secrets ${environment.missingSecrets.join(', ')}`);
          this.host.persist();
          return;
        }
        const init = await this.runInitSteps(environment.values, signal);
        if (signal.aborted) return;
        if (init) {
          this.record.lastExit = { ...init.exit, reason: `init step "${init.step}" failed` };
          this.record.restarts += 1;
          this.health.crashed(`init step "${init.step}" ${describeExit(init.exit)}; the service is not started`);
          this.host.persist();
          await backoff.wait(signal);
          continue;
        }
        const run = this.service.spec.run!;
        this.note(`starting ${typeof run.command === 'string' ? run.command : run.command.join(' ')}`);
        const cwd = this.host.workdir(this.service);
        const spawned = commandArgv(run.command, cwd, environment.values);
        running = spawnGroup(spawned.argv, { cwd, env: spawned.env, logPath: this.logPath, mask: this.host.maskForms() });
        this.record.main = { pid: running.pid, startTime: running.startTime, startedAt: new Date().toISOString() };
        this.host.persist();
      }
      this.main = running;
      this.health.started();
      this.startProbes(running);
      const stop = new Promise<undefined>((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true }));
      const exit = await Promise.race([running.exited, stop]);
      this.probes?.abort();
      if (!exit || signal.aborted) return;
      // Whatever the leader left behind in its group goes with it.
      await stopGroup(running, 0);
      backoff.ran(Date.parse(this.record.main?.startedAt ?? '') || Date.now(), Date.now());
      this.record.main = undefined;
      const livenessKill = this.health.livenessKill;
      this.record.lastExit = livenessKill ? { ...exit, reason: livenessKill } : exit;
      this.record.restarts += 1;
      const message = livenessKill ? `restarted: ${livenessKill}` : `the process ${describeExit(exit)}`;
      this.health.crashed(message);
      this.note(message);
      this.host.persist();
      await backoff.wait(signal);
    }
  }

  /** Runs init steps in order; returns the first that failed. */
  private async runInitSteps(values: Record<string, string>, signal: AbortSignal): Promise<{ step: string; exit: ExitInfo } | undefined> {
    for (const step of this.service.spec.initContainers) {
      const { values: stepValues } = this.host.environment(this.service, this.record, step.env ? { env: step.env } : {});
      this.note(`init step ${step.name}`);
      const running = spawnGroup(argv(step.command), { cwd: this.host.workdir(this.service), env: { ...values, ...stepValues }, logPath: this.logPath, mask: this.host.maskForms() });
      this.main = running;
      const stop = new Promise<undefined>((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true }));
      const exit = await Promise.race([running.exited, stop]);
      this.main = undefined;
      if (!exit) {
        await stopGroup(running, this.host.settings.graceMs);
        return undefined;
      }
      if (exit.code !== 0) return { step: step.name, exit };
    }
    return undefined;
  }

  private async runSidecar(name: string, adopt: boolean): Promise<void> {
    const signal = this.lifetime.signal;
    const sidecar = this.service.spec.sidecars.find((s) => s.name === name)!;
    const recorded = this.record.sidecars[name];
    let adopted = adopt && recorded && isSameProcess(recorded) ? recorded : undefined;
    const backoff = new RestartBackoff(this.host.settings);
    while (!signal.aborted) {
      let running: Running;
      const logPath = this.host.logPath(this.service.spec.name, this.record.replica, name);
      if (adopted) {
        running = { ...adopted, exited: watchAdopted(adopted) };
        adopted = undefined;
      } else {
        const old = this.record.sidecars[name];
        if (old) await stopGroup(old, 0);
        const environment = this.host.environment(this.service, this.record, { ...(sidecar.env ? { env: sidecar.env } : {}), endpoints: this.record.sidecarEndpoints[name] ?? [] });
        if (environment.missingSecrets.length > 0 || !sidecar.command) return;
        running = spawnGroup(argv(sidecar.command, sidecar.args), { cwd: this.host.workdir(this.service), env: environment.values, logPath, mask: this.host.maskForms() });
        this.record.sidecars[name] = { pid: running.pid, startTime: running.startTime, startedAt: new Date().toISOString() };
        this.host.persist();
      }
      this.sidecarsRunning.set(name, running);
      const stop = new Promise<undefined>((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true }));
      const exit = await Promise.race([running.exited, stop]);
      if (!exit || signal.aborted) return;
      this.sidecarsRunning.delete(name);
      delete this.record.sidecars[name];
      appendLine(logPath, `[slipway] sidecar ${name} ${describeExit(exit)}`);
      this.host.persist();
      await backoff.wait(signal);
    }
  }

  private probeTarget(): ProbeTarget {
    const endpoints = this.record.endpoints;
    return {
      hostPortOf: (port) => (port === undefined ? endpoints[0]?.hostPort : endpoints.find((e) => e.port === port)?.hostPort),
      cwd: this.host.workdir(this.service),
      env: this.host.environment(this.service, this.record).values,
      logPath: this.logPath,
    };
  }

  private startProbes(running: Running): void {
    this.probes = startProbes(
      this.service.spec,
      this.record.endpoints.length > 0,
      this.health,
      {
        run: (probe, timeoutMs) => runProbe(probe, this.probeTarget(), timeoutMs),
        stop: async (message) => {
          this.note(message);
          await stopGroup(running, this.host.settings.graceMs);
        },
      },
      { slowOnceUnhealthy: false, clearMessageWithoutProbe: false },
    );
  }

  status(envStatus: Pick<InstanceStatus, 'env'>): InstanceStatus {
    const main = this.record.main;
    const { shown: state, troubled, message } = this.health;
    return {
      env: envStatus.env,
      service: this.service.spec.name,
      replica: this.record.replica,
      name: this.name,
      state,
      specHash: this.service.specHash,
      endpoints: this.record.endpoints.map((e) => ({ port: e.port, host: '127.0.0.1', hostPort: e.hostPort })),
      ...(main ? { runtimeId: String(main.pid), startedAt: main.startedAt } : {}),
      restarts: this.record.restarts,
      ...(this.record.lastExit ? { lastExit: this.record.lastExit } : {}),
      ...(message ? { message } : {}),
      ...(troubled ? { logTail: logTail(this.logPath) } : {}),
    };
  }

  /** Stops supervising and stops the processes: SIGTERM, then SIGKILL after the grace period. */
  async stop(): Promise<void> {
    this.detach();
    const stopping: Promise<void>[] = [];
    if (this.main) stopping.push(stopGroup(this.main, this.host.settings.graceMs));
    if (this.record.main) stopping.push(stopGroup(this.record.main, this.host.settings.graceMs));
    for (const running of this.sidecarsRunning.values()) stopping.push(stopGroup(running, this.host.settings.graceMs));
    for (const recorded of Object.values(this.record.sidecars)) stopping.push(stopGroup(recorded, this.host.settings.graceMs));
    await Promise.all(stopping);
    await Promise.all([this.loop, ...this.sidecarLoops]);
    this.record.main = undefined;
    this.record.sidecars = {};
    this.health.stopped();
  }

  /** Stops supervising, leaving the processes running for a later driver to adopt. */
  detach(): void {
    this.lifetime.abort();
    this.probes?.abort();
    if (this.rotationTimer) clearInterval(this.rotationTimer);
  }
}
