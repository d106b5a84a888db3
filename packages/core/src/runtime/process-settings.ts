// Pure decisions drivers share: probe timings, restart backoff, variable resolution, the state a
// set of instances adds up to. Kept here so every driver behaves the same way.
import { durationToMs, type EnvMap, type Probe, type RenderedEnvironment, type ResolvedEnvValue, type ResolvedService, type SecretRef } from '@slipway/contract';
import type { InstanceStatus, SecretValues } from './runtime-driver.ts';

export interface ProbeTimings {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
}

/** A probe's timings in milliseconds, with the manifest's defaults for fields left out. */
export function probeTimings(probe: Partial<Probe>): ProbeTimings {
  return {
    initialDelayMs: durationToMs(probe.initialDelay ?? '0s'),
    periodMs: Math.max(50, durationToMs(probe.period ?? '2s')),
    timeoutMs: Math.max(50, durationToMs(probe.timeout ?? '1s')),
    failureThreshold: probe.failureThreshold ?? 3,
    successThreshold: probe.successThreshold ?? 1,
  };
}

export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { initialMs: 1_000, maxMs: 30_000 };

/** Wait before restart number `attempt` (1 for the first restart): doubling, capped. */
export function restartDelayMs(attempt: number, settings: BackoffSettings = DEFAULT_BACKOFF): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(settings.maxMs, settings.initialMs * 2 ** exponent);
}

/** Key of a secret value in `SecretValues`. */
export function secretKey(ref: SecretRef): string {
  return ref.key ? `${ref.secret}/${ref.key}` : ref.secret;
}

/**
 * Turns rendered variables into plain values. Missing secrets are named (never their values) so the
 * caller can report an error instead of starting a process with a hole in its configuration.
 */
export function resolveVariables(
  env: Record<string, ResolvedEnvValue>,
  secrets: SecretValues = {},
): { values: Record<string, string>; missingSecrets: string[] } {
  const values: Record<string, string> = {};
  const missingSecrets: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === 'string') values[name] = value;
    else {
      const key = secretKey(value);
      const secret = secrets[key];
      if (secret === undefined) missingSecrets.push(key);
      else values[name] = secret;
    }
  }
  return { values, missingSecrets: [...new Set(missingSecrets)].sort() };
}

/** A manifest's variables (text, numbers, booleans, secret references) as rendered ones: numbers and booleans become text. */
export function renderedVariables(env: EnvMap | undefined): Record<string, ResolvedEnvValue> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, typeof v === 'object' ? v : String(v)]));
}

/** The variable sets a service's processes start with: its own, each init step's, each sidecar's. */
export function serviceVariableSets(service: ResolvedService): Record<string, ResolvedEnvValue>[] {
  return [service.env, ...service.initContainers.map((i) => renderedVariables(i.env)), ...service.sidecars.map((s) => renderedVariables(s.env))];
}

/** Keys of the secrets a service's processes need that `secrets` lacks, each once, sorted. */
export function missingServiceSecrets(service: ResolvedService, secrets: SecretValues = {}): string[] {
  return [...new Set(serviceVariableSets(service).flatMap((env) => resolveVariables(env, secrets).missingSecrets))].sort();
}

/** The names of the workspace secrets an environment reads: its services', init steps', sidecars' and jobs' variables. Sorted, each once. */
export function secretNamesOf(rendered: Pick<RenderedEnvironment, 'services' | 'jobs'>): string[] {
  const sets = [...rendered.services.flatMap(serviceVariableSets), ...rendered.jobs.map((j) => j.env)];
  return [...new Set(sets.flatMap((env) => Object.values(env).flatMap((v) => (typeof v === 'object' ? [v.secret] : []))))].sort();
}

/** True when a variable map holds secret references (a driver then needs the secrets to start it). */
export function usesSecrets(env: Record<string, ResolvedEnvValue>): boolean {
  return Object.values(env).some((v) => typeof v !== 'string');
}

export type ServiceReadiness =
  | { state: 'ready' }
  | { state: 'pending' }
  | { state: 'failed'; instance: InstanceStatus; reason: string };

/**
 * What a set of instances adds up to for a `condition: ready` dependency: failed as soon as one
 * crash-loops (the application's fault), ready when every instance is ready, pending otherwise —
 * an unhealthy instance may still become ready, so only the caller's timeout turns it into a failure.
 */
export function serviceReadiness(instances: InstanceStatus[], expectedReplicas: number): ServiceReadiness {
  for (const instance of instances) {
    if (instance.state === 'crash-looping') {
      const exit = instance.lastExit ? ` (last exit code ${instance.lastExit.code ?? `unknown, signal ${instance.lastExit.signal ?? 'none'}`})` : '';
      return { state: 'failed', instance, reason: `${instance.name} is crash-looping${exit}${instance.message ? `: ${instance.message}` : ''}` };
    }
  }
  const ready = instances.filter((i) => i.state === 'ready').length;
  return ready >= expectedReplicas ? { state: 'ready' } : { state: 'pending' };
}

/** Why instances are not ready yet, for a timeout message: "api-0 unhealthy: readiness probe failed …". */
export function notReadyReasons(instances: InstanceStatus[]): string {
  return instances
    .filter((i) => i.state !== 'ready')
    .map((i) => `${i.name} ${i.state}${i.message ? `: ${i.message}` : ''}`)
    .join('; ');
}
