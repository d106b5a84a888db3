import { SLIPWAY_API_VERSION, type Diagnostic, type ParseResult } from '@slipway/contract';
import { parseYamlFile } from '../../yaml/yaml-file.ts';
import { applicationName } from './application-name.ts';
import { convertAppImports } from './app-imports.ts';
import { ImageSources } from './builds.ts';
import { convertDatasets } from './datasets.ts';
import { resolveDependencies } from './dependencies.ts';
import { EnvironmentVariables, reportEnvFileExtras } from './env-vars.ts';
import { convertEnvironmentTemplates } from './environment-templates.ts';
import { convertRules, readHostnames } from './hostnames.ts';
import { convertIngress } from './ingress.ts';
import { convertJobList, finishJob, type JobDraft } from './jobs.ts';
import type { ApplicationManifestInput, ApplicationSpecInput, CronJobInput, JobInput, ServiceInput } from './manifest-input.ts';
import { NameRegistry, variablePrefix, type UnitKind } from './names.ts';
import { readParameters } from './parameters.ts';
import { describe, isRawMap, listAt, mapAt, scalarText, type RawMap } from './raw-values.ts';
import { readResourceDefaults } from './resources.ts';
import { convertService, finishService, type ServiceDraft } from './services.ts';
import { SourceFile, type DiagnosticSink, type Path } from './source-file.ts';
import { reportTopLevelKeys } from './top-level-keys.ts';
import { builtinVariables, variableContext } from './variables.ts';
import { readSharedVolumes, reportUnclaimed } from './volumes.ts';
import { convertWorkflows } from './workflows.ts';

export interface ReleaseImportInput {
  /** Name of .release/application_template.yaml as the user gave it, for diagnostics. */
  templateFile: string;
  templateText: string;
  /** .release/environment_variables.yaml, when the repository has one. */
  envFile?: string;
  envText?: string;
  /** Name of the application; else Release's `app`, else the repository's name, made a DNS label. */
  name?: string;
}

/**
 * Converts a Release (releasehub.com) application template, and its default environment
 * variables, into a Slipway Application manifest in the shape a user writes it. Never throws on
 * user input: what cannot be carried over is a warning naming the Release line it came from.
 */
export function importReleaseTemplate(input: ReleaseImportInput): ParseResult<ApplicationManifestInput> {
  const sink: DiagnosticSink = { warnings: [], errors: [] };
  try {
    const value = convert(input, sink);
    return sink.errors.length || !value ? { warnings: sink.warnings, errors: sink.errors } : { value, warnings: sink.warnings, errors: sink.errors };
  } catch (e) {
    // A bug here must not take the caller down with it; report it like any other problem.
    const error: Diagnostic = { severity: 'error', file: input.templateFile, message: `the Release importer failed on this input: ${(e as Error).message}` };
    return { warnings: sink.warnings, errors: [...sink.errors, error] };
  }
}

