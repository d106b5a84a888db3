import { stableStringify } from '../../runtime/spec-hash.ts';
import type { DependencyInput, JobInput, ServiceInput, VolumeInput } from './manifest-input.ts';
import type { Reporter } from './reporter.ts';

/**
 * A Compose service that another waits for with `condition: service_completed_successfully` runs
 * once, to its end: a migration, a seed, a set-up step. Slipway runs that as a job, which each
 * deploy runs before what depends on it; as a service it would be restarted whenever it exits. So
 * such a service, when it listens on no port, becomes a job:
 * - built from the same build as a service: `fromService` that service (the docker runtime runs
 *   the job in its image, with its variables and volumes), since a job cannot build an image;
 * - running an image: `image`;
 * - with its own build that no service shares, or without a command (a job needs one, and the
 *   image's own CMD is unknown here): it stays a service, with a warning saying why.
 * Its command is the Compose entrypoint followed by its command, its variables and dependsOn are
 * kept, and everything that depends on it waits for it to complete.
 *
 * `composeNames` maps the manifest's service names back to the Compose file's, for the warnings.
 */
export function convertOneShots(services: ServiceInput[], composeNames: ReadonlyMap<string, string>, reporter: Reporter): { services: ServiceInput[]; jobs: JobInput[] } {
  const awaited = new Map<string, string[]>();
  for (const service of services) {
    for (const dep of service.dependsOn ?? []) {
      if (typeof dep === 'object' && dep.condition === 'completed') awaited.set(dep.name, [...(awaited.get(dep.name) ?? []), service.name]);
    }
  }
  const candidates = new Set(services.filter((s) => awaited.has(s.name) && (s.ports ?? []).length === 0).map((s) => s.name));
  const jobs: JobInput[] = [];
  for (const service of services) {
    if (!candidates.has(service.name)) continue;
    const job = toJob(service, awaited.get(service.name)!, services.filter((s) => !candidates.has(s.name)), composeNames, reporter);
    if (job) jobs.push(job);
    else candidates.delete(service.name);
  }
  const remaining = services.filter((s) => !candidates.has(s.name));
  // A job has no readiness: whatever depends on it waits for it to complete.
  for (const service of remaining) {
    if (service.dependsOn) service.dependsOn = service.dependsOn.map((dep) => (candidates.has(nameOf(dep)) ? { name: nameOf(dep), condition: 'completed' } : dep));
  }
  for (const job of jobs) {
    if (job.dependsOn) job.dependsOn = job.dependsOn.map((dep) => (candidates.has(nameOf(dep)) ? { name: nameOf(dep), condition: 'completed' } : dep));
  }
  return { services: remaining, jobs };
}

function toJob(service: ServiceInput, dependents: string[], others: ServiceInput[], composeNames: ReadonlyMap<string, string>, reporter: Reporter): JobInput | undefined {
  const path = ['services', composeNames.get(service.name) ?? service.name];
  const before = `${service.name} runs to completion before ${list(dependents)} ${dependents.length > 1 ? 'start' : 'starts'} (condition: service_completed_successfully)`;
  const entrypoint = typeof service.command === 'string' ? [service.command] : (service.command ?? []);
  const command = [...entrypoint, ...(service.args ?? [])];
  if (command.length === 0) {
    reporter.warn(path, `${before}, which Slipway does with a job; but a job needs a command and ${service.name} runs its image's own, so it stays a service, which is started again whenever it exits — give it a command to import it as a job`, { atKey: true });
    return undefined;
  }

  let source: Pick<JobInput, 'fromService' | 'image'>;
  let how: string;
  const dropped: string[] = [];
  if (service.build) {
    const build = stableStringify(service.build);
    const same = others.filter((s) => s.build && stableStringify(s.build) === build);
    const from = same.find((s) => dependents.includes(s.name)) ?? same[0];
    if (!from) {
      reporter.warn(
        path,
        `${before}, which Slipway does with a job; but a job runs in a service's image (fromService) or a named image, and no service builds what ${service.name} builds, so it stays a service, which is started again whenever it exits — build it as part of a service, or give it an image`,
        { atKey: true },
      );
      return undefined;
    }
    source = { fromService: from.name };
    how = `in ${from.name}'s image (the same build), with ${from.name}'s variables and volumes as well as its own`;
    const missing = (service.volumes ?? []).filter((v) => !(from.volumes ?? []).some((w) => sameVolume(v, w)));
    if (missing.length) dropped.push(`its volumes ${missing.map((v) => `${v.name}:${v.mountPath}`).join(', ')}, which ${from.name} does not mount`);
  } else if (service.image) {
    source = { image: service.image };
    how = `from the image ${service.image}, with its own variables`;
    if (service.volumes?.length) dropped.push('its volumes (a job that runs an image mounts none)');
  } else return undefined; // neither image nor build: reported already
  if (!service.command && service.args) how += `; its command replaces the image's entrypoint as well as its command`;
  if (service.readiness) dropped.push('its healthcheck');
  if (service.replicas !== undefined && service.replicas !== 1) dropped.push(`replicas: ${service.replicas}`);
  reporter.warn(path, `${before}, so it is imported as a job, which each deploy runs ${how}${dropped.length ? `; left out: ${dropped.join('; ')}` : ''}`, { atKey: true });

  return {
    name: service.name,
    ...source,
    command,
    ...(service.env && Object.keys(service.env).length ? { env: service.env } : {}),
    ...(service.dependsOn?.length ? { dependsOn: service.dependsOn } : {}),
    ...(service.resources ? { resources: service.resources } : {}),
  };
}

function nameOf(dep: DependencyInput): string {
  return typeof dep === 'string' ? dep : dep.name;
}

function sameVolume(a: VolumeInput, b: VolumeInput): boolean {
  return a.name === b.name && a.mountPath === b.mountPath && (a.type ?? 'persistent') === (b.type ?? 'persistent') && (a.readOnly ?? false) === (b.readOnly ?? false) && a.source === b.source;
}

function list(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
