import { formatPath, type Diagnostic } from '@slipway/contract';
import { didYouMean } from '../../manifest/did-you-mean.ts';
import { parseYamlFile, positionOf } from '../../yaml/yaml-file.ts';
import { readSafely, type ReadFile } from './environment.ts';
import { mergeService, mergeValues } from './merge.ts';
import type { ComposePath, ComposeSource, Locator, ReportOptions } from './reporter.ts';
import { isHostPath } from './repository-path.ts';
import { describeValue, isRecord, scalarText, type PlainRecord } from './yaml-values.ts';

/** A file of the project as the caller read it. */
export interface ComposeFileText {
  file: string;
  text: string;
}

/** Where a service's fields were written: in this document, under this path. */
interface Origin {
  source: ComposeSource;
  at: ComposePath;
}

export interface ComposeProject {
  /** The files merged in order, their services' `extends` followed; not interpolated yet. */
  root: PlainRecord;
  /** The first file's source, for diagnostics about the project as a whole. */
  primary: ComposeSource;
  locator: Locator;
  /** Services whose `extends` could not be followed; they are reported already. */
  broken: Set<string>;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/**
 * Loads a project as `docker compose -f a -f b` does: each later file is merged over the earlier ones
 * with Compose's rules (merge.ts), then every service's `extends` (same file, or `file:` another) is
 * followed, bases first, so a service that takes its image from a base has it. Paths in a base read
 * from another folder (build context, env_file) are rebased onto the project's folder. Undefined
 * root when a file cannot be parsed or is not a mapping.
 */
export function loadComposeProject(files: ComposeFileText[], readFile: ReadFile | undefined): ComposeProject | { errors: Diagnostic[]; warnings: Diagnostic[] } {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const parsedFiles: { source: ComposeSource; value: PlainRecord }[] = [];
  for (const { file, text } of files) {
    const read = readComposeFile(file, text, errors, warnings);
    if (read) parsedFiles.push(read);
  }
  if (errors.length || parsedFiles.length !== files.length) return { errors, warnings };

  const origins = new Map<string, Origin[]>();
  let root: PlainRecord = {};
  for (const { source, value } of parsedFiles) {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'services' && isRecord(item) && isRecord(root.services)) {
        const services: PlainRecord = { ...root.services };
        for (const [name, service] of Object.entries(item)) {
          const previous = services[name];
          services[name] = isRecord(previous) && isRecord(service) ? mergeService(previous, service) : service;
        }
        root.services = services;
      } else root[key] = key in root ? mergeValues(root[key], item) : item;
    }
    if (isRecord(value.services)) {
      for (const name of Object.keys(value.services)) origins.set(name, [{ source, at: ['services', name] }, ...(origins.get(name) ?? [])]);
    }
  }
  root = { ...root };
  const primary = parsedFiles[0]!.source;
  const broken = new Set<string>();

  if (isRecord(root.services)) {
    const resolver = new ExtendsResolver(readFile, errors, warnings);
    const project: LoadedFile = { source: primary, dir: '', services: root.services, origins };
    const services: PlainRecord = {};
    for (const [name, service] of Object.entries(root.services)) {
      const resolved = resolver.resolve(project, name, service, []);
      services[name] = resolved.value;
      if (resolved.broken) broken.add(name);
      origins.set(name, resolved.origins);
    }
    root.services = services;
  }
  return { root, primary, locator: locator(parsedFiles.map((f) => f.source), origins), broken, errors, warnings };
}

