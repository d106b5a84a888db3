import { joinCommand } from './commands.ts';
import type { EnvironmentVariables } from './env-vars.ts';
import type { CronJobInput, JobInput } from './manifest-input.ts';
import type { NameRegistry } from './names.ts';
import { commandOf, describe, flag, isRawMap, listAt, scalarText, secondsToDuration, wholeNumber, type RawMap } from './raw-values.ts';
import { resourcesFor } from './resources.ts';
import type { ServiceDraft } from './services.ts';
import type { Path, SourceFile } from './source-file.ts';

export interface JobContext {
  registry: NameRegistry;
  services: Map<string, ServiceDraft>;
  /** Release image name → the Slipway service whose image it is (built from the repository). */
  imageOwners: Map<string, string>;
  env: EnvironmentVariables;
}

export interface JobDraft {
  spec: JobInput | CronJobInput;
  path: Path;
  dependsOn: { release: string; path: Path }[];
}

const jobKeys = new Set([
  'name',
  'description',
  'from_services',
  'image',
  'has_repo',
  'command',
  'args',
  'envs',
  'cpu',
  'memory',
  'completed_timeout',
  'halt_on_error',
  'depends_on',
  'schedule',
  'concurrency_policy',
]);

/**
 * A Release job or cron job. Release runs a job in the image of the service named by
 * from_services (or its own image) with command and args; Slipway's job has fromService or image
 * and one command.
 */
export function convertJob(src: SourceFile, raw: RawMap, path: Path, name: string, kind: 'job' | 'cronJob', ctx: JobContext): JobDraft | undefined {
  const word = kind === 'job' ? 'job' : 'cron job';
  const fromRaw = Array.isArray(raw.from_services) ? raw.from_services[0] : raw.from_services;
  if (Array.isArray(raw.from_services) && raw.from_services.length > 1) {
    src.warn([...path, 'from_services'], `${word} "${name}" lists several services; Slipway runs it from the first, "${scalarText(fromRaw)}"`);
  }
  const fromRelease = scalarText(fromRaw);
  let fromService = fromRelease === undefined ? undefined : ctx.registry.resolve('service', fromRelease);
  if (fromRelease !== undefined && fromService === undefined) {
    src.warn([...path, 'from_services'], `"${fromRelease}" is not a service of this template${ctx.registry.hint('service', fromRelease)}`);
  }
  if (fromService !== undefined && ctx.services.get(fromService)?.isStatic) {
    src.warn([...path, 'from_services'], `"${fromService}" is a static site, which has no image to run ${word} "${name}" in`);
    fromService = undefined;
  }
  let image = scalarText(raw.image);
  // An image Release built from the repository is, in Slipway, the image of the service that builds it.
  const owner = image === undefined ? undefined : ctx.imageOwners.get(image);
  if (fromService === undefined && owner !== undefined) {
    fromService = owner;
    image = undefined;
  } else if (fromService !== undefined) image = undefined;
  if (fromService === undefined && image === undefined) {
    src.warn(path, `${word} "${name}" has neither a service to run from nor an image; dropped`);
    return undefined;
  }

  const source = fromService === undefined ? undefined : ctx.services.get(fromService)?.spec;
  let command = joinCommand(commandOf(raw.command), commandOf(raw.args));
  if (command && raw.command === undefined) {
    src.warn([...path, 'args'], `${word} "${name}" has args and no command; Slipway's job runs them as its command, in place of the image's entrypoint`);
  }
  if (!command && source && (source.command || source.args)) {
    command = joinCommand(source.command, source.args);
    src.warn(path, `${word} "${name}" has no command; it runs the command of "${fromService}"`);
  }
  if (!command) {
    src.warn(path, `${word} "${name}" has no command, and Slipway cannot run an image's default command as a job; dropped`);
    return undefined;
  }

  const spec: JobInput = { name, command };
  const description = scalarText(raw.description);
  if (description) spec.description = description;
  if (fromService) spec.fromService = fromService;
  if (image) spec.image = image;
  const env = ctx.env.take(`${kind}:${name}`, `${word} "${name}"`);
  if (env) spec.env = env;
  const timeout = raw.completed_timeout === undefined ? undefined : wholeNumber(raw.completed_timeout);
  if (raw.completed_timeout !== undefined && (timeout === undefined || timeout < 1)) {
    src.warn([...path, 'completed_timeout'], `expected completed_timeout in seconds, got ${describe(raw.completed_timeout)}; Slipway's default (10m) applies`);
  } else if (timeout !== undefined && secondsToDuration(timeout) !== '10m') spec.timeout = secondsToDuration(timeout);
  // Release jobs do not stop the workflow unless halt_on_error says so; Slipway's default is the opposite.
  if (flag(raw.halt_on_error) !== true) spec.haltOnError = false;
  const resources = resourcesFor(src, raw, path);
  if (resources) spec.resources = resources;

  let out: JobInput | CronJobInput = spec;
  if (kind === 'cronJob') {
    const cron = cronFields(src, raw, path, name);
    if (!cron) return undefined;
    out = { ...spec, ...cron };
  }
  for (const key of Object.keys(raw)) {
    if (!jobKeys.has(key)) src.warn([...path, key], `${word} field "${key}" has no Slipway equivalent; ignored`);
    else if (kind === 'job' && (key === 'schedule' || key === 'concurrency_policy')) src.warn([...path, key], `${key} belongs to cron jobs; ignored on a job`);
  }
  const dependsOn = listAt(src, raw.depends_on, [...path, 'depends_on'], 'depends_on').flatMap((d, i) => {
    const release = scalarText(d);
    return release === undefined ? [] : [{ release, path: [...path, 'depends_on', i] }];
  });
  return { spec: out, path, dependsOn };
}

