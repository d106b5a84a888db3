import type { Diagnostic, ParseResult } from '@slipway/contract';
import { findCycles } from '../../application/dependency-graph.ts';
import { parseDotenv } from './dotenv.ts';
import { placeVariables, type ServiceVariables } from './env-placement.ts';
import { readSafely, type ReadFile } from './environment.ts';
import { interpolateDocument } from './interpolate-document.ts';
import type { ApplicationManifestInput, ServiceInput } from './manifest-input.ts';
import { loadComposeProject, type ComposeFileText } from './project.ts';
import { nameFromFile, toDnsLabel, uniqueLabel } from './names.ts';
import { Reporter } from './reporter.ts';
import { convertOneShots } from './one-shot-jobs.ts';
import { convertService } from './service.ts';
import { topLevelKeyNote } from './unsupported-keys.ts';
import { describeValue, isRecord } from './yaml-values.ts';

export interface ComposeImportInput {
  /** The Compose file's name as the user gave it; diagnostics name it. */
  file: string;
  /** Its content. */
  text: string;
  /** The application's name; else the Compose file's `name:`, else its file or folder name. */
  name?: string;
  /**
   * Reads a file relative to the Compose file (env_file entries, and .env for `${VAR}` values);
   * undefined when there is no such file. Without it, those files are reported as not read.
   */
  readFile?: ReadFile;
  /**
   * Files merged over this one in order, as `docker compose -f file -f override…` merges them
   * (an override file, a second -f). Their paths are read relative to the first file's folder.
   */
  overrides?: ComposeFileText[];
  /**
   * Files of variables given instead of the project's `.env` (`--env-file`, later ones winning), as
   * `docker compose --env-file` does. Absent: `.env` beside the first file, through readFile.
   */
  envFiles?: ComposeFileText[];
  /**
   * The shell's variables, which Compose prefers over `.env` when it fills `${VAR}` in images, ports
   * and other fields. They are never copied into the manifest's variables.
   */
  shellEnvironment?: Readonly<Record<string, string | undefined>>;
}

/** Order of a service's fields in the manifest: identity, what runs, how it connects, how it behaves. */
const SERVICE_FIELD_ORDER = ['name', 'image', 'build', 'command', 'args', 'ports', 'env', 'dependsOn', 'readiness', 'replicas', 'resources', 'volumes', 'hostnames'];
const JOB_FIELD_ORDER = ['name', 'fromService', 'image', 'command', 'env', 'dependsOn', 'resources'];

/**
 * Turns a Docker Compose file into an Application manifest for the docker runtime. Never throws on
 * user input: the value (absent when there are errors) is the manifest as a person would write it,
 * ready for `yaml`'s stringify; warnings name everything that could not be carried over.
 */