function readComposeFile(file: string, text: string, errors: Diagnostic[], warnings: Diagnostic[]): { source: ComposeSource; value: PlainRecord } | undefined {
  const parsed = parseYamlFile(text, file);
  warnings.push(...parsed.warnings);
  if (!parsed.value) {
    errors.push(...parsed.errors);
    return undefined;
  }
  const { documents, lineCounter } = parsed.value;
  const first = documents[0];
  if (!first) {
    errors.push({ severity: 'error', file, message: 'the file is empty: expected a Compose file with services' });
    return undefined;
  }
  const source: ComposeSource = { file, doc: first.doc, lineCounter };
  if (documents[1]) {
    warnings.push({ severity: 'warning', file, ...positionOf(documents[1].doc, lineCounter, []), message: 'the file holds several YAML documents; only the first is imported' });
  }
  if (!isRecord(first.value)) {
    errors.push({ severity: 'error', file, ...positionOf(first.doc, lineCounter, []), message: `expected a Compose file (a mapping with services), got ${describeValue(first.value)}` });
    return undefined;
  }
  return { source, value: first.value };
}

/** Finds each path in the file that wrote it: the service's own definitions first, then its bases. */
function locator(sources: ComposeSource[], origins: ReadonlyMap<string, Origin[]>): Locator {
  const primary = sources[0]!;
  return (path: ComposePath, options: ReportOptions) => {
    const key = { key: options.atKey, exact: true };
    const service = path[0] === 'services' && typeof path[1] === 'string' ? origins.get(path[1]) : undefined;
    if (service?.length) {
      for (const { source, at } of service) {
        const position = positionOf(source.doc, source.lineCounter, [...at, ...path.slice(2)], key);
        if (position) return { file: source.file, ...position };
      }
      const own = service[0]!;
      return { file: own.source.file, ...positionOf(own.source.doc, own.source.lineCounter, [...own.at, ...path.slice(2)], { key: options.atKey }) };
    }
    if (path.length > 0) {
      for (const source of [...sources].reverse()) {
        const position = positionOf(source.doc, source.lineCounter, path, key);
        if (position) return { file: source.file, ...position };
      }
    }
    return { file: primary.file, ...positionOf(primary.doc, primary.lineCounter, path, { key: options.atKey }) };
  };
}

interface LoadedFile {
  source: ComposeSource;
  /** Its folder relative to the project's, '' for the project's own files. */
  dir: string;
  services: PlainRecord;
  origins: ReadonlyMap<string, Origin[]>;
}

interface Resolved {
  value: unknown;
  origins: Origin[];
  broken: boolean;
}

class ExtendsResolver {
  private readonly files = new Map<string, LoadedFile | null>();
  private readonly done = new Map<string, Resolved>();

  constructor(
    private readonly readFile: ReadFile | undefined,
    private readonly errors: Diagnostic[],
    private readonly warnings: Diagnostic[],
  ) {}

  resolve(file: LoadedFile, name: string, service: unknown, chain: string[]): Resolved {
    const id = `${file.dir}/${file.source.file}#${name}`;
    const own = file.origins.get(name) ?? [{ source: file.source, at: ['services', name] }];
    const cached = this.done.get(id);
    if (cached) return cached;
    if (!isRecord(service) || service.extends === undefined) return { value: service, origins: own, broken: false };
    const result = this.follow(file, name, service, [...chain, id], own);
    this.done.set(id, result);
    return result;
  }

