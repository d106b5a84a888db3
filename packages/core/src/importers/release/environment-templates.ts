import { convertAppImports } from './app-imports.ts';
import { convertDatasets } from './datasets.ts';
import { readHostnames } from './hostnames.ts';
import type { EnvironmentTemplateInput, JobOverrideInput, ServiceOverrideInput } from './manifest-input.ts';
import { toDnsLabel, type NameRegistry } from './names.ts';
import { commandOf, describe, flag, isRawMap, listAt, scalarText, secondsToDuration, wholeNumber, type RawMap } from './raw-values.ts';
import { readReplicas, readResourceDefaults, resourcesFor, type ResourceDefaults } from './resources.ts';
import type { ServiceDraft } from './services.ts';
import type { Path, SourceFile } from './source-file.ts';
import { convertWorkflows } from './workflows.ts';

export interface TemplateContext {
  registry: NameRegistry;
  services: Map<string, ServiceDraft>;
  /** The Release services as written, so an override of cpu keeps the service's memory. */
  rawServices: Map<string, RawMap>;
  defaults: ResourceDefaults;
  appName: string;
}

const ttlKeys = ['ttl', 'expiration', 'expires_in', 'expire_after'];
const templateKeys = new Set(['name', ...ttlKeys, 'services', 'jobs', 'hostnames', 'resources', 'workflows', 'app_imports', 'datasets']);

/**
 * Release's environment_templates (ephemeral, permanent, …) and the overrides they carry. A
 * template with nothing but its name changes nothing and is left out.
 */
export function convertEnvironmentTemplates(src: SourceFile, raw: unknown, path: Path, ctx: TemplateContext): EnvironmentTemplateInput[] {
  const out: EnvironmentTemplateInput[] = [];
  listAt(src, raw, path, 'environment_templates').forEach((item, i) => {
    const at: Path = [...path, i];
    const release = isRawMap(item) ? scalarText(item.name) : undefined;
    const name = release ? toDnsLabel(release) : '';
    if (!isRawMap(item) || !name) {
      src.warn(at, `expected an environment template as { name: ephemeral | permanent, … }, got ${describe(item)}; ignored`);
      return;
    }
    if (name !== release) src.warn([...at, 'name'], `environment template "${release}" is named "${name}" (template names are lowercase DNS labels)`);
    if (out.some((t) => t.name === name)) {
      src.warn(at, `environment template "${name}" is defined twice; the second is dropped`);
      return;
    }
    const template = convertTemplate(src, item, at, name, ctx);
    if (Object.keys(template).length > 1) out.push(template);
  });
  return out;
}

function convertTemplate(src: SourceFile, raw: RawMap, at: Path, name: string, ctx: TemplateContext): EnvironmentTemplateInput {
  const template: EnvironmentTemplateInput = { name };
  const ttlKey = ttlKeys.find((k) => raw[k] !== undefined);
  if (ttlKey) {
    const ttl = readTtl(src, raw[ttlKey], [...at, ttlKey]);
    if (ttl && name !== 'ephemeral') src.warn([...at, ttlKey], `${ttlKey} applies to ephemeral environments only in Slipway; template "${name}" keeps its environments until they are deleted`);
    else if (ttl) template.ttl = ttl;
  }

  const defaults = raw.resources === undefined ? undefined : overDefaults(readResourceDefaults(src, raw.resources, [...at, 'resources']), ctx.defaults);
  const hostnames = raw.hostnames === undefined ? undefined : readHostnames(src, raw.hostnames, [...at, 'hostnames'], ctx.registry, ctx.appName);
  const overrides = new Map<string, ServiceOverrideInput>();
  const overrideOf = (service: string) => {
    const existing = overrides.get(service) ?? { name: service };
    overrides.set(service, existing);
    return existing;
  };

  listAt(src, raw.services, [...at, 'services'], 'service overrides').forEach((item, k) => {
    const itemPath: Path = [...at, 'services', k];
    const release = isRawMap(item) ? scalarText(item.name) : undefined;
    const service = release === undefined ? undefined : ctx.registry.resolve('service', release);
    if (!isRawMap(item) || !service) {
      src.warn(itemPath, `override of ${release ? `"${release}", which is not a service of this template${ctx.registry.hint('service', release)}` : describe(item)}; dropped`);
      return;
    }
    serviceOverride(src, item, itemPath, overrideOf(service), ctx, defaults);
  });

  // Template-wide resources change every container service that the template does not override itself.
  if (defaults) {
    for (const [service, draft] of ctx.services) {
      if (draft.isStatic || overrides.get(service)?.resources) continue;
      const resources = resourcesFor(src.silent(), ctx.rawServices.get(service) ?? {}, draft.path, defaults);
      if (resources) overrideOf(service).resources = resources;
    }
  }
  if (defaults?.replicas !== undefined) {
    for (const [service, draft] of ctx.services) {
      if (!draft.isStatic && overrides.get(service)?.replicas === undefined) overrideOf(service).replicas = defaults.replicas;
    }
  }
  for (const [service, entry] of hostnames ?? []) {
    const draft = ctx.services.get(service);
    if (draft && (draft.isStatic || draft.ports.some((p) => (p.spec.protocol ?? 'http') === 'http'))) overrideOf(service).hostnames = entry.templates;
    else src.warn(entry.path, `"${service}" has no http port to route hostnames to; dropped`);
  }
  if (overrides.size) template.services = [...overrides.values()];

  const jobs = listAt(src, raw.jobs, [...at, 'jobs'], 'job overrides').flatMap((item, k) => {
    const override = jobOverride(src, item, [...at, 'jobs', k], ctx.registry);
    return override ? [override] : [];
  });
  if (jobs.length) template.jobs = jobs;
  if (raw.workflows !== undefined) {
    const workflows = convertWorkflows(src, raw.workflows, [...at, 'workflows'], ctx.registry);
    if (workflows) template.workflows = workflows;
  }
  if (raw.app_imports !== undefined) template.appImports = convertAppImports(src, raw.app_imports, [...at, 'app_imports'], ctx.appName);
  if (raw.datasets !== undefined) template.datasets = convertDatasets(src, raw.datasets, [...at, 'datasets']);
  for (const key of Object.keys(raw)) {
    if (!templateKeys.has(key)) src.warn([...at, key], `environment template field "${key}" has no Slipway equivalent; ignored`);
  }
  return template;
}

