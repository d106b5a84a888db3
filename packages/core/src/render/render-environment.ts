import { datasetReaches, datasetSecretRef, datasetVariables, type DatasetVariablePart } from '../application/datasets.ts';
import {
  dnsLabel,
  durationToMs,
  type ApplicationManifest,
  type ApplicationSpec,
  type Diagnostic,
  type EnvMap,
  type EnvironmentIdentity,
  type IngressSettings,
  type JobSpec,
  type ParseResult,
  type RenderedEnvironment,
  type RenderSettings,
  type ResolvedDependency,
  type ResolvedEnvValue,
  type ResolvedIngress,
  type ResolvedJob,
  type ResolvedRoute,
  type ResolvedService,
  type ResolvedStep,
  type ResolvedTask,
  type ServiceSpec,
  type WorkflowName,
  type WorkflowSpec,
} from '@slipway/contract';
import { dependencyGraph, dependencyLayers, normalizeDependency } from '../application/dependency-graph.ts';
import { serviceVariablePrefix } from '../application/builtin-variables.ts';
import { interpolate } from '../template/interpolate.ts';
import { applyEnvironmentTemplate, withoutUndefined } from './apply-template.ts';
import { parseByteSize } from './quantities.ts';

export const DEFAULT_EPHEMERAL_TTL = '72h';
export const DEFAULT_HOSTNAME = '${service}-${env_id}.${domain}';
export const DEFAULT_INGRESS = { public: true, timeout: '60s', connectTimeout: '5s', maxBodySize: '10Mi' } as const;

export interface RenderOptions {
  /** Variables of this environment only (an Environment manifest's env, `envs config-set`); they win over the application's. */
  variables?: EnvMap;
  /**
   * Services of imported applications (App Imports) by name, with their URL, host and port (each
   * when known: the router's before the imports are linked, their direct addresses after —
   * importedAddresses): they give `<SERVICE>_URL`, `<SERVICE>_HOST` and `<SERVICE>_PORT` to this
   * environment's services and jobs, beneath every other layer (so env.mapping reads them), unless one
   * of its own services has the same name.
   */
  imported?: Record<string, { url?: string; host: string; port?: number }>;
}

/**
 * Resolves an application for one environment: template overrides, hostnames, routes, variables
 * (injected ones, defaults, per service, mapping) and workflows with their defaults. Pure and
 * deterministic: the same inputs always give the same output.
 */