const schedulePattern = /^(@(hourly|daily|weekly|monthly|yearly))$|^(\S+\s+){4}\S+$/;

function cronFields(src: SourceFile, raw: RawMap, path: Path, name: string): Pick<CronJobInput, 'schedule' | 'concurrency'> | undefined {
  const schedule = scalarText(raw.schedule)?.trim().replace(/\s+/g, ' ');
  if (!schedule || !schedulePattern.test(schedule)) {
    src.warn([...path, 'schedule'], `cron job "${name}" needs a five-field schedule (or @hourly, @daily, …), got ${describe(raw.schedule)}; dropped`);
    return undefined;
  }
  const out: Pick<CronJobInput, 'schedule' | 'concurrency'> = { schedule: schedule === '@annually' ? '@yearly' : schedule };
  const policy = scalarText(raw.concurrency_policy)?.toLowerCase();
  if (policy === 'allow' || policy === 'replace') out.concurrency = policy;
  else if (policy !== undefined && policy !== 'forbid') src.warn([...path, 'concurrency_policy'], `concurrency_policy "${policy}" is not Allow, Forbid or Replace; Slipway's default (forbid) applies`);
  return out;
}

/** Reads Release's `jobs` or `cron_jobs` list into drafts, naming each in the shared registry. */
export function convertJobList(src: SourceFile, raw: unknown, path: Path, kind: 'job' | 'cronJob', names: Map<number, string>, ctx: JobContext): JobDraft[] {
  return listAt(src, raw, path, kind === 'job' ? 'jobs' : 'cron_jobs').flatMap((item, i) => {
    const name = names.get(i);
    if (!isRawMap(item) || name === undefined) return [];
    const draft = convertJob(src, item, [...path, i], name, kind, ctx);
    return draft ? [draft] : [];
  });
}

/** The job (or cron job) in the key order people write. */
export function finishJob<T extends JobInput | CronJobInput>(spec: T, dependsOn: JobInput['dependsOn']): T {
  const order = ['name', 'description', 'schedule', 'concurrency', 'fromService', 'image', 'command', 'env', 'dependsOn', 'timeout', 'haltOnError', 'resources'];
  const merged: Record<string, unknown> = { ...spec, dependsOn };
  const out: Record<string, unknown> = {};
  for (const key of order) if (merged[key] !== undefined) out[key] = merged[key];
  return out as T;
}
