// What both runtimes' supervisors and drivers share about waiting and their state folders.
import { readdirSync } from 'node:fs';
import type { BackoffSettings } from '@slipway/core';

/** How an instance supervisor restarts and stops what it supervises. */
export interface SupervisionSettings {
  backoff: BackoffSettings;
  /** Time between SIGTERM and SIGKILL when stopping (the docker engine counts it in whole seconds). */
  graceMs: number;
  /** A process or container that ran this long resets the backoff. */
  stableMs: number;
}

/** A port of an instance and the port of the host it is reached on. */
export interface Endpoint {
  port: number;
  hostPort: number;
}

/** How often a starting instance's readiness is probed until it is first ready. */
export const STARTUP_PROBE_MS = 50;

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The entries of a folder, or none when it does not exist (yet). */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
