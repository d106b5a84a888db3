import type { Path, SourceFile } from './source-file.ts';

/**
 * A Release name as a DNS label: Release allows camelCase and "_" (frontendTests, ffs_postgres)
 * where Slipway names must fit in hostnames. camelCase is split so the name stays readable.
 */
export function toDnsLabel(raw: string): string {
  let out = raw
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (out.length > 63) out = out.slice(0, 63).replace(/-+$/, '');
  return out;
}

/** Letters and digits only, to recognise ffs_postgres as the ffspostgres it was meant to be. */
function squashed(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export type UnitKind = 'service' | 'job' | 'cronJob';

const kindWords: Record<UnitKind, string> = { service: 'service', job: 'job', cronJob: 'cron job' };

/**
 * Names of services, jobs and cron jobs, from Release's to Slipway's. They share one namespace in
 * Slipway (dependsOn names either), so a job named like a service is renamed, not merged.
 */
export class NameRegistry {
  private readonly taken = new Set<string>();
  private readonly byKind: Record<UnitKind, Map<string, string>> = { service: new Map(), job: new Map(), cronJob: new Map() };
  private readonly dropped: Record<UnitKind, Set<string>> = { service: new Set(), job: new Set(), cronJob: new Set() };

  /** Registers a Release name and returns the Slipway name, or undefined when it cannot be used. */
  claim(kind: UnitKind, releaseName: string, src: SourceFile, path: Path): string | undefined {
    const word = kindWords[kind];
    if (this.byKind[kind].has(releaseName)) {
      src.warn(path, `${word} "${releaseName}" is defined twice; the second definition is dropped`);
      return undefined;
    }
    const base = toDnsLabel(releaseName);
    if (base === '') {
      src.warn(path, `${word} name ${JSON.stringify(releaseName)} has no letters or digits to make a name from; it is dropped`);
      return undefined;
    }
    let name = base;
    let reason = base === releaseName ? '' : 'Slipway names are lowercase letters, digits and "-"';
    if (this.taken.has(name)) {
      const suffixed = kind === 'service' ? name : `${name}-${kind === 'job' ? 'job' : 'cron'}`;
      name = suffixed;
      for (let n = 2; this.taken.has(name); n++) name = `${suffixed}-${n}`;
      reason = `services, jobs and cron jobs share one namespace in Slipway and "${base}" is already used`;
    }
    if (name !== releaseName) src.warn(path, `${word} "${releaseName}" is named "${name}": ${reason}`);
    this.taken.add(name);
    this.byKind[kind].set(releaseName, name);
    return name;
  }

  /** The Slipway name of a Release name, also when it is written the Slipway way already. */
  resolve(kind: UnitKind, releaseName: string): string | undefined {
    const direct = this.byKind[kind].get(releaseName);
    if (direct) return direct;
    const label = toDnsLabel(releaseName);
    return [...this.byKind[kind].values()].find((n) => n === label);
  }

  /** Forgets a unit that could not be converted, so references to it are reported, not written. */
  drop(kind: UnitKind, releaseName: string): void {
    if (this.byKind[kind].delete(releaseName)) this.dropped[kind].add(releaseName);
  }

  names(kind: UnitKind): string[] {
    return [...this.byKind[kind].values()];
  }

  /** Release name → Slipway name pairs of one kind. */
  entries(kind: UnitKind): [string, string][] {
    return [...this.byKind[kind].entries()];
  }

  /** " (did you mean "x"?)" when a name differs from a known one only by punctuation or case. */
  hint(kind: UnitKind, raw: string): string {
    if (this.dropped[kind].has(raw)) return ' (it could not be converted, see above)';
    const match = [...this.byKind[kind].entries()].find(([release]) => squashed(release) === squashed(raw));
    return match ? ` (did you mean "${match[0]}"?)` : '';
  }
}

/** Prefix of a service's injected variables, as both Release and Slipway write it: api-gateway → API_GATEWAY. */
export function variablePrefix(service: string): string {
  return service.toUpperCase().replace(/-/g, '_');
}