const serviceOverrideKeys = new Set(['name', 'replicas', 'cpu', 'memory', 'image', 'command', 'args']);

function serviceOverride(src: SourceFile, raw: RawMap, at: Path, override: ServiceOverrideInput, ctx: TemplateContext, templateDefaults?: ResourceDefaults): void {
  const replicas = readReplicas(src, raw.replicas, [...at, 'replicas']);
  if (replicas !== undefined) override.replicas = replicas;
  if (raw.cpu !== undefined || raw.memory !== undefined) {
    const base = ctx.rawServices.get(override.name) ?? {};
    const merged: RawMap = { cpu: raw.cpu ?? base.cpu, memory: raw.memory ?? base.memory };
    const resources = resourcesFor(src, merged, at, templateDefaults ?? ctx.defaults);
    if (resources) override.resources = resources;
  }
  const image = scalarText(raw.image);
  if (image) override.image = image;
  const command = commandOf(raw.command);
  if (command) override.command = command;
  const args = commandOf(raw.args);
  if (args) override.args = typeof args === 'string' ? [args] : args;
  for (const key of Object.keys(raw)) {
    if (!serviceOverrideKeys.has(key)) {
      src.warn([...at, key], `"${key}" in a service override is not carried over (the importer converts replicas, cpu, memory, image, command and args); set it in the Slipway template by hand`);
    }
  }
}

function jobOverride(src: SourceFile, item: unknown, at: Path, registry: NameRegistry): JobOverrideInput | undefined {
  const release = isRawMap(item) ? scalarText(item.name) : undefined;
  const job = release === undefined ? undefined : registry.resolve('job', release);
  if (!isRawMap(item) || !job) {
    src.warn(at, `override of ${release ? `"${release}", which is not a job of this template${registry.hint('job', release)}` : describe(item)}; dropped`);
    return undefined;
  }
  const override: JobOverrideInput = { name: job };
  const command = commandOf(item.command);
  if (command) override.command = command;
  const timeout = wholeNumber(item.completed_timeout);
  if (timeout !== undefined && timeout > 0) override.timeout = secondsToDuration(timeout);
  const halt = flag(item.halt_on_error);
  if (halt !== undefined) override.haltOnError = halt;
  for (const key of Object.keys(item)) {
    if (!['name', 'command', 'completed_timeout', 'halt_on_error'].includes(key)) src.warn([...at, key], `"${key}" in a job override is not carried over; set it in the Slipway template by hand`);
  }
  return Object.keys(override).length > 1 ? override : undefined;
}

/** A template's resources over the app-level ones, field by field: an override replaces a service's whole resources. */
function overDefaults(template: ResourceDefaults, app: ResourceDefaults): ResourceDefaults {
  return {
    cpu: { limits: template.cpu.limits ?? app.cpu.limits, requests: template.cpu.requests ?? app.cpu.requests },
    memory: { limits: template.memory.limits ?? app.memory.limits, requests: template.memory.requests ?? app.memory.requests },
    ...(template.replicas !== undefined ? { replicas: template.replicas } : {}),
  };
}

/** An expiry as a duration: 7d, "72h", "3 days", or a number of days (how Release's settings count). */
function readTtl(src: SourceFile, raw: unknown, path: Path): string | undefined {
  const days = wholeNumber(raw);
  if (days !== undefined && days > 0) {
    src.warn(path, `${days} is read as ${days} days, the unit Release's expiry settings use`);
    return `${days}d`;
  }
  const text = scalarText(raw)?.trim().toLowerCase();
  const match = text === undefined ? null : /^(\d+)\s*(d|days?|h|hours?|m|min|minutes?)$/.exec(text);
  if (!match) {
    src.warn(path, `expected an expiry such as 7d or 72h, got ${describe(raw)}; ignored`);
    return undefined;
  }
  const unit = match[2]!.startsWith('d') ? 'd' : match[2]!.startsWith('h') ? 'h' : 'm';
  return `${match[1]}${unit}`;
}
