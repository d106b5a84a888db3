// The readiness and liveness probe loop both runtimes' instance supervisors run: how often to probe,
// when failures count, and when an instance turns ready, unhealthy or is to be restarted. How one
// probe is run, and what "ready" or "restart" does to the instance, stays with each runtime.
import type { Probe } from '@slipway/contract';
import { probeTimings } from '@slipway/core';
import type { InstanceHealth } from './instance-health.ts';
import type { ProbeOutcome } from './network-probes.ts';
import { sleep, STARTUP_PROBE_MS } from './supervision.ts';

export interface ProbeLoopHooks {
  /** Runs `probe` once against the instance. */
  run(probe: Partial<Probe>, timeoutMs: number): Promise<ProbeOutcome>;
  /** Whether the instance is ready already (another success then changes nothing). */
  isReady(): boolean;
  /** The readiness probe succeeded `successThreshold` times in a row. */
  ready(): void;
  /** The readiness probe failed `failureThreshold` times in a row. */
  unhealthy(message: string): void;
  /** The liveness probe failed `failureThreshold` times in a row: stop the instance; the loop ends. */
  livenessFailed(message: string): Promise<void>;
}

export interface ProbeLoopOptions {
  /**
   * Whether an instance called unhealthy before it was ever ready goes back to one probe per period
   * (the docker runtime, where an exec probe is a process in the container) or keeps the startup
   * pace (the local runtime).
   */
  slowOnceUnhealthy: boolean;
}

/** A service with ports and no readiness probe is ready once its first port accepts connections. */
export function readinessProbe(spec: { readiness?: Partial<Probe> | undefined }, hasPorts: boolean): Partial<Probe> | undefined {
  return spec.readiness ?? (hasPorts ? { tcp: {}, period: '200ms' } : undefined);
}

export async function probeLoop(probe: Partial<Probe>, kind: 'readiness' | 'liveness', hooks: ProbeLoopHooks, signal: AbortSignal, options: ProbeLoopOptions): Promise<void> {
  const timings = probeTimings(probe);
  let failures = 0;
  let successes = 0;
  // Until it is first ready, an instance is probed every STARTUP_PROBE_MS (at most its period), so
  // it turns ready as soon as it answers rather than up to a whole period later; failures still
  // count once per period, so it is called unhealthy no sooner than the manifest says.
  let startingUp = kind === 'readiness';
  let lastCountedFailure = Number.NEGATIVE_INFINITY;
  await sleep(timings.initialDelayMs, signal);
  while (!signal.aborted) {
    const outcome = await hooks.run(probe, timings.timeoutMs);
    if (signal.aborted) return;
    if (outcome.ok) {
      failures = 0;
      successes += 1;
      if (kind === 'readiness' && successes >= timings.successThreshold && !hooks.isReady()) {
        startingUp = false;
        hooks.ready();
      }
    } else {
      successes = 0;
      const now = Date.now();
      if (startingUp && now - lastCountedFailure < timings.periodMs) {
        await sleep(Math.min(STARTUP_PROBE_MS, timings.periodMs), signal);
        continue;
      }
      lastCountedFailure = now;
      failures += 1;
      if (failures >= timings.failureThreshold) {
        const message = `${kind} probe failed ${failures} times: ${outcome.message}`;
        if (kind === 'liveness') {
          await hooks.livenessFailed(message);
          return;
        }
        if (options.slowOnceUnhealthy) startingUp = false;
        hooks.unhealthy(message);
      }
    }
    await sleep(startingUp && !outcome.ok ? Math.min(STARTUP_PROBE_MS, timings.periodMs) : timings.periodMs, signal);
  }
}

/** A process or container that just started, as its probes see it. */
export interface ProbedInstance {
  /** Runs `probe` once against it. */
  run(probe: Partial<Probe>, timeoutMs: number): Promise<ProbeOutcome>;
  /** Its liveness probe failed (`message` says how): stop it, for its supervisor to restart it. */
  stop(message: string): Promise<void>;
  /** Done as well when its readiness probe first succeeds. */
  onReady?(): void;
}

/**
 * Starts the readiness and liveness loops of an instance's process or container, which report to
 * `health`; an instance with no readiness probe is ready at once (`clearMessageWithoutProbe`: the
 * message of its last crash then goes too). Abort the controller given back when it ends.
 */
export function startProbes(
  spec: { readiness?: Partial<Probe> | undefined; liveness?: Partial<Probe> | undefined },
  hasPorts: boolean,
  health: InstanceHealth,
  instance: ProbedInstance,
  options: ProbeLoopOptions & { clearMessageWithoutProbe: boolean },
): AbortController {
  const controller = new AbortController();
  const hooks: ProbeLoopHooks = {
    run: (probe, timeoutMs) => instance.run(probe, timeoutMs),
    isReady: () => health.state === 'ready',
    ready: () => {
      health.ready();
      instance.onReady?.();
    },
    unhealthy: (message) => health.unhealthy(message),
    livenessFailed: async (message) => {
      health.livenessKill = message;
      await instance.stop(message);
    },
  };
  const readiness = readinessProbe(spec, hasPorts);
  if (readiness) void probeLoop(readiness, 'readiness', hooks, controller.signal, options);
  else health.ready(options.clearMessageWithoutProbe);
  if (spec.liveness) void probeLoop(spec.liveness, 'liveness', hooks, controller.signal, options);
  return controller;
}
