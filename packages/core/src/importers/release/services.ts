import type { ImageSources } from './builds.ts';
import { convertInitContainers, convertSidecars } from './containers.ts';
import type { EnvironmentVariables } from './env-vars.ts';
import type { ServiceInput } from './manifest-input.ts';
import { convertPorts, type ConvertedPort } from './ports.ts';
import { convertProbe } from './probes.ts';
import { commandOf, describe, isRawMap, listAt, scalarText, type RawMap } from './raw-values.ts';
import { readReplicas, resourcesFor, type ResourceDefaults } from './resources.ts';
import type { Path, SourceFile } from './source-file.ts';
import { staticKeys, staticSite } from './static-site.ts';
import { convertVolumes, type SharedVolume } from './volumes.ts';

export interface ServiceContext {
  defaults: ResourceDefaults;
  shared: Map<string, SharedVolume>;
  images: ImageSources;
  env: EnvironmentVariables;
}

/** A converted service before the parts that need every service (dependsOn, hostnames) are added. */
export interface ServiceDraft {
  name: string;
  releaseName: string;
  path: Path;
  spec: ServiceInput;
  ports: ConvertedPort[];
  isStatic: boolean;
  /** Release's depends_on, resolved once every service and job has its name. */
  dependsOn: { release: string; path: Path }[];
}

const handledKeys = new Set([
  'name',
  'description',
  'image',
  'build',
  'has_repo',
  ...staticKeys,
  'command',
  'args',
  'ports',
  'envs',
  'depends_on',
  'readiness_probe',
  'liveness_probe',
  'init',
  'sidecars',
  'volumes',
  'configmap',
  'storage',
  'cpu',
  'memory',
  'replicas',
]);

/** Why a Release service setting cannot come along, for the ones people actually use. */
const droppedSettings: Record<string, string> = {
  service_account_name: 'a Kubernetes service account',
  service_account: 'a Kubernetes service account',
  tolerations: 'Kubernetes node tolerations',
  affinity: 'Kubernetes node affinity',
  max_replicas: 'autoscaling',
  min_replicas: 'autoscaling',
  autoscaling: 'autoscaling',
  nvidia_com_gpu: 'a GPU request, which the docker runtime does not schedule',
  security_context: 'a Kubernetes security context',
  pod_security_context: 'a Kubernetes security context',
  annotations: 'Kubernetes annotations',
  labels: 'Kubernetes labels',
  image_pull_secrets: "registry credentials, which belong in the Docker engine's login",
  external_dns: 'an external DNS record',
  lifecycle: 'Kubernetes lifecycle hooks',
  termination_grace_period: 'a Kubernetes termination grace period',
};

