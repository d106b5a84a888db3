// What both runtimes' instance supervisors track of one instance across its restarts: the state it
// shows (and why), whether it crashed since it was last ready (it then shows as crash-looping while
// it starts again), why the liveness probe stopped it, and the restart backoff.
import { restartDelayMs, type BackoffSettings, type ExitInfo, type InstanceState } from '@slipway/core';
import { sleep } from './supervision.ts';

/** How an exit reads in a status message: "exited with code 1", "was killed by SIGKILL". */
export function describeExit(exit: ExitInfo, unknown = 'ended'): string {
  if (exit.code !== null) return `exited with code ${exit.code}`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return unknown;
}

export class InstanceHealth {
  state: InstanceState = 'starting';
  message: string | undefined;
  /** Why the liveness probe stopped the running process or container, until the next one starts. */
  livenessKill: string | undefined;
  /** Set when the instance ended and not ready since: it shows as crash-looping while it restarts. */
  private crashedSinceReady = false;

  /** `changed` is told of every change a readiness wait may be waiting for. */
  constructor(private readonly changed: () => void = () => undefined) {}

  /** The state a status shows. */
  get shown(): InstanceState {
    return this.state === 'starting' && this.crashedSinceReady ? 'crash-looping' : this.state;
  }

  /** Whether a status should carry the end of the instance's log. */
  get troubled(): boolean {
    const shown = this.shown;
    return shown === 'crash-looping' || shown === 'unhealthy';
  }

  /** A process or container of the instance is running (again); its probes tell from here. */
  started(): void {
    this.livenessKill = undefined;
    this.state = 'starting';
    if (!this.crashedSinceReady) this.message = undefined;
  }

  /** Ready: by its readiness probe, or at once when it has none (`clearMessage` false keeps the last crash's message). */
  ready(clearMessage = true): void {
    this.state = 'ready';
    if (clearMessage) this.message = undefined;
    this.crashedSinceReady = false;
    this.changed();
  }

  unhealthy(message: string): void {
    this.state = 'unhealthy';
    this.message = message;
    this.changed();
  }

  /** It ended, or an init step failed: crash-looping until it is ready again. */
  crashed(message: string): void {
    this.crashedSinceReady = true;
    this.state = 'crash-looping';
    this.message = message;
    this.changed();
  }

  /** It crashed before this supervisor took it over (a later driver adopting it). */
  crashedEarlier(): void {
    this.crashedSinceReady = true;
  }

  /** Says what the instance is doing now, as is (a start that failed, a wait for secrets). */
  report(state: InstanceState, message: string): void {
    this.state = state;
    this.message = message;
    this.changed();
  }

  /** Stopped by the driver. */
  stopped(): void {
    this.state = 'stopped';
  }
}

/** Restart delays: core's exponential backoff, counted from the start again after a run that lasted `stableMs`. */
export class RestartBackoff {
  private attempt = 0;

  constructor(private readonly settings: { backoff: BackoffSettings; stableMs: number }) {}

  /** A run from `startedAt` to `endedAt` (ms) ended: a stable one resets the count. */
  ran(startedAt: number, endedAt: number): void {
    if (endedAt - startedAt >= this.settings.stableMs) this.attempt = 0;
  }

  /** Waits out the next delay, or until `signal` aborts. */
  wait(signal: AbortSignal): Promise<void> {
    this.attempt += 1;
    return sleep(restartDelayMs(this.attempt, this.settings.backoff), signal);
  }
}