function convert(input: ReleaseImportInput, sink: DiagnosticSink): ApplicationManifestInput | undefined {
  const template = readDocument(input.templateText, input.templateFile, sink, 'application template', true);
  const envFile = input.envFile ?? 'environment_variables.yaml';
  const envDoc = input.envText === undefined ? undefined : readDocument(input.envText, envFile, sink, 'environment variables file', false);
  if (!template || sink.errors.length) return undefined;
  const { src, doc } = template;

  reportTopLevelKeys(src, doc);
  const appName = applicationName(src, input.name, doc, input.templateFile);
  const repoName = scalarText(doc.repo_name);

  // Every name first: references (depends_on, tasks, variables, hostnames) may point forward.
  const registry = new NameRegistry();
  const services = claimAll(src, doc.services, ['services'], 'service', registry);
  const jobs = claimAll(src, doc.jobs, ['jobs'], 'job', registry);
  const cronJobs = claimAll(src, doc.cron_jobs, ['cron_jobs'], 'cronJob', registry);

  const appImports = convertAppImports(src, doc.app_imports, ['app_imports'], appName);
  const env = new EnvironmentVariables(
    variableContext(registry.entries('service'), appImports.length > 0),
    readParameters(src, doc.parameters, ['parameters']),
  );
  for (const [list, kind] of [[services, 'service'], [jobs, 'job'], [cronJobs, 'cronJob']] as const) {
    for (const unit of list) if (unit.raw.envs !== undefined) env.addList(`${kind}:${unit.name}`, unit.raw.envs, src, [...unit.path, 'envs']);
  }
  if (envDoc) readEnvFile(envDoc.src, envDoc.doc, env, registry);

  const images = new ImageSources(src, repoName);
  images.readAppBuilds(doc.builds, ['builds']);
  for (const s of services) images.noteServiceBuild(scalarText(s.raw.image), s.raw.build, s.path);
  const defaults = readResourceDefaults(src, doc.resources, ['resources']);
  const shared = readSharedVolumes(src, doc.shared_volumes, ['shared_volumes']);

  const drafts = services.map((s) => convertService(src, s.raw, s.path, s.name, { defaults, shared, images, env }));
  const byName = new Map(drafts.map((d) => [d.name, d]));
  images.reportUnused();
  reportUnclaimed(src, shared);

  const imageOwners = new Map<string, string>();
  for (const s of services) {
    const image = scalarText(s.raw.image);
    if (image && !byName.get(s.name)?.isStatic && !imageOwners.has(image)) imageOwners.set(image, s.name);
  }
  const jobContext = { registry, services: byName, imageOwners, env };
  const jobDrafts = convertJobList(src, doc.jobs, ['jobs'], 'job', indexNames(jobs), jobContext);
  const cronDrafts = convertJobList(src, doc.cron_jobs, ['cron_jobs'], 'cronJob', indexNames(cronJobs), jobContext);
  forgetDropped(registry, 'job', jobs, jobDrafts);
  forgetDropped(registry, 'cronJob', cronJobs, cronDrafts);

  const dependsOn = resolveDependencies(
    src,
    [
      ...drafts.map((d) => ({ name: d.name, kind: 'service' as const, dependsOn: d.dependsOn })),
      ...[...jobDrafts, ...cronDrafts].map((j) => ({ name: j.spec.name, kind: 'job' as const, dependsOn: j.dependsOn })),
    ],
    registry,
  );

  const hostnames = doc.hostnames === undefined ? undefined : readHostnames(src, doc.hostnames, ['hostnames'], registry, appName);
  const serviceSpecs = drafts.map((d) => finishService(d, { dependsOn: nonEmpty(dependsOn.get(d.name)), hostnames: hostnamesOf(src, d, hostnames) }));
  const rules = convertRules(src, doc.rules, ['rules'], { registry, services: new Map(drafts.map((d) => [d.name, { ports: d.ports, isStatic: d.isStatic }])), appName });
  const ingress = convertIngress(src, doc.ingress, ['ingress']);
  const workflows = convertWorkflows(src, doc.workflows, ['workflows'], registry);
  const environmentTemplates = convertEnvironmentTemplates(src, doc.environment_templates, ['environment_templates'], {
    registry,
    services: byName,
    rawServices: new Map(services.map((s) => [s.name, s.raw])),
    defaults,
    appName,
  });
  const datasets = convertDatasets(src, doc.datasets, ['datasets']);

  if (serviceSpecs.length === 0) serviceSpecs.push(placeholderService(src));

  // Defaults are taken last among variables: each scope may add to the mapping, which closes the set.
  const envDefaults = env.take('defaults', 'the defaults');
  const mapping = env.mappingResult();
  env.reportShadowing(injectedVariables(serviceSpecs));

  const trackingBranch = scalarText(doc.tracking_branch);
  const ordered: ApplicationSpecInput = {
    repository: trackingBranch ? { trackingBranch } : undefined,
    runtime: 'docker',
    env: envDefaults || mapping ? { ...(envDefaults ? { defaults: envDefaults } : {}), ...(mapping ? { mapping } : {}) } : undefined,
    services: serviceSpecs,
    jobs: nonEmpty(jobDrafts.map((j) => finishJob(j.spec as JobInput, nonEmpty(dependsOn.get(j.spec.name))))),
    cronJobs: nonEmpty(cronDrafts.map((j) => finishJob(j.spec as CronJobInput, nonEmpty(dependsOn.get(j.spec.name))))),
    workflows,
    routing: rules.length || ingress ? { ...(rules.length ? { rules } : {}), ...(ingress ? { ingress } : {}) } : undefined,
    environmentTemplates: nonEmpty(environmentTemplates),
    appImports: nonEmpty(appImports),
    datasets: nonEmpty(datasets),
  };
  // Absent parts are left out rather than written as undefined, so the manifest reads as a person would write it.
  const spec = Object.fromEntries(Object.entries(ordered).filter(([, value]) => value !== undefined)) as ApplicationSpecInput;

  return {
    apiVersion: SLIPWAY_API_VERSION,
    kind: 'Application',
    metadata: { name: appName, description: `Imported from the Release application template${repoName ? ` of ${repoName}` : ''}` },
    spec,
  };
}

interface ReadDocument {
  src: SourceFile;
  doc: RawMap;
}

/** Parses one Release file; a file that is not one YAML mapping is an error (the template) or empty (variables). */
function readDocument(text: string, file: string, sink: DiagnosticSink, what: string, required: boolean): ReadDocument | undefined {
  const parsed = parseYamlFile(text, file);
  sink.warnings.push(...parsed.warnings);
  if (!parsed.value) {
    sink.errors.push(...parsed.errors);
    return undefined;
  }
  const { documents, lineCounter } = parsed.value;
  const first = documents[0];
  const src = new SourceFile(file, first?.doc, lineCounter, sink);
  const shape = required
    ? 'a mapping of Release settings, such as "app: shop" and "services:" with "- name: web" and "image: nginx" under it'
    : 'a mapping with "defaults:" (a list of "- key: NAME" with "value: …"), "services:" (such lists by service name) and "mapping:"';
  if (!first || first.value === null || first.value === undefined) {
    // An empty file has no node to point at; its first line is where the settings belong.
    if (required) sink.errors.push({ severity: 'error', file, line: 1, column: 1, message: `the ${what} is empty; expected ${shape}` });
    return required ? undefined : { src, doc: {} };
  }
  if (!isRawMap(first.value)) {
    const hint = !required && Array.isArray(first.value) ? '; a list of variables for every service goes under "defaults:"' : '';
    src.error([], `the ${what} must be ${shape}, got ${describe(first.value)}${hint}`);
    return undefined;
  }
  if (documents.length > 1) src.warn([], `the ${what} holds ${documents.length} YAML documents; only the first is read`);
  return { src, doc: first.value };
}

