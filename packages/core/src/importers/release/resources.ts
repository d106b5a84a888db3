import type { ResourcesInput } from './manifest-input.ts';
import { cpuMillis, cpuQuantity, memoryBytes, memoryQuantity } from './quantities.ts';
import { describe, isRawMap, wholeNumber, type RawMap } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';

type Quantity = string | number;

interface Pair {
  limits?: Quantity;
  requests?: Quantity;
}

/** Release's app-level `resources`: defaults every service gets unless it sets its own. */
export interface ResourceDefaults {
  cpu: Pair;
  memory: Pair;
  replicas?: number;
}

const resourceKeys = new Set(['cpu', 'memory', 'replicas']);

export function readResourceDefaults(src: SourceFile, raw: unknown, path: Path): ResourceDefaults {
  const defaults: ResourceDefaults = { cpu: {}, memory: {} };
  if (raw === undefined || raw === null) return defaults;
  if (!isRawMap(raw)) {
    src.warn(path, `expected resources as a mapping of cpu, memory and replicas, got ${describe(raw)}; ignored`);
    return defaults;
  }
  defaults.cpu = readPair(src, raw.cpu, [...path, 'cpu'], 'cpu');
  defaults.memory = readPair(src, raw.memory, [...path, 'memory'], 'memory');
  defaults.replicas = readReplicas(src, raw.replicas, [...path, 'replicas']);
  for (const key of Object.keys(raw)) {
    if (resourceKeys.has(key)) continue;
    if (key === 'storage') src.warn([...path, key], 'resources.storage sizes Release cloud volumes; give each persistent volume its size in Slipway');
    else if (/gpu/i.test(key)) src.warn([...path, key], `${key}: Slipway does not schedule GPUs; give the Docker engine access to them (e.g. --gpus) yourself`);
    else src.warn([...path, key], `resources.${key} has no Slipway equivalent; ignored`);
  }
  return defaults;
}

export function readReplicas(src: SourceFile, raw: unknown, path: Path): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const n = wholeNumber(raw);
  if (n === undefined || n > 100) {
    src.warn(path, `expected replicas as a whole number from 0 to 100, got ${describe(raw)}; ignored`);
    return undefined;
  }
  return n;
}

/**
 * Resources of a service or job: its own cpu/memory limits and requests, each missing one taken
 * from the app-level defaults (pass none for jobs). A request above its limit (a 100Mi default
 * request under a 20Mi limit) could never be scheduled, so it is lowered to the limit.
 */
export function resourcesFor(src: SourceFile, owner: RawMap, path: Path, defaults?: ResourceDefaults): ResourcesInput | undefined {
  const ownCpu = readPair(src, owner.cpu, [...path, 'cpu'], 'cpu');
  const ownMemory = readPair(src, owner.memory, [...path, 'memory'], 'memory');
  const cpu = merge(ownCpu, defaults?.cpu);
  const memory = merge(ownMemory, defaults?.memory);
  clamp(src, cpu, ownCpu.requests === undefined, [...path, 'cpu'], 'cpu', cpuMillis);
  clamp(src, memory, ownMemory.requests === undefined, [...path, 'memory'], 'memory', (q) => memoryBytes(String(q)));
  const requests = compact({ cpu: cpu.requests, memory: memory.requests as string | undefined });
  const limits = compact({ cpu: cpu.limits, memory: memory.limits as string | undefined });
  if (!requests && !limits) return undefined;
  const out: ResourcesInput = {};
  if (requests) out.requests = requests;
  if (limits) out.limits = limits;
  return out;
}

function readPair(src: SourceFile, raw: unknown, path: Path, kind: 'cpu' | 'memory'): Pair {
  if (raw === undefined || raw === null) return {};
  if (!isRawMap(raw)) {
    src.warn(path, `expected ${kind} as a mapping of limits and requests, got ${describe(raw)}; ignored`);
    return {};
  }
  const pair: Pair = {};
  for (const key of ['limits', 'requests'] as const) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    const quantity = readQuantity(src, value, [...path, key], kind);
    if (quantity !== undefined) pair[key] = quantity;
  }
  for (const key of Object.keys(raw)) {
    if (key !== 'limits' && key !== 'requests') src.warn([...path, key], `${kind}.${key} is not a Slipway resource field (limits, requests); ignored`);
  }
  return pair;
}

function readQuantity(src: SourceFile, value: unknown, path: Path, kind: 'cpu' | 'memory'): Quantity | undefined {
  if (kind === 'cpu') {
    const cpu = cpuQuantity(value);
    if (cpu === undefined) src.warn(path, `${describe(value)} is not a CPU quantity (such as 0.5, 1 or 500m); ignored`);
    return cpu;
  }
  const memory = memoryQuantity(value);
  if (memory === undefined) {
    src.warn(path, `${describe(value)} is not a memory quantity (such as 256Mi or 1Gi); ignored`);
    return undefined;
  }
  if (memory.rewritten) src.warn(path, `memory ${describe(value)} is written ${memory.quantity}, the form Slipway reads`);
  return memory.quantity;
}

function merge(own: Pair, defaults: Pair | undefined): Pair {
  return { limits: own.limits ?? defaults?.limits, requests: own.requests ?? defaults?.requests };
}

function clamp(src: SourceFile, pair: Pair, requestIsDefault: boolean, path: Path, kind: string, size: (q: Quantity) => number): void {
  if (pair.limits === undefined || pair.requests === undefined) return;
  if (size(pair.requests) > size(pair.limits)) {
    const origin = requestIsDefault ? ' (from the app-level resources)' : '';
    src.warn(path, `${kind} request ${pair.requests}${origin} is above the limit ${pair.limits} and could never be met; the request is lowered to ${pair.limits}`);
    pair.requests = pair.limits;
  }
}

function compact<T extends Record<string, unknown>>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return entries.length ? (Object.fromEntries(entries) as T) : undefined;
}
