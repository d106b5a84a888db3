import type { VolumeInput } from './manifest-input.ts';
import { toDnsLabel, uniqueLabel } from './names.ts';
import { toMemoryQuantity } from './quantities.ts';
import type { ComposePath, Reporter } from './reporter.ts';
import { isHostPath, repositoryPath } from './repository-path.ts';
import { describeValue, isRecord, scalarText } from './yaml-values.ts';

/**
 * Volumes, by where their data lives:
 * - a named volume (`db_data:/var/lib/mysql`) → `persistent`, kept across deploys of an environment;
 * - a relative bind mount (`./nginx.conf:/etc/nginx/nginx.conf`) → `repo`, a path of the environment's
 *   checkout; the folder of the Compose file is taken as the repository root;
 * - an anonymous volume (`/app/node_modules`) or tmpfs → `ephemeral`: Compose makes a fresh one per
 *   container, nothing names it, so nothing expects its data to survive;
 * - an absolute or home host path (`/var/run/docker.sock`, `~/data`) → left out with a warning: an
 *   environment cannot reach into the machine of whoever wrote the file.
 */
/** A service's volumes, kept to one per name and one per mount path, as the manifest requires. */
export class ServiceVolumes {
  readonly list: VolumeInput[] = [];
  private readonly names = new Set<string>();
  private readonly mounts = new Set<string>();

  constructor(private readonly reporter: Reporter) {}

  add(volume: Omit<VolumeInput, 'name'>, nameHint: string, at: ComposePath): void {
    if (this.mounts.has(volume.mountPath)) {
      this.reporter.warn(at, `a second volume is mounted at ${volume.mountPath}; it is left out`);
      return;
    }
    this.mounts.add(volume.mountPath);
    this.list.push({ name: uniqueLabel(toDnsLabel(nameHint) || 'data', this.names), ...volume });
  }
}

export function convertVolumes(service: Record<string, unknown>, path: ComposePath, volumes: ServiceVolumes, reporter: Reporter): void {
  const raw = service.volumes;
  if (Array.isArray(raw)) {
    raw.forEach((item, i) => {
      const at = [...path, 'volumes', i];
      const mount = isRecord(item) ? readLongSyntax(item, at, reporter) : readShortSyntax(item, at, reporter);
      if (mount) volumes.add(mount.volume, mount.nameHint, at);
    });
  } else if (raw !== undefined && raw !== null) {
    reporter.error([...path, 'volumes'], `expected a list of volumes, got ${describeValue(raw)}`);
  }

  const tmpfs = service.tmpfs;
  const tmpfsItems = Array.isArray(tmpfs) ? tmpfs : tmpfs === undefined || tmpfs === null ? [] : [tmpfs];
  tmpfsItems.forEach((item, i) => {
    const at = Array.isArray(tmpfs) ? [...path, 'tmpfs', i] : [...path, 'tmpfs'];
    const text = scalarText(item);
    const [target = '', options = ''] = (text ?? '').split(':');
    if (!target.startsWith('/')) {
      reporter.error(at, `expected an absolute path in the container, such as /run, got ${describeValue(item)}`);
      return;
    }
    const size = /(?:^|,)size=([^,]+)/.exec(options)?.[1];
    volumes.add(ephemeral(target, size, at, reporter), target, at);
  });
}

interface Mount {
  volume: Omit<VolumeInput, 'name'>;
  nameHint: string;
}

function readShortSyntax(item: unknown, path: ComposePath, reporter: Reporter): Mount | undefined {
  const text = scalarText(item);
  if (text === undefined) {
    reporter.error(path, `expected a volume such as "data:/var/lib/data" or { type, source, target }, got ${describeValue(item)}`);
    return undefined;
  }
  // A Windows drive (C:\data) holds a colon of its own.
  const drive = /^[A-Za-z]:[\\/]/.test(text) ? text.slice(0, 2) : '';
  const fields = text.slice(drive.length).split(':');
  if (drive) fields[0] = drive + fields[0];
  if (fields.length > 3) {
    reporter.error(path, `${JSON.stringify(text)} is not a volume: expected [SOURCE:]TARGET[:MODE]`);
    return undefined;
  }
  const [first = '', second, mode = ''] = fields;
  const readOnly = mode.split(',').includes('ro');
  if (second === undefined) return anonymous(first, path, reporter);
  return mountOf(first, second, readOnly, undefined, path, reporter);
}

