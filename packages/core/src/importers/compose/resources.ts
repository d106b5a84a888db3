import type { ResourcesInput } from './manifest-input.ts';
import { toCpuQuantity, toMemoryQuantity } from './quantities.ts';
import type { ComposePath, Reporter } from './reporter.ts';
import { describeValue, isRecord } from './yaml-values.ts';

const MAX_REPLICAS = 100;

export interface Scaling {
  replicas?: number;
  resources?: ResourcesInput;
}

/** Why each `deploy` key other than replicas and resources is not carried over. */
const DEPLOY_NOTES: Record<string, string> = {
  mode: 'services run as replicas of one container definition (global mode is a Swarm feature)',
  placement: 'the runtime places containers',
  restart_policy: 'the runtime supervises and restarts services',
  update_config: 'Slipway runs deploys through its workflows',
  rollback_config: 'Slipway runs deploys through its workflows',
  endpoint_mode: "services are reached by name on the environment's network",
  labels: 'Slipway labels what it creates itself',
};

/**
 * `deploy.replicas` and `deploy.resources` (limits → limits, reservations → requests), and their
 * pre-Swarm spellings on the service itself: `scale`, `cpus`, `mem_limit`, `mem_reservation`.
 */
export function convertScaling(service: Record<string, unknown>, path: ComposePath, reporter: Reporter): Scaling {
  const scaling: Scaling = {};
  const limits: NonNullable<ResourcesInput['limits']> = {};
  const requests: NonNullable<ResourcesInput['requests']> = {};

  const replicas = (value: unknown, at: ComposePath) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      reporter.error(at, `expected a whole number of replicas, got ${describeValue(value)}`);
    } else if (value > MAX_REPLICAS) {
      reporter.warn(at, `${value} replicas is more than the ${MAX_REPLICAS} a service may have; ${MAX_REPLICAS} is used`);
      scaling.replicas = MAX_REPLICAS;
    } else if (value !== 1) scaling.replicas = value;
  };
  const cpu = (target: { cpu?: number | string }, value: unknown, at: ComposePath) => {
    const quantity = toCpuQuantity(value);
    if (quantity !== undefined) target.cpu = quantity;
    else if (value !== 0 && value !== '0') reporter.warn(at, `${describeValue(value)} is not a number of CPUs such as 0.5; it is left out`);
  };
  const memory = (target: { memory?: string }, value: unknown, at: ComposePath) => {
    const quantity = toMemoryQuantity(value);
    if (quantity !== undefined) target.memory = quantity;
    else reporter.warn(at, `${describeValue(value)} is not a size such as 512m or 1.5g; it is left out`);
  };

  if (service.scale !== undefined) replicas(service.scale, [...path, 'scale']);
  if (service.cpus !== undefined) cpu(limits, service.cpus, [...path, 'cpus']);
  if (service.mem_limit !== undefined) memory(limits, service.mem_limit, [...path, 'mem_limit']);
  if (service.mem_reservation !== undefined) memory(requests, service.mem_reservation, [...path, 'mem_reservation']);

  const deploy = service.deploy;
  const deployPath = [...path, 'deploy'];
  if (isRecord(deploy)) {
    for (const [key, value] of Object.entries(deploy)) {
      const at = [...deployPath, key];
      if (key === 'replicas') replicas(value, at);
      else if (key === 'resources') readResources(value, at, { limits, requests }, { cpu, memory }, reporter);
      else if (key.startsWith('x-')) continue;
      else reporter.warn(at, `deploy.${key} has no equivalent: ${DEPLOY_NOTES[key] ?? 'it is not a Compose deploy setting Slipway knows'}`, { atKey: true });
    }
  } else if (deploy !== undefined && deploy !== null) {
    reporter.error(deployPath, `expected a mapping, got ${describeValue(deploy)}`);
  }

  const resources: ResourcesInput = {};
  if (Object.keys(requests).length) resources.requests = requests;
  if (Object.keys(limits).length) resources.limits = limits;
  if (resources.requests || resources.limits) scaling.resources = resources;
  return scaling;
}

type Setters = {
  cpu: (target: { cpu?: number | string }, value: unknown, at: ComposePath) => void;
  memory: (target: { memory?: string }, value: unknown, at: ComposePath) => void;
};

function readResources(
  raw: unknown,
  path: ComposePath,
  targets: { limits: { cpu?: number | string; memory?: string }; requests: { cpu?: number | string; memory?: string } },
  set: Setters,
  reporter: Reporter,
): void {
  if (!isRecord(raw)) {
    reporter.error(path, `expected limits and reservations, got ${describeValue(raw)}`);
    return;
  }
  for (const [key, value] of Object.entries(raw)) {
    const at = [...path, key];
    const target = key === 'limits' ? targets.limits : key === 'reservations' ? targets.requests : undefined;
    if (!target) {
      if (!key.startsWith('x-')) reporter.warn(at, `deploy.resources.${key} has no equivalent; only limits and reservations are imported`, { atKey: true });
      continue;
    }
    if (!isRecord(value)) {
      reporter.error(at, `expected cpus and memory, got ${describeValue(value)}`);
      continue;
    }
    for (const [field, amount] of Object.entries(value)) {
      if (field === 'cpus') set.cpu(target, amount, [...at, field]);
      else if (field === 'memory') set.memory(target, amount, [...at, field]);
      else if (field === 'devices') reporter.warn([...at, field], 'devices (such as GPUs) have no equivalent: containers get no device access', { atKey: true });
      else if (!field.startsWith('x-')) reporter.warn([...at, field], `deploy.resources.${key}.${field} has no equivalent; only cpus and memory are imported`, { atKey: true });
    }
  }
}