export function importCompose(input: ComposeImportInput): ParseResult<ApplicationManifestInput> {
  const { file, text } = input;
  const project = loadComposeProject([{ file, text }, ...(input.overrides ?? [])], input.readFile);
  if (!('root' in project)) return { errors: sortByPosition(project.errors), warnings: project.warnings };
  const { primary } = project;
  const reporter = new Reporter(file, primary.doc, primary.lineCounter);
  reporter.locateWith(project.locator);
  reporter.warnings.push(...project.warnings);
  reporter.errors.push(...project.errors);

  const dotenv = input.envFiles ? readEnvFiles(input.envFiles, reporter) : readDotenv(file, input.readFile, reporter);
  const root = interpolateDocument(project.root, { dotenv, shell: input.shellEnvironment ?? {}, envFileGiven: input.envFiles !== undefined, file }, reporter);
  checkTopLevel(root, reporter);

  const rawServices = root.services;
  if (!isRecord(rawServices) || Object.keys(rawServices).length === 0) {
    const none = rawServices === undefined || rawServices === null || isRecord(rawServices);
    reporter.error(
      rawServices === undefined ? [] : ['services'],
      none ? 'the file has no services: a Compose file lists them under services:' : `expected a mapping of services, got ${describeValue(rawServices)}`,
      { atKey: true },
    );
    return result(reporter);
  }

  const names = serviceNames(Object.keys(rawServices), reporter);
  const definitions = {
    secrets: isRecord(root.secrets) ? root.secrets : {},
    configs: isRecord(root.configs) ? root.configs : {},
  };
  const warnedSecrets = new Set<string>();
  const services: ServiceInput[] = [];
  const variables: ServiceVariables[] = [];
  for (const [composeName, raw] of Object.entries(rawServices)) {
    // Its extends could not be followed: that error says all there is to say about it.
    if (project.broken.has(composeName)) continue;
    const converted = convertService(composeName, raw, { names, readFile: input.readFile, definitions, warnedSecrets, reporter });
    if (!converted) continue;
    services.push(converted.service);
    variables.push({ name: converted.service.name, entries: converted.env });
  }
  checkCycles(services, names, reporter);

  const placed = placeVariables(variables, dotenv, reporter);
  for (const service of services) {
    const env = placed.services.get(service.name);
    if (env) service.env = env;
  }
  // Services others wait to complete become jobs once their variables are placed (jobs receive env too).
  const composeNames = new Map([...names].map(([compose, label]) => [label, compose]));
  const { services: longRunning, jobs } = convertOneShots(services, composeNames, reporter);
  const env = {
    ...(Object.keys(placed.defaults).length ? { defaults: placed.defaults } : {}),
    ...(Object.keys(placed.mapping).length ? { mapping: placed.mapping } : {}),
  };

  const manifest: ApplicationManifestInput = {
    apiVersion: 'slipway.dev/v1',
    kind: 'Application',
    metadata: {
      name: applicationName(input, root.name, reporter),
      description: `Imported from the Docker Compose file ${baseName(file)}`,
    },
    spec: {
      runtime: 'docker',
      services: longRunning.map((s) => ordered(s, SERVICE_FIELD_ORDER)),
      ...(jobs.length ? { jobs: jobs.map((j) => ordered(j, JOB_FIELD_ORDER)) } : {}),
      ...(Object.keys(env).length ? { env } : {}),
    },
  };
  return result(reporter, manifest);
}

function result(reporter: Reporter, value?: ApplicationManifestInput): ParseResult<ApplicationManifestInput> {
  const errors = sortByPosition(reporter.errors);
  const warnings = sortByPosition(reporter.warnings);
  return errors.length || !value ? { errors, warnings } : { value, errors, warnings };
}