export function convertService(src: SourceFile, raw: RawMap, path: Path, name: string, ctx: ServiceContext): ServiceDraft {
  const releaseName = scalarText(raw.name) ?? name;
  const image = scalarText(raw.image);
  const site = staticSite(src, raw, path);
  const spec: ServiceInput = { name };
  const description = scalarText(raw.description);
  if (description) spec.description = description;

  let ports: ConvertedPort[] = [];
  if (site) {
    spec.static = site;
    for (const key of ['image', 'build', 'command', 'args', 'ports'] as const) {
      if (raw[key] !== undefined && !(Array.isArray(raw[key]) && (raw[key] as unknown[]).length === 0)) {
        src.warn([...path, key], `"${name}" is a static site, built and served by the router; its ${key} is dropped`);
      }
    }
  } else {
    Object.assign(spec, ctx.images.resolve(raw, path, name));
    const command = commandOf(raw.command);
    if (command) spec.command = command;
    else if (raw.command !== undefined) src.warn([...path, 'command'], `expected a command as text or a list, got ${describe(raw.command)}; ignored`);
    const args = commandOf(raw.args);
    if (args) spec.args = typeof args === 'string' ? [args] : args;
    ports = convertPorts(src, listAt(src, raw.ports, [...path, 'ports'], 'ports'), [...path, 'ports'], { name, image });
    if (ports.length) spec.ports = ports.map((p) => p.spec);
  }

  const env = ctx.env.take(`service:${name}`, `service "${name}"`);
  if (env) spec.env = env;

  if (!site) {
    const portSpecs = spec.ports ?? [];
    const readiness = convertProbe(src, raw.readiness_probe, [...path, 'readiness_probe'], portSpecs, image);
    const liveness = convertProbe(src, raw.liveness_probe, [...path, 'liveness_probe'], portSpecs, image);
    if (portSpecs.length && !spec.ports) spec.ports = portSpecs;
    // A probe may have added the port it checks; keep the drafts' view in step.
    for (const p of portSpecs) if (!ports.some((c) => c.spec === p)) ports.push({ spec: p, servicePort: p.port });
    if (readiness) spec.readiness = readiness;
    if (liveness) spec.liveness = liveness;

    const names = new Set<string>();
    const initContainers = convertInitContainers(src, raw.init, [...path, 'init'], { service: name, serviceImage: image, env: ctx.env, names });
    if (initContainers.length) spec.initContainers = initContainers;
    const sidecars = convertSidecars(src, raw.sidecars, [...path, 'sidecars'], { service: name, serviceImage: image, env: ctx.env, names, servicePorts: portSpecs });
    if (sidecars.length) spec.sidecars = sidecars;

    const replicas = readReplicas(src, raw.replicas, [...path, 'replicas']) ?? ctx.defaults.replicas;
    if (replicas !== undefined && replicas !== 1) spec.replicas = replicas;
    const resources = resourcesFor(src, raw, path, ctx.defaults);
    if (resources) spec.resources = resources;
    const volumes = convertVolumes(src, raw, path, { service: name, shared: ctx.shared });
    if (volumes.length) spec.volumes = volumes;
  }

  reportDropped(src, raw, path, name);
  const dependsOn = listAt(src, raw.depends_on, [...path, 'depends_on'], 'depends_on').flatMap((d, i) => {
    const release = scalarText(d) ?? (isRawMap(d) ? scalarText(d.name) : undefined);
    if (release === undefined) src.warn([...path, 'depends_on', i], `expected a service name, got ${describe(d)}; ignored`);
    return release === undefined ? [] : [{ release, path: [...path, 'depends_on', i] }];
  });
  return { name, releaseName, path, spec, ports, isStatic: site !== undefined, dependsOn };
}

function reportDropped(src: SourceFile, raw: RawMap, path: Path, name: string): void {
  for (const key of Object.keys(raw)) {
    if (handledKeys.has(key)) continue;
    if (key === 'node_selector') {
      src.warn([...path, key], `node_selector${selectorText(raw[key])} places "${name}" on chosen Kubernetes nodes; the docker runtime has one engine, so it is dropped`);
    } else if (droppedSettings[key]) {
      src.warn([...path, key], `${key} is ${droppedSettings[key]}; Slipway has no equivalent, so it is dropped`);
    } else {
      src.warn([...path, key], `service field "${key}" has no Slipway equivalent; ignored`);
    }
  }
}

function selectorText(raw: unknown): string {
  const pairs = Array.isArray(raw)
    ? raw.flatMap((p) => (isRawMap(p) && p.key !== undefined ? [`${scalarText(p.key)}=${scalarText(p.value) ?? ''}`] : []))
    : isRawMap(raw)
      ? Object.entries(raw).map(([k, v]) => `${k}=${scalarText(v) ?? ''}`)
      : [];
  return pairs.length ? ` (${pairs.join(', ')})` : '';
}

/** The service in the key order people write, with what was resolved across services. */
export function finishService(draft: ServiceDraft, extra: Pick<ServiceInput, 'dependsOn' | 'hostnames'>): ServiceInput {
  const order: (keyof ServiceInput)[] = [
    'name',
    'description',
    'image',
    'build',
    'static',
    'command',
    'args',
    'ports',
    'env',
    'dependsOn',
    'readiness',
    'liveness',
    'initContainers',
    'sidecars',
    'replicas',
    'resources',
    'volumes',
    'hostnames',
  ];
  const merged: ServiceInput = { ...draft.spec, ...extra };
  const out: Record<string, unknown> = {};
  for (const key of order) if (merged[key] !== undefined) out[key] = merged[key];
  return out as ServiceInput;
}