interface NamedUnit {
  index: number;
  name: string;
  raw: RawMap;
  path: Path;
}

function claimAll(src: SourceFile, raw: unknown, path: Path, kind: UnitKind, registry: NameRegistry): NamedUnit[] {
  const word = kind === 'cronJob' ? 'cron job' : kind;
  return listAt(src, raw, path, path[0] as string).flatMap((item, index) => {
    const at: Path = [...path, index];
    const release = isRawMap(item) ? scalarText(item.name) : undefined;
    if (!isRawMap(item) || release === undefined) {
      src.warn(at, `a ${word} needs a name; this one is ignored`);
      return [];
    }
    const name = registry.claim(kind, release, src, [...at, 'name']);
    return name === undefined ? [] : [{ index, name, raw: item, path: at }];
  });
}

function indexNames(units: NamedUnit[]): Map<number, string> {
  return new Map(units.map((u) => [u.index, u.name]));
}

function forgetDropped(registry: NameRegistry, kind: UnitKind, units: NamedUnit[], drafts: JobDraft[]): void {
  const kept = new Set(drafts.map((d) => d.spec.name));
  for (const unit of units) if (!kept.has(unit.name)) registry.drop(kind, scalarText(unit.raw.name) ?? unit.name);
}

/** environment_variables.yaml: defaults for all, lists per service (or job), and the mapping. */
function readEnvFile(src: SourceFile, doc: RawMap, env: EnvironmentVariables, registry: NameRegistry): void {
  reportEnvFileExtras(src, doc);
  env.addList('defaults', doc.defaults, src, ['defaults']);
  for (const [release, list] of Object.entries(mapAt(src, doc.services, ['services'], 'services') ?? {})) {
    const path: Path = ['services', release];
    const service = registry.resolve('service', release);
    const job = service === undefined ? registry.resolve('job', release) : undefined;
    const cron = service === undefined && job === undefined ? registry.resolve('cronJob', release) : undefined;
    const scope = service ? `service:${service}` : job ? `job:${job}` : cron ? `cronJob:${cron}` : undefined;
    if (scope) env.addList(scope, list, src, path);
    else if (Array.isArray(list) && list.length > 0) {
      src.warn(path, `variables for "${release}", which is not a service or job of the template${registry.hint('service', release)}; dropped`);
    }
  }
  env.addMapping(doc.mapping, src, ['mapping']);
}

/**
 * A service's hostnames. Release gives public hostnames only to the services its `hostnames`
 * lists; the rest were reachable inside the environment only, which Slipway writes as [].
 */
function hostnamesOf(src: SourceFile, draft: ServiceDraft, hostnames: ReturnType<typeof readHostnames> | undefined): string[] | undefined {
  if (!hostnames) return undefined;
  const routable = draft.isStatic || draft.ports.some((p) => (p.spec.protocol ?? 'http') === 'http');
  const entry = hostnames.get(draft.name);
  if (entry && !routable) {
    src.warn(entry.path, `"${draft.name}" has no http port, so the router has nothing to send its hostname to; the hostname is dropped`);
    return undefined;
  }
  if (entry) return entry.templates;
  return routable && !draft.isStatic ? [] : undefined;
}

/** The variables Slipway injects into this application's environments, with what each holds. */
function injectedVariables(services: ServiceInput[]): Map<string, string> {
  const out = new Map<string, string>(builtinVariables.map((name) => [name, 'set by Slipway for every environment']));
  for (const s of services) {
    const routed = s.hostnames ? s.hostnames.length > 0 : s.static !== undefined || (s.ports ?? []).some((p) => (p.protocol ?? 'http') === 'http');
    if (!routed) continue;
    out.set(`${variablePrefix(s.name)}_URL`, `the URL of service "${s.name}"`);
    out.set(`${variablePrefix(s.name)}_HOST`, `the public host of service "${s.name}"`);
  }
  return out;
}

/** Slipway needs one service; a template of only runners (Terraform, Helm) gets a stand-in to replace. */
function placeholderService(src: SourceFile): ServiceInput {
  src.warn(['services'], 'the template defines no services, and a Slipway application needs one; a placeholder service "placeholder" (an idle pause container) is added for you to replace');
  return { name: 'placeholder', image: 'registry.k8s.io/pause:3.10' };
}

function nonEmpty<T>(list: T[] | undefined): T[] | undefined {
  return list && list.length ? list : undefined;
}
