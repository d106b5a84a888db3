import { convertBuild } from './build.ts';
import { convertCommand, convertEntrypoint } from './command.ts';
import { convertDependsOn } from './depends-on.ts';
import { readServiceEnvironment, type EnvEntry, type ReadFile } from './environment.ts';
import { convertHealthcheck } from './healthcheck.ts';
import type { ServiceInput } from './manifest-input.ts';
import { convertPorts } from './ports.ts';
import type { ComposePath, Reporter } from './reporter.ts';
import { convertScaling } from './resources.ts';
import { serviceKeyNote } from './unsupported-keys.ts';
import { convertFileMounts, type FileDefinitions } from './secrets-configs.ts';
import { convertVolumes, ServiceVolumes } from './volumes.ts';
import { describeValue, isRecord } from './yaml-values.ts';

/** Service keys the importer converts; every other key gets a warning (or is ignored, for x-…). */
export const CONVERTED_SERVICE_KEYS: ReadonlySet<string> = new Set([
  'image',
  'build',
  'command',
  'entrypoint',
  'environment',
  'env_file',
  'ports',
  'expose',
  'depends_on',
  'healthcheck',
  'volumes',
  'tmpfs',
  'deploy',
  'scale',
  'cpus',
  'mem_limit',
  'mem_reservation',
  'profiles',
  'secrets',
  'configs',
]);

export interface ServiceContext {
  /** Compose service name → manifest service name. */
  names: ReadonlyMap<string, string>;
  readFile?: ReadFile;
  /** Top-level secrets and configs, which services mount by name. */
  definitions: FileDefinitions;
  /** Secrets already warned about, so a secret shared by several services is named once. */
  warnedSecrets: Set<string>;
  reporter: Reporter;
}

export interface ConvertedService {
  service: ServiceInput;
  /** Variables are placed once every service is read: see env-placement.ts. */
  env: Map<string, EnvEntry>;
}

/** One Compose service as a manifest service; undefined when it is not a mapping at all. */
export function convertService(composeName: string, raw: unknown, context: ServiceContext): ConvertedService | undefined {
  const { reporter } = context;
  const path: ComposePath = ['services', composeName];
  const name = context.names.get(composeName)!;
  if (!isRecord(raw)) {
    reporter.error(path, `service "${composeName}" ${raw === null ? 'is empty' : `is ${describeValue(raw)}`}: expected a mapping with image or build`, { atKey: true });
    return undefined;
  }

  for (const key of Object.keys(raw)) {
    if (CONVERTED_SERVICE_KEYS.has(key) || key.startsWith('x-')) continue;
    const note = serviceKeyNote(key, name, raw[key]);
    reporter.warn([...path, key], note ?? `${key} is not a Compose service key; it is ignored`, { atKey: true });
  }
  warnProfiles(raw.profiles, [...path, 'profiles'], reporter);

  const service: ServiceInput = { name };
  const imageWritten = raw.image !== undefined && raw.image !== null;
  if (typeof raw.image === 'string' && raw.image.trim()) service.image = raw.image.trim();
  else if (imageWritten) reporter.error([...path, 'image'], `expected an image name such as postgres:16, got ${describeValue(raw.image)}`);
  const build = convertBuild(raw.build, [...path, 'build'], reporter);
  if (build) service.build = build;
  if (!service.image && !service.build && !imageWritten) {
    const buildWritten = raw.build !== undefined && raw.build !== null;
    reporter.error(
      path,
      buildWritten
        ? `service "${composeName}" has no image, and its build cannot be imported (see the build's own diagnostic)`
        : `service "${composeName}" has neither image nor build: Slipway needs an image to run, or a build to make one`,
      { atKey: true },
    );
  }

  const command = convertEntrypoint(raw.entrypoint, [...path, 'entrypoint'], reporter);
  if (command) service.command = command;
  const args = convertCommand(raw.command, [...path, 'command'], reporter);
  if (args) service.args = args;

  const { ports, published } = convertPorts(raw, path, reporter);
  if (ports.length) service.ports = ports;
  const env = readServiceEnvironment(raw, path, context.readFile, reporter);

  const dependsOn = convertDependsOn(raw.depends_on, [...path, 'depends_on'], context.names, reporter);
  if (dependsOn.length) service.dependsOn = dependsOn;
  const readiness = convertHealthcheck(raw.healthcheck, [...path, 'healthcheck'], reporter);
  if (readiness) service.readiness = readiness;

  const { replicas, resources } = convertScaling(raw, path, reporter);
  if (replicas !== undefined) service.replicas = replicas;
  if (resources) service.resources = resources;
  const volumes = new ServiceVolumes(reporter);
  convertVolumes(raw, path, volumes, reporter);
  convertFileMounts(raw, path, context.definitions, volumes, reporter, context.warnedSecrets);
  if (volumes.list.length) service.volumes = volumes.list;

  // Ports only exposed to other services should stay off the router, as they stay off the host in Compose.
  if (!published && ports.some((p) => (p.protocol ?? 'http') === 'http')) service.hostnames = [];
  return { service, env };
}

function warnProfiles(raw: unknown, path: ComposePath, reporter: Reporter): void {
  if (raw === undefined || raw === null) return;
  const profiles = Array.isArray(raw) ? raw.map(String) : [String(raw)];
  if (profiles.length === 0) return;
  reporter.warn(
    path,
    `profiles have no equivalent: Compose starts this service only when profile ${profiles.join(' or ')} is enabled, but it is imported and runs in every environment; remove it from the manifest if it should not`,
    { atKey: true },
  );
}