export function renderEnvironment(
  manifest: ApplicationManifest,
  environment: EnvironmentIdentity,
  settings: RenderSettings,
  options: RenderOptions = {},
): ParseResult<RenderedEnvironment> {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const templates = manifest.spec.environmentTemplates;
  const templateName = environment.template ?? defaultTemplateName(environment, templates.map((t) => t.name));
  const template = templates.find((t) => t.name === templateName);
  if (environment.template !== undefined && !template) {
    errors.push({
      severity: 'error',
      path: 'template',
      message: `application "${manifest.metadata.name}" has no environment template "${environment.template}"; it has ${templates.map((t) => t.name).join(', ') || 'none'}`,
    });
    return { errors, warnings };
  }
  if (!dnsLabel.safeParse(environment.id).success) {
    errors.push({ severity: 'error', path: 'envId', message: `environment id ${JSON.stringify(environment.id)} must be a lowercase DNS label (letters, digits, "-")` });
    return { errors, warnings };
  }
  const spec = applyEnvironmentTemplate(manifest.spec, template);
  const app = manifest.metadata.name;
  const appIngress = spec.routing.ingress;

  // Hostnames first: every service's variables include every service's URL.
  const hostnames = new Map<string, string[]>();
  for (const service of spec.services) {
    const templatesOf = service.hostnames ?? (service.static || service.ports.some((p) => p.protocol === 'http') ? [DEFAULT_HOSTNAME] : []);
    hostnames.set(service.name, unique(templatesOf.map((h) => renderHostname(h, service.name, environment.id, settings.domain))));
  }
  const routes = buildRoutes(spec, hostnames, environment.id, settings.domain, appIngress);
  const urls: Record<string, string> = {};
  const injected: Record<string, string> = {
    SLIPWAY_ENV_ID: environment.id,
    SLIPWAY_APP: app,
    SLIPWAY_BRANCH: environment.branch,
    SLIPWAY_COMMIT_SHA: environment.commit ?? '',
    SLIPWAY_COMMIT_SHORT: environment.commit?.slice(0, 7) ?? '',
    SLIPWAY_DOMAIN: settings.domain,
  };
  const ownServices = new Set(spec.services.map((s) => s.name));
  for (const [name, { url, host, port }] of Object.entries(options.imported ?? {})) {
    if (ownServices.has(name)) continue;
    const prefix = serviceVariablePrefix(name);
    if (url !== undefined) injected[`${prefix}_URL`] = url;
    injected[`${prefix}_HOST`] = host;
    if (port !== undefined) injected[`${prefix}_PORT`] = String(port);
  }
  for (const service of spec.services) {
    const host = hostnames.get(service.name)?.[0] ?? routes.find((r) => r.service === service.name)?.host;
    if (!host) continue;
    const url = urlOf(host, settings);
    urls[service.name] = url;
    injected[`${serviceVariablePrefix(service.name)}_URL`] = url;
    injected[`${serviceVariablePrefix(service.name)}_HOST`] = host;
  }

  // A dataset's connection wins over the application's own values for those names (it was asked
  // for by name), but not over this environment's variables.
  const datasetEnvOf = (unit: string): EnvMap => {
    const env: EnvMap = {};
    for (const d of spec.datasets) {
      if (!datasetReaches(d, unit)) continue;
      for (const [part, name] of Object.entries(datasetVariables(d))) env[name] = datasetSecretRef(d.name, part as DatasetVariablePart);
    }
    return env;
  };
  const envOf = (own: EnvMap | undefined, inherited: EnvMap | undefined, where: string, unit: string) =>
    resolveVariables([injected, spec.env.defaults, inherited, own, datasetEnvOf(unit), options.variables], spec.env.mapping ?? {}, where, warnings);
  const services: ResolvedService[] = spec.services.map((service) => ({
    name: service.name,
    ...pick(service, ['image', 'build', 'run', 'static', 'command', 'args', 'readiness', 'liveness', 'resources']),
    ports: service.ports,
    env: envOf(service.env, undefined, `services.${service.name}`, service.name),
    dependsOn: resolveDependencies(service.dependsOn, spec),
    initContainers: service.initContainers,
    sidecars: service.sidecars,
    replicas: service.replicas,
    volumes: service.volumes,
    hostnames: hostnames.get(service.name) ?? [],
    ingress: resolveIngress(appIngress, service.ingress),
  }));
  const servicesByName = new Map(spec.services.map((s) => [s.name, s]));
  const resolveJob = (job: JobSpec & { schedule?: string; concurrency?: ResolvedJob['concurrency'] }, list: string): ResolvedJob => ({
    name: job.name,
    ...pick(job, ['fromService', 'image', 'resources', 'schedule', 'concurrency']),
    command: job.command,
    env: envOf(job.env, job.fromService ? servicesByName.get(job.fromService)?.env : undefined, `${list}.${job.name}`, job.name),
    timeoutMs: durationToMs(job.timeout),
    haltOnError: job.haltOnError,
    dependsOn: resolveDependencies(job.dependsOn, spec),
  });

  const rendered: RenderedEnvironment = {
    app,
    envId: environment.id,
    kind: environment.kind,
    template: templateName,
    branch: environment.branch,
    ...(environment.commit ? { commit: environment.commit } : {}),
    domain: settings.domain,
    runtime: spec.runtime ?? settings.defaultRuntime,
    ...(environment.kind === 'ephemeral' ? { ttlMs: durationToMs(template?.ttl ?? DEFAULT_EPHEMERAL_TTL) } : {}),
    ...(environment.kind === 'ephemeral' && template?.idleTimeout ? { idleTimeoutMs: durationToMs(template.idleTimeout) } : {}),
    ...(spec.lifecycle?.maxEnvironments !== undefined ? { maxEnvironments: spec.lifecycle.maxEnvironments } : {}),
    services,
    jobs: spec.jobs.map((j) => resolveJob(j, 'jobs')),
    cronJobs: spec.cronJobs.map((j) => resolveJob(j, 'cronJobs')),
    routes,
    workflows: {
      setup: resolveWorkflow('setup', spec.workflows.setup, spec),
      patch: resolveWorkflow('patch', spec.workflows.patch ?? spec.workflows.setup, spec),
      teardown: resolveWorkflow('teardown', spec.workflows.teardown, spec),
    },
    appImports: spec.appImports,
    datasets: spec.datasets,
    urls,
  };
  return { value: rendered, errors, warnings };
}