  private follow(file: LoadedFile, name: string, service: PlainRecord, chain: string[], own: Origin[]): Resolved {
    const { extends: raw, ...rest } = service;
    const fail = (message: string, at: ComposePath = ['extends']): Resolved => {
      this.error(own, at, message);
      return { value: rest, origins: own, broken: true };
    };
    const spec = typeof raw === 'string' ? { service: raw } : isRecord(raw) ? { service: scalarText(raw.service), file: raw.file } : undefined;
    if (!spec || !spec.service) {
      return fail(`expected extends: base (a service of this file) or extends: { service: base, file: other.yml }, got ${describeValue(raw)}`);
    }
    let target = file;
    if (spec.file !== undefined && spec.file !== null) {
      const path = scalarText(spec.file);
      if (!path) return fail(`expected extends.file to be the path of a Compose file, got ${describeValue(spec.file)}`, ['extends', 'file']);
      const loaded = this.load(joinPath(file.dir, path));
      if (!loaded) {
        return fail(
          `extends.file ${path} could not be read${this.readFile ? '' : ' (the importer was given no way to read files)'}; it is read relative to ${file.source.file}'s folder`,
          ['extends', 'file'],
        );
      }
      target = loaded;
    }
    const baseName = spec.service;
    const base = target.services[baseName];
    if (base === undefined) {
      const names = Object.keys(target.services);
      return fail(
        `service "${name}" extends "${baseName}", which is not a service of ${target.source.file}${didYouMean(baseName, names)}${names.length ? `; its services are ${names.join(', ')}` : ''}`,
        typeof raw === 'string' ? ['extends'] : ['extends', 'service'],
      );
    }
    const baseId = `${target.dir}/${target.source.file}#${baseName}`;
    if (chain.includes(baseId)) {
      const names = [...chain.slice(chain.indexOf(baseId)), baseId].map((id) => id.slice(id.indexOf('#') + 1));
      return fail(`extends cycle: ${names.join(' → ')}; no service of it has a definition to start from — make one of them define its fields instead of extending`);
    }
    if (!isRecord(base)) return fail(`service "${name}" extends "${baseName}", which is ${describeValue(base)}, not a service definition`);
    const resolved = this.resolve(target, baseName, base, chain);
    if (resolved.broken) return { value: rest, origins: own, broken: true };
    const rebased = target === file ? (resolved.value as PlainRecord) : rebase(resolved.value as PlainRecord, target.dir);
    return { value: mergeService(rebased, rest), origins: [...own, ...resolved.origins], broken: false };
  }

  private load(path: string): LoadedFile | undefined {
    if (this.files.has(path)) return this.files.get(path) ?? undefined;
    this.files.set(path, null);
    const text = readSafely(this.readFile, path);
    if (text === undefined) return undefined;
    const read = readComposeFile(path, text, this.errors, this.warnings);
    if (!read) return undefined;
    const services = isRecord(read.value.services) ? read.value.services : {};
    const origins = new Map(Object.keys(services).map((name) => [name, [{ source: read.source, at: ['services', name] }]]));
    const loaded: LoadedFile = { source: read.source, dir: folderOf(path), services, origins };
    this.files.set(path, loaded);
    return loaded;
  }

  private error(origins: Origin[], at: ComposePath, message: string): void {
    const { source, at: servicePath } = origins[0]!;
    const position = positionOf(source.doc, source.lineCounter, [...servicePath, ...at], { key: true });
    this.errors.push({ severity: 'error', file: source.file, ...position, path: formatPath([...servicePath, ...at]), message });
  }
}

/** A base from another folder: its build context and env files are relative to that folder. */
function rebase(service: PlainRecord, dir: string): PlainRecord {
  if (!dir) return service;
  const out: PlainRecord = { ...service };
  if (typeof out.build === 'string') out.build = joinPath(dir, out.build);
  else if (isRecord(out.build) && typeof out.build.context === 'string') out.build = { ...out.build, context: joinPath(dir, out.build.context) };
  const envFile = (item: unknown) =>
    typeof item === 'string' ? joinPath(dir, item) : isRecord(item) && typeof item.path === 'string' ? { ...item, path: joinPath(dir, item.path) } : item;
  if (Array.isArray(out.env_file)) out.env_file = out.env_file.map(envFile);
  else if (out.env_file !== undefined) out.env_file = envFile(out.env_file);
  return out;
}

function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** `a/b` + `../c.yml` → `a/c.yml`; climbing above the project's folder keeps its `..`. */
export function joinPath(dir: string, relative: string): string {
  if (isHostPath(relative) || !dir) return relative;
  const parts: string[] = [];
  for (const part of `${dir}/${relative}`.split(/[\\/]+/)) {
    if (part === '' || part === '.') continue;
    if (part === '..' && parts.length && parts[parts.length - 1] !== '..') parts.pop();
    else parts.push(part);
  }
  return parts.length ? parts.join('/') : '.';
}