/** By file in the order they were first reported (the first Compose file first), then line and column. */
function sortByPosition(list: Diagnostic[]): Diagnostic[] {
  const files = [...new Set(list.map((d) => d.file))];
  return [...list].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** `.env` holds the values Compose interpolates; an unreadable one is the same as none. */
function readDotenv(file: string, readFile: ReadFile | undefined, reporter: Reporter): Map<string, string> {
  const values = new Map<string, string>();
  const text = readSafely(readFile, '.env');
  if (text === undefined) return values;
  const parsed = parseDotenv(text);
  const dotenvFile = `${file.replace(/[^\\/]*$/, '')}.env`;
  for (const problem of parsed.problems) reporter.warnings.push({ severity: 'warning', file: dotenvFile, line: problem.line, column: 1, message: problem.message });
  for (const entry of parsed.entries) if (entry.value !== undefined) values.set(entry.key, entry.value);
  return values;
}

function readEnvFiles(files: ComposeFileText[], reporter: Reporter): Map<string, string> {
  const values = new Map<string, string>();
  for (const { file, text } of files) {
    const parsed = parseDotenv(text);
    for (const problem of parsed.problems) reporter.warnings.push({ severity: 'warning', file, line: problem.line, column: 1, message: problem.message });
    for (const entry of parsed.entries) if (entry.value !== undefined) values.set(entry.key, entry.value);
  }
  return values;
}

function checkTopLevel(root: Record<string, unknown>, reporter: Reporter): void {
  const services = isRecord(root.services) ? Object.values(root.services).filter(isRecord) : [];
  for (const [key, value] of Object.entries(root)) {
    if (key === 'services' || key === 'version' || key === 'name' || key.startsWith('x-')) continue;
    if (key === 'volumes') {
      checkVolumeDefinitions(value, reporter);
      continue;
    }
    // Services that use networks, secrets or configs are converted or warned about one by one already.
    if (['networks', 'secrets', 'configs'].includes(key) && services.some((s) => s[key] !== undefined)) continue;
    reporter.warn([key], topLevelKeyNote(key) ?? `${key} is not a top-level Compose key; it is ignored`, { atKey: true });
  }
}

function checkVolumeDefinitions(raw: unknown, reporter: Reporter): void {
  if (!isRecord(raw)) return;
  for (const [name, definition] of Object.entries(raw)) {
    if (!isRecord(definition)) continue;
    if (definition.external !== undefined && definition.external !== false) {
      reporter.warn(['volumes', name, 'external'], `volume ${name} is made outside Compose; Slipway makes a new persistent volume for each environment instead`, { atKey: true });
    }
    for (const key of ['driver', 'driver_opts']) {
      if (definition[key] !== undefined) {
        reporter.warn(['volumes', name, key], `${key} has no equivalent: persistent volumes are made by the runtime's default driver`, { atKey: true });
      }
    }
  }
}

/** Compose names → DNS labels, unique, with a warning for each that had to change. */
function serviceNames(composeNames: string[], reporter: Reporter): Map<string, string> {
  const taken = new Set<string>();
  const names = new Map<string, string>();
  // Names that are already labels keep them; only the others have to make room.
  for (const name of composeNames) if (toDnsLabel(name) === name) names.set(name, uniqueLabel(name, taken));
  for (const name of composeNames) {
    if (names.has(name)) continue;
    const label = uniqueLabel(toDnsLabel(name) || 'service', taken);
    names.set(name, label);
    reporter.warn(
      ['services', name],
      `service "${name}" is renamed "${label}": names are lowercase letters, digits and "-"; other services that reach it as ${name} must use ${label}`,
      { atKey: true },
    );
  }
  return names;
}

function checkCycles(services: ServiceInput[], names: ReadonlyMap<string, string>, reporter: Reporter): void {
  const graph = new Map(services.map((s) => [s.name, (s.dependsOn ?? []).map((d) => (typeof d === 'string' ? d : d.name))]));
  const composeName = new Map([...names].map(([compose, label]) => [label, compose]));
  for (const cycle of findCycles(graph)) {
    const compose = cycle.map((n) => composeName.get(n) ?? n);
    reporter.error(['services', compose[0]!, 'depends_on'], `dependency cycle: ${compose.join(' → ')}; no service of it could start first`);
  }
}

function applicationName(input: ComposeImportInput, composeName: unknown, reporter: Reporter): string {
  const given = input.name ?? (typeof composeName === 'string' && composeName ? composeName : undefined);
  const label = toDnsLabel(given ?? nameFromFile(input.file) ?? '') || 'app';
  if (given !== undefined && label !== given) {
    reporter.warnings.push({
      severity: 'warning',
      file: input.file,
      message: `the application is named "${label}": names are lowercase letters, digits and "-", and "${given}" is not`,
    });
  }
  return label;
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() || file;
}

function ordered<T extends object>(value: T, order: string[]): T {
  const entries = Object.entries(value).sort(([a], [b]) => rank(order, a) - rank(order, b));
  return Object.fromEntries(entries) as T;
}

function rank(order: string[], key: string): number {
  const index = order.indexOf(key);
  return index < 0 ? order.length : index;
}