/** ephemeral for ephemeral environments; for permanent ones, a template named like the environment, else permanent. */
export function defaultTemplateName(environment: EnvironmentIdentity, templateNames: string[]): string {
  if (environment.kind === 'ephemeral') return 'ephemeral';
  return templateNames.includes(environment.id) ? environment.id : 'permanent';
}

function renderHostname(template: string, service: string, envId: string, domain: string): string {
  const values: Record<string, string> = { service, env_id: envId, domain };
  return interpolate(template, (name) => values[name]).value.toLowerCase();
}

function urlOf(host: string, settings: RenderSettings): string {
  const defaultPort = settings.scheme === 'https' ? 443 : 80;
  const port = settings.routerPort && settings.routerPort !== defaultPort ? `:${settings.routerPort}` : '';
  return `${settings.scheme}://${host}${port}`;
}

function buildRoutes(
  spec: ApplicationSpec,
  hostnames: Map<string, string[]>,
  envId: string,
  domain: string,
  appIngress: IngressSettings | undefined,
): ResolvedRoute[] {
  const services = new Map(spec.services.map((s) => [s.name, s]));
  const routes = new Map<string, ResolvedRoute>();
  const add = (host: string, pathPrefix: string, service: ServiceSpec, port: number | undefined, stripPrefix: boolean) => {
    const key = `${host}${pathPrefix}`;
    if (routes.has(key)) return;
    routes.set(key, {
      host,
      pathPrefix,
      service: service.name,
      ...(service.static ? {} : { port: port ?? firstHttpPort(service) }),
      static: service.static !== undefined,
      stripPrefix,
      ingress: resolveIngress(appIngress, service.ingress),
    });
  };
  // Explicit rules first: they win over the default whole-host route of a service.
  for (const rule of spec.routing.rules) {
    const service = services.get(rule.service);
    if (!service) continue;
    for (const h of rule.hostnames) add(renderHostname(h, service.name, envId, domain), rule.path, service, rule.port, rule.stripPrefix);
  }
  for (const service of spec.services) for (const host of hostnames.get(service.name) ?? []) add(host, '/', service, undefined, false);
  // Longest prefix first, so a router can take the first match.
  return [...routes.values()].sort((a, b) => a.host.localeCompare(b.host) || b.pathPrefix.length - a.pathPrefix.length || a.pathPrefix.localeCompare(b.pathPrefix));
}

function firstHttpPort(service: ServiceSpec): number | undefined {
  return (service.ports.find((p) => p.protocol === 'http') ?? service.ports[0])?.port;
}

function resolveIngress(app: IngressSettings | undefined, service: IngressSettings | undefined): ResolvedIngress {
  const merged = { ...DEFAULT_INGRESS, ...withoutUndefined(app), ...withoutUndefined(service) };
  return {
    public: merged.public,
    timeoutMs: durationToMs(merged.timeout),
    connectTimeoutMs: durationToMs(merged.connectTimeout),
    maxBodyBytes: parseByteSize(merged.maxBodySize),
  };
}