function readLongSyntax(item: Record<string, unknown>, path: ComposePath, reporter: Reporter): Mount | undefined {
  const type = scalarText(item.type) ?? 'volume';
  const target = scalarText(item.target);
  if (target === undefined) {
    reporter.error(path, 'a volume in the long syntax needs target: the path in the container');
    return undefined;
  }
  const source = scalarText(item.source);
  const readOnly = item.read_only === true;
  switch (type) {
    case 'volume':
    case 'bind':
      if (source === undefined || source === '') return type === 'volume' ? anonymous(target, path, reporter) : missingSource(path, reporter);
      return mountOf(source, target, readOnly, type, path, reporter);
    case 'tmpfs': {
      const size = isRecord(item.tmpfs) ? item.tmpfs.size : undefined;
      if (!target.startsWith('/')) return notAbsolute(target, path, reporter);
      return { volume: ephemeral(target, size, [...path, 'tmpfs', 'size'], reporter), nameHint: target };
    }
    default:
      reporter.warn(path, `${type} volumes have no equivalent; the volume at ${target} is left out`);
      return undefined;
  }
}

function mountOf(
  source: string,
  target: string,
  readOnly: boolean,
  declaredType: 'volume' | 'bind' | undefined,
  path: ComposePath,
  reporter: Reporter,
): Mount | undefined {
  if (!target.startsWith('/')) return notAbsolute(target, path, reporter);
  const mountPath = normalizeMountPath(target);
  const extra = readOnly ? { readOnly: true } : {};
  if (source === '') {
    // What an unset ${VAR} leaves behind, as in "${MEDIA_PATH}:/media".
    reporter.warn(path, `the volume mounted at ${mountPath} has an empty source; it is left out`);
    return undefined;
  }
  if (isHostPath(source)) {
    reporter.warn(
      path,
      `${source} is a path on the host machine, which an environment cannot reach; the volume at ${mountPath} is left out — put the files in the repository and mount them with a relative path, or use a named volume`,
    );
    return undefined;
  }
  const relative = declaredType === 'bind' || source.startsWith('.');
  if (!relative) return { volume: { mountPath, ...extra }, nameHint: source };
  const inRepository = repositoryPath(source);
  if (inRepository === undefined) {
    reporter.warn(path, `${source} is outside the folder of the Compose file, which Slipway takes as the repository; the volume at ${mountPath} is left out`);
    return undefined;
  }
  return { volume: { mountPath, type: 'repo', source: inRepository, ...extra }, nameHint: inRepository === '.' ? 'repository' : inRepository };
}

function anonymous(target: string, path: ComposePath, reporter: Reporter): Mount | undefined {
  if (!target.startsWith('/')) return notAbsolute(target, path, reporter);
  return { volume: { mountPath: normalizeMountPath(target), type: 'ephemeral' }, nameHint: target };
}

function ephemeral(target: string, size: unknown, path: ComposePath, reporter: Reporter): Omit<VolumeInput, 'name'> {
  const volume: Omit<VolumeInput, 'name'> = { mountPath: normalizeMountPath(target), type: 'ephemeral' };
  if (size !== undefined) {
    const quantity = toMemoryQuantity(size);
    if (quantity) volume.size = quantity;
    else reporter.warn(path, `${describeValue(size)} is not a size such as 64m; the tmpfs size is left out`);
  }
  return volume;
}

function missingSource(path: ComposePath, reporter: Reporter): undefined {
  reporter.error(path, 'a bind mount needs source: the path it mounts');
  return undefined;
}

function notAbsolute(target: string, path: ComposePath, reporter: Reporter): undefined {
  reporter.error(path, `${JSON.stringify(target)} is not an absolute path in the container`);
  return undefined;
}

export function normalizeMountPath(target: string): string {
  return target.length > 1 ? target.replace(/\/+$/, '') || '/' : target;
}