/**
 * Layers variables (later wins), then computes the mapping against them. A mapping may read another
 * mapping; one that reads itself, directly or through others, reads the value beneath the mapping,
 * so `LOG_LEVEL: "${LOG_LEVEL:-info}"` means "the configured level, else info".
 */
function resolveVariables(
  layers: (EnvMap | Record<string, string> | undefined)[],
  mapping: Record<string, string>,
  where: string,
  warnings: Diagnostic[],
): Record<string, ResolvedEnvValue> {
  const base: Record<string, ResolvedEnvValue> = {};
  for (const layer of layers) for (const [k, v] of Object.entries(layer ?? {})) base[k] = typeof v === 'object' ? v : String(v);
  const computed = new Map<string, string>();
  const visiting = new Set<string>();
  const lookup = (name: string): string | undefined => {
    if (name in mapping && !visiting.has(name)) return evaluate(name);
    const value = base[name];
    if (value !== undefined && typeof value === 'object') {
      warnings.push({ severity: 'warning', path: `${where}.env`, message: `a mapping reads ${name}, a secret; secrets are injected as they are and cannot be mapped` });
      return undefined;
    }
    return value;
  };
  const evaluate = (name: string): string => {
    const done = computed.get(name);
    if (done !== undefined) return done;
    visiting.add(name);
    const value = interpolate(mapping[name]!, lookup).value;
    visiting.delete(name);
    computed.set(name, value);
    return value;
  };
  const result: Record<string, ResolvedEnvValue> = { ...base };
  for (const name of Object.keys(mapping)) result[name] = evaluate(name);
  return Object.fromEntries(Object.entries(result).sort(([a], [b]) => a.localeCompare(b)));
}

function resolveDependencies(deps: ApplicationSpec['services'][number]['dependsOn'], spec: ApplicationSpec): ResolvedDependency[] {
  const jobs = new Set(spec.jobs.map((j) => j.name));
  return deps.map((d) => {
    const dep = normalizeDependency(d);
    return { name: dep.name, kind: jobs.has(dep.name) ? 'job' : 'service', condition: jobs.has(dep.name) ? 'completed' : dep.condition };
  });
}

/** Writes out a workflow; without one: setup and patch run services and jobs in dependsOn layers, teardown removes the environment. */
function resolveWorkflow(name: WorkflowName, workflow: WorkflowSpec | undefined, spec: ApplicationSpec): ResolvedStep[] {
  const haltByDefault = name !== 'teardown';
  if (!workflow) {
    if (name === 'teardown') return [{ name: 'remove', tasks: [{ kind: 'remove-environment' }], waitForFinish: true, haltOnError: false }];
    const jobs = new Set(spec.jobs.map((j) => j.name));
    return dependencyLayers(dependencyGraph(spec)).map((layer) => ({
      name: layer.join(', '),
      tasks: layer.map((n) => (jobs.has(n) ? { kind: 'job' as const, name: n } : { kind: 'service' as const, name: n })),
      waitForFinish: true,
      haltOnError: true,
    }));
  }
  return workflow.steps.map((step, i) => ({
    name: step.name ?? `step-${i + 1}`,
    tasks: unique(step.tasks).flatMap((task): ResolvedTask[] => {
      if (task === 'environment.remove') return [{ kind: 'remove-environment' }];
      if (task === 'services.all') return spec.services.map((s) => ({ kind: 'service', name: s.name }));
      const [kind, target] = task.split('.') as ['services' | 'jobs', string];
      return [{ kind: kind === 'services' ? 'service' : 'job', name: target }];
    }),
    waitForFinish: step.waitForFinish,
    haltOnError: step.haltOnError ?? haltByDefault,
  }));
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

function pick<T extends object, K extends keyof T>(value: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
